using Loftr.Evaluation;
using Loftr.Tests.Infrastructure;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Loftr.Tests;

/// <summary>
/// <see cref="PatchAlignment"/>: points of image 1 moved by aligning patches of image 0 (ECC, affine motion), checked on
/// a real photograph warped by a known homography and on the graffiti pair's ground truth.
/// </summary>
public sealed class PatchAlignmentTests(ITestOutputHelper output)
{
    // a perspective warp with rotation, scale and shear, like the training pairs
    private static readonly double[,] H =
    {
        { 0.92, -0.21, 60 },
        { 0.17, 0.98, 20 },
        { 1.2e-4, -0.8e-4, 1 },
    };

    private static Point2 Apply(double[,] h, Point2 p)
    {
        double w = h[2, 0] * p.X + h[2, 1] * p.Y + h[2, 2];
        return new Point2((float)((h[0, 0] * p.X + h[0, 1] * p.Y + h[0, 2]) / w), (float)((h[1, 0] * p.X + h[1, 1] * p.Y + h[1, 2]) / w));
    }

    private static (Mat Image0, Mat Image1, Point2[] Kp0, Point2[] Truth1) WarpedGraffiti()
    {
        var image0 = Cv2.ImRead(TestData.Path("eval/homography/graf1.png"), ImreadModes.Grayscale);
        var image1 = new Mat();
        using (var m = Mat.FromPixelData(3, 3, MatType.CV_64FC1, H))
            Cv2.WarpPerspective(image0, image1, m, image0.Size(), InterpolationFlags.Cubic);
        // a grid of points of image 0 whose patches stay inside image 1
        var kp0 = new List<Point2>();
        int w = image0.Cols, h = image0.Rows;
        for (int y = 60; y < h - 60; y += 20)
            for (int x = 60; x < w - 60; x += 20)
            {
                var q = Apply(H, new Point2(x, y));
                if (q.X > 40 && q.Y > 40 && q.X < w - 40 && q.Y < h - 40) kp0.Add(new Point2(x, y));
            }
        return (image0, image1, kp0.ToArray(), kp0.Select(p => Apply(H, p)).ToArray());
    }

    private static double Distance(Point2 a, Point2 b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v[v.Length / 2];
    }

    [Fact]
    public void AlignsNoisyStartingPointsToTheTrueWarpWithinAFewHundredthsOfAPixel()
    {
        var (image0, image1, kp0, truth) = WarpedGraffiti();
        using (image0)
        using (image1)
        {
            // start up to 2 px away from the truth in a fixed pattern, as the network's sub-pixel errors
            var start = truth.Select((p, i) => new Point2(p.X + (float)(2 * Math.Sin(1.7 * i)), p.Y + (float)(2 * Math.Cos(2.3 * i)))).ToArray();
            var result = PatchAlignment.Refine(image0, image1, kp0, start, new PatchAlignmentSettings(Radius: 12, MaxShift: 4));
            var (aligned, moved) = (result.Keypoints1, result.Aligned);

            var before = start.Zip(truth, Distance).ToArray();
            var after = aligned.Zip(truth, Distance).ToArray();
            output.WriteLine($"{kp0.Length} points, {moved} moved; median error {Median(before):F3} -> {Median(after):F4} px, " +
                             $"within 0.1 px {after.Count(e => e < 0.1)}");
            Assert.True(kp0.Length > 500, $"{kp0.Length} points");
            Assert.True(moved > 0.9 * kp0.Length, $"{moved} of {kp0.Length} moved");
            // the patches of a true warp correlate almost perfectly once aligned
            Assert.True(Median(result.Correlation.Where(c => !float.IsNaN(c)).Select(c => (double)c)) > 0.95);
            Assert.True(Median(before) > 1);
            // measured 2.000 -> 0.103 px (bilinear resampling of both patches bounds the precision)
            Assert.True(Median(after) < 0.15, $"median error after the alignment {Median(after):F4} px");
            // measured 606 of 795 within 0.25 px (none before); points on the plain wall stay where they started
            Assert.True(after.Count(e => e < 0.25) > 0.7 * kp0.Length, $"{after.Count(e => e < 0.25)} within 0.25 px");
        }
    }

