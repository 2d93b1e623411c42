using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Loftr.IO;
using Loftr.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>What a training run did.</summary>
/// <param name="FirstStep">Step the run started at (0, or the resumed step).</param>
/// <param name="StepsDone">Global steps done when the run ended.</param>
/// <param name="Completed">True when all requested steps are done (false when stopped early).</param>
/// <param name="StepsPerSecond">Training throughput of this run (optimizer steps per second, excluding validation).</param>
/// <param name="LastCheckpoint">The newest checkpoint written.</param>
/// <param name="Log">The training and validation records.</param>
public sealed record TrainingSummary(long FirstStep, long StepsDone, bool Completed, double StepsPerSecond, string? LastCheckpoint, TrainingLog Log);

/// <summary>
/// Trains or fine-tunes LoFTR: AdamW with the reference's warm-up and MultiStep schedule, gradient clipping, training
/// windows sampled as the reference, held-out validation, CSV logs, a loss plot, progress lines with ETA and
/// checkpoints in the released <c>.ckpt</c> layout (with config and optimizer state) from which a run resumes exactly.
/// All randomness is derived from (seed, step), so an interrupted and resumed run ends with the same weights as an
/// unbroken one.
/// </summary>
/// <remarks>
/// Files in <see cref="TrainerOptions.OutputDirectory"/>: <c>train_log.csv</c>, <c>val_log.csv</c>, <c>loss_curves.png</c>,
/// <c>checkpoints/step_NNNNNNN.ckpt</c> (full training state), <c>model.ckpt</c> (the final weights and config only) and
/// <c>run.json</c> (options and data description).
/// </remarks>
public sealed class LoftrTrainer : IDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };
    private readonly ITrainingDataset _data;
    private readonly TrainerOptions _options;
    private readonly TextWriter _out;
    private LoftrConfig? _config;
    private LoftrModel? _model;
    private FrozenModules? _frozen;

    /// <summary>Prepares a run. <paramref name="config"/> may be null when fine-tuning or resuming (then taken from the checkpoint).</summary>
    public LoftrTrainer(LoftrConfig? config, ITrainingDataset data, TrainerOptions options, TextWriter? output = null)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        _config = config;
        _out = output ?? TextWriter.Null;
        if (config is null && options.InitCheckpoint is null && !options.Resume)
            throw new ArgumentException("A model configuration is required unless fine-tuning from or resuming a checkpoint.");
    }

    /// <summary>The model being trained (after <see cref="Run"/> started).</summary>
    public LoftrModel Model => _model ?? throw new InvalidOperationException("The model is built by Run().");

    /// <summary>Steps per epoch of this run.</summary>
    public long StepsPerEpoch => _options.StepsPerEpoch ?? Math.Max(1, (_data.TrainCount + _options.BatchSize - 1) / _options.BatchSize);

    /// <summary>The learning-rate schedule of this run.</summary>
    public LearningRateSchedule Schedule => new(_options.TrueLearningRate, _options.EffectiveWarmupSteps, _options.Warmup, _options.WarmupRatio,
        _options.Scheduler, _options.Milestones, _options.Gamma, _options.SchedulerInterval, StepsPerEpoch);

    /// <summary>The newest step checkpoint in <paramref name="outputDirectory"/>, or null.</summary>
    public static string? LatestCheckpoint(string outputDirectory)
    {
        string dir = Path.Combine(outputDirectory, "checkpoints");
        if (!Directory.Exists(dir)) return null;
        return Directory.EnumerateFiles(dir, "step_*.ckpt").OrderBy(f => f, StringComparer.Ordinal).LastOrDefault();
    }

    /// <summary>Runs training until <see cref="TrainerOptions.Steps"/> (or <see cref="TrainerOptions.StopAfter"/>, or cancellation).</summary>
    public TrainingSummary Run(CancellationToken cancellation = default)
    {
        int threads = torch.get_num_threads();
        torch.set_num_threads(_options.Threads);
        try
        {
            return RunWithThreads(cancellation);
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    private TrainingSummary RunWithThreads(CancellationToken cancellation)
    {
        var o = _options;
        long firstStep = BuildModel(out var resumeState);
        var model = _model!;
        var config = _config!;
        using var precision = PrecisionPlan.Create(o.Precision, model);
        try
        {
            _frozen = FrozenModules.Apply(model, o.Freeze); // before anything is written: a wrong name leaves no run folder
        }
        catch
        {
            resumeState?.Dispose();
            throw;
        }
        Directory.CreateDirectory(o.OutputDirectory);
        Directory.CreateDirectory(Path.Combine(o.OutputDirectory, "checkpoints"));
        using var optimizer = new AdamW(precision.MasterParameters, o.TrueLearningRate,
            o.WeightDecay ?? (o.Optimizer == OptimizerType.AdamW ? 0.1 : 0.0), decoupled: o.Optimizer == OptimizerType.AdamW);
        if (resumeState is not null)
        {
            RestoreOptimizer(optimizer, precision.Names, resumeState);
            resumeState.Dispose();
        }
        var loss = new LoftrLoss(o.Loss, config.CoarseMatching);
        var schedule = Schedule;
        var log = new TrainingLog(o.OutputDirectory, firstStep);
        File.WriteAllText(Path.Combine(o.OutputDirectory, "run.json"), RunRecord(config, firstStep));
        _out.WriteLine($"LoFTR training: {_data.Description}");
        _out.WriteLine($"  {ParameterCount(model):N0} parameters" +
            (o.Freeze.Count > 0 ? $" ({_frozen!.FrozenParameters:N0} frozen: {string.Join(", ", o.Freeze)})" : "") + $", batch {o.BatchSize}, {o.Steps} steps ({StepsPerEpoch} per epoch), " +
            $"lr {o.TrueLearningRate:G3} (warm-up {o.EffectiveWarmupSteps}), {o.Precision}, {o.Threads} threads" +
            (firstStep > 0 ? $", resumed at step {firstStep}" : ""));

        long end = Math.Min(o.Steps, o.StopAfter ?? long.MaxValue);
        string? lastCheckpoint = null;
        long savedStep = firstStep;
        var progress = new ProgressReporter(_out, firstStep, o.Steps, o.ProgressSeconds);
        double trainSeconds = 0;
        long trained = 0;
        _frozen!.Train(model);
        using (var prefetcher = new BatchPrefetcher(LoadTrainBatch, firstStep, o.PrefetchBatches))
        {
            for (long step = firstStep; step < end && !cancellation.IsCancellationRequested; step++)
            {
                var (loadedStep, samples) = prefetcher.Take();
                Debug.Assert(loadedStep == step);
                var sw = Stopwatch.StartNew();
                var record = TrainStep(model, precision, optimizer, loss, schedule, samples, step);
                sw.Stop();
                trainSeconds += sw.Elapsed.TotalSeconds;
                trained++;
                log.Add(record with { Seconds = sw.Elapsed.TotalSeconds });
                long done = step + 1;
                progress.Report(done, record);
                bool last = done == end;
                if (o.ValidationEvery > 0 && (done % o.ValidationEvery == 0 || done == o.Steps))
                {
                    var v = Validate(model, precision, loss, done);
                    log.Add(v);
                    _out.WriteLine($"  validation @ {done}: loss {v.Loss:F4} (c {v.LossCoarse:F4}, f {v.LossFine:F4}), " +
                        $"precision@3px {v.Precision:P1}, {v.MatchesPerPair:F1} matches/pair");
                    LossPlot.Save(log, Path.Combine(o.OutputDirectory, "loss_curves.png"));
                }
                if (done % o.CheckpointEvery == 0 || last)
                {
                    lastCheckpoint = SaveCheckpoint(precision, optimizer, done, config);
                    savedStep = done;
                }
            }
        }
        long finished = log.Train.Count > 0 ? log.Train[^1].Step + 1 : firstStep;
        if (finished > savedStep) // cancelled between checkpoints: keep what was done
            lastCheckpoint = SaveCheckpoint(precision, optimizer, finished, config);
        bool completed = log.Train.Count > 0 && log.Train[^1].Step + 1 >= o.Steps;
        if (completed)
        {
            string final = Path.Combine(o.OutputDirectory, "model.ckpt");
            SaveWeights(precision, config, final, o.Steps);
            _out.WriteLine($"  final weights: {final}");
        }
        LossPlot.Save(log, Path.Combine(o.OutputDirectory, "loss_curves.png"));
        double sps = trainSeconds > 0 ? trained / trainSeconds : 0;
        _out.WriteLine($"  {trained} steps in {trainSeconds:F1} s: {sps:F3} steps/s");
        long stepsDone = log.Train.Count > 0 ? log.Train[^1].Step + 1 : firstStep;
        return new TrainingSummary(firstStep, stepsDone, completed, sps, lastCheckpoint, log);
    }

    private IReadOnlyList<PairSample> LoadTrainBatch(long step)
    {
        int b = _options.BatchSize;
        var samples = new PairSample[b];
        for (int k = 0; k < b; k++) samples[k] = _data.TrainSample(step * b + k);
        return samples;
    }

    /// <summary>
    /// One optimizer step. A libtorch error propagates: the transient "Expected false to be true ... toDouble" errors
    /// steps were once retried for came from temporary TorchSharp Scalars freed during native calls, which the library
    /// no longer makes (see <see cref="Scalars"/>).
    /// </summary>
    private TrainRecord TrainStep(LoftrModel model, PrecisionPlan precision, AdamW optimizer, LoftrLoss loss,
        LearningRateSchedule schedule, IReadOnlyList<PairSample> samples, long step)
    {
        using var scope = NewDisposeScope();
        using var batch = precision.Prepare(PairSample.Collate(samples, model.Config.Backbone.CoarseResolution));
        precision.BeforeForward();
        var random = CoarseTrainingSampler.FromRandom(TrainingRandom.For(_options.Seed, "sampler", step));
        using var result = TrainingForward.Run(model, batch, loss, random, training: true, depthConsistency: _options.DepthConsistency);
        if (result.Loss.Loss.requires_grad) result.Loss.Loss.backward(); // false only when every contributing module is frozen
        precision.AfterBackward();
        double gradNorm = _options.GradientClipping > 0
            ? nn.utils.clip_grad_norm_(precision.MasterParameters, _options.GradientClipping)
            : nn.utils.clip_grad_norm_(precision.MasterParameters, double.MaxValue);
        double lr = schedule.At(step);
        optimizer.LearningRate = lr;
        optimizer.Step();
        optimizer.ZeroGrad();
        precision.ZeroModelGrads();
        return new TrainRecord(step, step / StepsPerEpoch, lr, result.Loss.Total, result.Loss.Coarse, result.Loss.Fine ?? double.NaN,
            gradNorm, result.Supervision.PositiveCount, result.Output.Coarse.Matches.Confidence.shape[0], 0);
    }

    /// <summary>Mean losses and match precision on the held-out pairs (evaluation mode, no gradients).</summary>
    private ValidationRecord Validate(LoftrModel model, PrecisionPlan precision, LoftrLoss loss, long step)
    {
        int pairs = Math.Min(_data.ValidationCount, _options.ValidationPairs ?? int.MaxValue);
        double sumLoss = 0, sumC = 0, sumF = 0;
        long predicted = 0, correct = 0;
        int batches = 0;
        model.eval();
        precision.BeforeForward();
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < pairs; start += _options.BatchSize)
            {
                using var scope = NewDisposeScope();
                var samples = Enumerable.Range(start, Math.Min(_options.BatchSize, pairs - start)).Select(_data.ValidationSample).ToList();
                using var batch = precision.Prepare(PairSample.Collate(samples, model.Config.Backbone.CoarseResolution));
                var random = CoarseTrainingSampler.FromRandom(TrainingRandom.For(_options.Seed, "validation-sampler", start));
                using var result = TrainingForward.Run(model, batch, loss, random, training: false, depthConsistency: _options.DepthConsistency);
                sumLoss += result.Loss.Total;
                sumC += result.Loss.Coarse;
                sumF += result.Loss.Fine ?? 1.0;
                var (p, c) = MatchPrecision(result, 3.0);
                predicted += p;
                correct += c;
                batches++;
            }
        }
        finally
        {
            _frozen!.Train(model);
        }
        batches = Math.Max(1, batches);
        return new ValidationRecord(step, sumLoss / batches, sumC / batches, sumF / batches,
            predicted == 0 ? 0 : (double)correct / predicted, (double)predicted / Math.Max(1, pairs));
    }

    /// <summary>(predicted matches, those whose fine keypoint is within <paramref name="pixels"/> of the warped grid point).</summary>
    private static (long Predicted, long Correct) MatchPrecision(TrainingForwardResult r, double pixels)
    {
        var m = r.Output.Coarse.Matches;
        long n = m.Confidence.shape[0];
        if (n == 0) return (0, 0);
        var gt = r.Supervision.WarpedGrid0.index([TensorIndex.Tensor(m.BIds[..(int)n]), TensorIndex.Tensor(m.IIds[..(int)n])]);
        var err = (r.Output.Fine.Keypoints1 - gt).norm(1);
        using var maxError = pixels.ToScalar();
        return (n, err.lt(maxError).sum().item<long>());
    }

    /// <summary>Builds the model (fresh, fine-tuned or resumed); returns the first step.</summary>
    private long BuildModel(out TrainingCheckpointContents? resumeState)
    {
        resumeState = null;
        var o = _options;
        string? resumeFrom = o.Resume ? LatestCheckpoint(o.OutputDirectory) : null;
        if (o.Resume && resumeFrom is null) _out.WriteLine($"  --resume: no checkpoint in {o.OutputDirectory}, starting a new run");
        if (resumeFrom is not null)
        {
            var state = TrainingCheckpoint.Load(resumeFrom);
            if (_config is not null && !SameArchitecture(_config, state.Config))
                _out.WriteLine("  note: the checkpoint's configuration differs from the one given; using the checkpoint's");
            _config = state.Config;
            _model = new LoftrModel(_config);
            StateDictIO.LoadInto(_model, state.StateDict, resumeFrom);
            _out.WriteLine($"  resuming from {resumeFrom} (step {state.GlobalStep})");
            var savedFreeze = SavedFreeze(state.TrainerState);
            if (savedFreeze is not null && !savedFreeze.SequenceEqual(o.Freeze, StringComparer.Ordinal))
                _out.WriteLine($"  note: the checkpoint's run froze [{string.Join(", ", savedFreeze)}]; this run freezes " +
                    $"[{string.Join(", ", o.Freeze)}]");
            resumeState = state;
            return state.GlobalStep;
        }
        if (o.InitCheckpoint is not null)
        {
            if (o.InitPartial)
            {
                if (_config is null) throw new ArgumentException("A partial initialisation needs a configuration (a preset or a configuration file).");
                torch.manual_seed(o.Seed);
                _model = LoftrCheckpoint.LoadModelPartial(o.InitCheckpoint, _config, out var fresh);
                _out.WriteLine($"  starting from {o.InitCheckpoint}; {fresh.Count} tensors do not fit and keep their initialisation" +
                    (fresh.Count == 0 ? "" : ": " + ModuleSummary(fresh)));
                return 0;
            }
            _model = LoftrCheckpoint.LoadModel(o.InitCheckpoint, _config);
            _config = _model.Config;
            _out.WriteLine($"  fine-tuning from {o.InitCheckpoint}");
            return 0;
        }
        torch.manual_seed(o.Seed);
        _model = new LoftrModel(_config!);
        return 0;
    }

    /// <summary>State-dict keys grouped by their first two name components, with counts: "loftr_fine.layers (24), …".</summary>
    private static string ModuleSummary(IEnumerable<string> keys) => string.Join(", ", keys
        .GroupBy(k => string.Join('.', k.Split('.').Take(2)))
        .Select(g => $"{g.Key} ({g.Count()})"));

    /// <summary>The freeze list recorded in a checkpoint's trainer state (empty before the option existed), or null.</summary>
    private static List<string>? SavedFreeze(string? trainerState)
    {
        if (trainerState is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(trainerState);
            if (!doc.RootElement.TryGetProperty("options", out var options)) return null;
            return options.TryGetProperty(nameof(TrainerOptions.Freeze), out var freeze) && freeze.ValueKind == JsonValueKind.Array
                ? freeze.EnumerateArray().Select(e => e.GetString() ?? "").ToList()
                : [];
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool SameArchitecture(LoftrConfig a, LoftrConfig b) =>
        LoftrCheckpoint.ArchitectureToJson(a) == LoftrCheckpoint.ArchitectureToJson(b);

    private static void RestoreOptimizer(AdamW optimizer, IReadOnlyList<string> names, TrainingCheckpointContents state)
    {
        for (int k = 0; k < names.Count; k++)
            if (state.OptimizerState.TryGetValue(names[k], out var s))
                optimizer.SetState(k, s.Step, s.ExpAvg, s.ExpAvgSq);
    }

    private string SaveCheckpoint(PrecisionPlan precision, AdamW optimizer, long stepsDone, LoftrConfig config)
    {
        string dir = Path.Combine(_options.OutputDirectory, "checkpoints");
        string path = Path.Combine(dir, $"step_{stepsDone:D7}.ckpt");
        using (var scope = NewDisposeScope())
        {
            var sd = precision.StateDict();
            TrainingCheckpoint.Save(path, sd, config, optimizer, precision.Names, stepsDone, stepsDone / StepsPerEpoch, RunRecord(config, stepsDone));
        }
        var old = Directory.EnumerateFiles(dir, "step_*.ckpt").OrderBy(f => f, StringComparer.Ordinal).ToList();
        foreach (var f in old.Take(Math.Max(0, old.Count - Math.Max(1, _options.KeepCheckpoints)))) File.Delete(f);
        return path;
    }

    private static void SaveWeights(PrecisionPlan precision, LoftrConfig config, string path, long steps)
    {
        using var scope = NewDisposeScope();
        var sd = precision.StateDict();
        var root = new OrderedDictionary<string, object?>
        {
            ["epoch"] = 0L,
            ["global_step"] = steps,
            ["pytorch-lightning_version"] = "1.3.5",
            ["state_dict"] = sd.ToDictionary(kv => StateDictIO.MatcherPrefix + kv.Key, kv => (object?)kv.Value),
            [LoftrCheckpoint.ConfigMetadataKey] = LoftrCheckpoint.ConfigToJson(config),
        };
        TorchCheckpoint.Save(path, root);
    }

    private string RunRecord(LoftrConfig config, long step) => JsonSerializer.Serialize(new
    {
        global_step = step,
        data = _data.Description,
        options = _options,
        schedule = Schedule,
        config = JsonDocument.Parse(LoftrCheckpoint.ConfigToJson(config)).RootElement,
        written = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    }, JsonOptions);

    private static long ParameterCount(LoftrModel model) => model.parameters().Sum(p => p.numel());

    /// <inheritdoc />
    public void Dispose() => _model?.Dispose();
}
