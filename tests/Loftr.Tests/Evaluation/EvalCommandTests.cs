using Loftr.Eval;
using Loftr.Evaluation;
using Loftr.Tests.Infrastructure;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Loftr.Tests.Evaluation;

/// <summary>
/// The evaluation command end to end: SIFT and LoFTR (the random-weight small_ot golden checkpoint, so LoFTR's numbers
/// are poor but every stage runs) on the 14 ScanNet pairs and the graffiti pair, with console tables, JSON, Markdown
/// and plot outputs; and the argument checks.
/// </summary>
public class EvalCommandTests(ITestOutputHelper output)
{
    private static string Weights => TestData.Path("golden/small_ot/weights.ckpt");

    [Fact]
    public void PoseOnScanNetPairsWithSiftAndLoftr()
    {
        using var dir = new TempFolder();
        var console = new EvalConsole();
        var o = EvalCommandOptions.Parse(["pose", "--dataset", "pairs", "--pairs", TestData.Path("eval/scannet/scannet_pairs.txt"),
            "--method", "sift,loftr", "--weights", Weights, "--json", Path.Combine(dir.Path, "r.json"),
            "--markdown", Path.Combine(dir.Path, "r.md"), "--plot", Path.Combine(dir.Path, "r.png")]);
        var doc = EvalCommand.Execute(o, console.Console);
        output.WriteLine(console.Text);

        Assert.Equal(["sift", "loftr"], doc.Reports.Select(r => r.Method));
        var reports = doc.Reports.Cast<PoseReport>().ToList();
        Assert.All(reports, r => Assert.Equal(14, r.PairCount));
        Assert.All(reports, r => Assert.Equal(14, r.Pairs.Count));
        Assert.All(reports, r => Assert.All(new[] { r.Auc5, r.Auc10, r.Auc20, r.Precision }, v => Assert.InRange(v, 0.0, 1.0)));
        Assert.All(reports, r => Assert.True(r.Auc5 <= r.Auc10 && r.Auc10 <= r.Auc20));
        Assert.All(reports, r => Assert.True(r.MeanMatchMilliseconds > 0));
        // SIFT solves scene0758_00 only (shared/data/eval/VERIFICATION.md: t_err 12.3, R_err 6.4 deg).
        var sift = reports[0];
        Assert.Equal(1, sift.Pairs.Count(p => p.PoseErrorDeg < 20));
        var s758 = sift.Pairs.Single(p => p.PoseErrorDeg < 20);
        Assert.Contains("scene0758_00", s758.Identifier);
        Assert.Equal(12.3, s758.TranslationErrorDeg, 0.1);
        Assert.Equal(6.4, s758.RotationErrorDeg, 0.1);
        Assert.Equal(39.1, sift.MeanMatches, 0.1); // 548 ratio-test matches over 14 pairs
        Assert.True(reports[1].MeanMatches > 0, "LoFTR produced no matches at all");

        // Console: a summary with both rows and one per-pair table per method.
        Assert.Contains("SIFT vs LOFTR: pose on pairs (14 pairs)", console.Text);
        Assert.Contains("sift: per pair (names under images_640x480/)", console.Text);
        Assert.Contains("loftr: per pair", console.Text);

        // JSON round trip, Markdown with both methods, a readable plot.
        var back = EvalReportJson.Read(Path.Combine(dir.Path, "r.json"));
        Assert.Equal(EvalReportJson.Serialize(doc), EvalReportJson.Serialize(back));
        Assert.IsType<PoseReport>(back.Reports[1]);
        string md = File.ReadAllText(Path.Combine(dir.Path, "r.md"));
        Assert.Contains("| sift | 14 | 0.00 | 0.00 | 4.94 |", md);
        Assert.Contains("| loftr | 14 |", md);
        using var png = Cv2.ImRead(Path.Combine(dir.Path, "r.png"));
        Assert.Equal(new Size(800, 560), png.Size());
    }

    [Fact]
    public void HomographyOnGraffitiWithSiftAndLoftr()
    {
        string h = TestData.Path("eval/homography");
        using var dir = new TempFolder();
        var console = new EvalConsole();
        int code = EvalCommand.Run(["homography", "--dataset", "homography-pair", "--image0", Path.Combine(h, "graf1.png"),
            "--image1", Path.Combine(h, "graf3.png"), "--homography", Path.Combine(h, "H1to3p.xml"), "--method", "loftr", "--method", "sift",
            "--weights", Weights, "--json", Path.Combine(dir.Path, "g.json"), "--plot", Path.Combine(dir.Path, "g.png")], console.Console);
        output.WriteLine(console.Text);
        Assert.Equal(0, code);
        var doc = EvalReportJson.Read(Path.Combine(dir.Path, "g.json"));
        var reports = doc.Reports.Cast<HomographyReport>().ToList();
        Assert.Equal(["loftr", "sift"], reports.Select(r => r.Method));
        var sift = reports[1].Pairs.Single();
        // shared/data/eval/VERIFICATION.md: SIFT + RANSAC 3 px -> 686 matches, 5.06 px mean corner error.
        Assert.Equal(686, sift.Matches);
        Assert.Equal(5.06, sift.CornerError, 0.05);
        Assert.True(reports[1].Auc10 > 0.7);
        var loftr = reports[0].Pairs.Single();
        Assert.True(loftr.Matches > 0);
        Assert.InRange(loftr.Precision, 0.0, 1.0);
        Assert.True(File.Exists(Path.Combine(dir.Path, "g.png")));
    }

