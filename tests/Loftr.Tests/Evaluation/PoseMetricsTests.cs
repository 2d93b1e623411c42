using Loftr.Evaluation;
using OpenCvSharp;

namespace Loftr.Tests.Evaluation;

public class PoseMetricsTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(3.0)]
    [InlineData(7.5)]
    [InlineData(45.0)]
    [InlineData(170.0)]
    public void RotationErrorEqualsPerturbationAngle(double angle)
    {
        var rGt = Synthetic.Rotation(0.3, -0.5, 0.8, 40);
        double[] tGt = [0.4, -0.1, 1.2];
        var r = Synthetic.Mul(rGt, Synthetic.Rotation(1, 2, -0.5, angle)); // R = R_gt * Rot(angle)
        var err = PoseMetrics.RelativePoseError(Synthetic.Pose(rGt, tGt), r, tGt);
        Assert.Equal(angle, err.RotationDeg, 1e-5);
        Assert.Equal(0.0, err.TranslationDeg, 1e-5);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(10.0, 10.0)]
    [InlineData(60.0, 60.0)]
    [InlineData(90.0, 90.0)]
    [InlineData(120.0, 60.0)] // folded: min(e, 180 - e)
    [InlineData(150.0, 30.0)]
    [InlineData(180.0, 0.0)]
    public void TranslationErrorIsFoldedAngle(double theta, double expected)
    {
        var rGt = Synthetic.Rotation(0, 0, 1, 5);
        double[] tGt = [1.0, 0.0, 0.0];
        // Rotate t_gt by theta about z (perpendicular to t_gt) and scale it: the error ignores the scale.
        var t = Synthetic.Mul(Synthetic.Rotation(0, 0, 1, theta), tGt).Select(v => 3.7 * v).ToArray();
        var err = PoseMetrics.RelativePoseError(Synthetic.Pose(rGt, tGt), rGt, t);
        Assert.Equal(expected, err.TranslationDeg, 1e-5);
        Assert.Equal(0.0, err.RotationDeg, 1e-5);
        Assert.Equal(expected, err.Max, 1e-5);
    }

    [Fact]
    public void TinyGroundTruthTranslationIsIgnoredOnlyBelowThreshold()
    {
        var rGt = Synthetic.Rotation(0, 1, 0, 20);
        double[] tGt = [0.001, 0, 0];
        double[] t = [0, 1, 0]; // 90 degrees off
        Assert.Equal(90.0, PoseMetrics.RelativePoseError(Synthetic.Pose(rGt, tGt), rGt, t).TranslationDeg, 1e-9);
        Assert.Equal(0.0, PoseMetrics.RelativePoseError(Synthetic.Pose(rGt, tGt), rGt, t, ignoreGtTranslationThreshold: 0.01).TranslationDeg);
        // Zero-norm translation: the reference divides by zero and yields NaN.
        Assert.True(double.IsNaN(PoseMetrics.RelativePoseError(Synthetic.Pose(rGt, [0, 0, 0]), rGt, t).TranslationDeg));
    }

    [Fact]
    public void ErrorAucMatchesHandComputedValues()
    {
        // errors = [1, 3, 8, inf] -> x = [0, 1, 3, 8, inf], recall = [0, .25, .5, .75, 1]
        // @5 : points (0,0) (1,.25) (3,.5) (5,.5): .125 + .75 + 1.0 = 1.875; / 5 = 0.375
        // @10: points (0,0) (1,.25) (3,.5) (8,.75) (10,.75): .125 + .75 + 3.125 + 1.5 = 5.5; / 10 = 0.55
        // @20: ... (8,.75) (20,.75): .125 + .75 + 3.125 + 9 = 13; / 20 = 0.65
        var auc = PoseMetrics.ErrorAuc([8.0, double.PositiveInfinity, 1.0, 3.0], PoseMetrics.AucThresholds);
        Assert.Equal(0.375, auc[0], 1e-12);
        Assert.Equal(0.55, auc[1], 1e-12);
        Assert.Equal(0.65, auc[2], 1e-12);

        // NaN behaves as a failure (+inf); all-perfect gives 1; empty gives 0.
        Assert.Equal(auc, PoseMetrics.ErrorAuc([8.0, double.NaN, 1.0, 3.0], PoseMetrics.AucThresholds));
        Assert.All(PoseMetrics.ErrorAuc([0.0, 0.0], PoseMetrics.AucThresholds), a => Assert.Equal(1.0, a, 1e-12));
        Assert.All(PoseMetrics.ErrorAuc([], PoseMetrics.AucThresholds), a => Assert.Equal(0.0, a));
        // An error exactly at the threshold does not count (searchsorted side='left').
        Assert.Equal(0.0, PoseMetrics.ErrorAuc([5.0], [5.0])[0]);
    }

    [Fact]
    public void ExactCorrespondencesHaveZeroEpipolarErrorAndFullPrecision()
    {
        var k0 = Synthetic.K640;
        var k1 = new double[,] { { 500.0, 0, 322 }, { 0, 505.0, 236 }, { 0, 0, 1 } };
        var t = Synthetic.TypicalPose();
        var (p0, p1) = Synthetic.Correspondences(k0, k1, t, 200, seed: 1);
        var errs = PoseMetrics.SymmetricalEpipolarErrors(p0, p1, t, k0, k1);
        Assert.Equal(200, errs.Length);
        Assert.All(errs, e => Assert.True(e < 1e-20, $"epipolar error {e}"));
        Assert.Equal(1.0, PoseMetrics.EpipolarPrecision([errs], [PoseMetrics.ScanNetEpipolarThreshold])[0]);

        // Shift image-1 points by 5 px vertically: clearly off the epipolar lines for most matches.
        var shifted = p1.Select(p => new Point2d(p.X, p.Y + 5)).ToArray();
        var bad = PoseMetrics.SymmetricalEpipolarErrors(p0, shifted, t, k0, k1);
        Assert.True(bad.Average() > 1e-5);
        // A pair with no matches contributes precision 0 to the mean.
        Assert.Equal(0.5, PoseMetrics.EpipolarPrecision([errs, Array.Empty<double>()], [5e-4])[0], 1e-12);
    }

    [Fact]
    public void EpipolarDistanceMatchesClosedForm()
    {
        // E = [t]x R with R = I, t = (1, 0, 0): epipolar lines are horizontal, p1^T E p0 = y0 - y1 (normalised)
        // so d = (y0 - y1)^2 * (1 / 1 + 1 / 1) with unit K.
        var t = Synthetic.Pose(Synthetic.Rotation(0, 0, 1, 0), [1, 0, 0]);
        var k = new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        var d = PoseMetrics.SymmetricalEpipolarErrors([new Point2d(0.3, 0.2)], [new Point2d(-0.4, 0.25)], t, k, k);
        Assert.Equal(2 * 0.05 * 0.05, d[0], 1e-15);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EstimatePoseRecoversSyntheticRelativePose(int seed)
    {
        // Noiseless correspondences: the minimal 5-point model RANSAC keeps (no refit) is exact to numerical
        // precision. (An unlucky near-degenerate minimal sample can still be ~0.1 deg off while keeping every point
        // within the 0.5 px threshold, e.g. seed 7; that is OpenCV's solver, not the metric.)
        var k = Synthetic.K640;
        var t = Synthetic.TypicalPose();
        var (p0, p1) = Synthetic.Correspondences(k, k, t, 300, seed);
        var est = PoseMetrics.EstimatePose(p0, p1, k, k);
        Assert.NotNull(est);
        var err = PoseMetrics.RelativePoseError(t, est.Rotation, est.Translation);
        Assert.True(err.RotationDeg < 0.1, $"R_err {err.RotationDeg}");
        Assert.True(err.TranslationDeg < 0.1, $"t_err {err.TranslationDeg}");
        Assert.Equal(300, est.InlierCount);
        Assert.Equal(300, est.Inliers.Length);
        Assert.Equal(est.InlierCount, est.Inliers.Count(b => b));
        // Unit translation, proper rotation.
        Assert.Equal(1.0, Math.Sqrt(est.Translation.Sum(v => v * v)), 1e-9);

        var pair = PoseMetrics.EvaluatePair("synthetic", p0, p1, k, k, t);
        Assert.True(pair.Error.Max < 0.1);
        Assert.All(pair.EpipolarErrors, e => Assert.True(e < 1e-20));
    }

    [Fact]
    public void EstimatePoseWithDifferentIntrinsicsAndOutliers()
    {
        var k0 = Synthetic.K640;
        var k1 = new double[,] { { 480.0, 0, 330 }, { 0, 482.0, 230 }, { 0, 0, 1 } };
        var t = Synthetic.Pose(Synthetic.Rotation(-0.4, 1, 0.2, 25), [0.5, -0.1, 0.3]);
        var (p0, p1) = Synthetic.Correspondences(k0, k1, t, 400, seed: 3);
        var rng = new Random(11);
        for (int i = 0; i < 80; i++) p1[i] = new Point2d(rng.NextDouble() * 639, rng.NextDouble() * 479); // 20 % outliers
        var est = PoseMetrics.EstimatePose(p0, p1, k0, k1);
        Assert.NotNull(est);
        var err = PoseMetrics.RelativePoseError(t, est.Rotation, est.Translation);
        Assert.True(err.Max < 0.1, $"pose error {err}");
        Assert.True(est.Inliers.Skip(80).Count(b => b) >= 310);
    }

    [Fact]
    public void EstimatePoseFailsWithFewerThanFiveMatches()
    {
        var k = Synthetic.K640;
        var (p0, p1) = Synthetic.Correspondences(k, k, Synthetic.TypicalPose(), 4, seed: 2);
        Assert.Null(PoseMetrics.EstimatePose(p0, p1, k, k));
        var pair = PoseMetrics.EvaluatePair("few", p0, p1, k, k, Synthetic.TypicalPose());
        Assert.Equal(PoseError.Failed, pair.Error);
        Assert.True(double.IsPositiveInfinity(pair.Error.Max));
    }

    [Fact]
    public void AggregateCollapsesDuplicatesAndUsesReferenceKeys()
    {
        PosePairResult P(string id, double t, double r, params double[] epi) => new(id, new PoseError(t, r), epi, null);
        var summary = PoseMetrics.Aggregate(
        [
            P("a", 100, 100, 1.0),            // replaced by the later "a"
            P("b", 3, 1, 1e-5, 1e-3),         // max 3, precision 0.5
            P("c", 2, 8, 1e-6),               // max 8, precision 1
            P("d", double.PositiveInfinity, double.PositiveInfinity), // failed, no matches: precision 0
            P("a", 0.5, 1, 2e-4, 3e-4, 6e-4, 1e-4), // max 1, precision 0.75
        ]);
        Assert.Equal(4, summary.PairCount);
        var expected = PoseMetrics.ErrorAuc([1.0, 3.0, 8.0, double.PositiveInfinity], PoseMetrics.AucThresholds);
        Assert.Equal(expected[0], summary.Auc5, 1e-12);
        Assert.Equal(0.375, summary.Auc5, 1e-12);
        Assert.Equal(0.55, summary.Auc10, 1e-12);
        Assert.Equal(0.65, summary.Auc20, 1e-12);
        Assert.Equal((0.75 + 0.5 + 1.0 + 0.0) / 4, summary.Precision, 1e-12);
        var dict = summary.ToDictionary();
        Assert.Equal(["auc@5", "auc@10", "auc@20", "prec@5e-04"], dict.Keys.ToArray());
        Assert.Equal("prec@1e-04", PoseMetrics.Aggregate([], PoseMetrics.MegaDepthEpipolarThreshold).ToDictionary().Keys.Last());
    }
}
