using System.Text.Json;
using Loftr.Cli.Tests.Infrastructure;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests;

/// <summary><c>loftr pairs</c> and <c>loftr export</c>: storing, resuming, refusing mismatched options, failures, exports.</summary>
public sealed class PairsCommandTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string DataDir => Paths.Data("");

    private string WriteList(string text)
    {
        string path = _dir.File("pairs.txt");
        File.WriteAllText(path, text);
        return path;
    }

    private const string DemoList = """
        # demo pairs (names relative to tests/data); extra columns are ignored
        demo/box.png demo/box_in_scene.png  0 0 extra columns
        eval/homography/graf1.png eval/homography/graf3.png

        demo/box_in_scene.png demo/box.png
        demo/box.png demo/box_in_scene.png
        """;

    private string[] Pairs(string list, string db, params string[] more) => PairsWithThreshold(list, db, "0.05", more);

    private string[] PairsWithThreshold(string list, string db, string threshold, params string[] more) =>
        Args.Of("pairs", "--pairs", list, "--images", DataDir, "--out", db, Args.Model, "--resize", "320", "--threshold", threshold,
            "--geometry", "homography", more);

    [Fact]
    public void StoresEveryPairOnceResumesAndRefusesOtherOptions()
    {
        string list = WriteList(DemoList), db = _dir.File("r.db");
        var first = CliRunner.RunOk(log, Pairs(list, db));
        Assert.Contains("3 pairs in " + list + " (1 duplicate lines ignored): 0 already in " + db + ", 3 to match.", first.Out);
        Assert.Contains("3 pairs matched, 0 failed, 0 skipped", first.Out);
        var rows = StoreReader.Rows(db);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal("ok", r.Status));
        Assert.All(rows, r => Assert.Equal(r.NumMatches * 8, r.Keypoints0!.Length));
        Assert.All(rows, r => Assert.Equal(r.NumMatches, r.Inliers!.Length));

        var again = CliRunner.RunOk(log, Pairs(list, db));
        Assert.Contains(": 3 already in " + db + ", 0 to match.", again.Out);
        Assert.Equal(rows, StoreReader.Rows(db), new RowComparer());

        var otherThreshold = CliRunner.Run(PairsWithThreshold(list, db, "0.1"));
        Assert.Equal(2, otherThreshold.ExitCode);
        Assert.Contains("error: " + db + " holds results made with different threshold (stored 0.05, now 0.1)", otherThreshold.Err);
        Assert.Contains("Use --overwrite", otherThreshold.Err);

        // The inference settings are part of the run: the stored run used the golden model's reference decoding.
        var otherSharpest = CliRunner.Run(Pairs(list, db, "--sharpest", "0.5"));
        Assert.Equal(2, otherSharpest.ExitCode);
        Assert.Contains("holds results made with different sharpest (stored null, now 0.5)", otherSharpest.Err);
        var otherRefinement = CliRunner.Run(Pairs(list, db, "--refinement", "local"));
        Assert.Equal(2, otherRefinement.ExitCode);
        Assert.Contains("holds results made with different refinement (stored null, now \"LocalExpectation\")", otherRefinement.Err);
        var otherAlignment = CliRunner.Run(Pairs(list, db, "--patch-align", "8"));
        Assert.Equal(2, otherAlignment.ExitCode);
        Assert.Contains("holds results made with different patch_align (stored null, now 8)", otherAlignment.Err);
        var otherCorrelation = CliRunner.Run(Pairs(list, db, "--patch-align", "8", "--patch-min-correlation", "0.5"));
        Assert.Equal(2, otherCorrelation.ExitCode);
        Assert.Contains("holds results made with different patch_align (stored null, now 8)", otherCorrelation.Err);
        Assert.Contains(": 3 already in ", CliRunner.RunOk(log, Pairs(list, db, "--refinement", "expectation", "--sharpest", "1",
            "--patch-align", "0")).Out);

        var otherWeights = CliRunner.Run(Args.Of("pairs", "--pairs", list, "--images", DataDir, "--out", db, "--weights",
            Paths.Data("golden/small_ot/weights.safetensors"), "--resize", "320", "--threshold", "0.05", "--geometry", "homography"));
        Assert.Equal(2, otherWeights.ExitCode);
        Assert.Contains("holds results made with different weights (stored sha256 ", otherWeights.Err);

        var overwritten = CliRunner.RunOk(log, PairsWithThreshold(list, db, "0.1", "--overwrite"));
        Assert.Contains("0 already in", overwritten.Out);
        var rows2 = StoreReader.Rows(db);
        Assert.Equal(3, rows2.Count);
        Assert.True(rows2.Sum(r => r.NumMatches) < rows.Sum(r => r.NumMatches), "a higher threshold gives fewer matches");
        Assert.Equal(1L, StoreReader.Scalar(db, "SELECT count(*) FROM runs"));
    }

    [Fact]
    public void ExportsAgreeWithEachOtherAndWithMatch()
    {
        string list = WriteList(DemoList), db = _dir.File("r.db");
        CliRunner.RunOk(log, Pairs(list, db));
        string json = _dir.File("all.json"), csv = _dir.File("all.csv"), npzDir = _dir.File("npz"), jsonDir = _dir.File("json");
        var e1 = CliRunner.RunOk(log, "export", db, "--out", json);
        Assert.Contains("exported 3 pairs from " + db, e1.Out);
        CliRunner.RunOk(log, "export", db, "--format", "csv", "--out", csv);
        CliRunner.RunOk(log, "export", db, "--format", "npz", "--out", npzDir);
        CliRunner.RunOk(log, "export", db, "--format", "json", "--out", jsonDir);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
        Assert.Equal("loftr-matches-batch", doc.RootElement.GetProperty("format").GetString());
        var meta = doc.RootElement.GetProperty("meta");
        Assert.Equal(64, meta.GetProperty("weights_sha256").GetString()!.Length);
        Assert.Contains("\"threshold\":0.05", meta.GetProperty("options").GetString());
        var pairs = doc.RootElement.GetProperty("pairs").EnumerateArray().ToList();
        Assert.Equal(3, pairs.Count);
        var csvLines = File.ReadAllLines(csv);
        Assert.Equal("image0,image1,x0,y0,x1,y1,confidence,inlier", csvLines[0]);
        Assert.Equal(pairs.Sum(p => p.GetProperty("num_matches").GetInt32()), csvLines.Length - 1);
        foreach (var p in pairs)
        {
            string n0 = p.GetProperty("image0").GetString()!, n1 = p.GetProperty("image1").GetString()!;
            var fromJson = MatchFile.FromJson(p);
            string fileStem = n0.Replace('/', '_')[..^4] + "__" + n1.Replace('/', '_')[..^4]; // e.g. demo_box__demo_box_in_scene
            var fromNpz = MatchFile.ReadNpz(Path.Combine(npzDir, fileStem + ".npz"), "homography");
            var fromDirJson = MatchFile.ReadJson(Path.Combine(jsonDir, fileStem + ".json"));
            MatchFile.AssertSame(fromJson, fromNpz);
            MatchFile.AssertSame(fromJson, fromDirJson);
            Assert.Equal(fromJson.Inliers, fromNpz.Inliers);
            Assert.Equal(fromJson.Matrix, fromNpz.Matrix);
            var rows = csvLines.Skip(1).Where(l => l.StartsWith(n0 + "," + n1 + ",", StringComparison.Ordinal)).ToList();
            Assert.Equal(fromJson.Count, rows.Count);
            Assert.Equal(fromJson.Confidence, rows.Select(l => float.Parse(l.Split(',')[6], System.Globalization.CultureInfo.InvariantCulture)));
        }

        // A pair of the batch equals 'loftr match' with the same options.
        string single = _dir.File("single.json");
        CliRunner.RunOk(log, Args.Of("match", Paths.Graf1, Paths.Graf3, Args.Fast, "--geometry", "homography", "--out", single));
        var matched = MatchFile.ReadJson(single);
        var exported = MatchFile.ReadJson(Path.Combine(jsonDir, "eval_homography_graf1__eval_homography_graf3.json"));
        MatchFile.AssertSame(matched, exported);
        Assert.Equal(matched.Inliers, exported.Inliers);
        Assert.Equal(matched.Matrix, exported.Matrix);
    }

    [Fact]
    public void FailedPairsAreRecordedReportedAndRetried()
    {
        string tiny = Path.Combine(_dir.Path, "tiny.png");
        using (var mat = new Mat(24, 24, MatType.CV_8UC1, Scalar.All(90))) Cv2.ImWrite(tiny, mat);
        string list = WriteList($"demo/box.png demo/box_in_scene.png\ndemo/box.png {tiny}\n"), db = _dir.File("r.db");
        var r = CliRunner.Run(Pairs(list, db));
        log.WriteLine(r.ToString());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"warning: pair on line 2 (demo/box.png {tiny}) failed: ", r.Err);
        Assert.Contains("is too small", r.Err);
        Assert.Contains("error: 1 pairs failed", r.Err);
        var rows = StoreReader.Rows(db);
        Assert.Equal(["failed", "ok"], rows.Select(x => x.Status).OrderBy(s => s));
        Assert.Contains("too small", rows.Single(x => x.Status == "failed").Error);

        var export = CliRunner.RunOk(log, "export", db, "--out", _dir.File("x.json"));
        Assert.Contains("exported 1 pairs", export.Out);
        Assert.Contains("1 failed pairs have no matches and were left out", export.Out);

        var retry = CliRunner.Run(Pairs(list, db));
        Assert.Equal(1, retry.ExitCode);
        Assert.Contains("1 already in " + db + ", 1 to match.", retry.Out);
    }

    [Fact]
    public void CancelledRunStopsBetweenPairsAndTheNextRunFinishes()
    {
        string list = WriteList(string.Join('\n', ScannetPairs())), db = _dir.File("r.db");
        using var cancel = new CancellationTokenSource();
        // A dedicated thread watches the store and cancels (see Poll): otherwise the run can finish all 28 small pairs
        // (about 0.1 s each) before it is cancelled.
        CliResult r;
        using (Poll.CancelWhen(cancel, () => StoreReader.FinishedCount(db) >= 2))
            r = CliRunner.Run(Args.Of("pairs", "--pairs", list, "--images", Paths.Data("eval/scannet"), "--out", db, Args.Model, "--resize", "240"), cancel.Token);
        log.WriteLine(r.ToString());
        Assert.True(r.ExitCode == 130, r.ToString());
        Assert.Contains("every finished pair is saved. Run the same command again to resume.", r.Err);
        int done = StoreReader.FinishedCount(db);
        Assert.True(done >= 2 && done < ScannetPairs().Count, $"{done} pairs done\n{r}");
        Assert.Equal("interrupted", StoreReader.Scalar(db, "SELECT status FROM runs"));

        var rest = CliRunner.RunOk(log, Args.Of("pairs", "--pairs", list, "--images", Paths.Data("eval/scannet"), "--out", db, Args.Model, "--resize", "240"));
        Assert.Contains($"{done} already in {db}, {ScannetPairs().Count - done} to match.", rest.Out);
        Assert.Equal(ScannetPairs().Count, StoreReader.FinishedCount(db));
    }

    /// <summary>The 14 ScanNet pairs (38-column "pairs with gt" lines: extra columns ignored) and the same pairs reversed.</summary>
    internal static List<string> ScannetPairs()
    {
        var lines = File.ReadAllLines(Paths.Data("eval/scannet/scannet_pairs.txt")).Where(l => l.Trim().Length > 0).ToList();
        var reversed = lines.Select(l => l.Split(' ')).Select(f => $"{f[1]} {f[0]}");
        return [.. lines, .. reversed];
    }

    private sealed class RowComparer : IEqualityComparer<StoreRow>
    {
        public bool Equals(StoreRow? a, StoreRow? b) => a is not null && b is not null && a.Name0 == b.Name0 && a.Name1 == b.Name1 &&
            a.Status == b.Status && a.NumMatches == b.NumMatches && Same(a.Keypoints0, b.Keypoints0) && Same(a.Keypoints1, b.Keypoints1) &&
            Same(a.Confidence, b.Confidence) && Same(a.Inliers, b.Inliers) && Same(a.Matrix, b.Matrix);

        private static bool Same(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(StoreRow r) => HashCode.Combine(r.Name0, r.Name1);
    }

    internal static IEqualityComparer<StoreRow> Comparer { get; } = new RowComparer();
}
