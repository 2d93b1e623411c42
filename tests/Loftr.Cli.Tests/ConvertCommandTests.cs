using Loftr.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests;

public sealed class ConvertCommandTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void StoresTheInferenceSettingsInTheConfiguration()
    {
        string plain = _dir.File("plain.safetensors"), tuned = _dir.File("tuned.safetensors");
        CliRunner.RunOk(log, "convert", Paths.Weights, plain);
        var r = CliRunner.RunOk(log, "convert", Paths.Weights, tuned, "--threshold", "0.3", "--refinement", "local", "--sharpest", "0.5",
            "--second-pass", "2", "--patch-align", "10", "--patch-min-correlation", "0.6");
        Assert.Contains("coarse threshold 0.3, refinement LocalExpectation, sharpest fraction 0.5, second fine pass 2x, patch alignment radius 10, " +
            "matches correlating below 0.6 dropped", r.Out);
        using var a = LoftrCheckpoint.LoadModel(plain);
        using var b = LoftrCheckpoint.LoadModel(tuned);
        Assert.Equal(FineRefinement.Expectation, a.Config.Refinement);
        Assert.Equal(1.0, a.Config.SharpestFraction);
        Assert.Equal(FineRefinement.LocalExpectation, b.Config.Refinement);
        Assert.Equal(0.5, b.Config.SharpestFraction);
        Assert.Null(a.Config.SecondPassScale);
        Assert.Equal(2.0, b.Config.SecondPassScale);
        Assert.Null(a.Config.PatchAlignmentRadius);
        Assert.Equal(10.0, b.Config.PatchAlignmentRadius);
        Assert.Null(a.Config.PatchAlignmentMinCorrelation);
        Assert.Equal(0.6, b.Config.PatchAlignmentMinCorrelation);
        Assert.Equal(0.3, b.Config.CoarseMatching.Threshold);
        Assert.Equal(LoftrCheckpoint.ConfigToJson(a.Config with { Refinement = b.Config.Refinement, SharpestFraction = 0.5, SecondPassScale = 2,
            PatchAlignmentRadius = 10, PatchAlignmentMinCorrelation = 0.6, CoarseMatching = a.Config.CoarseMatching with { Threshold = 0.3 } }), LoftrCheckpoint.ConfigToJson(b.Config));
    }

    [Theory]
    [InlineData("--sharpest", "0", "--sharpest: 0 must be positive.")]
    [InlineData("--sharpest", "1.5", "--sharpest: 1.5 must be <= 1.")]
    [InlineData("--refinement", "peak", "'peak' not recognized. Must be one of:")]
    [InlineData("--second-pass", "0.5", "--second-pass: 0.5 must be >= 1.")]
    [InlineData("--second-pass", "5", "--second-pass: 5 must be <= 4.")]
    [InlineData("--patch-align", "1", "--patch-align: 1 must be 0 (none) or in [2, 32].")]
    [InlineData("--patch-align", "33", "--patch-align: 33 must be <= 32.")]
    [InlineData("--patch-align", "-1", "--patch-align: -1 must be >= 0.")]
    [InlineData("--patch-min-correlation", "1.5", "--patch-min-correlation: 1.5 must be <= 1.")]
    public void RejectsABadInferenceSetting(string option, string value, string message)
    {
        string output = _dir.File("bad.safetensors");
        UsageError(message, "convert", Paths.Weights, output, option, value);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void MatchTakesTheInferenceSettingsAsOptions()
    {
        var all = CliRunner.RunOk(log, "match", Paths.Box, Paths.BoxInScene, "--weights", Paths.Weights, "--resize", "320", "--threshold", "0.05");
        var half = CliRunner.RunOk(log, "match", Paths.Box, Paths.BoxInScene, "--weights", Paths.Weights, "--resize", "320", "--threshold", "0.05",
            "--refinement", "local", "--sharpest", "0.5", "--second-pass", "2", "--patch-align", "6");
        Assert.Contains("local sub-pixel estimate, sharpest 50 %, second fine pass at 2x, patch alignment radius 6", half.Out);
        Assert.DoesNotContain("sharpest", all.Out);
        Assert.DoesNotContain("second fine pass", all.Out);
        Assert.DoesNotContain("patch alignment", all.Out);
        var bad = CliRunner.Run("match", Paths.Box, Paths.BoxInScene, "--weights", Paths.Weights, "--sharpest", "0");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("--sharpest", bad.Err);
    }

    [Fact]
    public void InferenceSettingsWithoutLoftrAreUsageErrors()
    {
        UsageError("--refinement/--sharpest/--second-pass/--patch-align/--patch-min-correlation are for --matcher loftr",
            "colmap", "--images", _dir.Path, "--database", _dir.File("x.db"), "--matcher", "sift", "--sharpest", "0.5");
        UsageError("--patch-min-correlation are for --matcher loftr",
            "colmap", "--images", _dir.Path, "--database", _dir.File("y.db"), "--matcher", "sift", "--patch-align", "8");
        UsageError("add --method loftr", GraffitiEval("--method", "sift", "--sharpest", "0.5"));
        UsageError("--loftr-second-pass must be in [1, 4], got '0.5'",
            GraffitiEval("--method", "loftr", "--weights", Paths.Weights, "--loftr-second-pass", "0.5"));
        UsageError("--loftr-patch-align must be 0 (none) or in [2, 32], got '1'",
            GraffitiEval("--method", "loftr", "--weights", Paths.Weights, "--loftr-patch-align", "1"));
        UsageError("--loftr-patch-align sets LoFTR's inference; add --method loftr", GraffitiEval("--method", "sift", "--loftr-patch-align", "8"));
        UsageError("--loftr-patch-min-correlation must be in [-1, 1] or none, got '2'",
            GraffitiEval("--method", "loftr", "--weights", Paths.Weights, "--loftr-patch-min-correlation", "2"));
    }

    /// <summary>Runs the tool, expects exit code 2 and <paramref name="message"/> on stderr.</summary>
    private static void UsageError(string message, params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(message, r.Err);
    }

    /// <summary>`loftr eval homography` on the graffiti pair with <paramref name="extra"/> arguments.</summary>
    private static string[] GraffitiEval(params string[] extra) =>
    [
        "eval", "homography", "--dataset", "homography-pair", "--image0", Paths.Graf1, "--image1", Paths.Graf3,
        "--homography", Paths.Data("eval/homography/graf_H1to3.txt"), .. extra,
    ];

    [Fact]
    public void InfoShowsTheInferenceSettings()
    {
        string tuned = _dir.File("tuned.safetensors");
        CliRunner.RunOk(log, "convert", Paths.Weights, tuned, "--refinement", "local", "--sharpest", "0.25", "--second-pass", "1.5",
            "--patch-align", "12", "--patch-min-correlation", "0.7");
        Assert.Contains("expectation around the heatmap's peak, keeps the sharpest 25 % of the matches, second fine pass at 1.5x, patch alignment radius 12 " +
            "(matches correlating below 0.7 dropped)",
            CliRunner.RunOk(log, "info", tuned).Out);
        Assert.Contains("whole-window expectation (the reference), keeps every match", CliRunner.RunOk(log, "info", Paths.Weights).Out);
    }
}
