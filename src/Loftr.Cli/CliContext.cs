using Spectre.Console;

namespace Loftr.Cli;

/// <summary>What a command needs from its environment: the output and error writers, a rich console and cancellation.</summary>
public sealed class CliContext
{
    /// <summary>Creates the context; the rich console writes to <paramref name="output"/>.</summary>
    public CliContext(TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        Out = output;
        Err = error;
        Cancellation = cancellation;
        bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        Rich = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal) Rich.Profile.Width = 1000; // pipes and logs: no wrapping inside table cells
        IsInteractive = terminal;
    }

    /// <summary>Standard output (results, summaries).</summary>
    public TextWriter Out { get; }

    /// <summary>Standard error (errors, warnings).</summary>
    public TextWriter Err { get; }

    /// <summary>Spectre console on <see cref="Out"/> (tables, progress); plain text when not a terminal.</summary>
    public IAnsiConsole Rich { get; }

    /// <summary>True when <see cref="Out"/> is an interactive terminal (live progress bars).</summary>
    public bool IsInteractive { get; }

    /// <summary>Cancelled on Ctrl-C.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Writes a warning line to stderr.</summary>
    public void Warn(string message) => Err.WriteLine("warning: " + message);
}
