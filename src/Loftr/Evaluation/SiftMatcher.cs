using OpenCvSharp;
using OpenCvSharp.Features2D;

namespace Loftr.Evaluation;

/// <summary>Matches of the SIFT baseline.</summary>
/// <param name="Points0">Keypoint of each match in image 0 (pixels of the input image, OpenCV convention).</param>
/// <param name="Points1">Keypoint of each match in image 1.</param>
/// <param name="Confidence">1 - d1 / d2 (Lowe ratio complement) per match, in (1 - ratio, 1].</param>
/// <param name="KeypointCount0">SIFT keypoints detected in image 0.</param>
/// <param name="KeypointCount1">SIFT keypoints detected in image 1.</param>
public sealed record SiftMatches(Point2d[] Points0, Point2d[] Points1, float[] Confidence, int KeypointCount0, int KeypointCount1)
{
    /// <summary>Number of matches.</summary>
    public int Count => Points0.Length;
}

/// <summary>
/// The classical baseline: OpenCV SIFT (<c>cv2.SIFT_create()</c> defaults) on grayscale images, brute-force L2
/// 2-nearest-neighbour matching from image 0 to image 1 and Lowe's ratio test (d1 &lt; ratio * d2).
/// </summary>
public sealed class SiftMatcher : IDisposable
{
    private readonly SIFT _sift;
    private readonly BFMatcher _matcher;
    private bool _disposed;

    /// <summary>Creates the matcher.</summary>
    /// <param name="maxFeatures">Keep at most this many keypoints per image (the strongest); 0 keeps all.</param>
    /// <param name="ratio">Lowe ratio threshold.</param>
    public SiftMatcher(int maxFeatures = 0, double ratio = 0.8)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFeatures);
        if (!(ratio > 0 && ratio <= 1)) throw new ArgumentOutOfRangeException(nameof(ratio), "Ratio must be in (0, 1].");
        MaxFeatures = maxFeatures;
        Ratio = ratio;
        _sift = SIFT.Create(maxFeatures);
        _matcher = new BFMatcher(NormTypes.L2, crossCheck: false);
    }

    /// <summary>Keypoint limit per image (0: none).</summary>
    public int MaxFeatures { get; }

    /// <summary>Lowe ratio threshold.</summary>
    public double Ratio { get; }

    /// <summary>Reads both images as grayscale (<c>cv2.IMREAD_GRAYSCALE</c>) and matches them.</summary>
    /// <param name="path0">Image 0.</param>
    /// <param name="path1">Image 1.</param>
    /// <returns>The matches.</returns>
    public SiftMatches Match(string path0, string path1)
    {
        using var a = ReadGray(path0);
        using var b = ReadGray(path1);
        return Match(a, b);
    }

    /// <summary>Matches two 8-bit images (colour BGR / BGRA images are converted to grayscale first).</summary>
    /// <param name="image0">Image 0.</param>
    /// <param name="image1">Image 1.</param>
    /// <returns>The matches.</returns>
    public SiftMatches Match(Mat image0, Mat image1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(image0);
        ArgumentNullException.ThrowIfNull(image1);
        using var g0 = ToGray(image0);
        using var g1 = ToGray(image1);
        using var d0 = new Mat();
        using var d1 = new Mat();
        _sift.DetectAndCompute(g0, null, out KeyPoint[] k0, d0);
        _sift.DetectAndCompute(g1, null, out KeyPoint[] k1, d1);

        var p0 = new List<Point2d>();
        var p1 = new List<Point2d>();
        var conf = new List<float>();
        if (k0.Length > 0 && k1.Length >= 2)
        {
            var knn = _matcher.KnnMatch(d0, d1, 2);
            foreach (var m in knn)
            {
                if (m.Length < 2) continue;
                if (!(m[0].Distance < Ratio * m[1].Distance)) continue;
                var a = k0[m[0].QueryIdx].Pt;
                var b = k1[m[0].TrainIdx].Pt;
                p0.Add(new Point2d(a.X, a.Y));
                p1.Add(new Point2d(b.X, b.Y));
                conf.Add(1f - m[0].Distance / m[1].Distance);
            }
        }
        return new SiftMatches(p0.ToArray(), p1.ToArray(), conf.ToArray(), k0.Length, k1.Length);
    }

    /// <summary>Reads an image as 8-bit grayscale, failing with the path when OpenCV cannot read it.</summary>
    /// <param name="path">Image file.</param>
    /// <returns>A CV_8UC1 image (caller disposes).</returns>
    public static Mat ReadGray(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image not found: {path}", path);
        var m = Cv2.ImRead(path, ImreadModes.Grayscale);
        if (m.Empty())
        {
            m.Dispose();
            throw new InvalidDataException($"{path}: OpenCV cannot read this image.");
        }
        return m;
    }

    private static Mat ToGray(Mat image)
    {
        if (image.Empty()) throw new ArgumentException("Image is empty.", nameof(image));
        if (image.Depth() != MatType.CV_8U) throw new ArgumentException("SIFT baseline expects an 8-bit image.", nameof(image));
        int ch = image.Channels();
        if (ch == 1) return image.Clone();
        var g = new Mat();
        Cv2.CvtColor(image, g, ch == 4 ? ColorConversionCodes.BGRA2GRAY : ColorConversionCodes.BGR2GRAY);
        return g;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _sift.Dispose();
        _matcher.Dispose();
    }
}
