namespace Loftr.Colmap;

/// <summary>
/// How per-pair match points are merged into one keypoint set per image (hloc's <c>match_dense</c> aggregation):
/// points are snapped to a grid of <see cref="CellSize"/> pixels (at most one keypoint per cell), each cell votes
/// its points into sub-cell bins of <see cref="MaxError"/> pixels weighted by the match scores over all pairs of the
/// image, the most voted bin becomes the keypoint, and every match is then re-assigned to the nearest keypoint within
/// <see cref="MaxError"/> pixels (farther ones are dropped).
/// </summary>
/// <param name="CellSize">Grid cell in pixels (the effective cell is max(CellSize, MaxError)); 0 with MaxError 0
/// merges only identical coordinates (<see cref="Exact"/>).</param>
/// <param name="MaxError">Bin size and assignment radius in pixels (bins are floor(MaxError) pixels; below 1 the raw
/// coordinates are the bins).</param>
/// <param name="MaxKeypointsPerImage">Keep at most this many keypoints per image, the most voted ones (hloc's
/// <c>max_kps</c>, 8192 by default); 0 keeps all.</param>
public sealed record KeypointMergeOptions(double CellSize, double MaxError, int MaxKeypointsPerImage = 8192)
{
    /// <summary>hloc's <c>loftr</c> preset: 1 px cells, 1 px error. Most points, best for small scenes.</summary>
    public static KeypointMergeOptions Fine { get; } = new(1, 1);

    /// <summary>hloc's <c>loftr_superpoint</c> preset: 4 px cells, 4 px error.</summary>
    public static KeypointMergeOptions Medium { get; } = new(4, 4);

    /// <summary>hloc's <c>loftr_aachen</c> preset: 8 px cells, 2 px error. Fewer, better supported keypoints.</summary>
    public static KeypointMergeOptions Coarse { get; } = new(8, 2);

    /// <summary>
    /// Only identical coordinates are merged: for detectors whose keypoints are already per image (SIFT), where the
    /// same keypoint repeats exactly in every pair of the image.
    /// </summary>
    public static KeypointMergeOptions Exact { get; } = new(0, 0, 0);

    /// <summary>Preset names accepted by <see cref="FromPresetName"/>.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["fine", "medium", "coarse", "exact"];

    /// <summary>A preset by name: fine, medium, coarse or exact (case-insensitive).</summary>
    /// <param name="name">Preset name.</param>
    /// <returns>The options.</returns>
    public static KeypointMergeOptions FromPresetName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "fine" => Fine,
            "medium" => Medium,
            "coarse" => Coarse,
            "exact" => Exact,
            _ => throw new ArgumentException($"Unknown keypoint merge preset '{name}' (expected {string.Join(", ", PresetNames)}).", nameof(name)),
        };
    }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative or not finite.</exception>
    public void Validate()
    {
        if (!(CellSize >= 0) || !double.IsFinite(CellSize)) throw new ArgumentOutOfRangeException(nameof(CellSize), $"Cell size must be >= 0, got {CellSize}.");
        if (!(MaxError >= 0) || !double.IsFinite(MaxError)) throw new ArgumentOutOfRangeException(nameof(MaxError), $"Max error must be >= 0, got {MaxError}.");
        if (MaxKeypointsPerImage < 0) throw new ArgumentOutOfRangeException(nameof(MaxKeypointsPerImage), $"Keypoint limit must be >= 0, got {MaxKeypointsPerImage}.");
    }

    /// <summary>The effective grid cell: max(CellSize, MaxError).</summary>
    public double EffectiveCellSize => Math.Max(CellSize, MaxError);
}
