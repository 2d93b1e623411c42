namespace Loftr.Colmap;

/// <summary>How cameras are created for the database.</summary>
/// <param name="Model">Camera model (COLMAP's default is SIMPLE_RADIAL).</param>
/// <param name="SingleCamera">One camera shared by all images (they must have the same size).</param>
/// <param name="DefaultFocalLengthFactor">Without an EXIF focal length, f = factor * max(w, h) (COLMAP's default
/// 1.2), marked as not trusted.</param>
/// <param name="UseExif">Derive the focal length from EXIF when present (then it is trusted).</param>
public sealed record CameraOptions(ColmapCameraModel Model = ColmapCameraModel.SimpleRadial, bool SingleCamera = false,
    double DefaultFocalLengthFactor = 1.2, bool UseExif = true)
{
    /// <summary>The camera of one image as COLMAP's feature extractor would create it.</summary>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="exif">The image's EXIF tags.</param>
    /// <returns>The camera.</returns>
    public ColmapCamera CameraFor(int width, int height, ExifInfo exif)
    {
        ArgumentNullException.ThrowIfNull(exif);
        if (!(DefaultFocalLengthFactor > 0)) throw new ArgumentOutOfRangeException(nameof(DefaultFocalLengthFactor), $"Focal length factor must be positive, got {DefaultFocalLengthFactor}.");
        double? f = UseExif ? exif.FocalLengthPixels(width, height) : null;
        return f is > 0 && double.IsFinite(f.Value)
            ? ColmapCamera.Create(Model, width, height, f.Value, true)
            : ColmapCamera.Create(Model, width, height, DefaultFocalLengthFactor * Math.Max(width, height), false);
    }
}

/// <summary>Inputs and settings of <see cref="ColmapExporter.Run"/>.</summary>
/// <param name="ImageDirectory">Folder with the images (searched recursively); COLMAP's <c>--image_path</c>.</param>
/// <param name="DatabasePath">The COLMAP database to write.</param>
/// <param name="Pairs">Which pairs to match.</param>
public sealed record ColmapExportOptions(string ImageDirectory, string DatabasePath, PairSelection Pairs)
{
    /// <summary>Keypoint merge for detector-free matchers (ignored for per-image keypoints, which are merged exactly).</summary>
    public KeypointMergeOptions Merge { get; init; } = KeypointMergeOptions.Coarse;

    /// <summary>Geometric verification.</summary>
    public GeometricVerificationOptions Verification { get; init; } = new();

    /// <summary>Cameras.</summary>
    public CameraOptions Cameras { get; init; } = new();

    /// <summary>The raw-match cache; default: the database path + <c>.matches.sqlite</c>.</summary>
    public string? CachePath { get; init; }

    /// <summary>Replace an existing database (it is always rebuilt in full from the cached matches).</summary>
    public bool Overwrite { get; init; }

    /// <summary>The cache path in effect.</summary>
    public string EffectiveCachePath => CachePath ?? DatabasePath + ".matches.sqlite";

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A value is missing or invalid.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(ImageDirectory, nameof(ImageDirectory));
        ArgumentException.ThrowIfNullOrEmpty(DatabasePath, nameof(DatabasePath));
        ArgumentNullException.ThrowIfNull(Pairs, nameof(Pairs));
        ArgumentNullException.ThrowIfNull(Merge, nameof(Merge));
        ArgumentNullException.ThrowIfNull(Verification, nameof(Verification));
        ArgumentNullException.ThrowIfNull(Cameras, nameof(Cameras));
        Merge.Validate();
        Verification.Validate();
        if (Path.GetFullPath(EffectiveCachePath) == Path.GetFullPath(DatabasePath))
            throw new ArgumentException("The match cache must be a different file from the database.", nameof(CachePath));
    }
}

/// <summary>Stages of an export, in order.</summary>
public enum ColmapExportStage
{
    /// <summary>Reading image sizes and EXIF.</summary>
    ReadingImages,
    /// <summary>Matching pairs (or taking them from the cache).</summary>
    Matching,
    /// <summary>Merging keypoints per image.</summary>
    Merging,
    /// <summary>Geometric verification.</summary>
    Verifying,
    /// <summary>Writing the database.</summary>
    Writing,
}

/// <summary>Progress of an export: <paramref name="Done"/> of <paramref name="Total"/> items of a stage.</summary>
/// <param name="Stage">Current stage.</param>
/// <param name="Done">Items done.</param>
/// <param name="Total">Items in the stage.</param>
/// <param name="Item">The item just done (an image or "image0 image1"), if any.</param>
/// <param name="FromCache">Matching: the pair came from the cache.</param>
public sealed record ColmapExportProgress(ColmapExportStage Stage, int Done, int Total, string? Item = null, bool FromCache = false);

/// <summary>Per-image outcome of an export.</summary>
/// <param name="ImageId">COLMAP image id.</param>
/// <param name="Name">Image name.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
/// <param name="FocalLength">Focal length written (pixels).</param>
/// <param name="FocalFromExif">Whether it came from EXIF.</param>
/// <param name="Keypoints">Keypoints written.</param>
public sealed record ColmapExportedImage(int ImageId, string Name, int Width, int Height, double FocalLength, bool FocalFromExif, int Keypoints);

/// <summary>Per-pair outcome of an export.</summary>
/// <param name="Image0">First image.</param>
/// <param name="Image1">Second image.</param>
/// <param name="RawMatches">Matches from the matcher.</param>
/// <param name="Matches">Keypoint matches after merging (the <c>matches</c> table).</param>
/// <param name="Inliers">Verified inliers (the <c>two_view_geometries</c> table).</param>
/// <param name="Config">Two-view configuration written.</param>
/// <param name="FromCache">The raw matches came from the cache.</param>
public sealed record ColmapExportedPair(string Image0, string Image1, int RawMatches, int Matches, int Inliers, TwoViewConfig Config, bool FromCache);

/// <summary>What <see cref="ColmapExporter.Run"/> wrote.</summary>
/// <param name="DatabasePath">The database.</param>
/// <param name="CachePath">The raw-match cache.</param>
/// <param name="Images">Images, by id.</param>
/// <param name="Pairs">Pairs, in matching order.</param>
public sealed record ColmapExportResult(string DatabasePath, string CachePath, IReadOnlyList<ColmapExportedImage> Images, IReadOnlyList<ColmapExportedPair> Pairs)
{
    /// <summary>Pairs matched in this run.</summary>
    public int PairsMatched => Pairs.Count(p => !p.FromCache);

    /// <summary>Pairs taken from the cache.</summary>
    public int PairsFromCache => Pairs.Count(p => p.FromCache);

    /// <summary>Pairs that passed verification.</summary>
    public int VerifiedPairs => Pairs.Count(p => p.Inliers > 0);
}
