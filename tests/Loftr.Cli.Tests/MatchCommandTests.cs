using System.Text.Json;
using Loftr.Cli.Tests.Infrastructure;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests;

/// <summary>One run of <c>loftr match</c> on the box demo pair writing every format and a plot.</summary>
public sealed class BoxMatchRun : IDisposable
{
    public TempDir Dir { get; } = new();
    public CliResult Result { get; }
    public string Json => Dir.File("m.json");
    public string Csv => Dir.File("m.csv");
    public string Npz => Dir.File("m.npz");
    public string Plot => Dir.File("m.png");

    public BoxMatchRun()
    {
        Result = CliRunner.Run(Args.Of("match", Paths.Box, Paths.BoxInScene, Args.Fast, "--out", Json, "--out", Csv, "-o", Npz, "--plot", Plot));
        Assert.True(Result.ExitCode == 0, Result.ToString());
    }

    public void Dispose() => Dir.Dispose();
}

public sealed class MatchCommandTests(BoxMatchRun run, ITestOutputHelper log) : IClassFixture<BoxMatchRun>
{
    [Fact]
    public void JsonCsvAndNpzHoldTheSameMatches()
    {
        var json = MatchFile.ReadJson(run.Json);
        var csv = MatchFile.ReadCsv(run.Csv);
        var npz = MatchFile.ReadNpz(run.Npz);
        log.WriteLine($"{json.Count} matches");
        Assert.True(json.Count >= 20, $"only {json.Count} matches");
        MatchFile.AssertSame(json, csv);
        MatchFile.AssertSame(json, npz);
        Assert.Null(json.Inliers);
        Assert.Null(csv.Inliers);
    }

    [Fact]
    public void JsonDescribesThePairAndKeypointsLieInTheImages()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(run.Json));
        var root = doc.RootElement;
        Assert.Equal("loftr-matches", root.GetProperty("format").GetString());
        Assert.Equal(Paths.Box, root.GetProperty("image0").GetString());
        Assert.Equal([324, 223], root.GetProperty("image_size0").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal([512, 384], root.GetProperty("image_size1").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(0, root.GetProperty("rotation").GetInt32());
        Assert.False(root.TryGetProperty("geometry", out _));
        var m = MatchFile.FromJson(root);
        for (int i = 0; i < m.Count; i++)
        {
            Assert.InRange(m.Keypoints0[2 * i], 0, 324f);
            Assert.InRange(m.Keypoints0[2 * i + 1], 0, 223f);
            Assert.InRange(m.Keypoints1[2 * i], -8f, 512f + 8);
            Assert.InRange(m.Keypoints1[2 * i + 1], -8f, 384f + 8);
            Assert.InRange(m.Confidence[i], 0.05f, 1f);
        }
    }

    [Fact]
    public void SummaryReportsMatchesAndStageTimes()
    {
        var m = MatchFile.ReadJson(run.Json);
        string o = run.Result.Out;
        Assert.Contains($"│ matches ", o);
        Assert.Contains($"{m.Count} (threshold 0.05, resize 320)", o);
        foreach (var stage in new[] { "load ", "preprocess+inference ", "geometry ", "write " }) Assert.Contains(stage, o);
        Assert.Equal("", run.Result.Err);
    }

    [Fact]
    public void PlotIsAPngOfBothImagesSideBySideWithLinesDrawn()
    {
        var bytes = File.ReadAllBytes(run.Plot);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes.Take(4));
        using var plot = Cv2.ImDecode(bytes, ImreadModes.Color);
        Assert.Equal(324 + 512, plot.Cols);
        Assert.Equal(384, plot.Rows);
        // Away from the legend, the right half differs from the bare image only where match lines were drawn.
        using var scene = Cv2.ImRead(Paths.BoxInScene, ImreadModes.Color);
        using var right = new Mat(plot, new Rect(324, 0, 512, 384));
        using var diff = new Mat();
        Cv2.Absdiff(right, scene, diff);
        using var gray = diff.CvtColor(ColorConversionCodes.BGR2GRAY);
        int changed = Cv2.CountNonZero(gray.GreaterThan(40));
        log.WriteLine($"{changed} changed pixels in the right half");
        Assert.InRange(changed, 200, 512 * 384 / 2);
    }

    [Fact]
    public void MaxMatchesKeepsTheMostConfidentInDecreasingOrder()
    {
        using var dir = new TempDir();
        CliRunner.RunOk(log, Args.Of("match", Paths.Box, Paths.BoxInScene, Args.Fast, "--max-matches", "10", "--out", dir.File("top.json")));
        var top = MatchFile.ReadJson(dir.File("top.json"));
        var all = MatchFile.ReadJson(run.Json);
        Assert.Equal(10, top.Count);
        var expected = Enumerable.Range(0, all.Count).OrderByDescending(i => all.Confidence[i]).ThenBy(i => i).Take(10).ToArray();
        Assert.Equal(expected.Select(i => all.Confidence[i]), top.Confidence);
        Assert.Equal(expected.SelectMany(i => new[] { all.Keypoints0[2 * i], all.Keypoints0[2 * i + 1] }), top.Keypoints0);
        Assert.Equal(expected.SelectMany(i => new[] { all.Keypoints1[2 * i], all.Keypoints1[2 * i + 1] }), top.Keypoints1);
    }

    [Fact]
    public void MatchesEqualTheLibraryMatcherInOriginalPixels()
    {
        // The CLI resizes per image itself (needed for rotations); the result must agree with LoftrMatcher.Match(path, path).
        using var matcher = LoftrMatcher.Load(Paths.Weights);
        var r = matcher.Match(Paths.Box, Paths.BoxInScene, new MatchOptions { MaxSize = 320, Threshold = 0.05 });
        var m = MatchFile.ReadJson(run.Json);
        Assert.Equal(r.Count, m.Count);
        for (int i = 0; i < r.Count; i++)
        {
            Assert.Equal(r.Keypoints0[i].X, m.Keypoints0[2 * i], 1e-4);
            Assert.Equal(r.Keypoints0[i].Y, m.Keypoints0[2 * i + 1], 1e-4);
            Assert.Equal(r.Keypoints1[i].X, m.Keypoints1[2 * i], 1e-3);
            Assert.Equal(r.Keypoints1[i].Y, m.Keypoints1[2 * i + 1], 1e-3);
            Assert.Equal(r.Confidence[i], m.Confidence[i], 1e-6);
        }
    }
}
