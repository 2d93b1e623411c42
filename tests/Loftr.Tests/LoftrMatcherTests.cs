using Loftr.Imaging;
using Loftr.Tests.Golden;
using Loftr.Tests.Infrastructure;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Loftr.Tests;

public sealed class LoftrMatcherTests(ITestOutputHelper output)
{
    private static GrayImage ToImage(Tensor image) =>
        new(image.flatten().data<float>().ToArray(), (int)image.shape[3], (int)image.shape[2]);

    [Fact]
    public void MatchOnNetworkSizedImagesGivesTheReferenceMatches()
    {
        using var fixture = new GoldenFixture("small_ot");
        using var matcher = new LoftrMatcher(GoldenModel.Load(fixture));
        var result = matcher.Match(ToImage(fixture["input.image0"]), ToImage(fixture["input.image1"]));

        var refKp0 = fixture["fine_matching.mkpts0_f"].data<float>().ToArray();
        var refKp1 = fixture["fine_matching.mkpts1_f"].data<float>().ToArray();
        var refConf = fixture["coarse_matching.mconf"].data<float>().ToArray();
        var refExpec = fixture["fine_matching.expec_f"].data<float>().ToArray(); // [M, 3]: x, y, std
        Assert.Equal(refConf.Length, result.Count);
        Assert.Equal(result.Count, result.FineStd.Length);
        for (int k = 0; k < result.Count; k++)
        {
            Assert.Equal(refKp0[2 * k], result.Keypoints0[k].X);
            Assert.Equal(refKp0[2 * k + 1], result.Keypoints0[k].Y);
            Assert.Equal(refKp1[2 * k], result.Keypoints1[k].X, 0.002);
            Assert.Equal(refKp1[2 * k + 1], result.Keypoints1[k].Y, 0.002);
            Assert.Equal(refConf[k], result.Confidence[k], 0.0002);
            Assert.Equal(refExpec[3 * k + 2], result.FineStd[k], 0.002);
        }
        Assert.Contains(result.FineStd, s => s < 1.0f); // not all windows are flat
        var top = result.TopK(5);
        Assert.Equal(top.Keypoints1.Select(p => result.FineStd[Array.IndexOf(result.Keypoints1, p)]), top.FineStd);
        Assert.Equal(new ImageSize(240, 320), result.ImageSize0);
        Assert.Equal(new ImageSize(384, 288), result.NetworkSize1);
    }

    [Fact]
    public void MatchingFilesMapsKeypointsBackToOriginalPixels()
    {
        // full_ds: the 1296x968 ScanNet frames resized to 640x480; keypoints scaled back by (1296/640, 968/480).
        using var fixture = new GoldenFixture("full_ds");
        using var matcher = LoftrMatcher.Load(Path.Combine(fixture.Directory, "weights.ckpt"), GoldenModel.Config(fixture.Json));
        var result = matcher.Match(TestData.Path("images/scene0711_00_frame-001680.jpg"), TestData.Path("images/scene0711_00_frame-001995.jpg"),
            new MatchOptions { MaxSize = 640 });
        Assert.Equal(new ImageSize(640, 480), result.NetworkSize0);
        Assert.Equal(new ImageSize(1296, 968), result.ImageSize0);
        var refKp0 = fixture["fine_matching.mkpts0_f"].data<float>().ToArray();
        var refKp1 = fixture["fine_matching.mkpts1_f"].data<float>().ToArray();
        Assert.Equal(refKp0.Length / 2, result.Count);
        float sx = 1296f / 640, sy = 968f / 480;
        for (int k = 0; k < result.Count; k++)
        {
            Assert.Equal(refKp0[2 * k] * sx, result.Keypoints0[k].X, 1e-3);
            Assert.Equal(refKp0[2 * k + 1] * sy, result.Keypoints0[k].Y, 1e-3);
            Assert.Equal(refKp1[2 * k] * sx, result.Keypoints1[k].X, 0.01);
            Assert.Equal(refKp1[2 * k + 1] * sy, result.Keypoints1[k].Y, 0.01);
        }
    }

    [Fact]
    public void BatchOfEqualSizedPairsEqualsSinglePairs()
    {
        using var fixture = new GoldenFixture("small_ot");
        using var matcher = new LoftrMatcher(GoldenModel.Load(fixture));
        var a = ToImage(fixture["input.image0"]);
        var b = ToImage(fixture["input.image1"]);
        var single = matcher.Match(a, b);
        var swapped = matcher.Match(b, a);
        var batch = matcher.MatchBatch([(a, b), (a, b)]);
        Assert.Equal(2, batch.Count);
        foreach (var r in batch) AssertSame(single, r);
        // Mixed sizes are grouped by size: each result equals its single-pair run.
        var grouped = matcher.MatchBatch([(a, b), (b, a), (a, b)]);
        AssertSame(single, grouped[0]);
        AssertSame(swapped, grouped[1]);
        AssertSame(single, grouped[2]);

        // Different sizes in one forward pass: padded with masks; each result is in its own image's coordinates.
        var mixed = matcher.MatchBatch([(a, b), (b, a)], new MatchOptions { PadMixedSizes = true });
        output.WriteLine($"single {single.Count}, swapped {swapped.Count}, padded batch {mixed[0].Count} / {mixed[1].Count}");
        Assert.All(mixed[0].Keypoints0, p => Assert.InRange(p.X, 0, 240));
        Assert.All(mixed[0].Keypoints1, p => Assert.InRange(p.X, -8, 384 + 8));
        Assert.All(mixed[1].Keypoints0, p => Assert.InRange(p.X, 0, 384));
        int close = mixed[0].Keypoints0.Zip(mixed[0].Keypoints1)
            .Count(m => Enumerable.Range(0, single.Count).Any(k => single.Keypoints0[k] == m.First
                && Math.Abs(single.Keypoints1[k].X - m.Second.X) < 1 && Math.Abs(single.Keypoints1[k].Y - m.Second.Y) < 1));
        output.WriteLine($"padded batch pair 0: {close} of {mixed[0].Count} matches within 1 px of the unpadded run");
        Assert.True(mixed[0].Count > 0 && close >= 0.5 * mixed[0].Count, $"only {close} of {mixed[0].Count} padded matches agree with the unpadded run");
    }

