using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests.Infrastructure;

/// <summary>What a run of the tool printed and returned.</summary>
/// <param name="ExitCode">Exit code.</param>
/// <param name="Out">Standard output.</param>
/// <param name="Err">Standard error.</param>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    /// <inheritdoc />
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Out}\n--- stderr ---\n{Err}";
}

/// <summary>Runs the tool in-process (fast) or as a child process (<c>dotnet Loftr.Cli.dll</c>).</summary>
public static class CliRunner
{
    /// <summary>Runs <see cref="Cli.Run"/> with string writers.</summary>
    public static CliResult Run(params string[] args) => Run(args, CancellationToken.None);

    /// <summary>Runs <see cref="Cli.Run"/> with string writers and a cancellation token.</summary>
    public static CliResult Run(string[] args, CancellationToken cancellation)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Cli.Run(args, output, error, cancellation);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs and asserts success, showing the output on failure.</summary>
    public static CliResult RunOk(ITestOutputHelper? log, params string[] args)
    {
        var r = Run(args);
        log?.WriteLine($"$ loftr {string.Join(' ', args)}\n{r}");
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    /// <summary>Starts the built CLI as a child process with redirected output.</summary>
    public static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(Paths.CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
    }

    /// <summary>Runs the built CLI as a child process to its end (killed after <paramref name="timeout"/>).</summary>
    public static CliResult RunProcess(TimeSpan timeout, params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"loftr {string.Join(' ', args)} did not finish in {timeout}");
        }
        p.WaitForExit();
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
