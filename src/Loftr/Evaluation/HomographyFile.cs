using System.Globalization;
using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>
/// Reads 3x3 homographies: plain text (9 numbers, row-major, whitespace separated, as the Oxford <c>H1to3p</c> and
/// HPatches <c>H_1_k</c> files) or an OpenCV FileStorage node (XML / YAML / JSON, e.g. node <c>H13</c> of <c>H1to3p.xml</c>).
/// </summary>
public static class HomographyFile
{
    /// <summary>
    /// Reads a homography, choosing the format from the content: FileStorage when the file starts with
    /// <c>&lt;?xml</c>, <c>%YAML</c> or <c>{</c>, plain text otherwise.
    /// </summary>
    /// <param name="path">File path.</param>
    /// <param name="nodeName">FileStorage node name; null for the first top-level node. Ignored for text.</param>
    /// <returns>3x3 matrix.</returns>
    public static double[,] Read(string path, string? nodeName = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string head;
        using (var sr = new StreamReader(path)) head = (sr.ReadLine() ?? "").TrimStart();
        bool storage = head.StartsWith("<?xml", StringComparison.Ordinal) || head.StartsWith("%YAML", StringComparison.Ordinal)
                       || head.StartsWith('{');
        return storage ? ReadOpenCvStorage(path, nodeName) : ReadText(path);
    }

    /// <summary>Reads a plain-text 3x3 matrix (9 numbers; lines starting with <c>#</c> are comments).</summary>
    /// <param name="path">File path.</param>
    /// <returns>3x3 matrix.</returns>
    public static double[,] ReadText(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ParseText(File.ReadAllText(path), path);
    }

    /// <summary>Parses a plain-text 3x3 matrix.</summary>
    /// <param name="text">File content.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <returns>3x3 matrix.</returns>
    /// <exception cref="FormatException">Not exactly 9 numbers, or a token is not a number.</exception>
    public static double[,] ParseText(string text, string sourceName = "<text>")
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new List<double>(9);
        var lines = text.Split('\n');
        for (int li = 0; li < lines.Length; li++)
        {
            string line = lines[li].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            foreach (var tok in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                if (!double.TryParse(tok, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw new FormatException($"{sourceName}:{li + 1}: '{tok}' is not a number.");
                values.Add(v);
            }
        }
        if (values.Count != 9)
            throw new FormatException($"{sourceName}: expected 9 numbers for a 3x3 homography, found {values.Count}.");
        var h = new double[3, 3];
        for (int i = 0; i < 9; i++) h[i / 3, i % 3] = values[i];
        return h;
    }

    /// <summary>Reads a 3x3 matrix node from an OpenCV FileStorage file.</summary>
    /// <param name="path">XML / YAML / JSON file written by <c>cv::FileStorage</c>.</param>
    /// <param name="nodeName">Node name; null for the first top-level node.</param>
    /// <returns>3x3 matrix.</returns>
    /// <exception cref="FormatException">The file cannot be opened, the node is missing or is not a 3x3 matrix.</exception>
    public static double[,] ReadOpenCvStorage(string path, string? nodeName = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Homography file not found: {path}", path);
        using var fs = new FileStorage(path, FileStorage.Modes.Read);
        if (!fs.IsOpened()) throw new FormatException($"{path}: not a readable OpenCV FileStorage file.");
        using var node = nodeName is null ? fs.GetFirstTopLevelNode() : fs[nodeName];
        if (node is null || node.Empty || node.IsNone)
            throw new FormatException($"{path}: node '{nodeName ?? "<first>"}' not found.");
        using var m = node.ReadMat();
        if (m.Empty() || m.Rows != 3 || m.Cols != 3 || m.Channels() != 1)
            throw new FormatException($"{path}: node '{node.Name}' is not a 3x3 single-channel matrix.");
        return MatrixMath.ToArray(m);
    }

    /// <summary>Writes a 3x3 matrix as plain text (one row per line, round-trip precision).</summary>
    /// <param name="path">Output file.</param>
    /// <param name="homography">3x3 matrix.</param>
    public static void WriteText(string path, double[,] homography)
    {
        MatrixMath.RequireShape(homography, 3, 3, nameof(homography));
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < 3; i++)
            sb.AppendLine(string.Join(' ', Enumerable.Range(0, 3).Select(j => homography[i, j].ToString("R", CultureInfo.InvariantCulture))));
        File.WriteAllText(path, sb.ToString());
    }
}