    [Fact]
    public void StereoPlotCountsMatchesNotPairs()
    {
        // A tiny in-memory stereo report plots per-match errors.
        var report = new StereoReport
        {
            Dataset = "stereo", Method = "sift", MethodDescription = "", Protocol = "", PairCount = 1, MeanMatches = 4, MeanMatchMilliseconds = 1,
            Thresholds = [1.0, 2.0, 5.0], FractionWithin = [0.5, 0.75, 0.75], EvaluatedCount = 4, MedianError = 1.25,
            Pairs = [new StereoPairReport("a b", 4, 4, [0.5, 0.75, 0.75], 1.25, 1) { Errors = [0.2, 0.7, 1.8, 9] }],
        };
        var (label, max, curves) = ErrorCurvePlot.FromReports([report]);
        Assert.Equal(5.0, max);
        Assert.Contains("[px]", label);
        Assert.Equal(0.5, curves[0].FractionAtMost(1.0));
        Assert.Equal(0.75, curves[0].FractionAtMost(5.0));
        var md = EvalTables.Markdown(new EvalReportDocument("t", [report]));
        Assert.Contains("| sift | 1 | 50.00 | 75.00 | 75.00 | 1.25 | 4 | 4.0 | 1.0 |", md);
    }

    [Theory]
    [InlineData(new[] { "pose" }, "--dataset is required")]
    [InlineData(new[] { "match", "--dataset", "pairs" }, "Unknown task 'match'")]
    [InlineData(new[] { "pose", "--dataset", "hpatches", "--data-root", "x" }, "Dataset 'hpatches' does not fit task 'pose'")]
    [InlineData(new[] { "pose", "--dataset", "pairs" }, "--dataset pairs needs --pairs")]
    [InlineData(new[] { "pose", "--dataset", "pairs", "--pairs", "p.txt", "--method", "loftr" }, "--method loftr needs --weights FILE")]
    [InlineData(new[] { "pose", "--dataset", "pairs", "--pairs", "p.txt", "--method", "orb" }, "Unknown method 'orb'")]
    [InlineData(new[] { "pose", "--dataset", "pairs", "--pairs", "p.txt", "--max-pairs", "0" }, "--max-pairs must be positive")]
    [InlineData(new[] { "pose", "--dataset", "pairs", "--pairs" }, "--pairs needs a value")]
    [InlineData(new[] { "stereo", "--dataset", "stereo", "--data-root", "d", "--bogus" }, "Unknown option '--bogus'")]
    [InlineData(new[] { "homography", "--dataset", "homography-pair", "--image0", "a", "--image1", "b" }, "needs --homography")]
    public void InvalidArgumentsAreRejectedWithTheReason(string[] args, string message)
    {
        var ex = Assert.Throws<EvalUsageException>(() => EvalCommandOptions.Parse(args));
        Assert.Contains(message, ex.Message);
        var console = new EvalConsole();
        Assert.Equal(2, EvalCommand.Run(args, console.Console));
        Assert.Contains("usage: eval pose|homography|stereo", console.Text);
    }

    [Fact]
    public void OptionsCarryDefaultsAndOverrides()
    {
        var o = EvalCommandOptions.Parse(["pose", "--dataset", "megadepth", "--data-root", "r", "--scene-info", "s.txt", "--method", "sift",
            "--method", "loftr,sift", "--weights", "w.ckpt", "--preset", "outdoor_ds", "--resize", "long:1200", "--divisible-by", "8", "--no-pad",
            "--max-matches", "2000", "--ransac-threshold", "1"]);
        Assert.Equal(["sift", "loftr"], o.Methods);
        Assert.Equal("outdoor_ds", o.Preset);
        Assert.False(o.Pad);
        Assert.Equal(2000, o.MaxMatches);
        Assert.Equal(1.0, o.RansacThreshold);
        Assert.True(EvalCommandOptions.Parse(["--help"]).Help);

        // A missing file is a data error (exit code 1) naming the file.
        var console = new EvalConsole();
        Assert.Equal(1, EvalCommand.Run(["pose", "--dataset", "pairs", "--pairs", "/nonexistent/p.txt"], console.Console));
        Assert.Contains("Pairs file not found: /nonexistent/p.txt", console.Text);
        Assert.Equal(2, EvalCommand.Run(["pose", "--dataset", "scannet", "--data-root", "r", "--resize", "long:840"], new EvalConsole().Console));
    }
}
