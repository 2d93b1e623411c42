using Loftr.Colmap;

namespace Loftr.Tests.Colmap;

public class GeometricVerificationTests
{
    private static (Point2[] K0, Point2[] K1, KeypointMatch[] Matches, int Outliers) Scene(int seed)
    {
        var (p0, p1, _) = ColmapTestSupport.TwoViewScene(200, seed);
        var rng = new Random(seed + 1);
        // 25 % of the matches are wrong: image-1 points replaced by random positions.
        var k1 = p1.ToArray();
        int outliers = 0;
        for (int i = 0; i < k1.Length; i += 4, outliers++) k1[i] = new Point2((float)(rng.NextDouble() * 999), (float)(rng.NextDouble() * 799));
        return (p0, k1, Enumerable.Range(0, p0.Length).Select(i => new KeypointMatch(i, i)).ToArray(), outliers);
    }

    [Fact]
    public void UncalibratedPairGetsFundamentalMatrixInColmapPixels()
    {
        var (k0, k1, matches, outliers) = Scene(1);
        var cam = ColmapCamera.Create(ColmapCameraModel.SimpleRadial, 1000, 800, 1200, hasPriorFocalLength: false);
        var g = GeometricVerification.Verify(k0, k1, matches, cam, cam, new GeometricVerificationOptions(Threshold: 1.0));
        Assert.Equal(TwoViewConfig.Uncalibrated, g.Config);
        Assert.Null(g.E);
        Assert.NotNull(g.H);
        // All true matches and (almost) no wrong one.
        Assert.InRange(g.Inliers.Length, matches.Length - outliers - 3, matches.Length - outliers + 3);
        Assert.True(g.Inliers.Count(m => m.Index1 % 4 == 0) <= 3);
        // F is written for COLMAP pixel coordinates (OpenCV + 0.5); MAGSAC++ is not exact on noiseless data.
        var d = g.Inliers.Where(m => m.Index1 % 4 != 0)
            .Select(m => ColmapTestSupport.EpipolarDistance(g.F!, ColmapExporter.ToColmapPixels(k0[m.Index1]), ColmapExporter.ToColmapPixels(k1[m.Index2]))).ToArray();
        Assert.True(d.Average() < 0.2 && d.Max() < 1.0, $"epipolar distance mean {d.Average()} max {d.Max()} px");
    }

    [Fact]
    public void ModelsAreConvertedFromOpenCvToColmapPixels()
    {
        var (p0, p1, f) = ColmapTestSupport.TwoViewScene(50, 7);
        // Ground truth of the scene: X1 = R X0 + t, R about y by 12 degrees; E = [t]x R; F = K^-T E K^-1 (OpenCV pixels).
        double a = 12 * Math.PI / 180, c = Math.Cos(a), s = Math.Sin(a);
        var r = new double[,] { { c, 0, s }, { 0, 1, 0 }, { -s, 0, c } };
        double[] t = [-1.0, 0.1, 0.2];
        var tx = new double[,] { { 0, -t[2], t[1] }, { t[2], 0, -t[0] }, { -t[1], t[0], 0 } };
        var e = Mul(tx, r);
        var k = new double[,] { { f, 0, 499.5 }, { 0, f, 399.5 }, { 0, 0, 1 } };
        var fCv = Matrix3.FundamentalFromEssential(e, k, k);
        var fColmap = Matrix3.FundamentalToColmap(fCv);
        var cv = p0.Select((x, i) => ColmapTestSupport.EpipolarDistance(fCv, x, p1[i])).Max();
        var colmap = p0.Select((x, i) => ColmapTestSupport.EpipolarDistance(fColmap, ColmapExporter.ToColmapPixels(x), ColmapExporter.ToColmapPixels(p1[i]))).Max();
        var mixed = p0.Select((x, i) => ColmapTestSupport.EpipolarDistance(fCv, ColmapExporter.ToColmapPixels(x), ColmapExporter.ToColmapPixels(p1[i]))).Average();
        Assert.True(cv < 1e-3 && colmap < 1e-3, $"{cv} {colmap}");
        Assert.True(mixed > 20 * colmap && mixed > 0.01, $"{mixed} vs {colmap}");

        var h = new double[,] { { 1.1, 0.05, 12 }, { -0.03, 0.95, -7 }, { 1e-4, -2e-4, 1 } };
        var hColmap = Matrix3.HomographyToColmap(h);
        var x0 = new[] { 10.0, 20.0, 1 };
        var y = new double[3];
        for (int i = 0; i < 3; i++) y[i] = h[i, 0] * x0[0] + h[i, 1] * x0[1] + h[i, 2];
        var x0c = new[] { 10.5, 20.5, 1 };
        var yc = new double[3];
        for (int i = 0; i < 3; i++) yc[i] = hColmap[i, 0] * x0c[0] + hColmap[i, 1] * x0c[1] + hColmap[i, 2];
        Assert.Equal(y[0] / y[2] + 0.5, yc[0] / yc[2], 9);
        Assert.Equal(y[1] / y[2] + 0.5, yc[1] / yc[2], 9);
    }

