using System.IO.Compression;
using Loftr.Evaluation;
using Loftr.Tests.Golden;
using Loftr.Tests.Infrastructure;
using Loftr.Tests.IO;
using Xunit.Abstractions;

namespace Loftr.Tests.Evaluation;

/// <summary>
/// The MegaDepth scene-info reader on npz files built here byte by byte with the structure of LoFTR's
/// megadepth_test_1500_scene_info/*.npz (pickled object arrays), since no MegaDepth data is available. The "scene"
/// uses the two 1296x968 ScanNet frames of tests/data/images with their full-resolution K and true relative pose.
/// </summary>
public class MegaDepthReaderTests(ITestOutputHelper output)
{
    private static readonly double[,] K640 = { { 574.5432098765433, 0, 322.77827160493825 }, { 0, 577.5818181818182, 238.8099173553719 }, { 0, 0, 1 } };

    // T_0to1 of scene0711_00 1680 -> 1995 (test.npz rel_pose[68]).
    private static readonly double[,] T0to1 =
    {
        { 0.7859299778938293, -0.35128000378608704, 0.508840024471283, -1.5106099843978882 },
        { 0.39215001463890076, 0.919439971446991, 0.029039999470114708, -0.0536700002849102 },
        { -0.47804999351501465, 0.17671999335289001, 0.8603699803352356, 0.0560000017285347 },
        { 0, 0, 0, 1 },
    };

    // An arbitrary world-to-camera pose for image 0 (rotation of 30 deg about z, then a translation).
    private static readonly double[,] Pose0 =
    {
        { Math.Cos(0.5236), -Math.Sin(0.5236), 0, 0.3 },
        { Math.Sin(0.5236), Math.Cos(0.5236), 0, -1.2 },
        { 0, 0, 1, 2.5 },
        { 0, 0, 0, 1 },
    };

