using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>Accuracy of matches on a rectified stereo pair against a disparity ground truth.</summary>
/// <param name="MatchCount">All matches given.</param>
/// <param name="EvaluatedCount">Matches with a known disparity (the denominator of the fractions).</param>
/// <param name="UnknownDisparityCount">Matches whose left point has disparity 0 (excluded).</param>
/// <param name="OutsideCount">Matches whose left point is outside the disparity map (excluded).</param>
/// <param name="RowMismatchCount">Matches rejected by the optional rectified-row filter (excluded; 0 without the filter).</param>
/// <param name="Thresholds">Thresholds in pixels.</param>
/// <param name="FractionWithin">Per threshold, the fraction of evaluated matches with Euclidean error strictly below it.</param>
/// <param name="FractionWithinHorizontal">Per threshold, the same for the horizontal error only.</param>
/// <param name="MedianError">Median Euclidean error (NaN when nothing was evaluated).</param>
/// <param name="MedianHorizontalError">Median horizontal error.</param>
/// <param name="Errors">Euclidean error of each evaluated match, in input order.</param>
public sealed record StereoEvaluation(int MatchCount, int EvaluatedCount, int UnknownDisparityCount, int OutsideCount, int RowMismatchCount,
    double[] Thresholds, double[] FractionWithin, double[] FractionWithinHorizontal, double MedianError, double MedianHorizontalError,
    double[] Errors);

/// <summary>
/// Stereo match accuracy: a left point (x, y) with ground-truth disparity d &gt; 0 (nearest pixel) should match
/// (x - d, y) in the right image; the error is the distance of the matched right point from there.
/// </summary>
public static class StereoMetrics
{
    /// <summary>Default thresholds in pixels: 1, 2, 5.</summary>
    public static IReadOnlyList<double> DefaultThresholds { get; } = [1.0, 2.0, 5.0];

    /// <summary>Scores matches (left to right) against the left disparity map.</summary>
    /// <param name="left">Points in the left image (pixels).</param>
    /// <param name="right">Corresponding points in the right image.</param>
    /// <param name="disparity">Disparity of the left image.</param>
    /// <param name="thresholds">Thresholds in pixels (default 1, 2, 5).</param>
    /// <param name="maxRowDifference">
    /// Optional rectified-pair epipolar filter applied before scoring (it does not use the ground truth): matches with
    /// |y_right - y_left| &gt;= this are excluded and counted in <see cref="StereoEvaluation.RowMismatchCount"/>.
    /// The data README's "97.7 % within 1 px" for SIFT on Aloe is over matches with |dy| &lt; 1.
    /// </param>
    /// <returns>The evaluation.</returns>
    public static StereoEvaluation Evaluate(ReadOnlySpan<Point2d> left, ReadOnlySpan<Point2d> right, DisparityMap disparity,
        IReadOnlyList<double>? thresholds = null, double? maxRowDifference = null)
    {
        PoseMetrics.RequireSameLength(left, right);
        ArgumentNullException.ThrowIfNull(disparity);
        var thr = (thresholds ?? DefaultThresholds).ToArray();
        var errs = new List<double>();
        var hErrs = new List<double>();
        int unknown = 0, outside = 0, rowMismatch = 0;
        for (int i = 0; i < left.Length; i++)
        {
            if (maxRowDifference is double maxDy && !(Math.Abs(right[i].Y - left[i].Y) < maxDy)) { rowMismatch++; continue; }
            if (!disparity.TrySample(left[i].X, left[i].Y, out double d)) { outside++; continue; }
            if (!(d > 0)) { unknown++; continue; }
            double dx = right[i].X - (left[i].X - d), dy = right[i].Y - left[i].Y;
            errs.Add(Math.Sqrt(dx * dx + dy * dy));
            hErrs.Add(Math.Abs(dx));
        }
        var frac = new double[thr.Length];
        var fracH = new double[thr.Length];
        if (errs.Count > 0)
            for (int k = 0; k < thr.Length; k++)
            {
                frac[k] = (double)errs.Count(e => e < thr[k]) / errs.Count;
                fracH[k] = (double)hErrs.Count(e => e < thr[k]) / hErrs.Count;
            }
        return new StereoEvaluation(left.Length, errs.Count, unknown, outside, rowMismatch, thr, frac, fracH, Median(errs), Median(hErrs), errs.ToArray());
    }

    private static double Median(List<double> v)
    {
        if (v.Count == 0) return double.NaN;
        var s = v.Order().ToArray();
        int m = s.Length / 2;
        return s.Length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
}
