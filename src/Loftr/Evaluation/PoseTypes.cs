using System.Globalization;

namespace Loftr.Evaluation;

/// <summary>A relative pose recovered from matches (camera 0 to camera 1), as returned by LoFTR's <c>estimate_pose</c>.</summary>
/// <param name="Rotation">3x3 rotation R with X_cam1 = R X_cam0 + t.</param>
/// <param name="Translation">Unit translation direction t (3 values; the scale is unobservable).</param>
/// <param name="Inliers">Per-match inlier flags: the RANSAC inliers that also passed the cheirality check.</param>
/// <param name="InlierCount">Number of matches that passed the cheirality check for the chosen E.</param>
public sealed record PoseEstimate(double[,] Rotation, double[] Translation, bool[] Inliers, int InlierCount);

/// <summary>Angular errors of an estimated relative pose, in degrees.</summary>
/// <param name="TranslationDeg">Angle between estimated and ground-truth translation, folded to [0, 90]
/// (<c>min(e, 180 - e)</c>); +inf when estimation failed; NaN when a translation has zero norm (as the reference).</param>
/// <param name="RotationDeg">Angle of R^T R_gt; +inf when estimation failed.</param>
public readonly record struct PoseError(double TranslationDeg, double RotationDeg)
{
    /// <summary>The error of a failed estimate: both components +inf.</summary>
    public static PoseError Failed => new(double.PositiveInfinity, double.PositiveInfinity);

    /// <summary>max(t_err, R_err), the value fed to the pose AUC (NaN propagates, as <c>np.max</c>).</summary>
    public double Max => Math.Max(TranslationDeg, RotationDeg);
}

/// <summary>Per-pair result of the relative-pose benchmark (what LoFTR's test loop collects for each pair).</summary>
/// <param name="Identifier">Unique pair identifier (duplicates are collapsed by <see cref="PoseMetrics.Aggregate"/>).</param>
/// <param name="Error">Pose error (both +inf when estimation failed).</param>
/// <param name="EpipolarErrors">Squared symmetric epipolar distance of every match under the ground truth.</param>
/// <param name="Estimate">The estimated pose, null when estimation failed.</param>
public sealed record PosePairResult(string Identifier, PoseError Error, double[] EpipolarErrors, PoseEstimate? Estimate);

/// <summary>Dataset-level pose metrics (LoFTR's <c>aggregate_metrics</c>).</summary>
/// <param name="Auc5">AUC of the pose error up to 5 degrees, in [0, 1].</param>
/// <param name="Auc10">AUC up to 10 degrees.</param>
/// <param name="Auc20">AUC up to 20 degrees.</param>
/// <param name="Precision">Mean over pairs of the fraction of matches with epipolar error below <paramref name="EpipolarThreshold"/>.</param>
/// <param name="EpipolarThreshold">Threshold used for <paramref name="Precision"/> (5e-4 ScanNet, 1e-4 MegaDepth).</param>
/// <param name="PairCount">Number of unique pairs aggregated.</param>
public sealed record PoseBenchmarkSummary(double Auc5, double Auc10, double Auc20, double Precision, double EpipolarThreshold, int PairCount)
{
    /// <summary>The metrics under the reference's dictionary keys: <c>auc@5</c>, <c>auc@10</c>, <c>auc@20</c>, <c>prec@5e-04</c>.</summary>
    /// <returns>A new dictionary.</returns>
    public IReadOnlyDictionary<string, double> ToDictionary() => new Dictionary<string, double>
    {
        ["auc@5"] = Auc5,
        ["auc@10"] = Auc10,
        ["auc@20"] = Auc20,
        [$"prec@{EpipolarThreshold.ToString("0e+00", CultureInfo.InvariantCulture)}"] = Precision,
    };
}
