namespace Loftr.Colmap;

/// <summary>Small 3x3 helpers for the two-view models.</summary>
internal static class Matrix3
{
    public static double[,] Transpose(double[,] m)
    {
        Require(m);
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) r[i, j] = m[j, i];
        return r;
    }

    public static double[,] Multiply(double[,] a, double[,] b)
    {
        Require(a);
        Require(b);
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++) r[i, j] += a[i, k] * b[k, j];
        return r;
    }

    public static double[,] Inverse(double[,] m)
    {
        Require(m);
        double a = m[0, 0], b = m[0, 1], c = m[0, 2], d = m[1, 0], e = m[1, 1], f = m[1, 2], g = m[2, 0], h = m[2, 1], i = m[2, 2];
        double ca = e * i - f * h, cb = -(d * i - f * g), cc = d * h - e * g;
        double det = a * ca + b * cb + c * cc;
        if (det == 0 || !double.IsFinite(det)) throw new ArgumentException("The 3x3 matrix is singular.", nameof(m));
        return new double[,]
        {
            { ca / det, -(b * i - c * h) / det, (b * f - c * e) / det },
            { cb / det, (a * i - c * g) / det, -(a * f - c * d) / det },
            { cc / det, -(a * h - b * g) / det, (a * e - b * d) / det },
        };
    }

    /// <summary>Conjugates a model estimated in OpenCV pixels into COLMAP pixels (x_colmap = x_cv + 0.5).</summary>
    /// <remarks>With T = [[1,0,-0.5],[0,1,-0.5],[0,0,1]] mapping COLMAP to OpenCV pixels: F' = T^T F T, H' = T^-1 H T.</remarks>
    public static double[,] FundamentalToColmap(double[,] f)
    {
        var t = Shift(-0.5);
        return Multiply(Multiply(Transpose(t), f), t);
    }

    public static double[,] HomographyToColmap(double[,] h) => Multiply(Multiply(Shift(0.5), h), Shift(-0.5));

    private static double[,] Shift(double s) => new double[,] { { 1, 0, s }, { 0, 1, s }, { 0, 0, 1 } };

    private static void Require(double[,] m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.GetLength(0) != 3 || m.GetLength(1) != 3) throw new ArgumentException($"Expected a 3x3 matrix, got {m.GetLength(0)}x{m.GetLength(1)}.");
    }
}
