namespace Loftr.Cli;

/// <summary>Process exit codes of the tool (documented in <c>loftr --help</c> and docs/cli.md).</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>A runtime failure: an I/O error while writing, a failed pair in a batch, an unexpected error.</summary>
    public const int Failure = 1;

    /// <summary>A usage or input error: bad option, missing or unreadable file, tiny image, weights that do not fit.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted (Ctrl-C); a batch or COLMAP export resumes when run again, training with --resume.</summary>
    public const int Interrupted = 130;

    /// <summary>The "Exit codes" section appended to every --help.</summary>
    public static IReadOnlyList<string> HelpLines { get; } =
    [
        "Exit codes:",
        "  0    success",
        "  1    runtime failure (cannot write a file, failed pairs in a batch, unexpected error)",
        "  2    usage or input error (bad option value, missing/unreadable/empty/tiny image, unsupported",
        "       extension, bad --K0/--K1, malformed pairs line, missing or unfitting weights)",
        "  130  interrupted (Ctrl-C); 'loftr pairs' and 'loftr colmap' resume when run again, 'loftr train'",
        "       continues with --resume",
        "Errors go to stderr as 'error: <message>'.",
    ];
}
