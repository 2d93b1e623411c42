using Loftr.Cli.Tests.Infrastructure;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests;

/// <summary>Every user error: a one-line <c>error: ...</c> on stderr, the documented exit code, never a stack trace.</summary>
public sealed class ErrorTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private CliResult Fails(int exitCode, string expectedMessage, params string[] args)
    {
        var r = CliRunner.Run(args);
        log.WriteLine($"$ loftr {string.Join(' ', args)}\n{r}");
        Assert.True(r.ExitCode == exitCode, r.ToString());
        Assert.StartsWith("error: ", r.Err);
        Assert.Contains(expectedMessage, r.Err);
        Assert.DoesNotContain("   at ", r.Err); // no stack trace
        Assert.DoesNotContain("Exception", r.Err);
        return r;
    }

    private string WriteImage(string name, int width, int height)
    {
        string path = _dir.File(name);
        using var mat = new Mat(height, width, MatType.CV_8UC1, Scalar.All(128));
        Cv2.ImWrite(path, mat);
        return path;
    }

    private string WriteText(string name, string text)
    {
        string path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string[] Match(string a, string b, params string[] more) => Args.Of("match", a, b, Args.Fast, more);

    [Fact]
    public void MissingImage() =>
        Fails(2, "IMG1 not found: /no/such/image.png", Match(Paths.Box, "/no/such/image.png"));

    [Fact]
    public void ImageThatIsADirectory() =>
        Fails(2, "is a directory, not an image file", Match(_dir.Path, Paths.Box));

    [Fact]
    public void UnreadableNonImageFile() =>
        Fails(2, "not an image that OpenCV can decode", Match(WriteText("notes.png", "this is text, not a PNG"), Paths.Box));

    [Fact]
    public void ZeroSizeImage() =>
        Fails(2, "the file is empty (0 bytes)", Match(Paths.Box, WriteText("empty.jpg", "")));

    [Fact]
    public void TinyImage()
    {
        var r = Fails(2, "is too small; the model needs at least 40x40 pixels", Match(WriteImage("tiny.png", 30, 200), Paths.Box));
        Assert.Contains("tiny.png", r.Err);
    }

    [Fact]
    public void ResizeThatMakesTheImageTooSmall() =>
        Fails(2, "too small", Args.Of("match", Paths.Box, Paths.BoxInScene, Args.Model, "--resize", "48"));

    [Fact]
    public void UnsupportedImageExtension() =>
        Fails(2, "unsupported image extension '.gif'", Match(Paths.Box, WriteText("anim.gif", "GIF89a")));

    [Fact]
    public void UnsupportedOutputExtension() =>
        Fails(2, "--out " + _dir.File("m.txt") + ": unsupported extension '.txt'; use .json, .csv or .npz", Match(Paths.Box, Paths.BoxInScene, "--out", _dir.File("m.txt")));

    [Fact]
    public void UnsupportedPlotExtension() =>
        Fails(2, "unsupported extension '.svg'; use .png or .jpg", Match(Paths.Box, Paths.BoxInScene, "--plot", _dir.File("p.svg")));

    [Theory]
    [InlineData("1,2,3", "--K0: got 3 numbers; expected \"fx,fy,cx,cy\" or 9 numbers")]
    [InlineData("500,500,abc,240", "--K0: 'abc' is not a number")]
    [InlineData("1 0 2 0 1 3 0 0 2", "the last row of K must be 0 0 1")]
    [InlineData("-5,500,320,240", "focal lengths fx and fy must be positive")]
    public void BadIntrinsics(string k, string message) =>
        Fails(2, message, Match(Paths.Graf1, Paths.Graf3, "--geometry", "essential", "--K0", k));

    [Fact]
    public void EssentialWithoutIntrinsics() =>
        Fails(2, "--geometry essential needs the intrinsics --K0", Match(Paths.Graf1, Paths.Graf3, "--geometry", "essential"));

    [Fact]
    public void IntrinsicsWithoutEssential() =>
        Fails(2, "--K0/--K1 are only used with --geometry essential", Match(Paths.Graf1, Paths.Graf3, "--K0", "500,500,320,240"));

    [Fact]
    public void UnknownGeometry() =>
        Fails(2, "affine", Match(Paths.Graf1, Paths.Graf3, "--geometry", "affine"));

    [Theory]
    [InlineData("--resize", "abc", "--resize: 'abc' is not a size")]
    [InlineData("--resize", "0x480", "sides must be between 1 and 16384")]
    [InlineData("--threshold", "high", "--threshold: 'high' is not a number")]
    [InlineData("--threshold", "1.5", "--threshold: 1.5 is out of range [0, 1]")]
    [InlineData("--max-matches", "-3", "--max-matches: '-3' is not a positive whole number")]
    [InlineData("--rotations", "0,45", "--rotations: '45' is not one of 0, 90, 180, 270")]
    [InlineData("--rotations", "90,90", "90 is listed twice")]
    public void BadOptionValues(string option, string value, string message) =>
        Fails(2, message, Args.Of("match", Paths.Box, Paths.BoxInScene, Args.Model, option, value));

    [Fact]
    public void UnknownOption()
    {
        var r = Fails(2, "Unrecognized command or argument '--frobnicate'", Match(Paths.Box, Paths.BoxInScene, "--frobnicate"));
        Assert.Contains("Run 'loftr match --help' for usage.", r.Err);
    }

    [Fact]
    public void MissingArgument() =>
        Fails(2, "Required argument missing", "match", Paths.Box);

    [Fact]
    public void NoWeightsUsesTheDefaultModelWhenTheBuildCarriesOne()
    {
        if (!DefaultModel.IsAvailable)
        {
            var r = Fails(2, "carries no default model", "match", Paths.Box, Paths.BoxInScene);
            Assert.Contains("--weights FILE", r.Err);
            Assert.Contains("--preset outdoor_ds", r.Err);
            return;
        }
        var ok = CliRunner.Run("match", Paths.Box, Paths.BoxInScene);
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("default model (docs/model-card.md)", ok.Out);
    }

    [Fact]
    public void PresetWithoutWeights() =>
        Fails(2, "--preset outdoor_ds gives the configuration of a released checkpoint, but no checkpoint was given", "match", Paths.Box,
            Paths.BoxInScene, "--preset", "outdoor_ds");

    [Fact]
    public void UnknownPreset() =>
        Fails(2, "unknown --preset 'outdoor_xl'; valid presets: indoor_ds_new, indoor_ds, indoor_ot, outdoor_ds, outdoor_ot", Args.Of("match",
            Paths.Box, Paths.BoxInScene, Args.Model, "--preset", "outdoor_xl"));

    [Fact]
    public void MissingWeightsFile() =>
        Fails(2, "weights file not found: /no/such/outdoor_ds.ckpt", "match", Paths.Box, Paths.BoxInScene, "--weights", "/no/such/outdoor_ds.ckpt");

    [Fact]
    public void WeightsThatAreNotACheckpoint() =>
        Fails(2, "not a .ckpt or .safetensors file", "match", Paths.Box, Paths.BoxInScene, "--weights", WriteText("w.ckpt", "hello, not weights"));

    [Fact]
    public void WeightsThatDoNotFitThePreset()
    {
        var r = Fails(2, "the state dict does not match the model", Args.Of("match", Paths.Box, Paths.BoxInScene, Args.Model, "--preset", "outdoor_ds"));
        Assert.Contains("hint: the weights do not fit the configuration", r.Err);
    }

    [Fact]
    public void OutputThatCannotBeWritten()
    {
        string blocker = WriteText("file", "x");
        Fails(1, "cannot write " + Path.Combine(blocker, "sub", "m.json"), Match(Paths.Box, Paths.BoxInScene, "--out", Path.Combine(blocker, "sub", "m.json")));
    }

    [Fact]
    public void InfoOnMissingAndNonCheckpointFiles()
    {
        Fails(2, "checkpoint file not found: /no/such.ckpt", "info", "/no/such.ckpt");
        Fails(2, "not a .ckpt or .safetensors file", "info", WriteText("x.safetensors", "nope"));
    }

    [Fact]
    public void MalformedPairsLineNamesItsLineNumber()
    {
        string list = WriteText("pairs.txt", "# demo pairs\nbox.png box_in_scene.png\n\nbox.png\nbox_in_scene.png box.png\n");
        Fails(2, list + ":4: malformed pair line \"box.png\"", Args.Of("pairs", "--pairs", list, "--images", Path.GetDirectoryName(Paths.Box)!,
            "--out", _dir.File("r.db"), Args.Model));
        Assert.False(File.Exists(_dir.File("r.db")));
    }

    [Fact]
    public void PairsWithMissingImagesAreRefusedBeforeMatching()
    {
        string list = WriteText("pairs.txt", "box.png box_in_scene.png\nbox.png nothere.png\nmissing.jpg box.png\n");
        var r = Fails(2, "2 image(s) of the pairs list cannot be used (nothing was matched)", Args.Of("pairs", "--pairs", list, "--images",
            Path.GetDirectoryName(Paths.Box)!, "--out", _dir.File("r.db"), Args.Model));
        Assert.Contains(list + ":2: image not found: ", r.Err);
        Assert.Contains(list + ":3: image not found: ", r.Err);
        Assert.False(File.Exists(_dir.File("r.db")));
    }

    [Fact]
    public void PairsOptionsMissingOrWrong()
    {
        Fails(2, "Option '--images' is required", "pairs", "--pairs", "p.txt", "--out", "r.db");
        Fails(2, "pairs list not found: /no/pairs.txt", Args.Of("pairs", "--pairs", "/no/pairs.txt", "--images", _dir.Path, "--out", _dir.File("r.db"), Args.Model));
        string list = WriteText("pairs.txt", "a.png b.png\n");
        Fails(2, "--images folder not found: /no/images", Args.Of("pairs", "--pairs", list, "--images", "/no/images", "--out", _dir.File("r.db"), Args.Model));
        Fails(2, "no pairs (every line is blank or a # comment)", Args.Of("pairs", "--pairs", WriteText("empty.txt", "# nothing\n\n"), "--images",
            _dir.Path, "--out", _dir.File("r.db"), Args.Model));
    }

    [Fact]
    public void PairsRefusesToOverwriteAFileThatIsNotAResultsDatabase()
    {
        string list = WriteText("pairs.txt", "box.png box_in_scene.png\n");
        string precious = WriteText("thesis.db", "my thesis, not a database");
        Fails(2, "is not a loftr results database", Args.Of("pairs", "--pairs", list, "--images", Path.GetDirectoryName(Paths.Box)!,
            "--out", precious, "--overwrite", Args.Model));
        Assert.Equal("my thesis, not a database", File.ReadAllText(precious));
    }

    [Fact]
    public void ExportErrors()
    {
        Fails(2, "results database not found: /no/r.db", "export", "/no/r.db", "--out", _dir.File("x.json"));
        Fails(2, "is not a loftr results database", "export", WriteText("r.db", "not sqlite at all, just text that is long enough"), "--out", _dir.File("x.json"));
        Fails(2, "give --format json, csv or npz", "export", "/no/r.db", "--out", _dir.File("outdir"));
        Fails(2, "npz export writes one .npz file per pair", "export", "/no/r.db", "--out", _dir.File("all.npz"));
        Fails(2, "has the extension '.csv' but --format is json", "export", "/no/r.db", "--format", "json", "--out", _dir.File("all.csv"));
    }

    [Fact]
    public void NoArgumentsShowsHelpWithUsageExitCode()
    {
        var r = CliRunner.Run();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("Usage:", r.Out);
        Assert.Contains("Exit codes:", r.Out);
    }

    [Fact]
    public void HelpListsTheCommandsAndExitCodes()
    {
        var r = CliRunner.Run("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var s in new[] { "match", "pairs", "export", "info", "  eval  ", "  train  ", "  colmap  ", "  weights  ", "Exit codes:", "130  interrupted",
                     "2    usage or input error" })
            Assert.Contains(s, r.Out);
        var m = CliRunner.Run("match", "--help");
        Assert.Equal(0, m.ExitCode);
        foreach (var s in new[] { "--weights", "--preset", "--resize", "--threshold", "--max-matches", "--geometry", "--K0", "--K1", "--rotations",
                     "--rotation-mode", "--symmetric", "--out", "--plot", "fx,fy,cx,cy", "Exit codes:" })
            Assert.Contains(s, m.Out);
    }
}
