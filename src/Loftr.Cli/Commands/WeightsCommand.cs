using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Loftr.Cli.Commands;

/// <summary>
/// <c>loftr weights list|download NAME [--dir DIR]</c>: the five released LoFTR checkpoints, where they come from, whether
/// they are in the cache, and downloading them (<see cref="PretrainedWeights"/>).
/// </summary>
public static class WeightsCommand
{
    /// <summary>
    /// The released checkpoints that no public mirror serves: only the authors' Google Drive has them (linked from the
    /// README of github.com/zju3dv/LoFTR), under these file names.
    /// </summary>
    internal static IReadOnlyList<PretrainedCheckpoint> GoogleDriveOnly { get; } =
    [
        new("indoor_ot", "indoor_ot.ckpt", "indoor_ot", null),
        new("outdoor_ot", "outdoor_ot.ckpt", "outdoor_ot", null),
    ];

    private const string GoogleDrive = "the authors' Google Drive only (linked from github.com/zju3dv/LoFTR)";

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var command = new Command("weights",
            "The five released LoFTR checkpoints: list them with their files, mirrors and cache status (list), or download one into the " +
            "cache (download). Cache: $LOFTR_HOME, else ~/.cache/loftr-dotnet.");
        command.Subcommands.Add(CreateList(context));
        command.Subcommands.Add(CreateDownload(context));
        return command;
    }

    private static Option<string?> DirOption() => new("--dir")
    {
        Description = "Cache folder (default: $LOFTR_HOME, else ~/.cache/loftr-dotnet).",
        HelpName = "DIR",
    };

    private static Command CreateList(CliContext context)
    {
        var dir = DirOption();
        var command = new Command("list", "List the released checkpoints: file name, preset, where to get it, checksum, and whether it is in the cache.");
        command.Options.Add(dir);
        command.SetAction(p => List(context, p.GetValue(dir) ?? PretrainedWeights.DefaultCacheDirectory));
        return command;
    }

    private static Command CreateDownload(CliContext context)
    {
        var name = new Argument<string>("NAME")
        {
            Description = $"Checkpoint: {string.Join(", ", PretrainedWeights.Known.Select(k => k.Name))} (or its file name).",
            HelpName = "NAME",
        };
        name.CompletionSources.Add(PretrainedWeights.Known.Select(k => k.Name).ToArray());
        var dir = DirOption();
        var mirrors = new Option<string[]>("--mirror")
        {
            Description = "Base URL to download from instead of the default mirrors (repeatable, tried in order); it serves <URL>/<file name>.",
            HelpName = "URL",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("download",
            "Download a released checkpoint into the cache (atomically; the SHA-256 is checked where it is published, and the file must be a " +
            "LoFTR checkpoint of its preset). Prints its path and the preset to use with it. A file already in the cache is not downloaded again.");
        command.Arguments.Add(name);
        command.Options.Add(dir);
        command.Options.Add(mirrors);
        command.SetAction(p => Download(context, p.GetValue(name)!, p.GetValue(dir) ?? PretrainedWeights.DefaultCacheDirectory,
            p.GetValue(mirrors) is { Length: > 0 } m ? m : null));
        return command;
    }

    private static int List(CliContext context, string cacheDir)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("name").AddColumn("file").AddColumn("preset").AddColumn("source").AddColumn("SHA-256").AddColumn("cached");
        foreach (var (entry, downloadable) in PretrainedWeights.Known.Select(k => (k, true)).Concat(GoogleDriveOnly.Select(k => (k, false)))
                     .OrderBy(e => Array.IndexOf(LoftrConfig.PresetNames.ToArray(), e.k.Name)))
        {
            string path = Path.Combine(cacheDir, entry.FileName);
            string cached = File.Exists(path) ? $"yes, {Bytes(new FileInfo(path).Length)}" : "no";
            string source = downloadable ? string.Join("\n", PretrainedWeights.DefaultMirrors) : GoogleDrive + ": download by hand";
            string sha = entry.Sha256 is { } s ? s[..12] + "…" : downloadable ? "not published" : "-";
            table.AddRow(Markup.Escape(entry.Name), Markup.Escape(entry.FileName), Markup.Escape(entry.Preset), Markup.Escape(source),
                Markup.Escape(sha), Markup.Escape(cached));
        }
        context.Rich.Write(table);
        context.Out.WriteLine($"cache: {cacheDir}" + (Directory.Exists(cacheDir) ? "" : " (does not exist yet)"));
        context.Out.WriteLine("download: loftr weights download NAME; use: loftr match A B --weights <cache>/<file> --preset <preset>");
        return ExitCodes.Ok;
    }

    private static int Download(CliContext context, string name, string cacheDir, IReadOnlyList<string>? mirrors)
    {
        if (GoogleDriveOnly.FirstOrDefault(k => k.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || k.FileName.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } manual)
            throw CliException.Usage($"{manual.Name} is on {GoogleDrive}: download {manual.FileName} by hand and pass it with " +
                $"--weights {manual.FileName} --preset {manual.Preset} (or put it in {cacheDir}).");
        PretrainedCheckpoint entry;
        try
        {
            entry = PretrainedWeights.Find(name);
        }
        catch (ArgumentException e)
        {
            // The message lists the known names; drop the " (Parameter 'name')" suffix meant for programmers.
            throw CliException.Usage(e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal));
        }
        if (File.Exists(cacheDir)) throw CliException.Usage($"--dir {cacheDir} is a file, not a folder.");
        string target = Path.Combine(cacheDir, entry.FileName);
        bool cached = File.Exists(target);
        if (!cached)
            context.Out.WriteLine($"downloading {entry.FileName} from {string.Join(" or ", mirrors ?? PretrainedWeights.DefaultMirrors)} ...");
        string path;
        try
        {
            path = PretrainedWeights.GetAsync(entry.Name, cacheDir, mirrors, cancellationToken: context.Cancellation).GetAwaiter().GetResult();
        }
        catch (HttpRequestException e)
        {
            throw CliException.Failure(e.Message, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw CliException.Failure($"cannot write to {cacheDir}: {e.Message}", e);
        }

        var info = LoftrCheckpoint.Inspect(path);
        string? preset = LoftrConfig.PresetNameForFile(path);
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
        table.AddRow("file", Markup.Escape($"{path} ({Bytes(new FileInfo(path).Length)})" + (cached ? ", already in the cache" : ", downloaded")));
        table.AddRow("SHA-256", cached ? "not checked (already in the cache)"
            : entry.Sha256 is null ? "not published for this file (checked that it is a LoFTR checkpoint of its preset)" : "matches the published " + entry.Sha256);
        table.AddRow("variant", Markup.Escape(InfoCommand.Variant(info.Config)));
        table.AddRow("preset", Markup.Escape(preset is null ? "unknown" : $"{preset} (inferred from the file)"));
        foreach (var g in info.Guesses) table.AddRow("guess", Markup.Escape(g));
        context.Rich.Write(table);
        context.Out.WriteLine($"use: loftr match A B --weights {path}" + (preset is null ? "" : $" --preset {preset}"));
        return ExitCodes.Ok;
    }

    private static string Bytes(long n) => n >= 1 << 20
        ? (n / (double)(1 << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB"
        : (n / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KiB";
}
