using System.CommandLine;
using Loftr.Eval;

namespace Loftr.Cli.Commands;

/// <summary>
/// <c>loftr eval pose|homography|stereo --dataset NAME [options]</c>: evaluates LoFTR and/or the SIFT baseline on a
/// benchmark (tables, JSON report, Markdown, curve plot). One subcommand per task; the options after the task are parsed
/// and validated by <see cref="EvalCommandOptions.Parse"/>, the single place that knows the datasets and their options.
/// </summary>
public static class EvalCommand
{
    private static readonly Dictionary<string, string> TaskDescriptions = new()
    {
        ["pose"] = "Relative pose (essential matrix from the matches): AUC of the pose error at 5/10/20 degrees, epipolar precision.",
        ["homography"] = "Homography (HPatches protocol): mean corner error, AUC at 3/5/10 px, match precision.",
        ["stereo"] = "Dense correspondences on rectified stereo pairs against the disparity ground truth: fraction of matches within 1/2/5 px.",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var command = new DetailedCommand("eval",
            "Evaluate LoFTR and/or the SIFT baseline on a benchmark: pose (ScanNet, MegaDepth, pairs with ground truth), homography " +
            "(HPatches, one pair with its H) or stereo (Middlebury-style disparity). Prints tables with a progress bar and writes a JSON " +
            "report (--json), Markdown tables (--markdown) and error-curve plots (--plot).", Details);
        foreach (var task in EvalCommandOptions.DatasetsByTask.Keys)
        {
            string description = (TaskDescriptions.TryGetValue(task, out var d) ? d + " " : "") +
                $"Datasets: {string.Join(", ", EvalCommandOptions.DatasetsByTask[task])}.";
            // The options of a task are parsed by EvalCommandOptions (one place for the datasets and their options), so they
            // reach it as they were typed.
            var options = new Argument<string[]>("OPTIONS")
            {
                Description = "--dataset NAME and the options below, in any order.",
                Arity = ArgumentArity.ZeroOrMore,
            };
            var sub = new DetailedCommand(task, description, Details);
            sub.Arguments.Add(options);
            sub.SetAction(p => Run(context, task, p.GetValue(options) ?? []));
            command.Subcommands.Add(sub);
        }
        return command;
    }

    private static int Run(CliContext context, string task, IReadOnlyList<string> tokens)
    {
        EvalCommandOptions options;
        try
        {
            options = EvalCommandOptions.Parse([task, .. tokens]);
        }
        catch (EvalUsageException e)
        {
            throw Usage(task, e.Message);
        }
        if (options.Help)
        {
            context.Out.WriteLine(EvalCommandOptions.Usage);
            return ExitCodes.Ok;
        }
        try
        {
            EvalRun.Execute(options, context.Rich, context.Cancellation);
        }
        catch (EvalUsageException e)
        {
            throw Usage(task, e.Message);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException)
        {
            // A data file that cannot be parsed (homography, pairs with ground truth, disparity map): a failure naming it.
            throw CliException.Failure(e.Message, e);
        }
        return ExitCodes.Ok;
    }

    private static CliException Usage(string task, string message) =>
        CliException.Usage($"{message}\nRun 'loftr eval {task} --help' for usage.");

    private static string Details => "Datasets and options of 'loftr eval TASK' (methods: repeat --method or comma-separate to compare):\n" +
        Indent(EvalCommandOptions.Usage);

    private static string Indent(string text) =>
        string.Join('\n', text.Split('\n').Select(l => l.Length == 0 ? l : "  " + l));
}
