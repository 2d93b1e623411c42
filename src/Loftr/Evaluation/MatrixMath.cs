using System.Runtime.InteropServices;
using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>Small dense double-precision helpers for 3x3 / 3x4 / 4x4 matrices and OpenCV interop (internal).</summary>
internal static class MatrixMath
{
    /// <summary>Throws unless <paramref name="m"/> has at least the given shape.</summary>
    public static void RequireShape(double[,] m, int rows, int cols, string name, bool exact = true)
    {
        ArgumentNullException.ThrowIfNull(m, name);
        int r = m.GetLength(0), c = m.GetLength(1);
        bool ok = exact ? r == rows && c == cols : r >= rows && c >= cols;
        if (!ok)
            throw new ArgumentException(
                $"{name} must be {(exact ? "" : "at least ")}{rows}x{cols}, got {r}x{c}.", name);
    }

    public static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = a.GetLength(1), m = b.GetLength(1);
        if (b.GetLength(0) != k) throw new ArgumentException("Inner matrix dimensions differ.");
        var r = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int l = 0; l < k; l++) s += a[i, l] * b[l, j];
                r[i, j] = s;
            }
        return r;
    }

    public static double[,] Transpose(double[,] a)
    {
        int n = a.GetLength(0), m = a.GetLength(1);
        var r = new double[m, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) r[j, i] = a[i, j];
        return r;
    }

    public static double[,] Inverse3x3(double[,] a)
    {
        RequireShape(a, 3, 3, nameof(a));
        double c00 = a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1];
        double c01 = a[1, 2] * a[2, 0] - a[1, 0] * a[2, 2];
        double c02 = a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0];
        double det = a[0, 0] * c00 + a[0, 1] * c01 + a[0, 2] * c02;
        if (det == 0 || !double.IsFinite(det)) throw new ArgumentException("Matrix is singular.", nameof(a));
        double inv = 1.0 / det;
        return new double[,]
        {
            { c00 * inv, (a[0, 2] * a[2, 1] - a[0, 1] * a[2, 2]) * inv, (a[0, 1] * a[1, 2] - a[0, 2] * a[1, 1]) * inv },
            { c01 * inv, (a[0, 0] * a[2, 2] - a[0, 2] * a[2, 0]) * inv, (a[0, 2] * a[1, 0] - a[0, 0] * a[1, 2]) * inv },
            { c02 * inv, (a[0, 1] * a[2, 0] - a[0, 0] * a[2, 1]) * inv, (a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]) * inv },
        };
    }

    /// <summary>Copies the top-left rows x cols block.</summary>
    public static double[,] Block(double[,] a, int rows, int cols, int row0 = 0, int col0 = 0)
    {
        var r = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) r[i, j] = a[row0 + i, col0 + j];
        return r;
    }

    /// <summary>Applies a 3x3 homography to a point (homogeneous division).</summary>
    public static Point2d ApplyHomography(double[,] h, Point2d p)
    {
        double x = h[0, 0] * p.X + h[0, 1] * p.Y + h[0, 2];
        double y = h[1, 0] * p.X + h[1, 1] * p.Y + h[1, 2];
        double w = h[2, 0] * p.X + h[2, 1] * p.Y + h[2, 2];
        return new Point2d(x / w, y / w);
    }

    /// <summary>An N x 1 CV_64FC2 matrix holding the points.</summary>
    public static Mat PointsToMat(ReadOnlySpan<Point2d> points)
    {
        var data = new double[points.Length * 2];
        for (int i = 0; i < points.Length; i++)
        {
            data[2 * i] = points[i].X;
            data[2 * i + 1] = points[i].Y;
        }
        var m = new Mat(points.Length, 1, MatType.CV_64FC2);
        if (data.Length > 0) Marshal.Copy(data, 0, m.Data, data.Length);
        return m;
    }

    /// <summary>A CV_64FC1 matrix with the values of <paramref name="a"/>.</summary>
    public static Mat ToMat(double[,] a)
    {
        int r = a.GetLength(0), c = a.GetLength(1);
        var m = new Mat(r, c, MatType.CV_64FC1);
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++) m.Set(i, j, a[i, j]);
        return m;
    }

    /// <summary>Copies a single-channel matrix (any depth) into a double array.</summary>
    public static double[,] ToArray(Mat m)
    {
        using var d = new Mat();
        m.ConvertTo(d, MatType.CV_64FC1);
        int rows = d.Rows, cols = d.Cols;
        var r = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) r[i, j] = d.Get<double>(i, j);
        return r;
    }

    /// <summary>Reads an OpenCV inlier mask (N x 1 or 1 x N, 8-bit) as booleans; all false when empty.</summary>
    public static bool[] MaskToBool(Mat mask, int n)
    {
        var r = new bool[n];
        if (mask.Empty()) return r;
        using var m8 = new Mat();
        mask.ConvertTo(m8, MatType.CV_8UC1);
        if ((long)m8.Total() != n) throw new InvalidOperationException($"Mask has {m8.Total()} entries, expected {n}.");
        var bytes = new byte[n];
        using var cont = m8.Clone(); // clones are continuous
        Marshal.Copy(cont.Data, bytes, 0, n);
        for (int i = 0; i < n; i++) r[i] = bytes[i] != 0;
        return r;
    }
}
