using Loftr.Cli.Input;

namespace Loftr.Cli.Matching;

/// <summary>Robust model fitted to the matches with <c>--geometry</c>.</summary>
public enum GeometryKind
{
    /// <summary>Homography (planar scene or pure rotation), at least 4 matches.</summary>
    Homography,
    /// <summary>Fundamental matrix (uncalibrated two-view geometry), at least 8 matches.</summary>
    Fundamental,
    /// <summary>Essential matrix (needs intrinsics --K0/--K1), at least 5 matches.</summary>
    Essential,
}

/// <summary>Everything that decides the matches of a pair (shared by <c>match</c> and <c>pairs</c>).</summary>
public sealed record MatchSettings
{
    /// <summary>Resize of both images (image 1 after its rotation).</summary>
    public ResizeSpec Resize { get; init; } = ResizeSpec.Default;

    /// <summary>Coarse confidence threshold; the model's when null.</summary>
    public double? Threshold { get; init; }

    /// <summary>Sub-pixel estimate; the model's when null.</summary>
    public FineRefinement? Refinement { get; init; }

    /// <summary>Fraction of the sharpest matches kept; the model's when null.</summary>
    public double? SharpestFraction { get; init; }

    /// <summary>Scale of the second fine pass (1: none); the model's when null.</summary>
    public double? SecondPassScale { get; init; }

    /// <summary>Patch alignment radius in network pixels (0: none); the model's when null.</summary>
    public double? PatchAlignmentRadius { get; init; }

    /// <summary>Smallest correlation of an aligned match kept; the model's when null.</summary>
    public double? PatchAlignmentMinCorrelation { get; init; }

    /// <summary>Keep the N most confident matches (after merging rotations / directions).</summary>
    public int? MaxMatches { get; init; }

    /// <summary>Robust model to estimate, or null.</summary>
    public GeometryKind? Geometry { get; init; }

    /// <summary>Inlier threshold in pixels; the model's default (<see cref="DefaultGeometryThreshold"/>) when null.</summary>
    public double? GeometryThreshold { get; init; }

    /// <summary>Intrinsics of image 0 (essential matrix only).</summary>
    public double[,]? K0 { get; init; }

    /// <summary>Intrinsics of image 1 (essential matrix only).</summary>
    public double[,]? K1 { get; init; }

    /// <summary>Clockwise rotations of image 1 to try.</summary>
    public IReadOnlyList<int> Rotations { get; init; } = [0];

    /// <summary>How several rotations are combined.</summary>
    public RotationMode RotationMode { get; init; } = RotationMode.Best;

    /// <summary>Match both ways and merge.</summary>
    public bool Symmetric { get; init; }

    /// <summary>CPU threads of the network (torch's default when null). Not part of a batch's identity.</summary>
    public int? Threads { get; init; }

    /// <summary>The inlier threshold in use.</summary>
    public double EffectiveGeometryThreshold => GeometryThreshold ?? (Geometry is { } g ? DefaultGeometryThreshold(g) : 0);

    /// <summary>Default inlier thresholds: 3 px for a homography, 1 px for the epipolar models.</summary>
    public static double DefaultGeometryThreshold(GeometryKind kind) => kind == GeometryKind.Homography ? 3.0 : 1.0;

    /// <summary>Distance in pixels under which two matches are duplicates (both keypoints), for --symmetric and union.</summary>
    public const double DuplicateRadius = 2.0;
}
