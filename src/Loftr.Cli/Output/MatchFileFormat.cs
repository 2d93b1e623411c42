namespace Loftr.Cli.Output;

/// <summary>File formats of match results.</summary>
public enum MatchFileFormat
{
    /// <summary>JSON document (default).</summary>
    Json,
    /// <summary>CSV, one row per match.</summary>
    Csv,
    /// <summary>NumPy <c>.npz</c> archive of <c>.npy</c> arrays.</summary>
    Npz,
}

/// <summary>Chooses and writes result formats.</summary>
public static class MatchFiles
{
    /// <summary>The format of a file name by its extension (<c>.json</c>, <c>.csv</c>, <c>.npz</c>).</summary>
    /// <exception cref="CliException">Any other extension (usage error).</exception>
    public static MatchFileFormat FormatOf(string path, string option = "--out")
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".json" => MatchFileFormat.Json,
            ".csv" => MatchFileFormat.Csv,
            ".npz" => MatchFileFormat.Npz,
            _ => throw CliException.Usage(
                $"{option} {path}: unsupported extension '{(ext.Length == 0 ? "(none)" : ext)}'; use .json, .csv or .npz."),
        };
    }

    /// <summary>The file extension of a format, with the dot.</summary>
    public static string Extension(MatchFileFormat format) => "." + format.ToString().ToLowerInvariant();

    /// <summary>Writes one pair's matches atomically in <paramref name="format"/>.</summary>
    public static void Write(string path, MatchFileFormat format, PairRecord pair)
    {
        switch (format)
        {
            case MatchFileFormat.Json: AtomicFileWriter.Write(path, s => JsonMatchWriter.Write(s, pair)); break;
            case MatchFileFormat.Csv: AtomicFileWriter.Write(path, s => CsvMatchWriter.Write(s, [pair], withNames: false)); break;
            default: AtomicFileWriter.Write(path, s => NpzMatchWriter.Write(s, pair.Matches)); break;
        }
    }
}
