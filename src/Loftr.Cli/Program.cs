using System.CommandLine;
using Loftr.Cli.Commands;

namespace Loftr.Cli;

/// <summary>Entry point of the <c>loftr</c> tool.</summary>
public static class Program
{
    /// <summary>
    /// The commands of the tool, in the order <c>--help</c> lists them. A new command is one file under Commands/
    /// with a <c>Create(CliContext)</c> method, added here.
    /// </summary>
    internal static readonly Func<CliContext, Command>[] Commands =
    [
        MatchCommand.Create,
        PairsCommand.Create,
        ExportCommand.Create,
        InfoCommand.Create,
        ConvertCommand.Create,
        EvalCommand.Create,
        TrainCommand.Create,
        ColmapCommand.Create,
        WeightsCommand.Create,
    ];

    /// <summary>Runs the tool on the process console; Ctrl-C cancels the running command cleanly (a second one kills).</summary>
    public static int Main(string[] args)
    {
        LoftrRuntime.BoundAllocator(); // large freed tensors go back to the kernel: peak memory tracks live tensors
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancel.IsCancellationRequested) return; // second Ctrl-C: let the runtime end the process
            e.Cancel = true;
            cancel.Cancel();
        };
        return Cli.Run(args, Console.Out, Console.Error, cancel.Token);
    }
}
