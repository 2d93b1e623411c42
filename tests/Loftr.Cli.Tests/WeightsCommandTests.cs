using Loftr.Cli.Tests.Infrastructure;
using Loftr.Tests.Shared;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests;

/// <summary>
/// <c>loftr weights list|download</c> against a local HTTP server (no internet here) given with --mirror, serving the
/// golden checkpoints under the released file names; the cache is a temporary --dir.
/// </summary>
public sealed class WeightsCommandTests : IDisposable
{
    private readonly ITestOutputHelper _log;
    private readonly TempDir _dir = new();
    private readonly LocalFileServer _server = new();

    public WeightsCommandTests(ITestOutputHelper log)
    {
        _log = log;
    }

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }

    private string Cache => _dir.File("cache");

    /// <summary>The table rows of 'weights list' by checkpoint name: name, file, preset, source, SHA-256, cached.</summary>
    private static Dictionary<string, string[]> Rows(string output) =>
        output.Split('\n').Where(l => l.StartsWith('│'))
            .Select(l => l.Split('│', StringSplitOptions.TrimEntries)[1..^1])
            .Where(c => c[0].Length > 0 && c[0] != "name")
            .ToDictionary(c => c[0]);

    [Fact]
    public void ListShowsTheFiveReleasedCheckpointsWithFilesSourcesAndCacheStatus()
    {
        var r = CliRunner.RunOk(_log, "weights", "list", "--dir", Cache);
        var rows = Rows(r.Out);
        Assert.Equal(["indoor_ds_new", "indoor_ds", "indoor_ot", "outdoor_ds", "outdoor_ot"], rows.Keys);
        Assert.Equal("loftr_indoor_ds_new.ckpt", rows["indoor_ds_new"][1]);
        Assert.Equal("loftr_indoor.ckpt", rows["indoor_ds"][1]);
        Assert.Equal("loftr_outdoor.ckpt", rows["outdoor_ds"][1]);
        Assert.Equal("indoor_ot.ckpt", rows["indoor_ot"][1]);
        Assert.Equal("outdoor_ot.ckpt", rows["outdoor_ot"][1]);
        Assert.All(rows.Values, row => Assert.Equal(row[0], row[2])); // preset = name
        Assert.Equal("https://huggingface.co/kornia/loftr/resolve/main", rows["outdoor_ds"][3]);
        Assert.StartsWith("the authors' Google Drive only", rows["outdoor_ot"][3]);
        Assert.Equal("21f5bec59681…", rows["outdoor_ds"][4]);
        Assert.Equal("not published", rows["indoor_ds"][4]);
        Assert.All(rows.Values, row => Assert.Equal("no", row[5]));
        Assert.Contains($"cache: {Cache} (does not exist yet)", r.Out);
    }

    [Fact]
    public void DownloadFetchesIntoTheCacheAndPrintsThePreset()
    {
        // full_ds has the reference architecture of indoor_ds (random weights), served under the kornia file name.
        _server.Files["/good/loftr_indoor.ckpt"] = File.ReadAllBytes(Paths.Data("golden/full_ds/weights.ckpt"));
        var r = CliRunner.RunOk(_log, "weights", "download", "indoor_ds", "--dir", Cache, "--mirror", _server.Prefix + "missing", "--mirror", _server.Prefix + "good");
        string path = Path.Combine(Cache, "loftr_indoor.ckpt");
        Assert.Equal(File.ReadAllBytes(Paths.Data("golden/full_ds/weights.ckpt")), File.ReadAllBytes(path));
        Assert.Equal(["/missing/loftr_indoor.ckpt", "/good/loftr_indoor.ckpt"], _server.Requests);
        Assert.Contains("downloaded", r.Out);
        Assert.Contains("indoor_ds (inferred from the file)", r.Out);
        Assert.Contains("LoFTR-DS (dual-softmax), the architecture of the released indoor_ds / outdoor_ds", r.Out);
        Assert.Contains("not published for this file", r.Out);
        Assert.Contains($"use: loftr match A B --weights {path} --preset indoor_ds", r.Out);
        Assert.Empty(Directory.GetFiles(Cache, "*.part"));

        // Cached now: listed as such, and not fetched again.
        Assert.StartsWith("yes, ", Rows(CliRunner.RunOk(_log, "weights", "list", "--dir", Cache).Out)["indoor_ds"][5]);
        var again = CliRunner.RunOk(_log, "weights", "download", "loftr_indoor.ckpt", "--dir", Cache, "--mirror", _server.Prefix + "good");
        Assert.Contains("already in the cache", again.Out);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public void ChecksumMismatchFailsAndLeavesNothing()
    {
        _server.Files["/bad/loftr_outdoor.ckpt"] = File.ReadAllBytes(Paths.Data("golden/full_ds/weights.ckpt")); // not the published file
        var r = CliRunner.Run("weights", "download", "outdoor_ds", "--dir", Cache, "--mirror", _server.Prefix + "bad");
        _log.WriteLine(r.ToString());
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error: Could not download loftr_outdoor.ckpt:", r.Err);
        Assert.Contains("does not match the published 21f5bec5968178e8bc8b7633441836fe5de4f47d861dd2cd7dc38e271b0479ec", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.Empty(Directory.GetFiles(Cache));
    }

    [Fact]
    public void UnknownAndGoogleDriveOnlyNamesAreUsageErrors()
    {
        var ot = CliRunner.Run("weights", "download", "outdoor_ot", "--dir", Cache);
        Assert.Equal(2, ot.ExitCode);
        Assert.Contains("error: outdoor_ot is on the authors' Google Drive only", ot.Err);
        Assert.Contains("--weights outdoor_ot.ckpt --preset outdoor_ot", ot.Err);
        var unknown = CliRunner.Run("weights", "download", "outdoor_xl", "--dir", Cache);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("Unknown pretrained checkpoint 'outdoor_xl'. Downloadable: outdoor_ds, indoor_ds, indoor_ds_new.", unknown.Err);
        Assert.Empty(_server.Requests);
    }
}
