using OpenCvSharp;

namespace Loftr.Imaging;

/// <summary>
/// A single-channel image with intensities in [0, 1], row-major. This is what the network sees; build one from a file,
/// an OpenCvSharp <see cref="Mat"/> or a float buffer.
/// </summary>
public sealed class GrayImage
{
    /// <summary>Pixels, row-major, <see cref="Width"/> x <see cref="Height"/>, values in [0, 1].</summary>
    public float[] Pixels { get; }
    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Wraps a row-major buffer of <paramref name="width"/> x <paramref name="height"/> intensities in [0, 1].</summary>
    public GrayImage(float[] pixels, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Image size must be positive, got {width}x{height}.");
        if (pixels.Length != (long)width * height)
            throw new ArgumentException($"Buffer has {pixels.Length} values, expected {width}x{height} = {(long)width * height}.", nameof(pixels));
        Pixels = pixels;
        Width = width;
        Height = height;
    }

    /// <summary>
    /// Reads an image file as grayscale (OpenCV <c>IMREAD_GRAYSCALE</c>, as the reference demo does).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an image OpenCV can decode.</exception>
    public static GrayImage Load(string path)
    {
        using var mat = Read(path);
        return FromMat(mat);
    }

    /// <summary>Reads an image file as an 8-bit grayscale <see cref="Mat"/> with the same checks as <see cref="Load"/>.</summary>
    public static Mat Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image file not found: {path}", path);
        if (new FileInfo(path).Length == 0) throw new InvalidDataException($"{path}: the file is empty.");
        var mat = Cv2.ImRead(path, ImreadModes.Grayscale);
        if (mat.Empty())
        {
            mat.Dispose();
            throw new InvalidDataException($"{path}: not an image that OpenCV can decode.");
        }
        return mat;
    }

    /// <summary>
    /// Converts an OpenCvSharp image: 8-bit (values /255), 16-bit (/65535) or float (taken as [0, 1]); 1, 3 (BGR) or
    /// 4 (BGRA) channels, converted to gray as <c>cv2.cvtColor</c> does. When a size is given the image is resized
    /// (INTER_LINEAR) at its own bit depth before the conversion to float, exactly like the reference demo
    /// (<c>cv2.resize</c> of the 8-bit image, then <c>/ 255</c>).
    /// </summary>
    public static GrayImage FromMat(Mat mat, int? width = null, int? height = null)
    {
        ArgumentNullException.ThrowIfNull(mat);
        if (mat.Empty()) throw new ArgumentException("The image is empty.", nameof(mat));
        using var gray = new Mat();
        switch (mat.Channels())
        {
            case 1: mat.CopyTo(gray); break;
            case 3: Cv2.CvtColor(mat, gray, ColorConversionCodes.BGR2GRAY); break;
            case 4: Cv2.CvtColor(mat, gray, ColorConversionCodes.BGRA2GRAY); break;
            default: throw new ArgumentException($"Unsupported number of channels: {mat.Channels()}.", nameof(mat));
        }
        double scale = gray.Depth() switch
        {
            MatType.CV_8U => 1.0 / 255,
            MatType.CV_16U => 1.0 / 65535,
            MatType.CV_32F or MatType.CV_64F => 1.0,
            _ => throw new ArgumentException($"Unsupported pixel depth {gray.Depth()}.", nameof(mat)),
        };
        int w = width ?? gray.Cols, h = height ?? gray.Rows;
        if (w <= 0 || h <= 0) throw new ArgumentException($"Target size must be positive, got {w}x{h}.");
        if (w != gray.Cols || h != gray.Rows)
            Cv2.Resize(gray, gray, new Size(w, h), 0, 0, InterpolationFlags.Linear);
        using var f = new Mat();
        gray.ConvertTo(f, MatType.CV_32FC1, scale);
        var pixels = new float[f.Rows * f.Cols];
        using var copy = f.IsContinuous() ? null : f.Clone();
        System.Runtime.InteropServices.Marshal.Copy((copy ?? f).Data, pixels, 0, pixels.Length);
        return new GrayImage(pixels, f.Cols, f.Rows);
    }

    /// <summary>Bilinear resize (OpenCV <c>INTER_LINEAR</c>) of the image to <paramref name="width"/> x <paramref name="height"/>.</summary>
    public GrayImage Resize(int width, int height)
    {
        if (width == Width && height == Height) return this;
        using var src = Mat.FromPixelData(Height, Width, MatType.CV_32FC1, Pixels);
        using var dst = new Mat();
        Cv2.Resize(src, dst, new Size(width, height), 0, 0, InterpolationFlags.Linear);
        var pixels = new float[width * height];
        System.Runtime.InteropServices.Marshal.Copy(dst.Data, pixels, 0, pixels.Length);
        return new GrayImage(pixels, width, height);
    }
}
