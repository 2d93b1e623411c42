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

    /// <summary>Interrupted (Ctrl-C); a batch can be resumed by running the same command again.</summary>
    public const int Interrupted = 130;

    /// <summary>The help text that lists the codes.</summary>
    public const string HelpText =
        "Exit codes: 0 success; 1 runtime failure (write error, failed pairs, unexpected error); " +
        "2 usage or input error (bad option, missing/unreadable/tiny image, unsupported extension, bad weights); " +
        "130 interrupted by Ctrl-C. Errors are printed to stderr as 'error: <message>'.";
}
