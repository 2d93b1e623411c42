using System.Diagnostics;
using Loftr.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests;

/// <summary>The real tool as a child process (<c>dotnet Loftr.Cli.dll</c>): startup, exit codes, kill -9 and Ctrl-C during a batch.</summary>
public sealed class ChildProcessTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void HelpStartsQuicklyWithoutLoadingTheModelStack()
    {
        var clock = Stopwatch.StartNew();
        var r = CliRunner.RunProcess(Timeout, "--help");
        log.WriteLine($"loftr --help took {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage:", r.Out);
        Assert.Contains("Exit codes:", r.Out);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void UserErrorExitsWithCodeTwoAndNoStackTrace()
    {
        var r = CliRunner.RunProcess(Timeout, "match", Paths.Box, "/no/such/scene.png", "--weights", Paths.Weights);
        log.WriteLine(r.ToString());
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("error: IMG1 not found: /no/such/scene.png\n", r.Err);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public async Task KilledBatchLeavesAConsistentStoreAndTheRerunEqualsAnUninterruptedRun()
    {
        var pairs = PairsCommandTests.ScannetPairs();
        string list = _dir.File("pairs.txt");
        File.WriteAllLines(list, pairs);
        string[] Command(string db) =>
            Args.Of("pairs", "--pairs", list, "--images", Paths.Data("eval/scannet"), "--out", db, Args.Model, "--resize", "240",
                "--threshold", "0.05", "--geometry", "fundamental");

        // Reference: one uninterrupted run (in-process).
        string reference = _dir.File("reference.db");
        CliRunner.RunOk(null, Command(reference));

        // Interrupted: kill -9 the child once a few pairs are stored.
        string db = _dir.File("killed.db");
        int doneAtKill;
        using (var p = CliRunner.Start(Command(db)))
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            Poll.Until(() => StoreReader.FinishedCount(db) >= 3 || p.HasExited, Timeout);
            bool exitedEarly = p.HasExited;
            if (!exitedEarly) p.Kill(entireProcessTree: true); // SIGKILL: no chance to clean up
            await p.WaitForExitAsync();
            // Open read-write first: SQLite rolls back the hot journal a killed writer may leave, then checks the file.
            Assert.Equal("ok", StoreReader.IntegrityCheck(db));
            doneAtKill = StoreReader.FinishedCount(db);
            log.WriteLine($"killed after {doneAtKill} of {pairs.Count} pairs; output so far:\n{await stdout}\n{await stderr}");
            Assert.False(exitedEarly, "the batch ended before it could be killed");
        }
        Assert.InRange(doneAtKill, 3, pairs.Count - 1);
        var partial = StoreReader.Rows(db);
        Assert.All(partial, r => Assert.NotNull(r.Keypoints0)); // every stored pair is complete (pair row + matches)
        Assert.Equal("running", StoreReader.Scalar(db, "SELECT status FROM runs"));

        var rerun = CliRunner.RunProcess(Timeout, Command(db));
        log.WriteLine(rerun.ToString());
        Assert.Equal(0, rerun.ExitCode);
        int stored = partial.Count;
        Assert.Contains($"{pairs.Count} pairs in {list}: {stored} already in {db}, {pairs.Count - stored} to match.", rerun.Out);

        var expected = StoreReader.Rows(reference);
        var actual = StoreReader.Rows(db);
        Assert.Equal(pairs.Count, actual.Count);
        Assert.Equal(pairs.Count, actual.Select(r => (r.Name0, r.Name1)).Distinct().Count()); // each pair exactly once
        Assert.Equal(expected, actual, PairsCommandTests.Comparer);
        Assert.Equal(2L, StoreReader.Scalar(db, "SELECT count(*) FROM runs"));
    }

    [Fact]
    public async Task CtrlCStopsTheBatchCleanlyWithExitCode130()
    {
        if (SigIntIgnored())
        {
            // A shell starts background jobs with SIGINT ignored; children inherit that and .NET keeps it, so Ctrl-C
            // cannot be simulated here. Run the tests in the foreground (as .ci/run does) to exercise this.
            log.WriteLine("SKIPPED: SIGINT is ignored by this test process (started as a background job).");
            return;
        }
        var pairs = PairsCommandTests.ScannetPairs();
        string list = _dir.File("pairs.txt"), db = _dir.File("r.db");
        File.WriteAllLines(list, pairs);
        using var p = CliRunner.Start(Args.Of("pairs", "--pairs", list, "--images", Paths.Data("eval/scannet"), "--out", db, Args.Model,
            "--resize", "240"));
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        Poll.Until(() => StoreReader.FinishedCount(db) >= 2 || p.HasExited, Timeout);
        if (p.HasExited)
            Assert.Fail($"the batch ended before Ctrl-C could be sent: exit {p.ExitCode} after {clock.Elapsed.TotalSeconds:F1} s, " +
                        $"{StoreReader.FinishedCount(db)} pairs stored\n{await stdout}\n{await stderr}");
        using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        Assert.True(p.WaitForExit(Timeout), "the batch did not stop after SIGINT");
        await p.WaitForExitAsync();
        string err = await stderr;
        log.WriteLine($"exit {p.ExitCode}\n{await stdout}\n{err}");
        Assert.Equal(130, p.ExitCode);
        Assert.Contains("Run the same command again to resume.", err);
        Assert.Equal("interrupted", StoreReader.Scalar(db, "SELECT status FROM runs"));
        Assert.InRange(StoreReader.FinishedCount(db), 2, pairs.Count - 1);
    }

    [Fact]
    public async Task CtrlCStopsTrainingAfterTheCurrentStepWithACheckpoint()
    {
        if (SigIntIgnored())
        {
            log.WriteLine("SKIPPED: SIGINT is ignored by this test process (started as a background job).");
            return;
        }
        string output = _dir.File("train");
        using var p = CliRunner.Start("train", "--images", Paths.Data("phototourism"), "--size", "320x240", "--steps", "1000", "--val-every", "0",
            "--threads", "1", "--out", output);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        string trainLog = Path.Combine(output, "train_log.csv");
        Poll.Until(() => Poll.HasLines(trainLog, 2) || p.HasExited, Timeout);
        Assert.False(p.HasExited, "training ended before Ctrl-C could be sent");
        using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        Assert.True(p.WaitForExit(Timeout), "training did not stop after SIGINT");
        await p.WaitForExitAsync();
        string err = await stderr, outText = await stdout;
        log.WriteLine($"exit {p.ExitCode}\n{outText}\n{err}");
        Assert.Equal(130, p.ExitCode);
        int steps = File.ReadAllLines(trainLog).Length - 1;
        Assert.Contains("stopping after the current step", err);
        Assert.Contains($"error: interrupted at step {steps}; run the same command with --resume to continue.", err);
        Assert.True(File.Exists(Path.Combine(output, "checkpoints", $"step_{steps:D7}.ckpt")), $"no checkpoint for step {steps}");
    }

    /// <summary>True when this process ignores SIGINT (bit 2 of SigIgn in /proc/self/status).</summary>
    private static bool SigIntIgnored()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
            && (ulong.Parse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) & 0x2) != 0;
    }
}
