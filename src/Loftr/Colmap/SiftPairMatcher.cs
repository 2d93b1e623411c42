using System.Globalization;
using Loftr.Evaluation;

namespace Loftr.Colmap;

/// <summary>
/// The OpenCV SIFT baseline (<see cref="SiftMatcher"/>) as an <see cref="IPairMatcher"/>: keypoints are per image, so
/// the exporter merges only identical coordinates. Scores are 1 - d1 / d2.
/// </summary>
public sealed class SiftPairMatcher : IPairMatcher, IDisposable
{
    private readonly SiftMatcher _sift;

    /// <summary>Creates the matcher.</summary>
    /// <param name="maxFeatures">Keypoints per image (0: all).</param>
    /// <param name="ratio">Lowe ratio.</param>
    public SiftPairMatcher(int maxFeatures = 0, double ratio = 0.8)
    {
        _sift = new SiftMatcher(maxFeatures, ratio);
        Identity = string.Create(CultureInfo.InvariantCulture, $"opencv-sift|max={maxFeatures}|ratio={ratio}");
    }

    /// <inheritdoc />
    public string Identity { get; }

    /// <inheritdoc />
    public bool KeypointsArePerImage => true;

    /// <inheritdoc />
    public PairMatches Match(string path0, string path1)
    {
        var m = _sift.Match(path0, path1);
        var k0 = Array.ConvertAll(m.Points0, p => new Point2((float)p.X, (float)p.Y));
        var k1 = Array.ConvertAll(m.Points1, p => new Point2((float)p.X, (float)p.Y));
        return new PairMatches(k0, k1, m.Confidence);
    }

    /// <inheritdoc />
    public void Dispose() => _sift.Dispose();
}
