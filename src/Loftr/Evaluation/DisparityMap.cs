using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>
/// A dense disparity map of the left image of a rectified stereo pair, in pixels; 0 means unknown. A left pixel
/// (x, y) with disparity d &gt; 0 corresponds to (x - d, y) in the right image.
/// </summary>
public sealed class DisparityMap
{
    private readonly float[] _values;

    /// <summary>Creates a map from row-major values (pixels; 0 = unknown).</summary>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="values">width * height disparities, row-major.</param>
    public DisparityMap(int width, int height, float[] values)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != width * height)
            throw new ArgumentException($"Expected {width * height} values, got {values.Length}.", nameof(values));
        Width = width;
        Height = height;
        _values = values;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Disparity at integer pixel (x, y); 0 = unknown.</summary>
    /// <param name="x">Column.</param>
    /// <param name="y">Row.</param>
    public float this[int x, int y] => _values[y * Width + x];

    /// <summary>Fraction of pixels with unknown disparity (value 0).</summary>
    public double UnknownFraction => (double)_values.Count(v => v == 0) / _values.Length;

    /// <summary>
    /// Disparity at the pixel nearest to (x, y) (pixel centres at integer coordinates).
    /// </summary>
    /// <param name="x">Column coordinate in pixels.</param>
    /// <param name="y">Row coordinate in pixels.</param>
    /// <param name="disparity">The disparity, 0 when unknown or outside.</param>
    /// <returns>False when (x, y) is outside the map.</returns>
    public bool TrySample(double x, double y, out double disparity)
    {
        disparity = 0;
        if (!double.IsFinite(x) || !double.IsFinite(y)) return false;
        int xi = (int)Math.Round(x, MidpointRounding.AwayFromZero), yi = (int)Math.Round(y, MidpointRounding.AwayFromZero);
        if (xi < 0 || yi < 0 || xi >= Width || yi >= Height) return false;
        disparity = this[xi, yi];
        return true;
    }

    /// <summary>
    /// Loads an 8- or 16-bit single-channel disparity image (a colour image's first channel is used) and multiplies
    /// it by <paramref name="scale"/> (1 for the OpenCV/Middlebury 8-bit files whose value is the disparity in pixels).
    /// </summary>
    /// <param name="path">PNG (or any format OpenCV reads).</param>
    /// <param name="scale">Disparity per unit of stored value.</param>
    /// <returns>The map.</returns>
    public static DisparityMap Load(string path, double scale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Disparity map not found: {path}", path);
        using var raw = Cv2.ImRead(path, ImreadModes.Unchanged);
        if (raw.Empty()) throw new InvalidDataException($"{path}: OpenCV cannot read this image.");
        using var single = raw.Channels() == 1 ? raw.Clone() : raw.ExtractChannel(0);
        using var f = new Mat();
        single.ConvertTo(f, MatType.CV_32FC1, scale);
        int w = f.Cols, h = f.Rows;
        var values = new float[w * h];
        using var cont = f.Clone();
        System.Runtime.InteropServices.Marshal.Copy(cont.Data, values, 0, values.Length);
        return new DisparityMap(w, h, values);
    }
}
