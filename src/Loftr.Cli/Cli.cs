using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Loftr.IO;

namespace Loftr.Cli;

/// <summary>
/// Runs the tool with explicit writers, so tests can call it in-process. User errors never show a stack trace: they
/// are printed as <c>error: message</c> on the error writer with exit code 2 (usage or input) or 1 (runtime failure).
/// </summary>
public static class Cli
{
    /// <summary>Environment variable that makes unexpected errors print their stack trace (for bug reports).</summary>
    public const string DebugVariable = "LOFTR_DEBUG";

    /// <summary>Parses <paramref name="args"/>, runs the command and returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var context = new CliContext(output, error, cancellation);
        var root = BuildRoot(context);
        bool noArguments = args.Length == 0;
        ParseResult parsed = root.Parse(noArguments ? ["--help"] : args);
        if (parsed.Action is ParseErrorAction)
            return ReportParseErrors(parsed, error);
        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // Ctrl-C is handled by Program.Main through the cancellation token
        };
        try
        {
            int code = parsed.Invoke(invocation);
            return noArguments ? ExitCodes.Usage : code; // bare "loftr" shows the help, as a usage error
        }
        catch (Exception e)
        {
            return Report(e, error);
        }
        finally
        {
            output.Flush();
            error.Flush();
        }
    }

    /// <summary>The root command ("loftr") with every command of <see cref="Program.Commands"/>.</summary>
    public static Command BuildRoot(CliContext context)
    {
        // A plain Command named "loftr" rather than RootCommand, whose name would be the assembly's (Loftr.Cli).
        var root = new Command("loftr",
            "Detector-free image matching with LoFTR: match a pair, verify its geometry and plot it (match); batch many pairs " +
            "with progress and resume (pairs); export batch results (export); inspect checkpoints (info); evaluate on benchmarks (eval); " +
            "train or fine-tune (train); build a COLMAP database for structure from motion (colmap); get the released weights (weights).");
        var help = new HelpOption();
        root.Options.Add(help);
        root.Options.Add(new VersionOption());
        foreach (var create in Program.Commands) root.Subcommands.Add(create(context));
        help.Action = new HelpWithExitCodes(help.Action!);
        return root;
    }

    /// <summary>The standard help followed by the exit codes.</summary>
    private sealed class HelpWithExitCodes(CommandLineAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int code = inner is SynchronousCommandLineAction s ? s.Invoke(parseResult) : 0;
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.CommandResult.Command is DetailedCommand detailed)
            {
                output.WriteLine(detailed.Details.TrimEnd());
                output.WriteLine();
            }
            foreach (var line in ExitCodes.HelpLines) output.WriteLine(line);
            return code;
        }
    }

    private static int ReportParseErrors(ParseResult parsed, TextWriter error)
    {
        foreach (var e in parsed.Errors) error.WriteLine("error: " + e.Message);
        error.WriteLine($"Run '{CommandPath(parsed.CommandResult)} --help' for usage.");
        return ExitCodes.Usage;
    }

    /// <summary>"loftr", "loftr match", "loftr train make-split", ...: the command the user typed.</summary>
    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Add(c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>Maps an exception to its message on <paramref name="error"/> and an exit code.</summary>
    internal static int Report(Exception e, TextWriter error)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerExceptions[0];
        bool debug = Environment.GetEnvironmentVariable(DebugVariable) is "1" or "true";
        if (debug && e is not CliException) error.WriteLine(e.ToString());
        switch (e)
        {
            case CliException c:
                error.WriteLine("error: " + c.Message);
                return c.ExitCode;
            case OperationCanceledException:
                error.WriteLine("error: interrupted.");
                return ExitCodes.Interrupted;
            case ArgumentOutOfRangeException or ArgumentNullException:
                // Programming errors inside the library, not something the user typed: a runtime failure.
                error.WriteLine($"error: {e.Message} ({e.GetType().Name})");
                if (!debug) error.WriteLine($"(set {DebugVariable}=1 for the stack trace when reporting a bug)");
                return ExitCodes.Failure;
            case FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException
                or CheckpointFormatException:
                error.WriteLine("error: " + e.Message);
                return ExitCodes.Usage;
            case CheckpointMismatchException m:
                error.WriteLine("error: " + m.Message);
                error.WriteLine("hint: the weights do not fit the configuration. --preset gives the architecture of a released " +
                    "checkpoint; without --preset the configuration comes from the file (embedded, or inferred from the tensor shapes).");
                return ExitCodes.Usage;
            default:
                error.WriteLine($"error: {e.Message} ({e.GetType().Name})");
                if (!debug) error.WriteLine($"(set {DebugVariable}=1 for the stack trace when reporting a bug)");
                return ExitCodes.Failure;
        }
    }
}
