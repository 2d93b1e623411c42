using Loftr.Evaluation;
using OpenCvSharp;

namespace Loftr.Tests.Evaluation;

public class RobustGeometryTests
{
    [Fact]
    public void MagsacHomographyWithOutliers()
    {
        var h = new double[,] { { 1.1, 0.05, -20 }, { -0.03, 0.95, 15 }, { 1e-4, 5e-5, 1 } };
        var rng = new Random(5);
        int n = 300, outliers = 60;
        var p0 = new Point2d[n];
        var p1 = new Point2d[n];
        for (int i = 0; i < n; i++)
        {
            p0[i] = new Point2d(rng.NextDouble() * 639, rng.NextDouble() * 479);
            p1[i] = i < outliers
                ? new Point2d(rng.NextDouble() * 639, rng.NextDouble() * 479)
                : HomographyMetrics.Project(h, p0[i]);
        }
        var m = RobustGeometry.EstimateHomography(p0, p1);
        Assert.NotNull(m);
        Assert.True(HomographyMetrics.MeanCornerError(m.Matrix, h, 640, 480) < 0.01);
        Assert.True(m.Inliers.Skip(outliers).All(b => b));
        Assert.True(m.Inliers.Take(outliers).Count(b => b) <= 2);
        Assert.Null(RobustGeometry.EstimateHomography(p0[..3], p1[..3]));
    }

    [Fact]
    public void MagsacFundamentalAndEssentialFitSyntheticPose()
    {
        var k0 = Synthetic.K640;
        var k1 = new double[,] { { 480.0, 0, 330 }, { 0, 482.0, 230 }, { 0, 0, 1 } };
        var t = Synthetic.TypicalPose();
        var (p0, p1) = Synthetic.Correspondences(k0, k1, t, 300, seed: 4);
        var rng = new Random(9);
        for (int i = 0; i < 40; i++) p1[i] = new Point2d(rng.NextDouble() * 639, rng.NextDouble() * 479);

        var f = RobustGeometry.EstimateFundamental(p0, p1);
        Assert.NotNull(f);
        Assert.True(f.Inliers.Skip(40).Count(b => b) >= 255, $"F inliers {f.InlierCount}");
        // Distance of each true match from its epipolar line under the estimated F (pixels, exact data; MAGSAC++'s
        // final sigma-consensus fit is a weighted least-squares, so not exactly 0).
        double worst = Enumerable.Range(40, p0.Length - 40).Max(i => Math.Abs(Residual(f.Matrix, p0[i], p1[i])));
        Assert.True(worst < 0.5, $"worst epipolar distance {worst} px");

        var e = RobustGeometry.EstimateEssential(p0, p1, k0, k1);
        Assert.NotNull(e);
        Assert.True(e.Inliers.Skip(40).Count(b => b) >= 255, $"E inliers {e.InlierCount}");
        var eGt = PoseMetrics.EssentialFromPose(t);
        double ne = Math.Sqrt(e.Matrix.Cast<double>().Sum(v => v * v)), ng = Math.Sqrt(eGt.Cast<double>().Sum(v => v * v));
        double dot = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) dot += e.Matrix[i, j] * eGt[i, j];
        Assert.True(Math.Abs(dot / (ne * ng)) > 0.9999, $"cosine {dot / (ne * ng)}"); // equal up to scale and sign
    }

    private static double Residual(double[,] f, Point2d a, Point2d b)
    {
        double fx = f[0, 0] * a.X + f[0, 1] * a.Y + f[0, 2];
        double fy = f[1, 0] * a.X + f[1, 1] * a.Y + f[1, 2];
        double fz = f[2, 0] * a.X + f[2, 1] * a.Y + f[2, 2];
        return (b.X * fx + b.Y * fy + fz) / Math.Sqrt(fx * fx + fy * fy); // point-to-line distance in pixels
    }
}
