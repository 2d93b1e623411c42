using System.Text.Json;
using Loftr.Cli.Tests.Infrastructure;
using Loftr.Training;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests;

/// <summary>
/// <c>loftr train</c> and <c>loftr train make-split</c> on the committed phototourism photos at the smallest size the coarse sampler accepts (320x240, the
/// small preset, one thread): checkpoints, --resume, the recipe and its overrides, Ctrl-C, and the input errors.
/// </summary>
public sealed class TrainCommandTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Photos => Paths.Data("phototourism");

    private static string Recipe => Path.Combine(Paths.Root, "recipes", "default", "recipe.json");

    /// <summary>A tiny run: 320x240 (the smallest 4:3 size with enough coarse windows for the sampler), small model, no validation, a checkpoint every step.</summary>
    private static string[] Tiny(string output, params string[] more) =>
        Args.Of("train", "--images", Photos, "--size", "320x240", "--preset", "small", "--steps", "3", "--val-every", "0", "--ckpt-every", "1",
            "--threads", "1", "--out", output, more);

    private static string[] Checkpoints(string output) =>
        Directory.GetFiles(Path.Combine(output, "checkpoints"), "step_*.ckpt").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private static long[] LoggedSteps(string output) =>
        File.ReadAllLines(Path.Combine(output, "train_log.csv")).Skip(1).Select(l => long.Parse(l.Split(',')[0])).ToArray();

    [Fact]
    public void WritesCheckpointsAndResumeContinuesToTheEnd()
    {
        string output = _dir.File("run");
        var first = CliRunner.RunOk(log, Tiny(output, "--stop-after", "2"));
        Assert.Contains("LoFTR training: ", first.Out);
        Assert.Contains("stopped at step 2 of 3; continue with --resume (checkpoint ", first.Out);
        Assert.Equal(["step_0000001.ckpt", "step_0000002.ckpt"], Checkpoints(output));
        Assert.Equal([0L, 1L], LoggedSteps(output));
        Assert.False(File.Exists(Path.Combine(output, "model.ckpt")));

        var second = CliRunner.RunOk(log, Tiny(output, "--resume"));
        Assert.Contains("resumed at step 2", second.Out);
        Assert.Equal([0L, 1L, 2L], LoggedSteps(output));
        Assert.Equal(["step_0000002.ckpt", "step_0000003.ckpt"], Checkpoints(output)); // --keep 2 (default)
        Assert.Contains("final weights: " + Path.Combine(output, "model.ckpt"), second.Out);
        Assert.True(File.Exists(Path.Combine(output, "loss_curves.png")));
        using (var run = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "run.json"))))
            Assert.Equal([3L, 6L, 9L, 12L], run.RootElement.GetProperty("options").GetProperty("Milestones").EnumerateArray().Select(e => e.GetInt64()));

        // The final weights carry their configuration: 'loftr info' reads it, as 'loftr match --weights' does.
        var info = CliRunner.RunOk(log, "info", Path.Combine(output, "model.ckpt"));
        Assert.Contains("embedded in the file", info.Out);
        Assert.Equal(TrainingPresets.Small.Backbone, LoftrCheckpoint.Inspect(Path.Combine(output, "model.ckpt")).Config.Backbone);
    }

    [Fact]
    public void RecipeValuesAreUsedAndCommandLineOptionsOverrideThem()
    {
        // The recipe's split names photos of shared/data/train_photos: draw one for the test photos and pass it with --split.
        string split = _dir.File("split.json");
        var made = CliRunner.RunOk(log, "train", "make-split", "--images", Photos, "--validation", "1", "--test", "1", "--out", split);
        Assert.Contains(split + ": 1 validation, 1 test, 6 training photos", made.Out);
        var drawn = HoldoutSplit.Load(split);
        var expected = HoldoutSplit.Draw(Directory.GetFiles(Photos, "*.jpg"), 1, 1, 66); // the library's draw, default seed 66
        Assert.Equal(expected.Validation, drawn.Validation);
        Assert.Equal(expected.Test, drawn.Test);

        // The default recipe with a fine-loss weight, next to the drawn split (the recipe's "split.json" resolves to it).
        string recipeCopy = _dir.File("recipe.json");
        File.WriteAllText(recipeCopy, File.ReadAllText(Recipe).Replace("\"keep\": 3,", "\"keep\": 3,\n  \"fineWeight\": 2.5,", StringComparison.Ordinal));
        Assert.Equal(2.5, TrainingRecipe.Load(recipeCopy).FineWeight);

        string output = _dir.File("recipe-run");
        CliRunner.RunOk(log, "train", "--recipe", recipeCopy, "--images", Photos, "--split", split, "--size", "320x240", "--steps", "1",
            "--val-every", "0", "--gamma", "0.25", "--out", output);
        using var run = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "run.json")));
        var options = run.RootElement.GetProperty("options");
        string Text(string name) => options.EnumerateObject().Single(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value.ToString();
        // From the recipe:
        var recipe = TrainingRecipe.Load(Recipe);
        Assert.Equal(recipe.Lr, double.Parse(Text("LearningRate"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(recipe.Warmup, long.Parse(Text("WarmupSteps"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("[" + string.Join(",", recipe.Milestones!) + "]", Text("Milestones").Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        Assert.Equal(recipe.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture), Text("Threads"));
        Assert.Equal(recipe.CkptEvery.ToString(System.Globalization.CultureInfo.InvariantCulture), Text("CheckpointEvery"));
        Assert.NotEqual(1, recipe.Steps); // overridden below
        Assert.Equal("2.5", options.GetProperty("Loss").GetProperty("FineWeight").ToString());
        Assert.Equal("1", options.GetProperty("Loss").GetProperty("CoarseWeight").ToString());
        // From the command line:
        Assert.Equal("1", Text("Steps"));
        Assert.Equal("0", Text("ValidationEvery"));
        Assert.Equal("0.25", Text("Gamma"));
        Assert.Contains("320x240", run.RootElement.GetProperty("data").GetString());
        Assert.Contains("1 validation", run.RootElement.GetProperty("data").GetString());
    }

    [Fact]
    public void CtrlCStopsAfterTheCurrentStepWithACheckpointAndExitCode130()
    {
        string output = _dir.File("interrupted");
        using var cancel = new CancellationTokenSource();
        // A dedicated thread watches the log and cancels, while the training runs on the test thread (see Poll).
        string log0 = Path.Combine(output, "train_log.csv");
        CliResult r;
        using (Poll.CancelWhen(cancel, () => Poll.HasLines(log0, 2)))
            r = CliRunner.Run(Args.Of("train", "--images", Photos, "--size", "320x240", "--steps", "1000", "--val-every", "0",
                "--threads", "1", "--out", output), cancel.Token);
        log.WriteLine(r.ToString());

        Assert.Equal(130, r.ExitCode);
        long steps = LoggedSteps(output).Length;
        Assert.InRange(steps, 1, 999);
        Assert.Equal([$"step_{steps:D7}.ckpt"], Checkpoints(output));
        Assert.Contains("stopping after the current step", r.Err);
        Assert.Contains($"error: interrupted at step {steps}; run the same command with --resume to continue.", r.Err);
        Assert.Contains($"stopped at step {steps} of 1000; continue with --resume", r.Out);
    }

    private CliResult Fails(int exitCode, string expectedMessage, params string[] args)
    {
        var r = CliRunner.Run(args);
        log.WriteLine($"$ loftr {string.Join(' ', args)}\n{r}");
        Assert.True(r.ExitCode == exitCode, r.ToString());
        Assert.StartsWith("error: ", r.Err);
        Assert.Contains(expectedMessage, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        return r;
    }

    [Fact]
    public void InputErrorsNameTheFileOrOption()
    {
        string output = _dir.File("x");
        Fails(2, "--images folder not found: /no/photos", "train", "--images", "/no/photos", "--out", output);
        Fails(2, "unknown --preset 'tiny'; valid values: small, small-fine64, indoor_ds_new", "train", "--images", Photos, "--preset", "tiny", "--out", output);
        Fails(2, "--size: '100x75' is not a size WxH with sides that are positive multiples of 8", "train", "--images", Photos, "--size", "100x75", "--out", output);
        Fails(2, "--steps: 'ten' is not a positive whole number", "train", "--images", Photos, "--steps", "ten", "--out", output);
        Fails(2, "Option '--out' is required", "train", "--images", Photos);
        Fails(2, "give the training data: --images DIR", "train", "--out", output);
        Fails(2, "give either --images or --dataset, not both", "train", "--images", Photos, "--dataset", "scannet", "--out", output);
        Fails(2, "--dataset scannet needs --data-root DIR", "train", "--dataset", "scannet", "--out", output);
        string root = _dir.File("megadepth");
        Directory.CreateDirectory(root);
        Fails(2, "--dataset megadepth needs --index NPZ|DIR|LIST", "train", "--dataset", "megadepth", "--data-root", root, "--out", output);
        Fails(2, "--index not found: /no/scene.npz", "train", "--dataset", "megadepth", "--data-root", root, "--index", "/no/scene.npz", "--out", output);
        Fails(2, "--data-root folder not found: /no/megadepth", "train", "--dataset", "megadepth", "--data-root", "/no/megadepth", "--index", root, "--out", output);
        Fails(2, "--long-side must be a positive multiple of 8, got 100", "train", "--dataset", "megadepth", "--data-root", root, "--index", root,
            "--long-side", "100", "--out", output);
        Fails(2, "--long-side and --samples-per-scene apply to --dataset megadepth only", "train", "--images", Photos, "--long-side", "640", "--out", output);
        string notNpz = _dir.File("scene.npz");
        File.WriteAllText(notNpz, "not a zip");
        var corrupt = CliRunner.Run("train", "--dataset", "megadepth", "--data-root", root, "--index", notNpz, "--out", output);
        log.WriteLine(corrupt.ToString());
        Assert.NotEqual(0, corrupt.ExitCode);
        Assert.Contains("scene.npz", corrupt.Err);
        Assert.DoesNotContain("   at ", corrupt.Err);
        Fails(2, "--recipe file not found: /no/recipe.json", "train", "--recipe", "/no/recipe.json", "--images", Photos, "--out", output);
        Fails(2, "--init checkpoint not found: /no/w.ckpt", "train", "--images", Photos, "--init", "/no/w.ckpt", "--out", output);

        string config = _dir.File("config.json");
        File.WriteAllText(config, "{}");
        Fails(2, "give --config or --preset, not both", "train", "--images", Photos, "--config", config, "--preset", "small", "--out", output);

        // A recipe that is not JSON, or has an unknown key or preset: the message names the file.
        string bad = _dir.File("bad.json");
        File.WriteAllText(bad, "{ \"preset\": \"small\", \"steps\": 10,, }");
        var r = Fails(2, bad + ": not a valid recipe", "train", "--recipe", bad, "--images", Photos, "--out", output);
        File.WriteAllText(bad, "{ \"preset\": \"small\", \"stepz\": 10 }");
        Fails(2, bad + ": not a valid recipe", "train", "--recipe", bad, "--images", Photos, "--out", output);
        File.WriteAllText(bad, "{ \"preset\": \"huge\" }");
        Fails(2, $"recipe {bad}: unknown preset 'huge'", "train", "--recipe", bad, "--images", Photos, "--out", output);
        File.WriteAllText(bad, "{ \"preset\": \"small\", \"fineWeight\": 0 }");
        Fails(2, $"recipe {bad}: fineWeight must be a positive number, got 0.", "train", "--recipe", bad, "--images", Photos, "--out", output);
        File.WriteAllText(bad, "{ \"preset\": \"small-fine64\", \"initPartial\": true }");
        Fails(2, "the recipe's initPartial starts from a checkpoint: give --init CKPT.", "train", "--recipe", bad, "--images", Photos, "--out", output);
        File.WriteAllText(bad, "{ \"preset\": \"small\", \"freeze\": [\"loftr_coarse\", \"backbone.layer9\"] }");
        Fails(2, "Cannot freeze 'backbone.layer9': the model has no such module", "train", "--recipe", bad, "--images", Photos, "--out", output);
        Assert.False(Directory.Exists(output));
        File.WriteAllText(bad, "{ \"preset\": \"small\", \"freeze\": null }");
        Fails(2, $"recipe {bad}: freeze must be a list of module names", "train", "--recipe", bad, "--images", Photos, "--out", output);

        // The default recipe's split names photos that are not in the test folder.
        r = Fails(2, "the held-out split names", "train", "--recipe", Recipe, "--images", Photos, "--out", output);
        Assert.Contains("loftr train make-split", r.Err);
        Assert.False(Directory.Exists(output)); // nothing was started

        Fails(2, "--images folder not found: /no/photos", "train", "make-split", "--images", "/no/photos", "--out", _dir.File("s.json"));
        Fails(2, "Cannot hold out 5 + 5 of 8 photos", "train", "make-split", "--images", Photos, "--validation", "5", "--test", "5", "--out", _dir.File("s.json"));
        Fails(2, "--validation: '0' is not a positive whole number", "train", "make-split", "--images", Photos, "--validation", "0", "--out", _dir.File("s.json"));
    }

    [Fact]
    public void HelpListsEveryOption()
    {
        var r = CliRunner.RunOk(log, "train", "--help");
        foreach (var o in new[] { "--recipe", "--split", "--images", "--dataset", "--data-root", "--index", "--val-index", "--intrinsics", "--preset",
                     "--long-side", "--samples-per-scene", "--config", "--init", "--threshold", "--out", "--steps", "--resume", "--size", "--batch", "--lr", "--warmup", "--milestones",
                     "--gamma", "--interval", "--weight-decay", "--clip", "--precision", "--threads", "--seed", "--val-every", "--val-count",
                     "--ckpt-every", "--keep", "--stop-after", "--dense", "--fine-loss", "--coarse-loss", "--depth-consistency", "make-split",
                     "Exit codes:" })
            Assert.Contains(o, r.Out);
        var s = CliRunner.RunOk(null, "train", "make-split", "--help");
        foreach (var o in new[] { "--images", "--out", "--validation", "--test", "--seed" }) Assert.Contains(o, s.Out);
    }
}
