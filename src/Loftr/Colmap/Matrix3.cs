using Loftr.Evaluation;

namespace Loftr.Colmap;

/// <summary>Two-view model conversions between OpenCV and COLMAP pixel conventions (x_colmap = x_opencv + 0.5).</summary>
internal static class Matrix3
{
    public static double[,] Transpose(double[,] m)
    {
        MatrixMath.RequireShape(m, 3, 3, nameof(m));
        return MatrixMath.Transpose(m);
    }

    public static double[,] Inverse(double[,] m) => MatrixMath.Inverse3x3(m);

    /// <summary>F for COLMAP pixels from F for OpenCV pixels: with T mapping COLMAP to OpenCV pixels, F' = T^T F T.</summary>
    public static double[,] FundamentalToColmap(double[,] f)
    {
        MatrixMath.RequireShape(f, 3, 3, nameof(f));
        var t = Shift(-0.5);
        return MatrixMath.Multiply(MatrixMath.Multiply(MatrixMath.Transpose(t), f), t);
    }

    /// <summary>H for COLMAP pixels from H for OpenCV pixels: H' = T^-1 H T.</summary>
    public static double[,] HomographyToColmap(double[,] h)
    {
        MatrixMath.RequireShape(h, 3, 3, nameof(h));
        return MatrixMath.Multiply(MatrixMath.Multiply(Shift(0.5), h), Shift(-0.5));
    }

    /// <summary>F = K1^-T E K0^-1 (pixels of the convention the K belong to).</summary>
    public static double[,] FundamentalFromEssential(double[,] e, double[,] k0, double[,] k1) =>
        MatrixMath.Multiply(MatrixMath.Multiply(MatrixMath.Transpose(MatrixMath.Inverse3x3(k1)), e), MatrixMath.Inverse3x3(k0));

    private static double[,] Shift(double s) => new double[,] { { 1, 0, s }, { 0, 1, s }, { 0, 0, 1 } };
}