    private static double[,] KFull => new double[,]
    {
        { K640[0, 0] * 1296 / 640, 0, K640[0, 2] * 1296 / 640 }, { 0, K640[1, 1] * 968 / 480, K640[1, 2] * 968 / 480 }, { 0, 0, 1 },
    };

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        var r = new double[4, 4];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                for (int k = 0; k < 4; k++) r[i, j] += a[i, k] * b[k, j];
        return r;
    }

    internal static byte[] Doubles(double[,] m) => m.Cast<double>().SelectMany(BitConverter.GetBytes).ToArray();

    /// <summary>A pickled numeric numpy array (numpy 1.x spelling, as the released files).</summary>
    internal static PickleBuilder NdArray(PickleBuilder p, string descr, long[] shape, byte[] data)
    {
        p.Global("numpy.core.multiarray", "_reconstruct").Global("numpy", "ndarray").Int(0).Tuple1()
            .CodecsBytes("b"u8.ToArray()).Tuple3().Reduce();
        p.Mark().Int(1).Mark();
        foreach (var s in shape) p.Int(s);
        return p.Tuple().NumpyDtype(descr, "<").False().CodecsBytes(data).Tuple().Build();
    }

    /// <summary>An .npy of an object array (pickled ndarray of dtype O).</summary>
    internal static byte[] ObjectNpy(int count, Action<PickleBuilder> items)
    {
        var p = new PickleBuilder().Proto(2);
        p.Global("numpy.core.multiarray", "_reconstruct").Global("numpy", "ndarray").Int(0).Tuple1()
            .CodecsBytes("b"u8.ToArray()).Tuple3().Reduce();
        p.Mark().Int(1).Int(count).Tuple1().NumpyDtype("O8", "|", -1, -1, 63).False().EmptyList().Mark();
        items(p);
        p.Appends().Tuple().Build().Stop();
        return NpyTests.NpyBytes("|O", false, [count], p.ToArray());
    }

    /// <summary>
    /// Writes a scene-info npz: images 0 and 2 are the two frames, image 1 has no data (None everywhere);
    /// pairs (0, 2) overlap 0.45, (2, 0) overlap 0.3, (0, 2) overlap 0.0 (dropped by the test filter "&gt; 0").
    /// </summary>
    private static void WriteSceneInfo(string path, int badIndex = -1)
    {
        var k = KFull;
        var pose1 = Multiply(T0to1, Pose0); // so that T1 inv(T0) = T0to1
        var poses = new[] { Pose0, null, pose1 };
        string[] names = ["Undistorted_SfM/0711/images/1680.jpg", "", "Undistorted_SfM/0711/images/1995.jpg"];
        var entries = new Dictionary<string, byte[]>
        {
            ["image_paths"] = ObjectNpy(3, q => { for (int i = 0; i < 3; i++) { if (i == 1) q.None(); else q.Str(names[i]); } }),
            ["depth_paths"] = ObjectNpy(3, q => { q.Str("depths/1680.h5"); q.None(); q.Str("depths/1995.h5"); }),
            ["intrinsics"] = ObjectNpy(3, q => { for (int i = 0; i < 3; i++) { if (i == 1) q.None(); else NdArray(q, "f8", [3, 3], Doubles(k)); } }),
            ["poses"] = ObjectNpy(3, q => { for (int i = 0; i < 3; i++) { if (poses[i] is { } t) NdArray(q, "f8", [4, 4], Doubles(t)); else q.None(); } }),
            ["pair_infos"] = ObjectNpy(badIndex >= 0 ? 1 : 3, q =>
            {
                void Info(long i0, long i1, double overlap)
                {
                    q.Int(i0).Int(i1).Tuple2().Float(overlap);
                    NdArray(q, "f4", [1, 4], new[] { 10f, 20f, 30f, 40f }.SelectMany(BitConverter.GetBytes).ToArray());
                    q.Tuple3();
                }
                if (badIndex >= 0) { Info(0, badIndex, 0.5); return; }
                Info(0, 2, 0.45);
                Info(2, 0, 0.3);
                Info(0, 2, 0.0);
            }),
        };
        using var z = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            using var s = z.CreateEntry(name + ".npy", CompressionLevel.Optimal).Open();
            s.Write(bytes);
        }
    }

    private static string MakeRoot(TempFolder dir)
    {
        string images = Directory.CreateDirectory(Path.Combine(dir.Path, "test", "Undistorted_SfM", "0711", "images")).FullName;
        File.Copy(TestData.Path("images/scene0711_00_frame-001680.jpg"), Path.Combine(images, "1680.jpg"));
        File.Copy(TestData.Path("images/scene0711_00_frame-001995.jpg"), Path.Combine(images, "1995.jpg"));
        return Path.Combine(dir.Path, "test");
    }

    [Fact]
    public void ReadsPairsPosesAndIntrinsicsFromPickledObjectArrays()
    {
        using var dir = new TempFolder();
        string npz = Path.Combine(dir.Path, "0711_0.1_0.3.npz");
        WriteSceneInfo(npz);
        var pairs = MegaDepthReader.ReadScene(npz, "/megadepth/test");
        Assert.Equal(2, pairs.Count); // the overlap-0 pair is dropped, as the reference (score > 0)
        Assert.Equal("Undistorted_SfM/0711/images/1680.jpg Undistorted_SfM/0711/images/1995.jpg", pairs[0].Identifier);
        Assert.Equal(Path.Combine("/megadepth/test", "Undistorted_SfM/0711/images/1995.jpg"), pairs[0].Image1Path);
        Assert.Equal("Undistorted_SfM/0711/images/1995.jpg Undistorted_SfM/0711/images/1680.jpg", pairs[1].Identifier);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(T0to1[i, j], pairs[0].T0to1[i, j], 1e-12);
        Assert.Equal(KFull[0, 0], pairs[0].K0[0, 0], 1e-12);
        Assert.Equal(KFull[1, 2], pairs[0].K1[1, 2], 1e-12);
        // The reverse pair carries the inverse transform: its product with the forward one is the identity.
        var id = Multiply(pairs[1].T0to1, pairs[0].T0to1);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(i == j ? 1.0 : 0.0, id[i, j], 1e-9);

        Assert.Single(MegaDepthReader.ReadScene(npz, "/r", minOverlapScore: 0.4));

        // A list file (megadepth_test_1500.txt style, names with or without .npz) and a folder give the same pairs.
        File.WriteAllLines(Path.Combine(dir.Path, "list.txt"), ["0711_0.1_0.3.npz", "", "0711_0.1_0.3"]);
        var fromList = MegaDepthReader.Read(Path.Combine(dir.Path, "list.txt"), "/r");
        Assert.Equal(4, fromList.Pairs.Count);
        Assert.Equal(EvalResize.MegaDepth, fromList.Resize);
        Assert.Equal(IntrinsicsFrame.Original, fromList.Frame);
        Assert.Equal(1e-4, fromList.EpipolarThreshold);
        Assert.Equal(2, MegaDepthReader.Read(dir.Path, "/r").Pairs.Count);
    }

    [Fact]
    public void AnIndexWithoutDataIsReportedWithTheFileAndPair()
    {
        using var dir = new TempFolder();
        string npz = Path.Combine(dir.Path, "bad.npz");
        WriteSceneInfo(npz, badIndex: 1);
        var ex = Assert.Throws<InvalidDataException>(() => MegaDepthReader.ReadScene(npz, "/r"));
        Assert.Contains("bad.npz: pair_infos[0]: image_paths[1] is empty", ex.Message);
        WriteSceneInfo(Path.Combine(dir.Path, "bad5.npz"), badIndex: 5);
        ex = Assert.Throws<InvalidDataException>(() => MegaDepthReader.ReadScene(Path.Combine(dir.Path, "bad5.npz"), "/r"));
        Assert.Contains("image index 5 is outside image_paths (length 3)", ex.Message);
        File.WriteAllLines(Path.Combine(dir.Path, "list.txt"), ["missing_scene"]);
        Assert.Contains("missing_scene.npz not found",
            Assert.Throws<FileNotFoundException>(() => MegaDepthReader.Read(Path.Combine(dir.Path, "list.txt"), "/r")).Message);
    }

    [Fact]
    public void MegaDepthProtocolResizesPadsAndScoresInTheStoredFrame()
    {
        using var dir = new TempFolder();
        string npz = Path.Combine(dir.Path, "0711_0.1_0.3.npz");
        WriteSceneInfo(npz);
        var ds = MegaDepthReader.Read(npz, MakeRoot(dir));
        ds = ds with { Pairs = [ds.Pairs[0]] };

        using var img = EvalImage.Load(ds.Pairs[0].Image0Path, ds.Resize);
        Assert.Equal(new ImageSize(840, 624), img.Resized); // 1296x968 -> round(627.4) = 627 -> floored to 624

        // SIFT through the runner: keypoints go back to 1296x968 where K lives.
        using var sift = new SiftEvalMatcher();
        var report = new EvalRunner(sift).Run(ds);
        var row = Assert.Single(report.Pairs);
        output.WriteLine($"SIFT megadepth protocol: {row.Matches} matches, t_err {row.TranslationErrorDeg:F1}, R_err {row.RotationErrorDeg:F1}, prec {row.Precision:P1}");
        Assert.True(row.Matches > 10);
        Assert.True(double.IsFinite(row.PoseErrorDeg));
        Assert.Equal(1e-4, report.EpipolarThreshold);

        // LoFTR on padded squares with masks (long side 320 keeps the test fast: 320x232 padded to 320x320): no match
        // may fall in the padding, and the runner maps them back to 1296x968.
        var small = ds with { Resize = EvalResize.LongSide(320, 8, padToSquare: true) };
        using var fixture = new GoldenFixture("small_ot");
        using var loftr = new LoftrEvalMatcher(new LoftrMatcher(GoldenModel.Load(fixture)), threshold: 0.02);
        using var s0 = EvalImage.Load(small.Pairs[0].Image0Path, small.Resize);
        using var s1 = EvalImage.Load(small.Pairs[0].Image1Path, small.Resize);
        Assert.Equal(new ImageSize(320, 232), s0.Resized);
        var m = loftr.Match(s0.Gray, s1.Gray, padToSquare: true);
        output.WriteLine($"LoFTR (random small_ot weights) padded: {m.Count} matches");
        Assert.True(m.Count > 0);
        Assert.All(m.Points0.Concat(m.Points1), p => Assert.True(p.X >= 0 && p.X < 320 && p.Y >= 0 && p.Y < 232, $"match at {p} in the padding"));
        var loftrReport = new EvalRunner(loftr).Run(small);
        Assert.Equal(m.Count, loftrReport.Pairs[0].Matches);
        Assert.InRange(loftrReport.Pairs[0].Precision, 0.0, 1.0);
    }
}
