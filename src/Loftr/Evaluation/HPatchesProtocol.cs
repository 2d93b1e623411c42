namespace Loftr.Evaluation;

/// <summary>
/// Constants and helpers of the HPatches homography protocol used by LoFTR (after Patch2Pix): images resized so
/// the short side is 480 px, the top 1024 matches by confidence, <c>cv2.findHomography</c> RANSAC with 3 px, mean
/// corner error, AUC at 3 / 5 / 10 px, and 8 sequences with very large images excluded (108 sequences, 540 pairs remain).
/// </summary>
public static class HPatchesProtocol
{
    /// <summary>Target length of the short image side.</summary>
    public const int ShortSide = 480;

    /// <summary>Number of matches kept, the most confident first.</summary>
    public const int TopMatches = 1024;

    /// <summary>RANSAC threshold in pixels (of the resized images).</summary>
    public const double RansacThreshold = HomographyMetrics.DefaultRansacThreshold;

    /// <summary>The sequences excluded by LoFTR / Patch2Pix / D2-Net (images larger than 1600x1200).</summary>
    public static IReadOnlySet<string> ExcludedSequences { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "i_contruction", "i_crownnight", "i_dc", "i_pencils", "i_whitebuilding",
        "v_artisans", "v_astronautis", "v_talent",
    };

    /// <summary>
    /// Size after resizing so that the short side becomes <paramref name="shortSide"/> (aspect ratio kept, the long
    /// side rounded to the nearest integer), optionally floored to a multiple of <paramref name="divisibleBy"/>,
    /// with the effective per-axis scale factors (new / old) to use with <see cref="HomographyMetrics.RescaleHomography"/>.
    /// </summary>
    /// <param name="width">Original width.</param>
    /// <param name="height">Original height.</param>
    /// <param name="shortSide">Target short side.</param>
    /// <param name="divisibleBy">Both sides are floored to a multiple of this (1: no constraint; LoFTR needs 8).</param>
    /// <returns>New size and scale factors.</returns>
    public static (int Width, int Height, double ScaleX, double ScaleY) ResizeShortSide(int width, int height,
        int shortSide = ShortSide, int divisibleBy = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shortSide);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(divisibleBy);
        double s = (double)shortSide / Math.Min(width, height);
        int w = (int)Math.Round(width * s, MidpointRounding.ToEven);
        int h = (int)Math.Round(height * s, MidpointRounding.ToEven);
        w = w / divisibleBy * divisibleBy;
        h = h / divisibleBy * divisibleBy;
        if (w == 0 || h == 0) throw new ArgumentException("Resized image would be empty.");
        return (w, h, (double)w / width, (double)h / height);
    }

    /// <summary>
    /// The ground-truth homography between the resized images of a pair, given both original sizes
    /// (<see cref="ResizeShortSide"/> then <see cref="HomographyMetrics.RescaleHomography"/>).
    /// </summary>
    /// <param name="homography">H between the original images.</param>
    /// <param name="size0">Original (width, height) of image 0.</param>
    /// <param name="size1">Original (width, height) of image 1.</param>
    /// <param name="shortSide">Target short side.</param>
    /// <param name="divisibleBy">Side multiple (see <see cref="ResizeShortSide"/>).</param>
    /// <returns>H between the resized images.</returns>
    public static double[,] ResizedHomography(double[,] homography, (int Width, int Height) size0, (int Width, int Height) size1,
        int shortSide = ShortSide, int divisibleBy = 1)
    {
        var r0 = ResizeShortSide(size0.Width, size0.Height, shortSide, divisibleBy);
        var r1 = ResizeShortSide(size1.Width, size1.Height, shortSide, divisibleBy);
        return HomographyMetrics.RescaleHomography(homography, r0.ScaleX, r0.ScaleY, r1.ScaleX, r1.ScaleY);
    }
}
