using System.Globalization;
using System.Text.Json;
using Loftr.IO;
using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>What <see cref="TrainingCheckpoint.Load"/> reads back.</summary>
public sealed class TrainingCheckpointContents : IDisposable
{
    /// <summary>The model state dict (keys without <c>matcher.</c>).</summary>
    public required Dictionary<string, Tensor> StateDict { get; init; }
    /// <summary>The model configuration.</summary>
    public required LoftrConfig Config { get; init; }
    /// <summary>Number of optimizer steps done.</summary>
    public required long GlobalStep { get; init; }
    /// <summary>Epoch of the next step.</summary>
    public required long Epoch { get; init; }
    /// <summary>Optimizer state per parameter name (absent before the parameter's first update).</summary>
    public required Dictionary<string, (long Step, Tensor ExpAvg, Tensor ExpAvgSq)> OptimizerState { get; init; }
    /// <summary>The trainer's own record (options and data position as JSON), or null in a checkpoint not written by the trainer.</summary>
    public required string? TrainerState { get; init; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in StateDict.Values) t.Dispose();
        foreach (var (_, a, b) in OptimizerState.Values)
        {
            a.Dispose();
            b.Dispose();
        }
    }
}

/// <summary>
/// Training checkpoints in the layout of the released LoFTR <c>.ckpt</c> files (PyTorch-Lightning: <c>epoch</c>,
/// <c>global_step</c>, <c>pytorch-lightning_version</c>, <c>state_dict</c> with <c>matcher.</c> keys), plus
/// <c>loftr_config</c> (the configuration JSON, read by <see cref="LoftrCheckpoint"/>), <c>optimizer_states</c> (PyTorch's
/// <c>optimizer.state_dict()</c>: integer parameter ids, <c>step</c>/<c>exp_avg</c>/<c>exp_avg_sq</c>, one param group),
/// <c>lr_schedulers</c> (a MultiStepLR-like state), <c>callbacks</c> and <c>loftr_trainer</c> (the trainer's JSON record:
/// options, parameter names in optimizer order, data position). <c>torch.load</c> and the reference code read it.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Root key of the trainer's JSON record.</summary>
    public const string TrainerStateKey = "loftr_trainer";

    /// <summary>Writes a checkpoint (atomically).</summary>
    /// <param name="path">Destination.</param>
    /// <param name="stateDict">The model state dict in float32 (names without prefix).</param>
    /// <param name="config">The model configuration.</param>
    /// <param name="optimizer">The optimizer, whose parameters are named by <paramref name="parameterNames"/>.</param>
    /// <param name="parameterNames">Name of each optimizer parameter, in order.</param>
    /// <param name="globalStep">Steps done.</param>
    /// <param name="epoch">Epoch of the next step.</param>
    /// <param name="trainerState">The trainer's JSON record.</param>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> stateDict, LoftrConfig config, AdamW optimizer,
        IReadOnlyList<string> parameterNames, long globalStep, long epoch, string trainerState)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(parameterNames);
        if (parameterNames.Count != optimizer.Parameters.Count)
            throw new ArgumentException($"{parameterNames.Count} names for {optimizer.Parameters.Count} optimizer parameters.");
        using var scope = NewDisposeScope();
        var sd = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in stateDict) sd.Add(StateDictIO.MatcherPrefix + k, v.detach());

        var state = new Dictionary<long, object?>();
        for (int k = 0; k < optimizer.Parameters.Count; k++)
        {
            if (optimizer.State(k) is not { } st) continue;
            state[k] = new OrderedDictionary<string, object?>
            {
                ["step"] = tensor((float)st.Step),
                ["exp_avg"] = st.ExpAvg,
                ["exp_avg_sq"] = st.ExpAvgSq,
            };
        }
        var group = new OrderedDictionary<string, object?>
        {
            ["lr"] = optimizer.LearningRate,
            ["betas"] = new object?[] { optimizer.Beta1, optimizer.Beta2 },
            ["eps"] = optimizer.Eps,
            ["weight_decay"] = optimizer.WeightDecay,
            ["amsgrad"] = false,
            ["maximize"] = false,
            ["foreach"] = null,
            ["capturable"] = false,
            ["differentiable"] = false,
            ["fused"] = null,
            ["params"] = Enumerable.Range(0, optimizer.Parameters.Count).Select(i => (object?)(long)i).ToList(),
        };
        var optimizerState = new OrderedDictionary<string, object?>
        {
            ["state"] = state,
            ["param_groups"] = new List<object?> { group },
        };
        var scheduler = new OrderedDictionary<string, object?>
        {
            ["last_epoch"] = epoch,
            ["_step_count"] = epoch + 1,
            ["base_lrs"] = new List<object?> { optimizer.LearningRate },
            ["_last_lr"] = new List<object?> { optimizer.LearningRate },
        };
        var root = new OrderedDictionary<string, object?>
        {
            ["epoch"] = epoch,
            ["global_step"] = globalStep,
            ["pytorch-lightning_version"] = "1.3.5",
            ["state_dict"] = sd,
            [LoftrCheckpoint.ConfigMetadataKey] = LoftrCheckpoint.ConfigToJson(config),
            ["optimizer_states"] = new List<object?> { optimizerState },
            ["lr_schedulers"] = new List<object?> { scheduler },
            ["callbacks"] = new Dictionary<string, object?>(),
            [TrainerStateKey] = trainerState,
            ["loftr_parameter_names"] = parameterNames.Select(n => (object?)n).ToList(),
        };
        TorchCheckpoint.Save(path, root);
    }

    /// <summary>Reads a checkpoint written by <see cref="Save"/> (or any LoFTR checkpoint: then without optimizer state).</summary>
    /// <exception cref="CheckpointFormatException">The file is not a readable checkpoint.</exception>
    public static TrainingCheckpointContents Load(string path)
    {
        var sd = StateDictIO.ReadStateDict(path, out var metadata);
        var config = LoftrCheckpoint.InferConfig(sd, metadata, path, out _, out _);
        var contents = TorchCheckpoint.Load(path);
        var root = contents.Root;
        long Long(string key) => root.TryGetValue(key, out var v) && v is long l ? l : 0;
        var optimizer = new Dictionary<string, (long, Tensor, Tensor)>(StringComparer.Ordinal);
        var keep = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        if (root.TryGetValue("optimizer_states", out var os) && os is List<object?> { Count: > 0 } list
            && list[0] is IReadOnlyDictionary<string, object?> opt && opt.TryGetValue("state", out var st)
            && st is IReadOnlyDictionary<string, object?> stateDict)
        {
            var names = root.TryGetValue("loftr_parameter_names", out var n) && n is List<object?> nl
                ? nl.Select(x => x as string ?? throw new CheckpointFormatException(path, "loftr_parameter_names holds a non-string")).ToList()
                : throw new CheckpointFormatException(path, "the optimizer state has no 'loftr_parameter_names' (not written by the LoFTR trainer)");
            foreach (var (key, value) in stateDict)
            {
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int idx) || idx >= names.Count
                    || value is not IReadOnlyDictionary<string, object?> s
                    || s.GetValueOrDefault("exp_avg") is not Tensor m || s.GetValueOrDefault("exp_avg_sq") is not Tensor v)
                    throw new CheckpointFormatException(path, $"malformed optimizer state entry '{key}'");
                long step = s.GetValueOrDefault("step") switch
                {
                    Tensor t => (long)Math.Round(t.to(ScalarType.Float64).item<double>()),
                    long l => l,
                    double d => (long)Math.Round(d),
                    _ => throw new CheckpointFormatException(path, $"optimizer state entry '{key}' has no step"),
                };
                optimizer[names[idx]] = (step, m, v);
                keep.Add(m);
                keep.Add(v);
            }
        }
        foreach (var t in CheckpointContents.EnumerateTensors(root))
            if (!keep.Contains(t)) t.Dispose();
        return new TrainingCheckpointContents
        {
            StateDict = sd,
            Config = config,
            GlobalStep = Long("global_step"),
            Epoch = Long("epoch"),
            OptimizerState = optimizer,
            TrainerState = root.TryGetValue(TrainerStateKey, out var ts) ? ts as string : null,
        };
    }
}
