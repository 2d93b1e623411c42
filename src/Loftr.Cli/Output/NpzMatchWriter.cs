using Loftr.Cli.Matching;

namespace Loftr.Cli.Output;

/// <summary>
/// NumPy form of a pair's matches: <c>keypoints0</c>, <c>keypoints1</c> float32 [N, 2], <c>confidence</c> float32 [N];
/// with --geometry also <c>inliers</c> bool [N] and the model as float64 [3, 3] named after it (<c>homography</c>,
/// <c>fundamental</c> or <c>essential</c>; all NaN when no model was found).
/// </summary>
public static class NpzMatchWriter
{
    /// <summary>Writes the archive.</summary>
    public static void Write(Stream stream, PairMatches m)
    {
        int n = m.Count;
        var arrays = new List<(string, NpyWriter.Array)>
        {
            ("keypoints0", NpyWriter.Float32(Flatten(m.Keypoints0), n, 2)),
            ("keypoints1", NpyWriter.Float32(Flatten(m.Keypoints1), n, 2)),
            ("confidence", NpyWriter.Float32(m.Confidence, n)),
        };
        if (m.Geometry is { } g)
        {
            arrays.Add(("inliers", NpyWriter.Bool(g.Inliers, n)));
            var values = new double[9];
            for (int i = 0; i < 9; i++) values[i] = g.Matrix is { } mat ? mat[i / 3, i % 3] : double.NaN;
            arrays.Add((g.Name, NpyWriter.Float64(values, 3, 3)));
        }
        NpyWriter.WriteNpz(stream, arrays);
    }

    private static float[] Flatten(Point2[] points)
    {
        var r = new float[points.Length * 2];
        for (int i = 0; i < points.Length; i++)
        {
            r[2 * i] = points[i].X;
            r[2 * i + 1] = points[i].Y;
        }
        return r;
    }
}