    /// <summary>Same matches up to float noise of a different batch size (the golden mkpts1_f tolerance is 2e-3 px).</summary>
    private static void AssertSame(MatchResult expected, MatchResult actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int k = 0; k < actual.Count; k++)
        {
            Assert.Equal(expected.Keypoints0[k], actual.Keypoints0[k]);
            Assert.Equal(expected.Keypoints1[k].X, actual.Keypoints1[k].X, 2e-3);
            Assert.Equal(expected.Keypoints1[k].Y, actual.Keypoints1[k].Y, 2e-3);
            Assert.Equal(expected.Confidence[k], actual.Confidence[k], 2e-4);
        }
    }

    [Fact]
    public void TooSmallImagesAreRejectedWithTheirSize()
    {
        using var fixture = new GoldenFixture("small_ot");
        using var matcher = new LoftrMatcher(GoldenModel.Load(fixture));
        var tiny = new GrayImage(new float[32 * 24], 32, 24);
        var ok = new GrayImage(new float[64 * 64], 64, 64);
        var e = Assert.Throws<ArgumentException>(() => matcher.Match(tiny, ok));
        Assert.Contains("32x24", e.Message);
        Assert.Contains("too small", e.Message);
    }

    [Fact]
    public void NetworkSizeRoundsToTheCoarseResolution()
    {
        using var fixture = new GoldenFixture("small_ot");
        using var matcher = new LoftrMatcher(GoldenModel.Load(fixture));
        Assert.Equal(new ImageSize(640, 480), matcher.NetworkSize(new ImageSize(1296, 968), new MatchOptions { MaxSize = 640 }));
        Assert.Equal(new ImageSize(752, 560), matcher.NetworkSize(new ImageSize(751, 563)));
        Assert.Equal(new ImageSize(320, 240), matcher.NetworkSize(new ImageSize(1296, 968), new MatchOptions { Size = new ImageSize(320, 240) }));
    }

    /// <summary>Network sizes given per image (a rotated image 1 needs the transposed size) work as the shared size option does.</summary>
    [Fact]
    public void NetworkSizesCanBeGivenPerImage()
    {
        using var matcher = LoftrMatcher.LoadDefault();
        using var graf1 = OpenCvSharp.Cv2.ImRead(TestData.Path("eval/homography/graf1.png"), OpenCvSharp.ImreadModes.Grayscale);
        using var graf3 = OpenCvSharp.Cv2.ImRead(TestData.Path("eval/homography/graf3.png"), OpenCvSharp.ImreadModes.Grayscale);
        var shared = matcher.Match(graf1, graf3, new MatchOptions { Size = new ImageSize(480, 384) });
        var perImage = matcher.Match(graf1, graf3, new ImageSize(480, 384), new ImageSize(480, 384), new MatchOptions { MaxSize = 100 });
        Assert.True(shared.Count > 100, $"{shared.Count} matches");
        Assert.Equal(shared.Keypoints0, perImage.Keypoints0);
        Assert.Equal(shared.Keypoints1, perImage.Keypoints1);

        // Image 1 squeezed to 720x640 and matched at its own aspect: keypoints in its frame, on the ground truth.
        using var squeezed = graf3.Resize(new OpenCvSharp.Size(720, 640));
        var r = matcher.Match(graf1, squeezed, new ImageSize(480, 384), new ImageSize(432, 384));
        Assert.Equal(new ImageSize(432, 384), r.NetworkSize1);
        Assert.Equal(new ImageSize(720, 640), r.ImageSize1);
        var gt = Loftr.Evaluation.HomographyFile.Read(TestData.Path("eval/homography/graf_H1to3.txt"));
        var errors = Loftr.Evaluation.HomographyMetrics.ReprojectionErrors(
            r.Keypoints0.Select(p => new OpenCvSharp.Point2d(p.X, p.Y)).ToArray(),
            r.Keypoints1.Select(p => new OpenCvSharp.Point2d(p.X * 800.0 / 720, p.Y)).ToArray(), gt).Order().ToArray();
        output.WriteLine($"squeezed image 1: {r.Count} matches, median error {errors[errors.Length / 2]:F2} px");
        Assert.True(r.Count > 100, $"{r.Count} matches");
        Assert.True(errors[errors.Length / 2] < 4.0, $"median error {errors[errors.Length / 2]:F2} px");
    }

}
