namespace Loftr.Colmap;

/// <summary>COLMAP's <c>TwoViewGeometry::ConfigurationType</c> (the <c>config</c> column of <c>two_view_geometries</c>).</summary>
public enum TwoViewConfig
{
    /// <summary>Not verified (COLMAP writes this, with no inliers, for pairs whose verification failed).</summary>
    Undefined = 0,
    /// <summary>Too few inliers for any model.</summary>
    Degenerate = 1,
    /// <summary>Essential matrix (known intrinsics).</summary>
    Calibrated = 2,
    /// <summary>Fundamental matrix (unknown intrinsics).</summary>
    Uncalibrated = 3,
    /// <summary>Homography of a plane.</summary>
    Planar = 4,
    /// <summary>Pure rotation.</summary>
    Panoramic = 5,
    /// <summary>Planar or panoramic.</summary>
    PlanarOrPanoramic = 6,
    /// <summary>Watermark (image-border translation).</summary>
    Watermark = 7,
    /// <summary>Multiple models.</summary>
    Multiple = 8,
}

/// <summary>A match between keypoint <paramref name="Index1"/> of one image and <paramref name="Index2"/> of another.</summary>
/// <param name="Index1">Keypoint index in the first image.</param>
/// <param name="Index2">Keypoint index in the second image.</param>
public readonly record struct KeypointMatch(int Index1, int Index2)
{
    /// <summary>The same match seen from the other image.</summary>
    /// <returns>(Index2, Index1).</returns>
    public KeypointMatch Swap() => new(Index2, Index1);
}

/// <summary>
/// One row of COLMAP's <c>two_view_geometries</c> table for images (1, 2) in the order given: inlier matches,
/// configuration and the models (x2^T F x1 = 0 in COLMAP pixels, E for normalised points, x2 ~ H x1). Missing models
/// are stored as NULL, as COLMAP does for unverified pairs.
/// </summary>
/// <param name="Config">Configuration.</param>
/// <param name="Inliers">Verified matches.</param>
/// <param name="F">Fundamental matrix, or null.</param>
/// <param name="E">Essential matrix, or null.</param>
/// <param name="H">Homography, or null.</param>
public sealed record ColmapTwoViewGeometry(TwoViewConfig Config, KeypointMatch[] Inliers, double[,]? F = null, double[,]? E = null, double[,]? H = null)
{
    /// <summary>
    /// The same geometry seen from image 2 (what COLMAP stores when image 1 has the larger id): match columns swapped,
    /// F and E transposed, H inverted.
    /// </summary>
    /// <returns>The inverted geometry.</returns>
    public ColmapTwoViewGeometry Invert() => new(
        Config,
        Array.ConvertAll(Inliers, m => m.Swap()),
        F is null ? null : Matrix3.Transpose(F),
        E is null ? null : Matrix3.Transpose(E),
        H is null ? null : Matrix3.Inverse(H));
}
