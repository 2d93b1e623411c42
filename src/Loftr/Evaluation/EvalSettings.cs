using System.Globalization;

namespace Loftr.Evaluation;

/// <summary>Settings of the relative-pose evaluation (LoFTR's defaults).</summary>
/// <param name="PixelThreshold">RANSAC threshold in pixels of the intrinsics frame.</param>
/// <param name="Confidence">RANSAC confidence.</param>
/// <param name="EpipolarThreshold">Precision threshold; the dataset's when null.</param>
/// <param name="MaxMatches">Keep only the most confident matches (all when null).</param>
public sealed record PoseEvalSettings(double PixelThreshold = PoseMetrics.DefaultPixelThreshold, double Confidence = PoseMetrics.DefaultConfidence,
    double? EpipolarThreshold = null, int? MaxMatches = null)
{
    /// <summary>The settings in words.</summary>
    /// <param name="dataset">The dataset (for its resize and threshold).</param>
    /// <returns>A one-line description.</returns>
    public string Describe(PoseDataset dataset) => string.Create(CultureInfo.InvariantCulture,
        $"resize {dataset.Resize}, K frame {dataset.Frame.ToString().ToLowerInvariant()}, essential matrix RANSAC {PixelThreshold} px / conf {Confidence}, " +
        $"epipolar precision < {EpipolarThreshold ?? dataset.EpipolarThreshold:0e+00}{(MaxMatches is int k ? $", top {k} matches" : "")}");
}

/// <summary>Robust estimator of the homography evaluation.</summary>
public enum HomographyEstimator
{
    /// <summary><c>cv2.findHomography(RANSAC)</c>, the HPatches protocol.</summary>
    Ransac,

    /// <summary>OpenCV USAC MAGSAC++.</summary>
    Magsac,
}

/// <summary>Settings of the homography evaluation (HPatches protocol defaults: top 1024 matches, RANSAC 3 px).</summary>
/// <param name="RansacThreshold">Reprojection threshold in resized pixels.</param>
/// <param name="MaxMatches">Keep only the most confident matches (null: all).</param>
/// <param name="Estimator">Robust estimator.</param>
/// <param name="PrecisionThreshold">Match precision threshold (ground-truth reprojection error) in pixels.</param>
public sealed record HomographyEvalSettings(double RansacThreshold = HPatchesProtocol.RansacThreshold, int? MaxMatches = HPatchesProtocol.TopMatches,
    HomographyEstimator Estimator = HomographyEstimator.Ransac, double PrecisionThreshold = 3.0)
{
    /// <summary>The settings in words.</summary>
    /// <param name="dataset">The dataset (for its resize).</param>
    /// <returns>A one-line description.</returns>
    public string Describe(HomographyDataset dataset) => string.Create(CultureInfo.InvariantCulture,
        $"{(dataset.Description is string d ? d + "; " : "")}resize {dataset.Resize}, {(MaxMatches is int k ? $"top {k} matches" : "all matches")}, {Estimator.ToString().ToUpperInvariant()} {RansacThreshold} px, " +
        $"precision: GT reprojection error <= {PrecisionThreshold} px");
}

/// <summary>Settings of the stereo evaluation.</summary>
/// <param name="Thresholds">Error thresholds in pixels (default 1, 2, 5).</param>
/// <param name="MaxRowDifference">Optional rectified-row filter applied before scoring (see <see cref="StereoMetrics.Evaluate"/>).</param>
/// <param name="MaxMatches">Keep only the most confident matches (all when null).</param>
public sealed record StereoEvalSettings(IReadOnlyList<double>? Thresholds = null, double? MaxRowDifference = null, int? MaxMatches = null)
{
    /// <summary>The thresholds in use.</summary>
    public IReadOnlyList<double> EffectiveThresholds => Thresholds ?? StereoMetrics.DefaultThresholds;

    /// <summary>The settings in words.</summary>
    /// <param name="dataset">The dataset (for its resize).</param>
    /// <returns>A one-line description.</returns>
    public string Describe(StereoDataset dataset) => string.Create(CultureInfo.InvariantCulture,
        $"resize {dataset.Resize}, errors in stored left-image pixels against the disparity GT, " +
        $"thresholds {string.Join("/", EffectiveThresholds)} px{(MaxRowDifference is double d ? $", matches with |dy| >= {d} px dropped" : ", all matches")}" +
        $"{(MaxMatches is int k ? $", top {k} matches" : "")}");
}
