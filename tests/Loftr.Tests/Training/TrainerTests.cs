using Loftr.IO;
using Loftr.Tests.Infrastructure;
using Loftr.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Loftr.Tests.Training;

/// <summary>The trainer end to end on tiny synthetic photos: checkpoints, exact resume, logs.</summary>
[Collection(nameof(ProcessWide))]
public sealed class TrainerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _photos = TrainingTestData.PhotoFolder(6);
    private readonly List<string> _dirs = [];

    private string NewDir()
    {
        string d = Path.Combine(Path.GetTempPath(), $"loftr-train-out-{Guid.NewGuid():N}");
        _dirs.Add(d);
        return d;
    }

    private TrainerOptions Options(string dir, long steps) => new()
    {
        OutputDirectory = dir,
        Steps = steps,
        BatchSize = 2,
        LearningRate = 2e-3,
        WarmupSteps = 2,
        CheckpointEvery = 2,
        ValidationEvery = 2,
        ProgressSeconds = 1e9,
        Seed = 5,
        Threads = 1, // the machine is shared: one thread avoids OpenMP spinning under oversubscription
    };

    private ITrainingDataset Data() => new HomographyFolderDataset(_photos, 96, 64, seed: 9, validationCount: 2);

    private Dictionary<string, Tensor> Train(TrainerOptions options) => Train(TrainingTestData.TinyConfig, options, new StringWriter());

    private Dictionary<string, Tensor> Train(LoftrConfig config, TrainerOptions options, StringWriter writer)
    {
        using var trainer = new LoftrTrainer(config, Data(), options, writer);
        trainer.Run();
        output.WriteLine(writer.ToString());
        return trainer.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    [Fact]
    public void InterruptedAndResumedRunEndsWithTheSameWeights()
    {
        string unbroken = NewDir(), broken = NewDir();
        var a = Train(Options(unbroken, 5));
        var partial = Train(Options(broken, 5) with { StopAfter = 3 });
        Assert.Equal(3, TrainingCheckpoint.Load(LoftrTrainer.LatestCheckpoint(broken)!).GlobalStep);
        var b = Train(Options(broken, 5) with { Resume = true });

        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        double maxDiff = a.Keys.Max(k => (a[k].to(ScalarType.Float64) - b[k].to(ScalarType.Float64)).abs().max().item<double>());
        double moved = a.Keys.Where(k => k.EndsWith("weight", StringComparison.Ordinal))
            .Max(k => (a[k] - partial[k]).abs().max().item<float>());
        output.WriteLine($"max |unbroken - resumed| = {maxDiff:G3}; steps 4-5 moved weights by up to {moved:G3}");
        Assert.True(maxDiff <= 1e-6, $"resumed weights differ by {maxDiff}");
        Assert.True(moved > 1e-5, "the last steps did not change the weights, so the comparison proves nothing");

        // logs: one row per step, continuous over the interruption; the plot exists
        var rows = File.ReadAllLines(Path.Combine(broken, "train_log.csv")).Skip(1).Select(l => long.Parse(l.Split(',')[0])).ToList();
        Assert.Equal([0L, 1, 2, 3, 4], rows);
        var unbrokenLog = File.ReadAllLines(Path.Combine(unbroken, "train_log.csv")).Skip(1).Select(l => l.Split(',')[3]);
        var resumedLog = File.ReadAllLines(Path.Combine(broken, "train_log.csv")).Skip(1).Select(l => l.Split(',')[3]);
        Assert.Equal(unbrokenLog, resumedLog);
        Assert.True(new FileInfo(Path.Combine(broken, "loss_curves.png")).Length > 1000);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(broken, "val_log.csv")).Length - 1); // steps 2, 4, 5
        foreach (var t in a.Values.Concat(b.Values).Concat(partial.Values)) t.Dispose();
    }

    [Fact]
    public void CheckpointLoadsBackWithIdenticalParametersAndOptimizerState()
    {
        string dir = NewDir();
        var weights = Train(Options(dir, 2));
        string ckpt = LoftrTrainer.LatestCheckpoint(dir)!;

        // our loader: configuration embedded, every tensor identical
        using (var model = LoftrCheckpoint.LoadModel(ckpt))
        {
            Assert.Equal(LoftrCheckpoint.ConfigToJson(TrainingTestData.TinyConfig), LoftrCheckpoint.ConfigToJson(model.Config));
            foreach (var (k, v) in model.state_dict())
                Assert.True(v.eq(weights[k]).all().item<bool>(), $"{k} differs");
        }
        Assert.True(LoftrCheckpoint.Inspect(ckpt).ConfigEmbedded);
        using (var model = LoftrCheckpoint.LoadModel(Path.Combine(dir, "model.ckpt")))
            foreach (var (k, v) in model.state_dict())
                Assert.True(v.eq(weights[k]).all().item<bool>(), $"model.ckpt: {k} differs");

        // released layout: epoch, global_step, pytorch-lightning_version, state_dict with 'matcher.' keys; optimizer state
        var contents = TorchCheckpoint.Load(ckpt);
        Assert.True(contents.IsLightningCheckpoint);
        Assert.Equal(2L, contents.Root["global_step"]);
        Assert.All(contents.StateDict.Keys, k => Assert.StartsWith("matcher.", k));
        var opt = (IReadOnlyDictionary<string, object?>)((List<object?>)contents.Root["optimizer_states"]!)[0]!;
        var state = (IReadOnlyDictionary<string, object?>)opt["state"]!;
        Assert.Equal(weights.Count(kv => !kv.Key.Contains("running_") && !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)), state.Count);
        using var loaded = TrainingCheckpoint.Load(ckpt);
        Assert.All(loaded.OptimizerState.Values, s => Assert.Equal(2, s.Step));
        foreach (var t in weights.Values) t.Dispose();
    }

    [Fact]
    public void FineTuningStartsFromTheGivenCheckpoint()
    {
        string first = NewDir(), second = NewDir();
        var trained = Train(Options(first, 2));
        string init = Path.Combine(first, "model.ckpt");
        // one step with warm-up ratio 1 (full rate from step 0): every weight moves by at most ~lr from the checkpoint
        var tuned = Train(Options(second, 1) with { InitCheckpoint = init, LearningRate = 1e-5, WarmupRatio = 1.0 });
        double maxMove = trained.Keys.Where(k => !k.Contains("running_") && !k.Contains("num_batches"))
            .Max(k => (tuned[k] - trained[k]).abs().max().item<float>());
        Assert.InRange(maxMove, 1e-7, 1.5e-5);
        foreach (var t in trained.Values.Concat(tuned.Values)) t.Dispose();
    }

    /// <summary>
    /// The coarse confidence matrix and the image-1 keypoints of a model with <paramref name="weights"/> on validation
    /// pair 0, with every mutual nearest neighbour (threshold 0: the models here are barely trained).
    /// </summary>
    private (Tensor Confidence, Tensor Keypoints1) Outputs(LoftrConfig config, Dictionary<string, Tensor> weights)
    {
        using var model = new Loftr.Model.LoftrModel(config);
        StateDictIO.LoadInto(model, weights, "weights");
        model.eval();
        using var _ = no_grad();
        using var batch = PairSample.Collate([Data().ValidationSample(0)], config.Backbone.CoarseResolution);
        using var o = model.Forward(batch.Image0, batch.Image1, threshold: 0.0);
        return (o.Coarse.ConfMatrix!.clone(), o.Keypoints1.clone());
    }

    /// <summary>The freeze list of stage 6 of the default model: everything the coarse matches depend on.</summary>
    private static IReadOnlyList<string> Stage6Freeze =>
        TrainingRecipe.Load(Path.Combine(TestData.Root, "recipes", "default", "stage6-640.json")).Freeze;

    [Fact]
    public void FrozenCoarsePathKeepsItsWeightsStatisticsAndCoarseMatches()
    {
        string first = NewDir(), second = NewDir();
        var freeze = Stage6Freeze;
        var init = Train(Options(first, 2));
        var tuned = Train(Options(second, 3) with { InitCheckpoint = Path.Combine(first, "model.ckpt"), Freeze = freeze });
        bool Frozen(string key) => freeze.Any(m => key.StartsWith(m + ".", StringComparison.Ordinal));
        var frozenKeys = init.Keys.Where(Frozen).ToList();
        var trainedKeys = init.Keys.Where(k => !Frozen(k) && k.EndsWith("weight", StringComparison.Ordinal)).ToList();
        Assert.Contains("backbone.layer1.0.bn1.running_mean", frozenKeys);
        Assert.Contains("backbone.layer1_outconv.weight", trainedKeys); // "backbone.layer1" freezes the block, not its namesakes
        // frozen: bit-identical, BatchNorm running statistics included (their modules stay in evaluation mode)
        Assert.All(frozenKeys, k => Assert.True(init[k].eq(tuned[k]).all().item<bool>(), $"{k} changed"));
        // the fine path trained: every trained module moved
        foreach (string module in new[] { "backbone.layer1_outconv2", "backbone.layer2_outconv", "fine_preprocess", "loftr_fine" })
            Assert.Contains(trainedKeys.Where(k => k.StartsWith(module + ".", StringComparison.Ordinal)),
                k => (tuned[k] - init[k]).abs().max().item<float>() > 1e-6);
        Assert.Contains("loftr_coarse", File.ReadAllText(Path.Combine(second, "run.json")));

        // The list is complete: both models give the same coarse confidence matrix, and different sub-pixel matches.
        var (confA, kpA) = Outputs(TrainingTestData.TinyConfig, init);
        var (confB, kpB) = Outputs(TrainingTestData.TinyConfig, tuned);
        Assert.True(confA.eq(confB).all().item<bool>(), "coarse confidences differ");
        Assert.True(kpA.shape[0] > 0, "no matches to compare");
        Assert.True((kpA - kpB).abs().max().item<float>() > 1e-6, "the fine matches did not change");
        foreach (var t in init.Values.Concat(tuned.Values)) t.Dispose();
    }

    [Fact]
    public void PartialInitialisationStartsAWiderFinePathOnTheTrainedCoarsePath()
    {
        string first = NewDir(), second = NewDir();
        var init = Train(Options(first, 2));
        string ckpt = Path.Combine(first, "model.ckpt");
        var wide = TrainingPresets.SmallFine64 with { CoarseMatching = TrainingTestData.TinyConfig.CoarseMatching };
        // a strict start refuses the other shapes
        Assert.Throws<CheckpointMismatchException>(() => Train(wide, Options(NewDir(), 1) with { InitCheckpoint = ckpt }, new StringWriter()));

        var writer = new StringWriter();
        var tuned = Train(wide, Options(second, 2) with { InitCheckpoint = ckpt, InitPartial = true, Freeze = Stage6Freeze }, writer);
        Assert.Contains("25 tensors do not fit and keep their initialisation: backbone.layer1_outconv2 (1), fine_preprocess.down_proj (2), " +
            "fine_preprocess.merge_feat (2), loftr_fine.layers (20)", writer.ToString());
        Assert.Equal([64L, 48, 3, 3], tuned["backbone.layer1_outconv2.3.weight"].shape);
        // every tensor of the old shape came from the checkpoint; the frozen ones are still equal to it
        bool Frozen(string key) => Stage6Freeze.Any(m => key.StartsWith(m + ".", StringComparison.Ordinal));
        Assert.All(init.Keys.Where(Frozen), k => Assert.True(init[k].eq(tuned[k]).all().item<bool>(), $"{k} changed"));
        Assert.Contains("backbone.layer1_outconv2.0.weight", tuned.Keys); // same shape: started from the checkpoint, then trained
        Assert.True(LoftrCheckpoint.Inspect(Path.Combine(second, "model.ckpt")).Config.Backbone.FineOutputDim == 64);

        // the coarse matches are those of the checkpoint's model
        var (confA, _) = Outputs(TrainingTestData.TinyConfig, init);
        var (confB, _) = Outputs(wide, tuned);
        Assert.True(confA.eq(confB).all().item<bool>(), "coarse confidences differ");
        foreach (var t in init.Values.Concat(tuned.Values)) t.Dispose();
    }

    [Fact]
    public void ResumingWithAnotherFreezeListSaysSo()
    {
        string dir = NewDir();
        var partial = Train(Options(dir, 3) with { StopAfter = 1, Freeze = ["loftr_coarse"] });
        var writer = new StringWriter();
        using (var trainer = new LoftrTrainer(TrainingTestData.TinyConfig, Data(), Options(dir, 2) with { Resume = true }, writer))
            trainer.Run();
        output.WriteLine(writer.ToString());
        Assert.Contains("note: the checkpoint's run froze [loftr_coarse]; this run freezes []", writer.ToString());
        foreach (var t in partial.Values) t.Dispose();
    }

    [Fact]
    public void FreezingAnUnknownModuleOrEverythingIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Train(Options(NewDir(), 1) with { Freeze = ["backbone.layer9"] }));
        Assert.Contains("'backbone.layer9'", e.Message);
        Assert.Contains("loftr_coarse", e.Message); // lists the modules there are
        e = Assert.Throws<ArgumentException>(() => Train(Options(NewDir(), 1) with
        {
            Freeze = ["backbone", "loftr_coarse", "fine_preprocess", "loftr_fine"],
        }));
        Assert.Contains("leaves nothing to train", e.Message);
    }

    [Fact]
    public void Bf16TrainingKeepsFloat32MastersAndCheckpoints()
    {
        string dir = NewDir();
        var weights = Train(Options(dir, 2) with { Precision = ComputePrecision.BFloat16 });
        using var loaded = TrainingCheckpoint.Load(LoftrTrainer.LatestCheckpoint(dir)!);
        Assert.All(loaded.StateDict.Values.Where(t => t.is_floating_point()), t => Assert.Equal(ScalarType.Float32, t.dtype));
        Assert.Equal(loaded.StateDict.Count, weights.Count);
        // masters are not bf16-rounded copies: some conv weight keeps more than bf16 precision
        var w = loaded.StateDict["backbone.conv1.weight"];
        Assert.True((w - w.to(ScalarType.BFloat16).to(ScalarType.Float32)).abs().max().item<float>() > 0);
        var rows = File.ReadAllLines(Path.Combine(dir, "train_log.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, l => Assert.True(double.IsFinite(l) && l > 0));
        foreach (var t in weights.Values) t.Dispose();
    }

    public void Dispose()
    {
        TrainingTestData.DeleteQuietly(_photos);
        foreach (var d in _dirs) TrainingTestData.DeleteQuietly(d);
    }
}
