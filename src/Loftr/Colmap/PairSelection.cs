namespace Loftr.Colmap;

/// <summary>How the image pairs to match are chosen.</summary>
public enum PairMode
{
    /// <summary>Every pair of images.</summary>
    Exhaustive,
    /// <summary>Each image with the next <see cref="PairSelection.Overlap"/> images in name order (video, sequences).</summary>
    Sequential,
    /// <summary>The pairs listed in a text file, "name0 name1" per line (hloc / COLMAP match list format).</summary>
    File,
}

/// <summary>The pair selection of an export.</summary>
/// <param name="Mode">Exhaustive, sequential or from a file.</param>
/// <param name="Overlap">Sequential: how many following images each image is paired with.</param>
/// <param name="PairsFile">File: the pairs file (names relative to the image folder; blank lines and lines starting
/// with '#' are ignored; extra columns are ignored).</param>
public sealed record PairSelection(PairMode Mode, int Overlap = 0, string? PairsFile = null)
{
    /// <summary>Every pair.</summary>
    public static PairSelection Exhaustive { get; } = new(PairMode.Exhaustive);

    /// <summary>Each image with the next <paramref name="overlap"/> images.</summary>
    /// <param name="overlap">At least 1.</param>
    /// <returns>The selection.</returns>
    public static PairSelection Sequential(int overlap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(overlap, 1);
        return new PairSelection(PairMode.Sequential, overlap);
    }

    /// <summary>The pairs listed in a file.</summary>
    /// <param name="path">Pairs file.</param>
    /// <returns>The selection.</returns>
    public static PairSelection FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new PairSelection(PairMode.File, PairsFile: path);
    }

    /// <summary>
    /// The pairs among <paramref name="images"/> (sorted names), each unordered pair once, in a deterministic order.
    /// </summary>
    /// <param name="images">Image names.</param>
    /// <returns>Pairs (name0, name1).</returns>
    /// <exception cref="InvalidDataException">The pairs file names an unknown image, or a line is malformed.</exception>
    public IReadOnlyList<(string Image0, string Image1)> Resolve(IReadOnlyList<string> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var pairs = new List<(string, string)>();
        switch (Mode)
        {
            case PairMode.Exhaustive:
                for (int i = 0; i < images.Count; i++)
                    for (int j = i + 1; j < images.Count; j++) pairs.Add((images[i], images[j]));
                return pairs;
            case PairMode.Sequential:
                ArgumentOutOfRangeException.ThrowIfLessThan(Overlap, 1, nameof(Overlap));
                for (int i = 0; i < images.Count; i++)
                    for (int j = i + 1; j <= i + Overlap && j < images.Count; j++) pairs.Add((images[i], images[j]));
                return pairs;
            case PairMode.File:
                return ReadFile(PairsFile ?? throw new InvalidOperationException("No pairs file given."), images);
            default:
                throw new ArgumentOutOfRangeException(nameof(Mode), $"Unknown pair mode {Mode}.");
        }
    }

    private static List<(string, string)> ReadFile(string path, IReadOnlyList<string> images)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Pairs file not found: {path}", path);
        var known = new HashSet<string>(images, StringComparer.Ordinal);
        var seen = new HashSet<(string, string)>();
        var pairs = new List<(string, string)>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) throw new InvalidDataException($"{path}:{lineNo}: expected two image names, got '{line}'.");
            string a = parts[0].Replace('\\', '/'), b = parts[1].Replace('\\', '/');
            foreach (var n in (string[])[a, b])
                if (!known.Contains(n)) throw new InvalidDataException($"{path}:{lineNo}: image '{n}' is not in the image folder.");
            if (a == b) throw new InvalidDataException($"{path}:{lineNo}: image '{a}' is paired with itself.");
            var key = string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);
            if (seen.Add(key)) pairs.Add((a, b));
        }
        return pairs;
    }
}
