using System.CommandLine;
using Loftr.Cli.Output;
using Loftr.Cli.Store;

namespace Loftr.Cli.Commands;

/// <summary><c>loftr export results.db --format json|csv|npz --out DIR_or_FILE</c>: gets the results of <c>pairs</c> out.</summary>
public static class ExportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var db = new Argument<string>("DB") { Description = "Results database written by 'loftr pairs'." };
        var format = new Option<string?>("--format", "-f")
        {
            Description = "json, csv or npz (default: from the --out extension).",
            HelpName = "FORMAT",
        };
        format.AcceptOnlyFromAmong("json", "csv", "npz");
        var output = new Option<string>("--out", "-o")
        {
            Description = "A FILE ending in .json or .csv gets every pair in one file (JSON: {meta, pairs: [...]}; CSV: image0,image1 columns " +
                "added). Anything else is a DIR that gets one file per pair, named <image0>__<image1>.<format>, in the same format as " +
                "'loftr match --out' (npz is always one file per pair).",
            HelpName = "PATH",
            Required = true,
        };
        var command = new Command("export", "Export the results of 'loftr pairs' as JSON, CSV or NumPy .npz files.");
        command.Arguments.Add(db);
        command.Options.Add(format);
        command.Options.Add(output);
        command.SetAction(p => Run(context, p.GetValue(db)!, p.GetValue(format), p.GetValue(output)!));
        return command;
    }

    private static int Run(CliContext context, string dbPath, string? formatName, string outPath)
    {
        string ext = Path.GetExtension(outPath).ToLowerInvariant();
        MatchFileFormat format = formatName is not null
            ? Enum.Parse<MatchFileFormat>(formatName, ignoreCase: true)
            : ext is ".json" or ".csv" or ".npz" ? MatchFiles.FormatOf(outPath)
            : throw CliException.Usage($"give --format json, csv or npz (the format cannot be told from --out {outPath}).");
        bool singleFile = ext is ".json" or ".csv" or ".npz";
        if (singleFile && ext != MatchFiles.Extension(format))
            throw CliException.Usage($"--out {outPath} has the extension '{ext}' but --format is {format.ToString().ToLowerInvariant()}.");
        if (singleFile && format == MatchFileFormat.Npz)
            throw CliException.Usage($"npz export writes one .npz file per pair: give a folder as --out, not {outPath}.");
        if (singleFile && Directory.Exists(outPath))
            throw CliException.Usage($"--out {outPath} is a folder; give a file name, or a folder name without a .json/.csv extension.");
        if (!singleFile && File.Exists(outPath))
            throw CliException.Usage($"--out {outPath} is a file; per-pair export needs a folder (or a name ending in .json/.csv for one file).");

        using var store = ResultsStore.Open(dbPath, create: false);
        var all = store.ReadPairs().ToList();
        var ok = all.Where(p => p.Matches is not null).Select(p => new PairRecord(p.Name0, p.Name1, p.Matches!)).ToList();
        int failed = all.Count - ok.Count;
        if (singleFile)
        {
            if (format == MatchFileFormat.Json)
                AtomicFileWriter.Write(outPath, s => JsonMatchWriter.WriteMany(s, ok, store.Meta()));
            else
                AtomicFileWriter.Write(outPath, s => CsvMatchWriter.Write(s, ok, withNames: true));
        }
        else
        {
            Directory.CreateDirectory(outPath);
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (record, stored) in ok.Zip(all.Where(p => p.Matches is not null)))
            {
                string name = FileName(record.Image0, record.Image1);
                if (!used.Add(name)) name = $"{name}_{stored.Id}";
                used.Add(name);
                MatchFiles.Write(Path.Combine(outPath, name + MatchFiles.Extension(format)), format, record);
            }
        }
        context.Out.WriteLine($"exported {ok.Count} pairs from {dbPath} to {outPath} ({format.ToString().ToLowerInvariant()}" +
            (singleFile ? ", one file" : ", one file per pair") + ")" + (failed > 0 ? $"; {failed} failed pairs have no matches and were left out." : "."));
        return ExitCodes.Ok;
    }

    /// <summary>A file name for a pair: both names without extension, folders flattened with '_', joined by "__".</summary>
    internal static string FileName(string name0, string name1)
    {
        static string Clean(string n)
        {
            string noExt = Path.ChangeExtension(n, null) ?? n;
            var chars = noExt.Select(c => c is '/' or '\\' or ':' || char.IsControl(c) ? '_' : c).ToArray();
            return new string(chars).TrimStart('.', '_');
        }
        return Clean(name0) + "__" + Clean(name1);
    }
}
