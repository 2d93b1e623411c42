using System.CommandLine;
using System.Globalization;
using Loftr.Cli.Input;
using Loftr.Cli.Matching;
using Loftr.Cli.Output;
using Spectre.Console;

namespace Loftr.Cli.Commands;

/// <summary><c>loftr match IMG0 IMG1</c>: matches one pair, optionally fits a model, writes the matches and a plot.</summary>
public static class MatchCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var image0 = new Argument<string>("IMG0") { Description = "First image (any format OpenCV reads: png, jpg, bmp, tif, webp, ...)." };
        var image1 = new Argument<string>("IMG1") { Description = "Second image." };
        var matching = new MatchingOptions();
        var output = new Option<string[]>("--out", "-o")
        {
            Description = "Write the matches to FILE (repeatable, one file per format): .json (keypoints, confidence, model and inliers), .csv (one row per match) or " +
                ".npz (float32 keypoints0/keypoints1 [N,2], confidence [N]; with --geometry inliers bool [N] and the 3x3 float64 model). " +
                "Written atomically.",
            HelpName = "FILE",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var plot = new Option<string?>("--plot", "-p")
        {
            Description = "Draw the matches to FILE.png: both images side by side, lines coloured by confidence (turbo), outliers thin red, legend with counts.",
            HelpName = "FILE",
        };
        var command = new Command("match", "Match two images: print a summary, and write the matches (--out) and a plot (--plot).");
        command.Arguments.Add(image0);
        command.Arguments.Add(image1);
        matching.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(plot);
        command.SetAction(p => Run(context, p.GetValue(image0)!, p.GetValue(image1)!, matching.Bind(p), p.GetValue(matching.Weights),
            p.GetValue(matching.Preset), p.GetValue(output) ?? [], p.GetValue(plot)));
        return command;
    }

    private static int Run(CliContext context, string path0, string path1, MatchSettings settings, string? weights, string? preset,
        string[] outPaths, string? plotPath)
    {
        // Everything the user typed is checked before the model is loaded.
        ImageFiles.Check(path0, "IMG0");
        ImageFiles.Check(path1, "IMG1");
        var outputs = outPaths.Select(o => (Path: o, Format: MatchFiles.FormatOf(o))).ToList();
        if (plotPath is not null) MatchPlot.CheckPath(plotPath);
        bool isDefault = weights is null && preset is null;
        weights = ModelLoader.Check(weights, preset);
        string modelName = isDefault ? "default model" : Path.GetFileName(weights);

        var times = new StageTimes();
        using var matcher = StageTimes.Time(() => ModelLoader.Load(weights, preset, settings.Threads), t => times.Load += t);
        var pairMatcher = new PairMatcher(matcher, settings);
        var matches = pairMatcher.Match(path0, path1, times);
        context.Cancellation.ThrowIfCancellationRequested();

        var record = new PairRecord(path0, path1, matches);
        times.Write += StageTimes.Time(() =>
        {
            foreach (var (path, format) in outputs) MatchFiles.Write(path, format, record);
            if (plotPath is not null) MatchPlot.Write(plotPath, path0, path1, matches, "LoFTR " + modelName);
        });
        PrintSummary(context, record, settings, matcher, times, outPaths, plotPath, isDefault ? "default model (docs/model-card.md)" : weights);
        return ExitCodes.Ok;
    }

    private static void PrintSummary(CliContext context, PairRecord record, MatchSettings settings, LoftrMatcher matcher, StageTimes times,
        string[] outPaths, string? plotPath, string model)
    {
        var m = record.Matches;
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
        table.AddRow("model", Markup.Escape(model));
        table.AddRow("images", Markup.Escape($"{record.Image0} ({m.ImageSize0}) ↔ {record.Image1} ({m.ImageSize1})"));
        table.AddRow("matches", m.Count.ToString(CultureInfo.InvariantCulture) + Markup.Escape(Describe(settings, matcher, m)));
        if (m.Geometry is { } g)
        {
            table.AddRow("inliers", $"{g.InlierCount} / {m.Count} ({g.Name}, threshold {F(g.Threshold)} px)");
            table.AddRow(g.Name, g.Matrix is { } mat
                ? Markup.Escape(FormatMatrix(mat))
                : $"none found (needs at least {GeometryEstimator.MinimumMatches(g.Kind)} matches and a consistent model)");
        }
        table.AddRow("time", $"load {F(times.Load)} s · preprocess+inference {F(times.Inference)} s · geometry {F(times.Geometry)} s · write {F(times.Write)} s");
        if (outPaths.Length > 0) table.AddRow("matches file" + (outPaths.Length > 1 ? "s" : ""), Markup.Escape(string.Join(", ", outPaths)));
        if (plotPath is not null) table.AddRow("plot", Markup.Escape(plotPath));
        context.Rich.Write(table);
    }

    private static string Describe(MatchSettings s, LoftrMatcher matcher, PairMatches m)
    {
        var parts = new List<string> { $"threshold {F(s.Threshold ?? matcher.Config.CoarseMatching.Threshold)}", $"resize {s.Resize}" };
        var refinement = s.Refinement ?? matcher.Config.Refinement;
        if (refinement != FineRefinement.Expectation) parts.Add("local sub-pixel estimate");
        double sharpest = s.SharpestFraction ?? matcher.Config.SharpestFraction;
        if (sharpest < 1) parts.Add($"sharpest {F(sharpest * 100)} %");
        double second = s.SecondPassScale ?? matcher.Config.SecondPassScale ?? 1;
        if (second != 1) parts.Add($"second fine pass at {F(second)}x");
        double align = s.PatchAlignmentRadius ?? matcher.Config.PatchAlignmentRadius ?? 0;
        if (align != 0) parts.Add($"patch alignment radius {F(align)}");
        if (align != 0 && (s.PatchAlignmentMinCorrelation ?? matcher.Config.PatchAlignmentMinCorrelation) is double minCorrelation
            && !double.IsNegativeInfinity(minCorrelation))
            parts.Add($"matches correlating below {F(minCorrelation)} dropped");
        if (s.MaxMatches is int k) parts.Add($"top {k}");
        if (s.Rotations.Count > 1 || s.Rotations[0] != 0)
            parts.Add(m.Rotation is int r ? $"rotation {r}° of [{string.Join(",", s.Rotations)}]" : $"union of rotations [{string.Join(",", s.Rotations)}]");
        if (s.Symmetric) parts.Add("symmetric");
        return " (" + string.Join(", ", parts) + ")";
    }

    internal static string FormatMatrix(double[,] m) => string.Join(" ; ",
        Enumerable.Range(0, 3).Select(i => string.Join(" ", Enumerable.Range(0, 3).Select(j => m[i, j].ToString("G6", CultureInfo.InvariantCulture)))));

    internal static string F(double v) => v.ToString(v >= 100 ? "0" : v >= 1 ? "0.##" : "0.###", CultureInfo.InvariantCulture);
}
