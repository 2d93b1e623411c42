namespace Loftr.Training;

/// <summary>
/// Ranges of the random view changes and photometric changes of homography self-supervision. Angles in degrees; sizes
/// as fractions of the view size.
/// </summary>
/// <param name="CropFraction">Range of the first view's size as a fraction of the largest crop of the photo with the network aspect ratio.</param>
/// <param name="MaxRotation">Largest in-plane rotation of the second view.</param>
/// <param name="MaxScale">Largest zoom factor (the second view is zoomed by a log-uniform factor in [MinScale, MaxScale]).</param>
/// <param name="MaxPerspective">Largest independent shift of each corner of the second view.</param>
/// <param name="MaxTranslation">Largest shift of the second view.</param>
/// <param name="MinOverlap">Least fraction of the first view's coarse cells that must land inside the second view.</param>
/// <param name="MaxBrightness">Largest additive brightness change (intensities in [0, 1]).</param>
/// <param name="MaxContrast">Largest contrast change: factor in [1 - c, 1 + c] around the mean.</param>
/// <param name="MaxGamma">Largest gamma change: exponent in [1/(1 + g), 1 + g].</param>
/// <param name="BlurProbability">Probability of a Gaussian blur.</param>
/// <param name="MaxBlurSigma">Largest blur sigma in pixels.</param>
/// <param name="MaxNoise">Largest standard deviation of additive Gaussian noise.</param>
/// <param name="MinScale">Smallest zoom factor; null = 1 / <paramref name="MaxScale"/>.</param>
public sealed record HomographyAugmentation(
    (double Min, double Max) CropFraction = default,
    double MaxRotation = 25,
    double MaxScale = 1.3,
    double MaxPerspective = 0.1,
    double MaxTranslation = 0.15,
    double MinOverlap = 0.3,
    double MaxBrightness = 0.15,
    double MaxContrast = 0.3,
    double MaxGamma = 0.4,
    double BlurProbability = 0.3,
    double MaxBlurSigma = 1.2,
    double MaxNoise = 0.03,
    double? MinScale = null)
{
    /// <summary>The zoom range: (<see cref="MinScale"/> or 1 / <see cref="MaxScale"/>, <see cref="MaxScale"/>).</summary>
    public (double Min, double Max) ScaleRange => (MinScale ?? 1 / Math.Max(1.0, MaxScale), Math.Max(MinScale ?? 0, MaxScale));

    /// <summary>The crop range, (0.6, 1.0) when not set.</summary>
    public (double Min, double Max) Crop => CropFraction == default ? (0.6, 1.0) : CropFraction;

    /// <summary>No view change beyond the crop and no photometric change (for tests).</summary>
    public static HomographyAugmentation None { get; } = new((1.0, 1.0), 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
