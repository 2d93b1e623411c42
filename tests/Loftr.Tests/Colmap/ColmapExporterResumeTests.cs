using Loftr.Colmap;

namespace Loftr.Tests.Colmap;

/// <summary>Resumable matching through the sidecar cache, with a fast synthetic matcher.</summary>
public class ColmapExporterResumeTests
{
    /// <summary>Deterministic matches of a synthetic scene; counts calls and can cancel the export.</summary>
    private sealed class SyntheticMatcher(string identity = "synthetic|v1") : IPairMatcher
    {
        public List<(string, string)> Calls { get; } = [];
        public Action<int>? OnCall { get; init; }
        public string Identity { get; } = identity;
        public bool KeypointsArePerImage => false;

        public PairMatches Match(string path0, string path1)
        {
            Calls.Add((Path.GetFileName(path0), Path.GetFileName(path1)));
            OnCall?.Invoke(Calls.Count);
            int seed = (Path.GetFileName(path0) + Path.GetFileName(path1)).Sum(c => c);
            var (p0, p1, _) = ColmapTestSupport.TwoViewScene(60, seed, 320, 240, 300);
            return new PairMatches(p0, p1, Enumerable.Repeat(0.9f, p0.Length).ToArray());
        }
    }

    private static string Images(TempDir tmp, int n)
    {
        string dir = tmp["images"];
        Directory.CreateDirectory(dir);
        for (int i = 0; i < n; i++) File.WriteAllBytes(Path.Combine(dir, $"img{i}.jpg"), ColmapTestSupport.PlainJpeg(320, 240));
        return dir;
    }

    [Fact]
    public void InterruptedExportResumesFromTheCache()
    {
        using var tmp = ColmapTestSupport.Temp();
        string images = Images(tmp, 5);
        var options = new ColmapExportOptions(images, tmp["out/db.db"], PairSelection.Exhaustive);

        using var cts = new CancellationTokenSource();
        var first = new SyntheticMatcher { OnCall = n => { if (n == 4) cts.Cancel(); } };
        Assert.ThrowsAny<OperationCanceledException>(() => ColmapExporter.Run(options, first, null, cts.Token));
        Assert.Equal(4, first.Calls.Count);
        Assert.False(File.Exists(options.DatabasePath));
        using (var cache = MatchCache.Open(options.EffectiveCachePath)) Assert.Equal(4, cache.Count());

        var second = new SyntheticMatcher();
        var result = ColmapExporter.Run(options, second);
        Assert.Equal(6, second.Calls.Count);
        Assert.Equal(4, result.PairsFromCache);
        Assert.Equal(6, result.PairsMatched);
        Assert.True(File.Exists(options.DatabasePath));
        Assert.All(result.Pairs, p => Assert.Equal(TwoViewConfig.Uncalibrated, p.Config));
        // The pairs matched in the first run are exactly the ones taken from the cache.
        Assert.Equal(first.Calls, result.Pairs.Where(p => p.FromCache).Select(p => (p.Image0, p.Image1)));

        // The database exists: only rebuilt when allowed; then everything comes from the cache.
        var third = new SyntheticMatcher();
        Assert.Throws<IOException>(() => ColmapExporter.Run(options, third));
        var again = ColmapExporter.Run(options with { Overwrite = true }, third);
        Assert.Empty(third.Calls);
        Assert.Equal(10, again.PairsFromCache);
        Assert.Equal(result.Images, again.Images);
        Assert.Equal(result.Pairs.Select(p => (p.Matches, p.Inliers)), again.Pairs.Select(p => (p.Matches, p.Inliers)));

        // A changed image invalidates its pairs; another matcher identity does not reuse the cache.
        File.SetLastWriteTimeUtc(Path.Combine(images, "img2.jpg"), DateTime.UtcNow.AddMinutes(5));
        var fourth = new SyntheticMatcher();
        ColmapExporter.Run(options with { Overwrite = true }, fourth);
        Assert.Equal(4, fourth.Calls.Count);
        Assert.All(fourth.Calls, c => Assert.True(c.Item1 == "img2.jpg" || c.Item2 == "img2.jpg"));
        var other = new SyntheticMatcher("synthetic|v2");
        ColmapExporter.Run(options with { Overwrite = true }, other);
        Assert.Equal(10, other.Calls.Count);
    }

    [Fact]
    public void RejectsUnusableInputs()
    {
        using var tmp = ColmapTestSupport.Temp();
        string one = Images(tmp, 1);
        var m = new SyntheticMatcher();
        Assert.Throws<InvalidDataException>(() => ColmapExporter.Run(new ColmapExportOptions(one, tmp["db.db"], PairSelection.Exhaustive), m));
        Assert.Throws<DirectoryNotFoundException>(() => ColmapExporter.Run(new ColmapExportOptions(tmp["none"], tmp["db.db"], PairSelection.Exhaustive), m));
        Assert.Throws<ArgumentException>(() => ColmapExporter.Run(new ColmapExportOptions(one, tmp["db.db"], PairSelection.Exhaustive) { CachePath = tmp["db.db"] }, m));
        File.WriteAllBytes(Path.Combine(one, "broken.jpg"), [1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => ColmapExporter.Run(new ColmapExportOptions(one, tmp["db.db"], PairSelection.Exhaustive), m));
        Assert.Contains("broken.jpg", e.Message);
        Assert.Empty(m.Calls);
    }

    [Fact]
    public void SingleCameraNeedsOneImageSize()
    {
        using var tmp = ColmapTestSupport.Temp();
        string images = Images(tmp, 3);
        var options = new ColmapExportOptions(images, tmp["db.db"], PairSelection.Sequential(1)) { Cameras = new CameraOptions(SingleCamera: true) };
        var result = ColmapExporter.Run(options, new SyntheticMatcher());
        Assert.Equal(2, result.Pairs.Count);
        using (var db = ColmapDatabase.Open(result.DatabasePath))
        {
            Assert.Equal(1, db.CountRows("cameras"));
            Assert.All(db.ReadImages(), i => Assert.Equal(1, i.CameraId));
        }
        File.WriteAllBytes(Path.Combine(images, "img9.jpg"), ColmapTestSupport.PlainJpeg(200, 240));
        Assert.Throws<InvalidDataException>(() => ColmapExporter.Run(options with { Overwrite = true }, new SyntheticMatcher()));
    }
}
