using System.Diagnostics;
using System.Text;

namespace Loftr.Colmap;

/// <summary>The outcome of one COLMAP command.</summary>
/// <param name="ExitCode">Process exit code.</param>
/// <param name="Output">Standard output and standard error, interleaved as read.</param>
public sealed record ColmapCommandResult(int ExitCode, string Output);

/// <summary>Runs the <c>colmap</c> executable (headless: <c>QT_QPA_PLATFORM=offscreen</c>).</summary>
public static class ColmapProcess
{
    /// <summary>The full path of an executable found on PATH, or null.</summary>
    /// <param name="name">Executable name (default <c>colmap</c>) or a path.</param>
    /// <returns>The path or null.</returns>
    public static string? Find(string name = "colmap")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains(Path.DirectorySeparatorChar)) return File.Exists(name) ? Path.GetFullPath(name) : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Runs <c>colmap &lt;command&gt; args...</c> and collects its output.</summary>
    /// <param name="executable">The colmap executable.</param>
    /// <param name="command">Sub-command (mapper, model_analyzer, ...).</param>
    /// <param name="arguments">Further arguments.</param>
    /// <param name="onLine">Called with each output line as it arrives (optional).</param>
    /// <param name="cancellationToken">Kills the process when cancelled.</param>
    /// <returns>Exit code and output.</returns>
    public static ColmapCommandResult Run(string executable, string command, IEnumerable<string> arguments, Action<string>? onLine = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(executable);
        ArgumentException.ThrowIfNullOrEmpty(command);
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(command);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment["QT_QPA_PLATFORM"] = "offscreen";
        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        void Collect(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            onLine?.Invoke(e.Data);
        }
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FileNotFoundException($"Cannot start COLMAP ({executable}): {e.Message}. Install it (Debian: apt-get install colmap).", executable, e);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (cancellationToken.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
            process.WaitForExit();
        cancellationToken.ThrowIfCancellationRequested();
        lock (output) return new ColmapCommandResult(process.ExitCode, output.ToString());
    }
}
