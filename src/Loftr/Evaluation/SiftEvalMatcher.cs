using System.Globalization;
using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>The SIFT baseline (<see cref="SiftMatcher"/>) as an <see cref="IEvalMatcher"/>; padding does not apply.</summary>
public sealed class SiftEvalMatcher : IEvalMatcher
{
    private readonly SiftMatcher _sift;

    /// <summary>Creates the baseline.</summary>
    /// <param name="maxFeatures">Keypoint limit per image (0: all, <c>cv2.SIFT_create()</c> default).</param>
    /// <param name="ratio">Lowe ratio.</param>
    public SiftEvalMatcher(int maxFeatures = 0, double ratio = 0.8) => _sift = new SiftMatcher(maxFeatures, ratio);

    /// <inheritdoc />
    public string Name => "sift";

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"OpenCV SIFT ({(_sift.MaxFeatures == 0 ? "all keypoints" : _sift.MaxFeatures + " keypoints")}), brute-force 2-NN, ratio {_sift.Ratio}");

    /// <inheritdoc />
    public EvalMatches Match(Mat image0, Mat image1, bool padToSquare)
    {
        var m = _sift.Match(image0, image1);
        return new EvalMatches(m.Points0, m.Points1, m.Confidence);
    }

    /// <inheritdoc />
    public void Dispose() => _sift.Dispose();
}