    [Fact]
    public void NeverMovesAPointFurtherThanTheLargestShift()
    {
        var (image0, image1, kp0, truth) = WarpedGraffiti();
        using (image0)
        using (image1)
        {
            // 3 px off: the true position is out of reach with a largest shift of 1.5 px
            var start = truth.Select(p => new Point2(p.X + 3, p.Y)).ToArray();
            var result = PatchAlignment.Refine(image0, image1, kp0, start, new PatchAlignmentSettings(Radius: 12, MaxShift: 1.5));
            var (aligned, moved) = (result.Keypoints1, result.Aligned);
            var shifts = aligned.Zip(start, Distance).ToArray();
            output.WriteLine($"{moved} of {kp0.Length} moved, largest shift {shifts.Max():F3} px");
            Assert.All(shifts, s => Assert.True(s <= 1.5 + 1e-4, $"moved by {s} px"));
            Assert.Equal(shifts.Count(s => s > 0), moved);
            // the same points with room to move reach the truth
            var free = PatchAlignment.Refine(image0, image1, kp0, start, new PatchAlignmentSettings(Radius: 12, MaxShift: 4)).Keypoints1;
            Assert.True(Median(free.Zip(truth, Distance)) < 0.15, $"median error with room to move {Median(free.Zip(truth, Distance)):F4} px");
        }
    }

    [Fact]
    public void KeepsTheStartingPointsOnAFlatImage()
    {
        using var flat0 = new Mat(200, 200, MatType.CV_8UC1, Scalar.All(128));
        using var flat1 = new Mat(200, 200, MatType.CV_8UC1, Scalar.All(90));
        var kp0 = new[] { new Point2(100, 100), new Point2(50, 60), new Point2(150, 140), new Point2(80, 120) };
        var kp1 = new[] { new Point2(101, 99), new Point2(52, 61), new Point2(149, 141), new Point2(81, 118) };
        var result = PatchAlignment.Refine(flat0, flat1, kp0, kp1, new PatchAlignmentSettings(8, 4));
        Assert.Equal(0, result.Aligned);
        Assert.Equal(kp1, result.Keypoints1);
        Assert.All(result.Correlation, c => Assert.True(float.IsNaN(c)));
    }

    [Fact]
    public void NoPointsGiveNoPoints()
    {
        using var image = new Mat(100, 100, MatType.CV_8UC1, Scalar.All(0));
        var result = PatchAlignment.Refine(image, image, [], [], new PatchAlignmentSettings(8, 4));
        Assert.Empty(result.Keypoints1);
        Assert.Equal(0, result.Aligned);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        using var gray = new Mat(100, 100, MatType.CV_8UC1, Scalar.All(0));
        using var color = new Mat(100, 100, MatType.CV_8UC3, Scalar.All(0));
        var one = new[] { new Point2(50, 50) };
        var settings = new PatchAlignmentSettings(8, 4);
        Assert.Throws<ArgumentException>(() => PatchAlignment.Refine(gray, gray, one, [], settings));
        Assert.Throws<ArgumentException>(() => PatchAlignment.Refine(gray, color, one, one, settings));
        Assert.Throws<ArgumentOutOfRangeException>(() => PatchAlignment.Refine(gray, gray, one, one, settings with { Radius = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PatchAlignment.Refine(gray, gray, one, one, settings with { MaxShift = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PatchAlignment.Refine(gray, gray, one, one, settings with { Neighbours = 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PatchAlignment.Refine(gray, gray, one, one, settings with { GaussianFilterSize = 4 }));
    }

    [Fact]
    public void NetworkPixelSettingsScaleToTheOriginalImage()
    {
        var s = PatchAlignmentSettings.ForNetworkPixels(12, 1.25);
        Assert.Equal(15, s.Radius);
        Assert.Equal(5, s.MaxShift, 6);
    }
}
