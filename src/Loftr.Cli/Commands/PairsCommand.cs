using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Loftr.Cli.Input;
using Loftr.Cli.Matching;
using Loftr.Cli.Store;
using OpenCvSharp;
using Spectre.Console;

namespace Loftr.Cli.Commands;

/// <summary>
/// <c>loftr pairs --pairs LIST --images DIR --out results.db</c>: matches every pair of a list into a SQLite store,
/// one transaction per pair, with a progress bar; a rerun skips finished pairs (and retries failed ones).
/// </summary>
public static class PairsCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var pairs = new Option<string>("--pairs") { Description = "Pairs list: 'name0 name1' per line (extra columns ignored; # comments and blank lines allowed).", HelpName = "FILE", Required = true };
        var images = new Option<string>("--images") { Description = "Folder the image names are relative to.", HelpName = "DIR", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "SQLite results database (created, or resumed when it exists).", HelpName = "DB", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Discard the results in --out and match every pair again (also needed to change weights or options)." };
        var matching = new MatchingOptions();
        var command = new Command("pairs",
            "Match a list of pairs into a SQLite database with a progress bar. Each pair is stored in one transaction, so an interrupted " +
            "run (Ctrl-C, kill) leaves a consistent file; running the same command again skips the finished pairs and retries failed ones. " +
            "The weights hash and the options are stored and must match to resume (else use --overwrite). Get the results out with " +
            "'loftr export'.");
        command.Options.Add(pairs);
        command.Options.Add(images);
        command.Options.Add(output);
        command.Options.Add(overwrite);
        matching.AddTo(command);
        command.SetAction(p => Run(context, p.GetValue(pairs)!, p.GetValue(images)!, p.GetValue(output)!, p.GetValue(overwrite),
            matching.Bind(p), p.GetValue(matching.Weights), p.GetValue(matching.Preset)));
        return command;
    }

    private static int Run(CliContext context, string pairsPath, string imagesDir, string dbPath, bool overwrite, MatchSettings settings,
        string? weights, string? preset)
    {
        var (list, duplicates) = PairsList.Read(pairsPath);
        if (!Directory.Exists(imagesDir)) throw CliException.Usage($"--images folder not found: {imagesDir}");
        CheckImages(list, imagesDir, pairsPath);
        weights = ModelLoader.Check(weights, preset);
        if (overwrite && File.Exists(dbPath))
        {
            using (ResultsStore.Open(dbPath, create: false)) { } // refuses to delete a file that is not a results store
            ResultsStore.Delete(dbPath);
        }

        var clock = Stopwatch.StartNew();
        string hash = ModelLoader.Sha256(weights);
        using var store = ResultsStore.Open(dbPath, create: true);
        // The configuration (part of the identity) comes from the preset or the file; the model is needed anyway.
        using var matcher = ModelLoader.Load(weights, preset, settings.Threads);
        var identity = RunIdentity.Create(hash, preset, matcher.Config, settings);
        if (RunIdentity.FromStore(store) is { } stored)
        {
            var diffs = identity.Differences(stored);
            if (diffs.Count > 0)
                throw CliException.Usage($"{dbPath} holds results made with different {string.Join("; ", diffs)}. " +
                    "Use --overwrite to discard them and start again, or choose another --out.");
        }
        else
        {
            var meta = new Dictionary<string, string>(identity.ToMeta())
            {
                ["weights_file"] = Path.GetFullPath(weights!),
                ["created"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            store.SetMeta(meta);
        }

        var finished = store.FinishedPairs();
        var todo = list.Where(p => !finished.Contains((p.Name0, p.Name1))).ToList();
        int skipped = list.Count - todo.Count;
        context.Out.WriteLine($"{list.Count} pairs in {pairsPath}" + (duplicates > 0 ? $" ({duplicates} duplicate lines ignored)" : "") +
            $": {skipped} already in {dbPath}, {todo.Count} to match.");
        if (todo.Count == 0) return ExitCodes.Ok;

        var pairMatcher = new PairMatcher(matcher, settings);
        long runId = store.StartRun();
        var outcome = new BatchOutcome();
        try
        {
            if (context.IsInteractive)
            {
                context.Rich.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(),
                        new ElapsedTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("matching", maxValue: todo.Count);
                        MatchAll(context, store, runId, pairMatcher, todo, imagesDir, outcome, (entry, _) =>
                        {
                            task.Description = Markup.Escape($"{outcome.Done + outcome.Failed}/{todo.Count} {Path.GetFileName(entry.Name0)} {Path.GetFileName(entry.Name1)}");
                            task.Increment(1);
                        });
                    });
            }
            else
            {
                MatchAll(context, store, runId, pairMatcher, todo, imagesDir, outcome, (entry, line) =>
                    context.Out.WriteLine($"[{outcome.Done + outcome.Failed}/{todo.Count}] {entry.Name0} {entry.Name1}: {line}"));
            }
        }
        catch
        {
            store.FinishRun(runId, "aborted");
            throw;
        }
        store.FinishRun(runId, outcome.Cancelled ? "interrupted" : outcome.Failed > 0 ? "finished with failures" : "finished");

        var seconds = clock.Elapsed.TotalSeconds;
        context.Out.WriteLine($"{outcome.Done} pairs matched, {outcome.Failed} failed, {skipped} skipped (already done) in " +
            $"{seconds.ToString("0.#", CultureInfo.InvariantCulture)} s; mean {outcome.MeanMatches.ToString("0.#", CultureInfo.InvariantCulture)} matches. Results: {dbPath}");
        if (outcome.Cancelled)
        {
            context.Err.WriteLine($"error: interrupted after {outcome.Done + outcome.Failed} of {todo.Count} pairs; every finished pair is saved. " +
                "Run the same command again to resume.");
            return ExitCodes.Interrupted;
        }
        if (outcome.Failed > 0)
        {
            context.Err.WriteLine($"error: {outcome.Failed} pairs failed (see the warnings above, or the 'error' column of the pairs table); " +
                "they are retried when the command is run again.");
            return ExitCodes.Failure;
        }
        return ExitCodes.Ok;
    }

    private sealed class BatchOutcome
    {
        public int Done;
        public int Failed;
        public long Matches;
        public bool Cancelled;
        public double MeanMatches => Done == 0 ? 0 : (double)Matches / Done;
    }

    private static void MatchAll(CliContext context, ResultsStore store, long runId, PairMatcher matcher, List<PairEntry> todo, string imagesDir,
        BatchOutcome outcome, Action<PairEntry, string> progress)
    {
        foreach (var entry in todo)
        {
            if (context.Cancellation.IsCancellationRequested)
            {
                outcome.Cancelled = true;
                return;
            }
            var times = new StageTimes();
            long start = Stopwatch.GetTimestamp();
            PairMatches matches;
            try
            {
                matches = matcher.Match(Path.Combine(imagesDir, entry.Name0), Path.Combine(imagesDir, entry.Name1), times);
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException or OpenCVException)
            {
                double failedAfter = Stopwatch.GetElapsedTime(start).TotalSeconds;
                store.SaveFailure(runId, entry.Name0, entry.Name1, e.Message, failedAfter);
                outcome.Failed++;
                context.Warn($"pair on line {entry.Line} ({entry.Name0} {entry.Name1}) failed: {e.Message}");
                progress(entry, "failed");
                continue;
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            store.SavePair(runId, entry.Name0, entry.Name1, matches, seconds);
            outcome.Done++;
            outcome.Matches += matches.Count;
            progress(entry, $"{matches.Count} matches" +
                (matches.Geometry is { } g ? $", {g.InlierCount} inliers" : "") + $" ({seconds.ToString("0.00", CultureInfo.InvariantCulture)} s)");
        }
    }

    private static void CheckImages(IReadOnlyList<PairEntry> list, string imagesDir, string pairsPath)
    {
        var problems = new List<string>();
        var checkedNames = new HashSet<string>();
        foreach (var entry in list)
        {
            foreach (var name in new[] { entry.Name0, entry.Name1 })
            {
                if (!checkedNames.Add(name)) continue;
                try
                {
                    ImageFiles.Check(Path.Combine(imagesDir, name), "image");
                }
                catch (CliException e)
                {
                    problems.Add($"{pairsPath}:{entry.Line}: {e.Message}");
                }
            }
        }
        if (problems.Count == 0) return;
        throw CliException.Usage($"{problems.Count} image(s) of the pairs list cannot be used (nothing was matched):\n  " +
            string.Join("\n  ", problems.Take(10)) + (problems.Count > 10 ? $"\n  ... and {problems.Count - 10} more" : ""));
    }
}
