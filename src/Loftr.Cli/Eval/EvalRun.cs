using Loftr.Evaluation;
using Spectre.Console;

namespace Loftr.Eval;

/// <summary>
/// Runs <see cref="EvalCommandOptions"/> for <c>loftr eval</c>: builds the dataset, evaluates each method with a
/// progress bar, prints the tables and writes the requested JSON / Markdown / PNG outputs.
/// </summary>
public static class EvalRun
{
    /// <summary>Runs the evaluation and writes the outputs.</summary>
    /// <param name="options">Parsed options.</param>
    /// <param name="console">Where progress and tables go.</param>
    /// <param name="cancellation">Checked after every pair (Ctrl-C): throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The reports (one per method).</returns>
    public static EvalReportDocument Execute(EvalCommandOptions options, IAnsiConsole console, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        var dataset = EvalDatasetFactory.Create(options);
        var reports = new List<EvalReport>();
        foreach (var method in options.Methods)
        {
            using var matcher = CreateMatcher(method, options);
            reports.Add(RunWithProgress(matcher, dataset, options, console, cancellation));
        }
        var document = new EvalReportDocument(options.Title ?? DefaultTitle(options, reports), reports);

        EvalConsoleOutput.Write(console, document, options.Quiet);
        if (options.JsonPath is not null)
        {
            EvalReportJson.Write(options.JsonPath, document);
            console.MarkupLine($"wrote [green]{Markup.Escape(options.JsonPath)}[/]");
        }
        if (options.MarkdownPath is not null)
        {
            WriteText(options.MarkdownPath, EvalTables.Markdown(document, options.GeneratedBy));
            console.MarkupLine($"wrote [green]{Markup.Escape(options.MarkdownPath)}[/]");
        }
        if (options.PlotPath is not null)
        {
            ErrorCurvePlot.Save(options.PlotPath, document.Title ?? "", reports);
            console.MarkupLine($"wrote [green]{Markup.Escape(options.PlotPath)}[/]");
        }
        return document;
    }

    private static IEvalMatcher CreateMatcher(string method, EvalCommandOptions o) => method switch
    {
        "sift" => new SiftEvalMatcher(o.SiftMaxFeatures, o.SiftRatio),
        "loftr" => o.Weights is null
            ? new LoftrEvalMatcher(LoftrMatcher.LoadDefault(), o.Threshold, "default model", true, o.Refinement, o.SharpestFraction, o.LoftrLongSide, o.LoftrSecondPass,
                o.LoftrPatchAlign, o.LoftrPatchMinCorrelation)
            : LoftrEvalMatcher.Load(o.Weights, o.Preset, o.Threshold, o.Refinement, o.SharpestFraction, o.LoftrLongSide, o.LoftrSecondPass,
                o.LoftrPatchAlign, o.LoftrPatchMinCorrelation),
        _ => throw new EvalUsageException($"Unknown method '{method}'."),
    };

    private static EvalReport RunWithProgress(IEvalMatcher matcher, object dataset, EvalCommandOptions o, IAnsiConsole console,
        CancellationToken cancellation)
    {
        int total = dataset switch
        {
            PoseDataset p => p.Pairs.Count,
            HomographyDataset h => h.Pairs.Count,
            StereoDataset s => s.Pairs.Count,
            _ => 0,
        };
        EvalReport? report = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{matcher.Name} on {o.Dataset}", maxValue: Math.Max(total, 1));
                var runner = new EvalRunner(matcher)
                {
                    PairCompleted = p =>
                    {
                        task.Value = p.Completed;
                        cancellation.ThrowIfCancellationRequested();
                    },
                };
                report = dataset switch
                {
                    PoseDataset p => runner.Run(p, new PoseEvalSettings(o.RansacThreshold ?? PoseMetrics.DefaultPixelThreshold,
                        EpipolarThreshold: o.EpipolarThreshold, MaxMatches: o.MaxMatches)),
                    HomographyDataset h => runner.Run(h, new HomographyEvalSettings(o.RansacThreshold ?? HPatchesProtocol.RansacThreshold,
                        o.MaxMatches ?? HPatchesProtocol.TopMatches, o.Estimator == "magsac" ? HomographyEstimator.Magsac : HomographyEstimator.Ransac,
                        o.PrecisionThreshold)),
                    StereoDataset s => runner.Run(s, new StereoEvalSettings(null, o.MaxRowDifference, o.MaxMatches)),
                    _ => throw new InvalidOperationException("Unknown dataset type."),
                };
                task.Value = task.MaxValue;
            });
        return report!;
    }

    private static string DefaultTitle(EvalCommandOptions o, IReadOnlyList<EvalReport> reports) =>
        $"{string.Join(" vs ", reports.Select(r => r.Method.ToUpperInvariant()))}: {o.Task} on {o.Dataset} ({EvalTables.PairCountText(reports[0].PairCount)})";

    private static void WriteText(string path, string text)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, text);
    }
}
