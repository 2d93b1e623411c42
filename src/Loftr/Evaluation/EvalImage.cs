using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>
/// An evaluation input: the image read as 8-bit grayscale (<c>cv2.IMREAD_GRAYSCALE</c>) and resized with
/// <c>cv2.resize</c> (bilinear) by an <see cref="EvalResize"/>, with the factors between the two frames.
/// </summary>
public sealed class EvalImage : IDisposable
{
    private EvalImage(Mat gray, ImageSize original)
    {
        Gray = gray;
        Original = original;
    }

    /// <summary>The resized 8-bit grayscale image the matcher sees (owned by this object).</summary>
    public Mat Gray { get; }

    /// <summary>Size of the stored image.</summary>
    public ImageSize Original { get; }

    /// <summary>Size of <see cref="Gray"/>.</summary>
    public ImageSize Resized => new(Gray.Cols, Gray.Rows);

    /// <summary>Horizontal factor resized / original.</summary>
    public double ScaleX => (double)Resized.Width / Original.Width;

    /// <summary>Vertical factor resized / original.</summary>
    public double ScaleY => (double)Resized.Height / Original.Height;

    /// <summary>Reads and resizes an image.</summary>
    /// <param name="path">Image file.</param>
    /// <param name="resize">Resize rule (padding is applied later, by the matcher).</param>
    /// <returns>The image (caller disposes).</returns>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">OpenCV cannot decode the file.</exception>
    public static EvalImage Load(string path, EvalResize resize)
    {
        ArgumentNullException.ThrowIfNull(resize);
        return Prepare(SiftMatcher.ReadGray(path), resize);
    }

    /// <summary>Takes an in-memory 8-bit image (e.g. a synthetic view) and resizes it exactly like <see cref="Load"/> does a read file.</summary>
    /// <param name="image">The 8-bit gray image (copied).</param>
    /// <param name="resize">Resize rule.</param>
    /// <returns>The image (caller disposes).</returns>
    public static EvalImage FromGray8(Gray8 image, EvalResize resize)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(resize);
        return Prepare(image.ToMat(), resize);
    }

    /// <summary>Resizes <paramref name="raw"/> (taking ownership of it).</summary>
    private static EvalImage Prepare(Mat raw, EvalResize resize)
    {
        var original = new ImageSize(raw.Cols, raw.Rows);
        ImageSize target;
        try
        {
            target = resize.TargetSize(original);
        }
        catch
        {
            raw.Dispose();
            throw;
        }
        if (target == original) return new EvalImage(raw, original);
        try
        {
            var resized = new Mat();
            Cv2.Resize(raw, resized, new Size(target.Width, target.Height), 0, 0, InterpolationFlags.Linear);
            return new EvalImage(resized, original);
        }
        finally
        {
            raw.Dispose();
        }
    }

    /// <summary>Maps points of the resized frame to the original frame ((x, y) divided by the scale factors).</summary>
    /// <param name="points">Points in <see cref="Resized"/> pixels.</param>
    /// <returns>Points in <see cref="Original"/> pixels.</returns>
    public Point2d[] ToOriginal(ReadOnlySpan<Point2d> points)
    {
        double sx = 1 / ScaleX, sy = 1 / ScaleY;
        var r = new Point2d[points.Length];
        for (int i = 0; i < r.Length; i++) r[i] = new Point2d(points[i].X * sx, points[i].Y * sy);
        return r;
    }

    /// <inheritdoc />
    public void Dispose() => Gray.Dispose();
}