    private static double[,] Mul(double[,] a, double[,] b)
    {
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int l = 0; l < 3; l++) r[i, j] += a[i, l] * b[l, j];
        return r;
    }

    [Fact]
    public void CalibratedPairGetsEssentialMatrix()
    {
        var (k0, k1, matches, outliers) = Scene(2);
        var cam = ColmapCamera.Create(ColmapCameraModel.SimpleRadial, 1000, 800, 900, hasPriorFocalLength: true);
        var g = GeometricVerification.Verify(k0, k1, matches, cam, cam, new GeometricVerificationOptions(Threshold: 1.0));
        Assert.Equal(TwoViewConfig.Calibrated, g.Config);
        Assert.NotNull(g.E);
        Assert.InRange(g.Inliers.Length, matches.Length - outliers - 10, matches.Length - outliers + 3);
        Assert.True(g.Inliers.Count(m => m.Index1 % 4 == 0) <= 3);
        // F derived from E and K agrees with the data in COLMAP pixels too (to the precision of MAGSAC++'s E, which is
        // coarser than its F on this noiseless scene).
        var d = g.Inliers.Where(m => m.Index1 % 4 != 0)
            .Select(m => ColmapTestSupport.EpipolarDistance(g.F!, ColmapExporter.ToColmapPixels(k0[m.Index1]), ColmapExporter.ToColmapPixels(k1[m.Index2]))).ToArray();
        Assert.True(d.Average() < 0.75 && d.Max() < 2.0, $"epipolar distance mean {d.Average()} max {d.Max()} px");
        // E: for COLMAP-normalised coordinates ((x - c) / f with c = w / 2 in COLMAP pixels); distance back in pixels.
        double Residual(KeypointMatch m)
        {
            var a = ColmapExporter.ToColmapPixels(k0[m.Index1]);
            var b = ColmapExporter.ToColmapPixels(k1[m.Index2]);
            var x0 = new Point2((float)((a.X - 500) / 900.0), (float)((a.Y - 400) / 900.0));
            var x1 = new Point2((float)((b.X - 500) / 900.0), (float)((b.Y - 400) / 900.0));
            return 900 * ColmapTestSupport.EpipolarDistance(g.E!, x0, x1);
        }
        var re = g.Inliers.Where(m => m.Index1 % 4 != 0).Select(Residual).ToArray();
        Assert.True(re.Average() < 0.75 && re.Max() < 2.0, $"E distance mean {re.Average()} max {re.Max()} px");
    }

    [Fact]
    public void TooFewMatchesOrRandomMatchesAreDegenerate()
    {
        var (k0, k1, matches, _) = Scene(3);
        var cam = ColmapCamera.Create(ColmapCameraModel.SimpleRadial, 1000, 800, 1200, false);
        var few = GeometricVerification.Verify(k0, k1, matches.AsSpan(0, 10), cam, cam, new GeometricVerificationOptions());
        Assert.Equal(TwoViewConfig.Degenerate, few.Config);
        Assert.Empty(few.Inliers);
        var rng = new Random(5);
        var noise = Enumerable.Range(0, 200).Select(_ => new Point2((float)(rng.NextDouble() * 999), (float)(rng.NextDouble() * 799))).ToArray();
        var random = GeometricVerification.Verify(k0, noise, matches, cam, cam, new GeometricVerificationOptions(Threshold: 0.5, MinInliers: 40));
        Assert.Equal(TwoViewConfig.Degenerate, random.Config);
        Assert.Throws<ArgumentException>(() => GeometricVerification.Verify(k0, k1, [new KeypointMatch(0, 999)], cam, cam, new GeometricVerificationOptions(MinInliers: 8)));
    }
}
