using System.Globalization;

namespace Loftr.Evaluation;

/// <summary>One line of a SuperGlue / LoFTR "pairs with gt" file.</summary>
/// <param name="Name0">Path of image 0 as written in the file (relative to the dataset root).</param>
/// <param name="Name1">Path of image 1.</param>
/// <param name="Rotation0">EXIF-style rotation of image 0 in multiples of 90 degrees.</param>
/// <param name="Rotation1">Rotation of image 1.</param>
/// <param name="K0">3x3 intrinsics of image 0 (for the resolution of the named file).</param>
/// <param name="K1">3x3 intrinsics of image 1.</param>
/// <param name="T0to1">4x4 rigid transform, X_cam1 = R X_cam0 + t.</param>
/// <param name="LineNumber">1-based line number in the file.</param>
public sealed record PairWithGt(string Name0, string Name1, int Rotation0, int Rotation1, double[,] K0, double[,] K1, double[,] T0to1, int LineNumber)
{
    /// <summary>An identifier for the pair: <c>name0 name1</c>.</summary>
    public string Identifier => $"{Name0} {Name1}";
}

/// <summary>
/// Reader of the SuperGlue / LoFTR "pairs with gt" text format: one pair per line, 38 whitespace-separated fields
/// <c>name0 name1 rot0 rot1 K0(9) K1(9) T_0to1(16)</c>, all matrices row-major. Blank lines are skipped and a token
/// starting with <c>#</c> starts a comment that runs to the end of the line.
/// </summary>
public static class PairsWithGtReader
{
    /// <summary>Number of fields of a pair line.</summary>
    public const int FieldCount = 38;

    /// <summary>Reads a pairs file.</summary>
    /// <param name="path">File path.</param>
    /// <returns>The pairs in file order.</returns>
    /// <exception cref="FormatException">A malformed line; the message names the file and the line number.</exception>
    public static IReadOnlyList<PairWithGt> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }

    /// <summary>Parses pairs from a reader.</summary>
    /// <param name="reader">Text source.</param>
    /// <param name="sourceName">File name used in error messages.</param>
    /// <returns>The pairs in order.</returns>
    /// <exception cref="FormatException">A malformed line; the message names the source and the line number.</exception>
    public static IReadOnlyList<PairWithGt> Parse(TextReader reader, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var pairs = new List<PairWithGt>();
        int lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            int n = Array.FindIndex(tokens, t => t.StartsWith('#'));
            if (n < 0) n = tokens.Length;
            if (n == 0) continue;
            if (n != FieldCount)
                throw new FormatException(
                    $"{sourceName}:{lineNo}: expected {FieldCount} fields (name0 name1 rot0 rot1 K0[9] K1[9] T_0to1[16]), found {n}.");
            int rot0 = ParseInt(tokens[2], sourceName, lineNo, "rot0");
            int rot1 = ParseInt(tokens[3], sourceName, lineNo, "rot1");
            var k0 = ParseMatrix(tokens, 4, 3, 3, sourceName, lineNo, "K0");
            var k1 = ParseMatrix(tokens, 13, 3, 3, sourceName, lineNo, "K1");
            var t = ParseMatrix(tokens, 22, 4, 4, sourceName, lineNo, "T_0to1");
            pairs.Add(new PairWithGt(tokens[0], tokens[1], rot0, rot1, k0, k1, t, lineNo));
        }
        return pairs;
    }

    private static int ParseInt(string tok, string source, int line, string field)
    {
        // SuperGlue parses rotations with int(); accept integral decimals such as "0" (and "0.0" leniently).
        if (int.TryParse(tok, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)) return v;
        if (double.TryParse(tok, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Floor(d) && Math.Abs(d) < 1e6)
            return (int)d;
        throw new FormatException($"{source}:{line}: {field} '{tok}' is not an integer.");
    }

    private static double[,] ParseMatrix(string[] tokens, int start, int rows, int cols, string source, int line, string field)
    {
        var m = new double[rows, cols];
        for (int i = 0; i < rows * cols; i++)
        {
            string tok = tokens[start + i];
            if (!double.TryParse(tok, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                throw new FormatException($"{source}:{line}: {field} value {i + 1} ('{tok}', field {start + i + 1}) is not a number.");
            m[i / cols, i % cols] = v;
        }
        return m;
    }
}
