using Loftr.Evaluation;
using Loftr.Tests.Infrastructure;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Loftr.Tests.Evaluation;

/// <summary>Resize rules, the pairs / homography / HPatches / stereo datasets and the homography runner's frames.</summary>
public class EvalDatasetTests(ITestOutputHelper output)
{
    [Fact]
    public void ResizeRulesFollowTheReferenceSizes()
    {
        Assert.Equal(new ImageSize(640, 480), EvalResize.ScanNet.TargetSize(new ImageSize(1296, 968)));
        // MegaDepth: int(round(w * 840 / max)) then // 8 * 8; round half to even as Python.
        Assert.Equal(new ImageSize(840, 560), EvalResize.MegaDepth.TargetSize(new ImageSize(1600, 1067)));
        Assert.Equal(new ImageSize(552, 840), EvalResize.MegaDepth.TargetSize(new ImageSize(1063, 1600)));
        Assert.Equal(new ImageSize(840, 624), EvalResize.MegaDepth.TargetSize(new ImageSize(1296, 968)));
        // HPatches: short side 480 (graffiti 800x640 -> 600x480).
        Assert.Equal(new ImageSize(600, 480), EvalResize.HPatches.TargetSize(new ImageSize(800, 640)));
        Assert.Equal(new ImageSize(1282, 1110), EvalResize.None.TargetSize(new ImageSize(1282, 1110)));

        Assert.Equal(EvalResize.MegaDepth, EvalResize.Parse("long:840", 8, padToSquare: true));
        Assert.Equal("long:840/8+pad", EvalResize.MegaDepth.ToString());
        Assert.Equal(EvalResize.ScanNet, EvalResize.Parse("640x480"));
        Assert.Equal("short:480/8", EvalResize.HPatches.ToString());
        Assert.Equal(EvalResize.HPatches, EvalResize.Parse("short:480", 8));
        Assert.Equal(EvalResize.None, EvalResize.Parse("none"));
        Assert.Contains("use none, WxH", Assert.Throws<FormatException>(() => EvalResize.Parse("big")).Message);
        Assert.Throws<FormatException>(() => EvalResize.Parse("long:-3"));
    }

    [Fact]
    public void HomographyPairReadsTextAndOpenCvStorageAlike()
    {
        string dir = TestData.Path("eval/homography");
        var txt = HomographyDataset.FromHomographyPair(Path.Combine(dir, "graf1.png"), Path.Combine(dir, "graf3.png"), Path.Combine(dir, "graf_H1to3.txt"));
        var xml = HomographyDataset.FromHomographyPair(Path.Combine(dir, "graf1.png"), Path.Combine(dir, "graf3.png"), Path.Combine(dir, "H1to3p.xml"));
        var pair = Assert.Single(txt.Pairs);
        Assert.Equal("graf1.png graf3.png", pair.Identifier);
        Assert.Equal("homography-pair", txt.Name);
        Assert.Equal(EvalResize.None, txt.Resize);
        Assert.Equal(7.6285898e-01, pair.Homography[0, 0], 1e-7);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal(pair.Homography[i, j], xml.Pairs[0].Homography[i, j], 1e-9);
        Assert.Throws<FileNotFoundException>(() => HomographyDataset.FromHomographyPair("a.png", "b.png", Path.Combine(dir, "missing.txt")));
    }

    [Fact]
    public void PairsFileResolvesNamesAgainstItsFolder()
    {
        string file = TestData.Path("eval/scannet/scannet_pairs.txt");
        var ds = PoseDataset.FromPairsFile(file);
        Assert.Equal(14, ds.Pairs.Count);
        Assert.Equal(IntrinsicsFrame.Original, ds.Frame);
        Assert.All(ds.Pairs, p => Assert.True(File.Exists(p.Image0Path) && File.Exists(p.Image1Path), p.Image0Path));
        Assert.Equal(3, ds.Take(3).Pairs.Count);

        using var dir = new TempFolder();
        string rotated = Path.Combine(dir.Path, "rot.txt");
        File.WriteAllText(rotated, File.ReadLines(file).First().Replace(".png 0 0 ", ".png 1 0 ", StringComparison.Ordinal));
        Assert.Contains("rot.txt:1: EXIF rotations (1, 0) are not supported",
            Assert.Throws<NotSupportedException>(() => PoseDataset.FromPairsFile(rotated)).Message);
    }

    /// <summary>
    /// A two-sequence HPatches layout made of graffiti 1 and synthetic warps of it (exact H, a different image size),
    /// evaluated with the protocol's short-side-480 resize: SIFT must recover H within a pixel, which only works if the
    /// runner rescales the ground truth to the resized frames.
    /// </summary>
    [Fact]
    public void HPatchesLayoutIsScoredInTheResizedFrame()
    {
        using var dir = new TempFolder();
        using var graf = Cv2.ImRead(TestData.Path("eval/homography/graf1.png"));
        var h = new double[,] { { 0.9, 0.08, 30 }, { -0.05, 1.05, 12 }, { 1e-5, 2e-5, 1 } };
        foreach (var seq in new[] { "i_fake", "v_fake", "v_talent" })
        {
            string s = Directory.CreateDirectory(Path.Combine(dir.Path, seq)).FullName;
            Cv2.ImWrite(Path.Combine(s, "1.ppm"), graf);
            for (int k = 2; k <= 6; k++)
            {
                using var warped = new Mat();
                using var hm = Mat.FromPixelData(3, 3, MatType.CV_64FC1, h.Cast<double>().ToArray());
                Cv2.WarpPerspective(graf, warped, hm, new Size(900, 700));
                Cv2.ImWrite(Path.Combine(s, $"{k}.ppm"), warped);
                HomographyFile.WriteText(Path.Combine(s, $"H_1_{k}"), h);
            }
        }
        var ds = HomographyDataset.FromHPatches(dir.Path);
        Assert.Equal(10, ds.Pairs.Count); // v_talent is excluded by the protocol
        Assert.Equal("i_fake/1.ppm i_fake/2.ppm", ds.Pairs[0].Identifier);
        ds = ds with { Pairs = [ds.Pairs[0], ds.Pairs[9]] };

        using var sift = new SiftEvalMatcher();
        var report = new EvalRunner(sift).Run(ds);
        foreach (var r in report.Pairs)
            output.WriteLine($"{r.Identifier}: {r.Matches} matches, {r.Inliers} inliers, corner error {r.CornerError:F3} px, precision {r.Precision:P1}");
        Assert.All(report.Pairs, r => Assert.True(r.CornerError < 1.0, $"corner error {r.CornerError}"));
        Assert.All(report.Pairs, r => Assert.InRange(r.Matches, 100, 1024)); // top 1024
        Assert.All(report.Pairs, r => Assert.True(r.Precision > 0.9));
        Assert.True(report.Auc3 > 0.6);
        Assert.Contains("resize short:480/8, top 1024 matches, RANSAC 3 px", report.Protocol);
    }

    [Fact]
    public void StereoFolderFindsPairsInItselfOrSubFolders()
    {
        var single = StereoDataset.FromFolder(TestData.Path("eval/stereo"));
        Assert.Equal("stereo/aloeL.jpg aloeR.jpg", StereoDataset.Identifier(Assert.Single(single.Pairs)));
        var nested = StereoDataset.FromFolder(TestData.Path("eval"));
        Assert.Single(nested.Pairs);
        using var dir = new TempFolder();
        Assert.Contains("no stereo pair found here or in its sub-folders",
            Assert.Throws<FileNotFoundException>(() => StereoDataset.FromFolder(dir.Path)).Message);
    }
}
