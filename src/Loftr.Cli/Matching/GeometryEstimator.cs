using Loftr.Evaluation;
using OpenCvSharp;

namespace Loftr.Cli.Matching;

/// <summary>Fits the requested model to a pair's matches with <see cref="RobustGeometry"/> (USAC MAGSAC++).</summary>
public static class GeometryEstimator
{
    /// <summary>Minimum number of matches of each model.</summary>
    public static int MinimumMatches(GeometryKind kind) => kind switch
    {
        GeometryKind.Homography => 4,
        GeometryKind.Fundamental => 8,
        _ => 5,
    };

    /// <summary>Estimates the model; the result has no matrix (and no inliers) when too few matches or no model was found.</summary>
    public static GeometryResult Estimate(PairMatches matches, MatchSettings settings)
    {
        var kind = settings.Geometry ?? throw new ArgumentException("No geometry was requested.");
        double threshold = settings.EffectiveGeometryThreshold;
        var p0 = matches.Keypoints0.Select(p => new Point2d(p.X, p.Y)).ToArray();
        var p1 = matches.Keypoints1.Select(p => new Point2d(p.X, p.Y)).ToArray();
        RobustModel? model = kind switch
        {
            GeometryKind.Homography => RobustGeometry.EstimateHomography(p0, p1, threshold),
            GeometryKind.Fundamental => RobustGeometry.EstimateFundamental(p0, p1, threshold),
            _ => RobustGeometry.EstimateEssential(p0, p1,
                settings.K0 ?? throw new ArgumentException("--geometry essential needs --K0."),
                settings.K1 ?? settings.K0, threshold),
        };
        return new GeometryResult(kind, threshold, model?.Matrix, model?.Inliers ?? new bool[matches.Count]);
    }
}
