using System.Text.Json;
using Loftr.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests;

/// <summary>--geometry on the graffiti pair (random weights: the matches are poor, so the structure is what is checked).</summary>
public sealed class GeometryTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void HomographyReportsInliersAmongTheMatchesAndAFiniteMatrix()
    {
        string json = _dir.File("g.json"), npz = _dir.File("g.npz"), csv = _dir.File("g.csv"), plot = _dir.File("g.png");
        var r = CliRunner.RunOk(log, Args.Of("match", Paths.Graf1, Paths.Graf3, Args.Model, "--resize", "320", "--threshold", "0.01",
            "--geometry", "homography", "--out", json, "--out", npz, "--out", csv, "--plot", plot));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
        var g = doc.RootElement.GetProperty("geometry");
        Assert.Equal("homography", g.GetProperty("model").GetString());
        Assert.Equal(3.0, g.GetProperty("threshold").GetDouble());
        var m = MatchFile.FromJson(doc.RootElement);
        Assert.True(m.Count >= 4, $"{m.Count} matches");
        Assert.NotNull(m.Inliers);
        Assert.Equal(m.Count, m.Inliers!.Length); // one flag per match: inliers ⊆ matches
        int inliers = m.Inliers.Count(b => b);
        Assert.Equal(inliers, g.GetProperty("num_inliers").GetInt32());
        Assert.InRange(inliers, 4, m.Count);
        Assert.NotNull(m.Matrix);
        Assert.Equal(9, m.Matrix!.Length);
        Assert.All(m.Matrix, v => Assert.True(double.IsFinite(v)));
        Assert.NotEqual(0, m.Matrix[8]);

        // The inliers agree with the matrix: their reprojection error is small (MAGSAC++ refits, so allow some slack).
        var errors = Enumerable.Range(0, m.Count).Where(i => m.Inliers[i]).Select(i => Reprojection(m.Matrix, m, i)).ToList();
        log.WriteLine($"{m.Count} matches, {inliers} inliers, errors {string.Join(", ", errors.Select(e => e.ToString("0.00")))}");
        Assert.True(errors.Count(e => e <= 3.0 * 2) >= inliers / 2, "most inliers should fit the homography");

        // NPZ: the same inlier mask and the matrix as float64 [3, 3]; CSV: the same mask as a column.
        var fromNpz = MatchFile.ReadNpz(npz, "homography");
        MatchFile.AssertSame(m, fromNpz);
        Assert.Equal(m.Inliers, fromNpz.Inliers);
        Assert.Equal(m.Matrix, fromNpz.Matrix);
        Assert.Equal(m.Inliers, MatchFile.ReadCsv(csv).Inliers);

        Assert.Contains($"{inliers} / {m.Count} (homography, threshold 3 px)", r.Out);
        Assert.True(File.Exists(plot));
    }

    [Fact]
    public void EssentialMatrixWithIntrinsicsFromAFile()
    {
        string k = _dir.File("K.txt");
        File.WriteAllText(k, "700 0 400\n0 700 320\n0 0 1\n");
        string npz = _dir.File("e.npz");
        CliRunner.RunOk(log, Args.Of("match", Paths.Graf1, Paths.Graf3, Args.Model, "--resize", "320", "--threshold", "0.01",
            "--geometry", "essential", "--K0", k, "--K1", "700,700,400,320", "--out", npz));
        var m = MatchFile.ReadNpz(npz, "essential");
        Assert.Equal(m.Count, m.Inliers!.Length);
        Assert.All(m.Matrix!, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void NoMatchesGiveNoModelButValidFiles()
    {
        string json = _dir.File("n.json"), npz = _dir.File("n.npz"), csv = _dir.File("n.csv");
        var r = CliRunner.RunOk(log, Args.Of("match", Paths.Box, Paths.BoxInScene, Args.Model, "--resize", "320", "--threshold", "1",
            "--geometry", "homography", "--out", json, "--out", npz, "--out", csv));
        Assert.Contains("none found (needs at least 4 matches and a consistent model)", r.Out);
        var m = MatchFile.ReadJson(json);
        Assert.Equal(0, m.Count);
        Assert.Null(m.Matrix);
        Assert.Empty(m.Inliers!);
        var fromNpz = MatchFile.ReadNpz(npz, "homography");
        Assert.Equal(0, fromNpz.Count);
        Assert.All(fromNpz.Matrix!, v => Assert.True(double.IsNaN(v)));
        Assert.Equal(["x0,y0,x1,y1,confidence,inlier"], File.ReadAllLines(csv));
    }

    private static double Reprojection(double[] h, MatchFile m, int i)
    {
        double x = m.Keypoints0[2 * i], y = m.Keypoints0[2 * i + 1];
        double w = h[6] * x + h[7] * y + h[8];
        double u = (h[0] * x + h[1] * y + h[2]) / w, v = (h[3] * x + h[4] * y + h[5]) / w;
        return Math.Sqrt(Math.Pow(u - m.Keypoints1[2 * i], 2) + Math.Pow(v - m.Keypoints1[2 * i + 1], 2));
    }
}
