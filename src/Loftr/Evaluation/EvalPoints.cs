using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>
/// Converts keypoint containers to the <see cref="Point2d"/> arrays taken by the evaluation metrics, so the
/// metrics stay independent of any particular matcher's result type. Coordinates are pixels, OpenCV convention
/// (x right, y down, origin at the centre of the top-left pixel).
/// </summary>
public static class EvalPoints
{
    /// <summary>Converts an N x 2 array of (x, y) rows.</summary>
    /// <param name="xy">Array of shape [N, 2].</param>
    /// <returns>N points.</returns>
    public static Point2d[] FromArray(float[,] xy)
    {
        ArgumentNullException.ThrowIfNull(xy);
        if (xy.GetLength(1) != 2) throw new ArgumentException($"Expected an N x 2 array, got {xy.GetLength(0)}x{xy.GetLength(1)}.", nameof(xy));
        var r = new Point2d[xy.GetLength(0)];
        for (int i = 0; i < r.Length; i++) r[i] = new Point2d(xy[i, 0], xy[i, 1]);
        return r;
    }

    /// <summary>Converts an N x 2 array of (x, y) rows.</summary>
    /// <param name="xy">Array of shape [N, 2].</param>
    /// <returns>N points.</returns>
    public static Point2d[] FromArray(double[,] xy)
    {
        ArgumentNullException.ThrowIfNull(xy);
        if (xy.GetLength(1) != 2) throw new ArgumentException($"Expected an N x 2 array, got {xy.GetLength(0)}x{xy.GetLength(1)}.", nameof(xy));
        var r = new Point2d[xy.GetLength(0)];
        for (int i = 0; i < r.Length; i++) r[i] = new Point2d(xy[i, 0], xy[i, 1]);
        return r;
    }

    /// <summary>Widens single-precision points to double precision.</summary>
    /// <param name="points">Points in pixels.</param>
    /// <returns>The same points as <see cref="Point2d"/>.</returns>
    public static Point2d[] FromPoints(ReadOnlySpan<Point2f> points)
    {
        var r = new Point2d[points.Length];
        for (int i = 0; i < r.Length; i++) r[i] = new Point2d(points[i].X, points[i].Y);
        return r;
    }

    /// <summary>Converts (x, y) tuples.</summary>
    /// <param name="points">Points in pixels.</param>
    /// <returns>The same points as <see cref="Point2d"/>.</returns>
    public static Point2d[] FromTuples(ReadOnlySpan<(double X, double Y)> points)
    {
        var r = new Point2d[points.Length];
        for (int i = 0; i < r.Length; i++) r[i] = new Point2d(points[i].X, points[i].Y);
        return r;
    }

    /// <summary>
    /// Indices of the <paramref name="k"/> entries with the highest confidence, in decreasing confidence order
    /// (ties keep the lower index first), e.g. the "top 1024 matches" of the HPatches protocol.
    /// </summary>
    /// <param name="confidence">One confidence per match.</param>
    /// <param name="k">How many to keep; all when larger than the count.</param>
    /// <returns>Selected indices.</returns>
    public static int[] TopKByConfidence(ReadOnlySpan<float> confidence, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var idx = new int[confidence.Length];
        for (int i = 0; i < idx.Length; i++) idx[i] = i;
        var conf = confidence.ToArray();
        // Stable: sort by (-confidence, index).
        Array.Sort(idx, (a, b) =>
        {
            int c = conf[b].CompareTo(conf[a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return k >= idx.Length ? idx : idx[..k];
    }

    /// <summary>Selects the entries at <paramref name="indices"/>.</summary>
    /// <param name="points">Source points.</param>
    /// <param name="indices">Indices into <paramref name="points"/>.</param>
    /// <returns>The selected points, in index order.</returns>
    public static Point2d[] Select(ReadOnlySpan<Point2d> points, ReadOnlySpan<int> indices)
    {
        var r = new Point2d[indices.Length];
        for (int i = 0; i < r.Length; i++) r[i] = points[indices[i]];
        return r;
    }
}
