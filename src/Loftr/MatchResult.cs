namespace Loftr;

/// <summary>A point in image pixel coordinates (x to the right, y down).</summary>
/// <param name="X">Column coordinate.</param>
/// <param name="Y">Row coordinate.</param>
public readonly record struct Point2(float X, float Y);

/// <summary>Image width and height in pixels.</summary>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
public readonly record struct ImageSize(int Width, int Height)
{
    /// <inheritdoc />
    public override string ToString() => $"{Width}x{Height}";
}

/// <summary>
/// The matches of one image pair. Keypoints are in the pixel coordinates of the ORIGINAL images, sorted as the network
/// produced them (row-major over the coarse grid of image 0) unless a top-k selection reordered them by confidence.
/// With a <see cref="LoftrConfig.SharpestFraction"/> below 1 only the sharpest matches are kept (<see cref="Sharpest"/>).
/// </summary>
public sealed class MatchResult
{
    /// <summary>Matched points in image 0.</summary>
    public required Point2[] Keypoints0 { get; init; }
    /// <summary>Matched points in image 1 (sub-pixel refined).</summary>
    public required Point2[] Keypoints1 { get; init; }
    /// <summary>Confidence of each match (the coarse confidence matrix entry).</summary>
    public required float[] Confidence { get; init; }
    /// <summary>
    /// Uncertainty of each refined point in image 1: the standard deviation of the fine heatmap (the sum of its x and y
    /// standard deviations, in window-normalised units where the window's half-width is 1; the reference <c>std</c>
    /// that weights the fine loss; of the second fine pass when there is one). Small values are sharp sub-pixel matches.
    /// </summary>
    public required float[] FineStd { get; init; }
    /// <summary>The coarse matches (before refinement) in image 1, in original pixels.</summary>
    public required Point2[] CoarseKeypoints1 { get; init; }
    /// <summary>Size of the original image 0.</summary>
    public required ImageSize ImageSize0 { get; init; }
    /// <summary>Size of the original image 1.</summary>
    public required ImageSize ImageSize1 { get; init; }
    /// <summary>Size at which image 0 entered the network.</summary>
    public required ImageSize NetworkSize0 { get; init; }
    /// <summary>Size at which image 1 entered the network.</summary>
    public required ImageSize NetworkSize1 { get; init; }

    /// <summary>Number of matches.</summary>
    public int Count => Confidence.Length;

    /// <summary>The <paramref name="k"/> most confident matches, in decreasing confidence (all when k is larger).</summary>
    public MatchResult TopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return Select(Enumerable.Range(0, Count).OrderByDescending(i => Confidence[i]).ThenBy(i => i).Take(k).ToArray());
    }

    /// <summary>
    /// The ceil(<paramref name="fraction"/> x <see cref="Count"/>) matches with the smallest <see cref="FineStd"/> (ties:
    /// the earlier match), in their original order; this result itself when the fraction is 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is not in (0, 1].</exception>
    public MatchResult Sharpest(double fraction)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction must be in (0, 1].");
        return fraction == 1 ? this : Select(SharpestIndices(FineStd, fraction));
    }

    /// <summary>
    /// Indices (ascending) of the ceil(fraction x n) smallest standard deviations (at least one when n &gt; 0), ties to the
    /// earlier index, NaN last.
    /// </summary>
    internal static int[] SharpestIndices(float[] std, double fraction)
    {
        int n = std.Length;
        int keep = n == 0 ? 0 : Math.Clamp((int)Math.Ceiling(fraction * n - 1e-9), 1, n);
        return Enumerable.Range(0, n).OrderBy(i => float.IsNaN(std[i]) ? 1 : 0).ThenBy(i => std[i]).ThenBy(i => i).Take(keep).Order().ToArray();
    }

    /// <summary>This result with other points in image 1 (same order and count).</summary>
    internal MatchResult WithKeypoints1(Point2[] keypoints1) =>
        new()
        {
            Keypoints0 = Keypoints0,
            Keypoints1 = keypoints1.Length == Count ? keypoints1 : throw new ArgumentException("One point per match is needed.", nameof(keypoints1)),
            Confidence = Confidence,
            FineStd = FineStd,
            CoarseKeypoints1 = CoarseKeypoints1,
            ImageSize0 = ImageSize0,
            ImageSize1 = ImageSize1,
            NetworkSize0 = NetworkSize0,
            NetworkSize1 = NetworkSize1,
        };

    /// <summary>The matches at the given indices, in that order.</summary>
    internal MatchResult Subset(int[] indices) => Select(indices);

    private MatchResult Select(int[] order) =>
        new()
        {
            Keypoints0 = order.Select(i => Keypoints0[i]).ToArray(),
            Keypoints1 = order.Select(i => Keypoints1[i]).ToArray(),
            Confidence = order.Select(i => Confidence[i]).ToArray(),
            FineStd = order.Select(i => FineStd[i]).ToArray(),
            CoarseKeypoints1 = order.Select(i => CoarseKeypoints1[i]).ToArray(),
            ImageSize0 = ImageSize0,
            ImageSize1 = ImageSize1,
            NetworkSize0 = NetworkSize0,
            NetworkSize1 = NetworkSize1,
        };
}
