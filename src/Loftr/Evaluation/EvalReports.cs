using System.Text.Json.Serialization;

namespace Loftr.Evaluation;

/// <summary>
/// What every evaluation report holds: the dataset, the method and its settings, and the per-pair averages. The JSON
/// form (<see cref="EvalReportJson"/>) tags each report with its task (<c>pose</c>, <c>homography</c>, <c>stereo</c>).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "task")]
[JsonDerivedType(typeof(PoseReport), "pose")]
[JsonDerivedType(typeof(HomographyReport), "homography")]
[JsonDerivedType(typeof(StereoReport), "stereo")]
public abstract record EvalReport
{
    /// <summary>Task name: <c>pose</c>, <c>homography</c> or <c>stereo</c>.</summary>
    [JsonIgnore]
    public abstract string Task { get; }

    /// <summary>Dataset name (e.g. <c>scannet</c>, <c>pairs</c>).</summary>
    [JsonPropertyOrder(-1)]
    public required string Dataset { get; init; }

    /// <summary>Method name (<c>sift</c>, <c>loftr</c>).</summary>
    [JsonPropertyOrder(-1)]
    public required string Method { get; init; }

    /// <summary>The matcher's settings in words.</summary>
    [JsonPropertyOrder(-1)]
    public required string MethodDescription { get; init; }

    /// <summary>The protocol's settings in words (resize, RANSAC, thresholds).</summary>
    [JsonPropertyOrder(-1)]
    public required string Protocol { get; init; }

    /// <summary>Number of pairs evaluated.</summary>
    [JsonPropertyOrder(-1)]
    public required int PairCount { get; init; }

    /// <summary>Mean number of matches per pair (after any top-k selection).</summary>
    [JsonPropertyOrder(-1)]
    public required double MeanMatches { get; init; }

    /// <summary>Mean wall-clock matching time per pair in milliseconds (matcher only; images and geometry excluded).</summary>
    [JsonPropertyOrder(-1)]
    public required double MeanMatchMilliseconds { get; init; }
}

/// <summary>One pair of a relative-pose evaluation.</summary>
/// <param name="Identifier">Pair identifier.</param>
/// <param name="Matches">Matches used.</param>
/// <param name="Inliers">Inliers of the estimated pose (0 on failure).</param>
/// <param name="TranslationErrorDeg">Translation angle error (+inf on failure).</param>
/// <param name="RotationErrorDeg">Rotation angle error (+inf on failure).</param>
/// <param name="Precision">Fraction of matches with squared epipolar error below the threshold.</param>
/// <param name="MatchMilliseconds">Matching time.</param>
public sealed record PosePairReport(string Identifier, int Matches, int Inliers, double TranslationErrorDeg, double RotationErrorDeg,
    double Precision, double MatchMilliseconds)
{
    /// <summary>max(t_err, R_err), the value the AUC integrates.</summary>
    [JsonIgnore]
    public double PoseErrorDeg => Math.Max(TranslationErrorDeg, RotationErrorDeg);
}

/// <summary>Relative-pose results (LoFTR's ScanNet / MegaDepth protocol).</summary>
public sealed record PoseReport : EvalReport
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Task => "pose";

    /// <summary>AUC of max(t_err, R_err) up to 5 degrees, in [0, 1].</summary>
    public required double Auc5 { get; init; }

    /// <summary>AUC up to 10 degrees.</summary>
    public required double Auc10 { get; init; }

    /// <summary>AUC up to 20 degrees.</summary>
    public required double Auc20 { get; init; }

    /// <summary>Mean over pairs of the epipolar precision.</summary>
    public required double Precision { get; init; }

    /// <summary>Squared normalised epipolar distance threshold of <see cref="Precision"/>.</summary>
    public required double EpipolarThreshold { get; init; }

    /// <summary>Per-pair results in dataset order.</summary>
    public required IReadOnlyList<PosePairReport> Pairs { get; init; }
}

/// <summary>One pair of a homography evaluation.</summary>
/// <param name="Identifier">Pair identifier.</param>
/// <param name="Matches">Matches used.</param>
/// <param name="Inliers">RANSAC inliers (0 on failure).</param>
/// <param name="CornerError">Mean corner error in resized pixels (+inf on failure).</param>
/// <param name="Precision">Fraction of matches with ground-truth reprojection error below the precision threshold.</param>
/// <param name="MatchMilliseconds">Matching time.</param>
public sealed record HomographyPairReport(string Identifier, int Matches, int Inliers, double CornerError, double Precision, double MatchMilliseconds);

/// <summary>Homography results (HPatches protocol of LoFTR / Patch2Pix).</summary>
public sealed record HomographyReport : EvalReport
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Task => "homography";

    /// <summary>AUC of the mean corner error up to 3 px.</summary>
    public required double Auc3 { get; init; }

    /// <summary>AUC up to 5 px.</summary>
    public required double Auc5 { get; init; }

    /// <summary>AUC up to 10 px.</summary>
    public required double Auc10 { get; init; }

    /// <summary>Mean over pairs of the match precision.</summary>
    public required double Precision { get; init; }

    /// <summary>Reprojection threshold of <see cref="Precision"/> in pixels.</summary>
    public required double PrecisionThreshold { get; init; }

    /// <summary>Per-pair results in dataset order.</summary>
    public required IReadOnlyList<HomographyPairReport> Pairs { get; init; }
}

/// <summary>One pair of a stereo evaluation.</summary>
/// <param name="Identifier">Pair identifier.</param>
/// <param name="Matches">Matches used.</param>
/// <param name="Evaluated">Matches with a known disparity.</param>
/// <param name="FractionWithin">Per threshold, fraction of evaluated matches with error below it.</param>
/// <param name="MedianError">Median error in pixels (NaN when nothing was evaluated).</param>
/// <param name="MatchMilliseconds">Matching time.</param>
public sealed record StereoPairReport(string Identifier, int Matches, int Evaluated, IReadOnlyList<double> FractionWithin, double MedianError,
    double MatchMilliseconds)
{
    /// <summary>Error of every evaluated match (kept for plots; not written to JSON).</summary>
    [JsonIgnore]
    public IReadOnlyList<double> Errors { get; init; } = [];
}

/// <summary>Dense-correspondence accuracy on rectified stereo pairs against disparity ground truth.</summary>
public sealed record StereoReport : EvalReport
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Task => "stereo";

    /// <summary>Error thresholds in pixels (1, 2, 5).</summary>
    public required IReadOnlyList<double> Thresholds { get; init; }

    /// <summary>Per threshold, the fraction of all evaluated matches (pooled over pairs) with error below it.</summary>
    public required IReadOnlyList<double> FractionWithin { get; init; }

    /// <summary>Evaluated matches over all pairs.</summary>
    public required int EvaluatedCount { get; init; }

    /// <summary>Median error of all evaluated matches in pixels (NaN when none).</summary>
    public required double MedianError { get; init; }

    /// <summary>Per-pair results in dataset order.</summary>
    public required IReadOnlyList<StereoPairReport> Pairs { get; init; }
}
