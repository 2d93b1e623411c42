using Spectre.Console;

namespace Loftr.Tests.Evaluation;

/// <summary>A plain-text Spectre console writing into a string (no ANSI codes, not interactive).</summary>
internal sealed class EvalConsole
{
    private readonly StringWriter _writer = new();

    public EvalConsole()
    {
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(_writer),
        });
        Console.Profile.Width = 200;
    }

    public IAnsiConsole Console { get; }

    public string Text => _writer.ToString();
}
