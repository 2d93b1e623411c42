using Loftr.Tests.Infrastructure;
using Loftr.Tests.Shared;

namespace Loftr.Tests;

/// <summary>The download logic against a local HTTP server (no internet here), serving a golden checkpoint.</summary>
public sealed class PretrainedWeightsTests : IDisposable
{
    private readonly LocalFileServer _server = new();
    private readonly string _cache = Path.Combine(Path.GetTempPath(), $"loftr-weights-{Guid.NewGuid():N}");

    [Fact]
    public async Task DownloadsFromTheFirstWorkingMirrorAndPicksThePresetFromTheName()
    {
        // full_ds has the reference architecture of indoor_ds (random weights), served under the kornia file name.
        _server.Files["/good/loftr_indoor.ckpt"] = File.ReadAllBytes(TestData.Path("golden/full_ds/weights.ckpt"));
        string path = await PretrainedWeights.GetAsync("indoor_ds", _cache, [_server.Prefix + "missing", _server.Prefix + "good"]);

        Assert.Equal(Path.Combine(_cache, "loftr_indoor.ckpt"), path);
        Assert.Contains("/missing/loftr_indoor.ckpt", _server.Requests);
        var info = LoftrCheckpoint.Inspect(path);
        Assert.Equal(LoftrConfig.IndoorDs, info.Config);
        Assert.Contains(info.Guesses, g => g.Contains("preset indoor_ds", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(_cache, "*.part"));

        // Cached: no second request.
        int before = _server.Requests.Count;
        Assert.Equal(path, await PretrainedWeights.GetAsync("loftr_indoor.ckpt", _cache, [_server.Prefix + "good"]));
        Assert.Equal(before, _server.Requests.Count);
    }

    [Fact]
    public async Task CorruptOrWrongFilesAreRejectedAndNothingIsLeftBehind()
    {
        _server.Files["/bad/loftr_indoor.ckpt"] = "<html>not found</html>"u8.ToArray();
        _server.Files["/bad/loftr_outdoor.ckpt"] = File.ReadAllBytes(TestData.Path("golden/full_ds/weights.ckpt")); // wrong SHA-256
        _server.Files["/small/loftr_indoor.ckpt"] = File.ReadAllBytes(TestData.Path("golden/small_ot/weights.ckpt")); // wrong architecture

        var e1 = await Assert.ThrowsAsync<HttpRequestException>(() => PretrainedWeights.GetAsync("indoor_ds", _cache, [_server.Prefix + "bad", _server.Prefix + "small"]));
        Assert.Contains("bad/loftr_indoor.ckpt", e1.Message);
        Assert.Contains("not a .ckpt or .safetensors", e1.Message);
        Assert.Contains("is not a indoor_ds checkpoint", e1.Message);

        var e2 = await Assert.ThrowsAsync<HttpRequestException>(() => PretrainedWeights.GetAsync("outdoor_ds", _cache, [_server.Prefix + "bad"]));
        Assert.Contains("SHA-256", e2.Message);
        Assert.Empty(Directory.GetFiles(_cache));
    }

    [Fact]
    public void UnknownNamesListTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => PretrainedWeights.Find("outdoor_ot"));
        Assert.Contains("indoor_ds_new", e.Message);
        Assert.Contains("Google Drive", e.Message);
        Assert.Equal("indoor_ds_new", LoftrConfig.PresetNameForFile("/x/indoor_ds_new.ckpt"));
        Assert.Equal("outdoor_ot", LoftrConfig.PresetNameForFile("outdoor_ot.ckpt"));
        Assert.Equal("outdoor_ds", LoftrConfig.PresetNameForFile("loftr_outdoor.ckpt"));
        Assert.Null(LoftrConfig.PresetNameForFile("weights.safetensors"));
    }

    public void Dispose()
    {
        _server.Dispose();
        if (Directory.Exists(_cache)) Directory.Delete(_cache, true);
    }
}
