using System.Net;
using System.Net.Sockets;
using Loftr.Tests.Infrastructure;

namespace Loftr.Tests;

/// <summary>The download logic against a local HTTP server (no internet here), serving a golden checkpoint.</summary>
public sealed class PretrainedWeightsTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _prefix;
    private readonly string _cache = Path.Combine(Path.GetTempPath(), $"loftr-weights-{Guid.NewGuid():N}");
    private readonly Dictionary<string, byte[]> _files = new();
    private readonly List<string> _requests = new();

    public PretrainedWeightsTests()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        _prefix = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(_prefix);
        _listener.Start();
        _ = Task.Run(Serve);
    }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            string path = ctx.Request.Url!.AbsolutePath;
            lock (_requests) _requests.Add(path);
            if (_files.TryGetValue(path, out var body))
            {
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentLength64 = body.Length;
                await ctx.Response.OutputStream.WriteAsync(body);
            }
            else
            {
                ctx.Response.StatusCode = 404;
            }
            ctx.Response.Close();
        }
    }

    [Fact]
    public async Task DownloadsFromTheFirstWorkingMirrorAndPicksThePresetFromTheName()
    {
        // full_ds has the reference architecture of indoor_ds (random weights), served under the kornia file name.
        _files["/good/loftr_indoor.ckpt"] = File.ReadAllBytes(TestData.Path("golden/full_ds/weights.ckpt"));
        string path = await PretrainedWeights.GetAsync("indoor_ds", _cache, [_prefix + "missing", _prefix + "good"]);

        Assert.Equal(Path.Combine(_cache, "loftr_indoor.ckpt"), path);
        Assert.Contains("/missing/loftr_indoor.ckpt", _requests);
        var info = LoftrCheckpoint.Inspect(path);
        Assert.Equal(LoftrConfig.IndoorDs, info.Config);
        Assert.Contains(info.Guesses, g => g.Contains("preset indoor_ds", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(_cache, "*.part"));

        // Cached: no second request.
        int before = _requests.Count;
        Assert.Equal(path, await PretrainedWeights.GetAsync("loftr_indoor.ckpt", _cache, [_prefix + "good"]));
        Assert.Equal(before, _requests.Count);
    }

    [Fact]
    public async Task CorruptOrWrongFilesAreRejectedAndNothingIsLeftBehind()
    {
        _files["/bad/loftr_indoor.ckpt"] = "<html>not found</html>"u8.ToArray();
        _files["/bad/loftr_outdoor.ckpt"] = File.ReadAllBytes(TestData.Path("golden/full_ds/weights.ckpt")); // wrong SHA-256
        _files["/small/loftr_indoor.ckpt"] = File.ReadAllBytes(TestData.Path("golden/small_ot/weights.ckpt")); // wrong architecture

        var e1 = await Assert.ThrowsAsync<HttpRequestException>(() => PretrainedWeights.GetAsync("indoor_ds", _cache, [_prefix + "bad", _prefix + "small"]));
        Assert.Contains("bad/loftr_indoor.ckpt", e1.Message);
        Assert.Contains("not a .ckpt or .safetensors", e1.Message);
        Assert.Contains("is not a indoor_ds checkpoint", e1.Message);

        var e2 = await Assert.ThrowsAsync<HttpRequestException>(() => PretrainedWeights.GetAsync("outdoor_ds", _cache, [_prefix + "bad"]));
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
        _listener.Stop();
        _listener.Close();
        if (Directory.Exists(_cache)) Directory.Delete(_cache, true);
    }
}
