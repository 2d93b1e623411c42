namespace Loftr.Cli.Input;

/// <summary>One line of a pairs list.</summary>
/// <param name="Name0">Image 0, relative to the images folder.</param>
/// <param name="Name1">Image 1.</param>
/// <param name="Line">1-based line number in the file.</param>
public sealed record PairEntry(string Name0, string Name1, int Line);

/// <summary>
/// Reads a pairs list: one pair per line as <c>name0 name1</c> separated by spaces or tabs, extra columns ignored
/// (so SuperGlue/LoFTR "pairs with ground truth" files work), blank lines and lines starting with <c>#</c> skipped.
/// Names cannot contain spaces. A pair listed twice is matched once.
/// </summary>
public static class PairsList
{
    /// <summary>Reads the file; a line with a single name is a usage error naming its line number.</summary>
    public static (IReadOnlyList<PairEntry> Pairs, int Duplicates) Read(string path)
    {
        if (Directory.Exists(path)) throw CliException.Usage($"--pairs {path} is a directory, not a pairs list.");
        if (!File.Exists(path)) throw CliException.Usage($"pairs list not found: {path}");
        var pairs = new List<PairEntry>();
        var seen = new HashSet<(string, string)>();
        int duplicates = 0, lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.Contains('\0'))
                throw CliException.Usage($"{path}:{lineNumber}: not a text line (binary data); is this a pairs list?");
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
                throw CliException.Usage($"{path}:{lineNumber}: malformed pair line \"{Shorten(line)}\": expected two image names " +
                    "separated by whitespace (name0 name1 [ignored columns...]).");
            if (!seen.Add((fields[0], fields[1])))
            {
                duplicates++;
                continue;
            }
            pairs.Add(new PairEntry(fields[0], fields[1], lineNumber));
        }
        if (pairs.Count == 0) throw CliException.Usage($"{path}: no pairs (every line is blank or a # comment).");
        return (pairs, duplicates);
    }

    private static string Shorten(string s) => s.Length > 80 ? s[..80] + "..." : s;
}
