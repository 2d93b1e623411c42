namespace Loftr.Cli;

/// <summary>An error the tool reports as <c>error: message</c> with a given exit code (no stack trace).</summary>
public sealed class CliException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CliException(string message, int exitCode = ExitCodes.Usage, Exception? inner = null) : base(message, inner) =>
        ExitCode = exitCode;

    /// <summary>The process exit code.</summary>
    public int ExitCode { get; }

    /// <summary>A usage or input error (exit code 2).</summary>
    public static CliException Usage(string message) => new(message, ExitCodes.Usage);

    /// <summary>A runtime failure (exit code 1).</summary>
    public static CliException Failure(string message, Exception? inner = null) => new(message, ExitCodes.Failure, inner);
}
