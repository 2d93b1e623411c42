using Loftr.Evaluation;
using Loftr.Tests.Infrastructure;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Loftr.Tests.Evaluation;

/// <summary>
/// The ScanNet-1500 reader on LoFTR's real <c>test.npz</c> / <c>intrinsics.npz</c> (tests/data/eval/scannet, unchanged
/// copies of assets/scannet_test_1500). Expected values were read from the files with an independent Python npy parser.
/// </summary>
public class ScanNetReaderTests(ITestOutputHelper output)
{
    private static string Dir => TestData.Path("eval/scannet");

    private static PoseDataset Read(string imageRoot) =>
        ScanNetReader.Read(Path.Combine(Dir, "test.npz"), Path.Combine(Dir, "intrinsics.npz"), imageRoot);

    [Fact]
    public void ReadsTheFifteenHundredPairsWithTheirPosesAndIntrinsics()
    {
        var ds = Read("/data/scannet_test_1500");
        Assert.Equal("scannet", ds.Name);
        Assert.Equal(1500, ds.Pairs.Count);
        Assert.Equal(EvalResize.ScanNet, ds.Resize);
        Assert.Equal(IntrinsicsFrame.Resized, ds.Frame);
        Assert.Equal(5e-4, ds.EpipolarThreshold);
        Assert.Equal(1500, ds.Pairs.Select(p => p.Identifier).Distinct().Count());

        // name[0] = (707, 0, 15, 585), rel_pose[0] (float32, 3x4 row-major).
        var first = ds.Pairs[0];
        Assert.Equal("scene0707_00/color/15.jpg scene0707_00/color/585.jpg", first.Identifier);
        Assert.Equal(Path.Combine("/data/scannet_test_1500", "scene0707_00/color/15.jpg"), first.Image0Path);
        Assert.Equal(0.9759799838066101, first.T0to1[0, 0], 1e-12);
        Assert.Equal(-0.03968000039458275, first.T0to1[0, 3], 1e-12);
        Assert.Equal(0.5425500273704529, first.T0to1[2, 3], 1e-12);
        Assert.Equal(new double[] { 0, 0, 0, 1 }, Enumerable.Range(0, 4).Select(j => first.T0to1[3, j]));

        // name[1499] = (806, 0, 705, 795).
        var last = ds.Pairs[1499];
        Assert.Equal("scene0806_00/color/705.jpg scene0806_00/color/795.jpg", last.Identifier);
        Assert.Equal(-1.2529499530792236, last.T0to1[0, 3], 1e-12);

        // name[68] = (711, 0, 1680, 1995): K of scene0711_00 for 640x480 (float64).
        var p711 = ds.Pairs[68];
        Assert.Equal("scene0711_00/color/1680.jpg scene0711_00/color/1995.jpg", p711.Identifier);
        Assert.Equal(574.5432098765433, p711.K0[0, 0], 1e-12);
        Assert.Equal(238.8099173553719, p711.K1[1, 2], 1e-12);
        Assert.Equal(1.0, p711.K0[2, 2]);
    }

    [Fact]
    public void AgreesWithTheFourteenPairsOfThePairsFile()
    {
        var ds = Read("/unused");
        var byFrames = ds.Pairs.ToDictionary(p => p.Identifier);
        var pairs = PairsWithGtReader.Read(Path.Combine(Dir, "scannet_pairs.txt"));
        Assert.Equal(14, pairs.Count);
        foreach (var p in pairs)
        {
            // images_640x480/scene0711_00_frame-001680.png -> scene0711_00/color/1680.jpg
            string Frame(string name)
            {
                var stem = Path.GetFileNameWithoutExtension(name);
                int k = stem.IndexOf("_frame-", StringComparison.Ordinal);
                return $"{stem[..k]}/color/{int.Parse(stem[(k + 7)..], System.Globalization.CultureInfo.InvariantCulture)}.jpg";
            }
            var q = byFrames[$"{Frame(p.Name0)} {Frame(p.Name1)}"];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    Assert.Equal(p.K0[i, j], q.K0[i, j], 1e-9);
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    Assert.Equal(p.T0to1[i, j], q.T0to1[i, j], 1e-6); // the text file prints rel_pose with 5 decimals
        }
    }

    [Fact]
    public void ScanNetLayoutIsResizedTo640x480AndMatchesTheStoredNetworkInput()
    {
        // The two 1296x968 colour frames of pair 68, laid out as scannet_test_1500/scene0711_00/color/N.jpg.
        using var dir = new TempFolder();
        string color = Directory.CreateDirectory(Path.Combine(dir.Path, "scene0711_00", "color")).FullName;
        File.Copy(TestData.Path("images/scene0711_00_frame-001680.jpg"), Path.Combine(color, "1680.jpg"));
        File.Copy(TestData.Path("images/scene0711_00_frame-001995.jpg"), Path.Combine(color, "1995.jpg"));
        var ds = Read(dir.Path);
        ds = ds with { Pairs = [ds.Pairs[68]] };

        using (var img = EvalImage.Load(ds.Pairs[0].Image0Path, ds.Resize))
        using (var reference = Cv2.ImRead(TestData.Path("eval/scannet/images_640x480/scene0711_00_frame-001680.png"), ImreadModes.Grayscale))
        {
            Assert.Equal(new ImageSize(1296, 968), img.Original);
            Assert.Equal(new ImageSize(640, 480), img.Resized);
            using var diff = new Mat();
            Cv2.Absdiff(img.Gray, reference, diff);
            double mean = Cv2.Mean(diff).Val0;
            output.WriteLine($"mean |our 640x480 - stored network input| = {mean:F3} gray levels");
            Assert.True(mean < 1.0, $"resized frame differs from LoFTR's input by {mean} on average");
        }

        using var sift = new SiftEvalMatcher();
        var report = new EvalRunner(sift).Run(ds);
        var row = Assert.Single(report.Pairs);
        output.WriteLine($"{row.Identifier}: {row.Matches} matches, t_err {row.TranslationErrorDeg:F1}, R_err {row.RotationErrorDeg:F1}");
        Assert.Equal("scannet", report.Dataset);
        Assert.InRange(row.Matches, 25, 55); // 38 on the stored 640x480 PNGs
        Assert.True(double.IsFinite(row.PoseErrorDeg));
    }
}

/// <summary>A temporary folder deleted at the end of a test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "loftr-eval-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
