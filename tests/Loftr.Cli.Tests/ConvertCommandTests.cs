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
        var r = CliRunner.RunOk(log, "convert", Paths.Weights, tuned, "--threshold", "0.3", "--refinement", "local", "--sharpest", "0.5");
        Assert.Contains("coarse threshold 0.3, refinement LocalExpectation, sharpest fraction 0.5", r.Out);
        using var a = LoftrCheckpoint.LoadModel(plain);
        using var b = LoftrCheckpoint.LoadModel(tuned);
        Assert.Equal(FineRefinement.Expectation, a.Config.Refinement);
        Assert.Equal(1.0, a.Config.SharpestFraction);
        Assert.Equal(FineRefinement.LocalExpectation, b.Config.Refinement);
        Assert.Equal(0.5, b.Config.SharpestFraction);
        Assert.Equal(0.3, b.Config.CoarseMatching.Threshold);
        Assert.Equal(LoftrCheckpoint.ConfigToJson(a.Config with { Refinement = b.Config.Refinement, SharpestFraction = 0.5,
            CoarseMatching = a.Config.CoarseMatching with { Threshold = 0.3 } }), LoftrCheckpoint.ConfigToJson(b.Config));
    }

    [Theory]
    [InlineData("--sharpest", "0", "--sharpest: 0 must be positive.")]
    [InlineData("--sharpest", "1.5", "--sharpest: 1.5 must be <= 1.")]
    [InlineData("--refinement", "peak", "'peak' not recognized. Must be one of:")]
    public void RejectsABadInferenceSetting(string option, string value, string message)
    {
        string output = _dir.File("bad.safetensors");
        var r = CliRunner.Run("convert", Paths.Weights, output, option, value);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(message, r.Err);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void MatchTakesTheInferenceSettingsAsOptions()
    {
        var all = CliRunner.RunOk(log, "match", Paths.Box, Paths.BoxInScene, "--weights", Paths.Weights, "--resize", "320", "--threshold", "0.05");
        var half = CliRunner.RunOk(log, "match", Paths.Box, Paths.BoxInScene, "--weights", Paths.Weights, "--resize", "320", "--threshold", "0.05",
            "--refinement", "local", "--sharpest", "0.5");
        Assert.Contains("local sub-pixel estimate, sharpest 50 %", half.Out);
        Assert.DoesNotContain("sharpest", all.Out);
        var bad = CliRunner.Run("match", Paths.Box, Paths.BoxInScene, "--weights", Paths.Weights, "--sharpest", "0");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("--sharpest", bad.Err);
    }

    [Fact]
    public void InferenceSettingsWithoutLoftrAreUsageErrors()
    {
        var colmap = CliRunner.Run("colmap", "--images", _dir.Path, "--database", _dir.File("x.db"), "--matcher", "sift", "--sharpest", "0.5");
        Assert.True(colmap.ExitCode == 2, colmap.ToString());
        Assert.Contains("--refinement/--sharpest are for --matcher loftr", colmap.Err);
        var eval = CliRunner.Run("eval", "homography", "--dataset", "homography-pair", "--image0", Paths.Graf1, "--image1", Paths.Graf3,
            "--homography", Paths.Data("eval/homography/graf_H1to3.txt"), "--method", "sift", "--sharpest", "0.5");
        Assert.True(eval.ExitCode == 2, eval.ToString());
        Assert.Contains("add --method loftr", eval.Err);
    }

    [Fact]
    public void InfoShowsTheInferenceSettings()
    {
        string tuned = _dir.File("tuned.safetensors");
        CliRunner.RunOk(log, "convert", Paths.Weights, tuned, "--refinement", "local", "--sharpest", "0.25");
        Assert.Contains("expectation around the heatmap's peak, keeps the sharpest 25 % of the matches", CliRunner.RunOk(log, "info", tuned).Out);
        Assert.Contains("whole-window expectation (the reference), keeps every match", CliRunner.RunOk(log, "info", Paths.Weights).Out);
    }
}
