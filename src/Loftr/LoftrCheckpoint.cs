using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Loftr.IO;
using Loftr.Model;
using static TorchSharp.torch;

namespace Loftr;

/// <summary>What a checkpoint file is, found without running the network.</summary>
public sealed class LoftrCheckpointInfo
{
    /// <summary>The file.</summary>
    public required string Path { get; init; }
    /// <summary>Number of tensors in the state dict.</summary>
    public required int TensorCount { get; init; }
    /// <summary>Number of scalar values over all tensors (parameters and buffers).</summary>
    public required long ValueCount { get; init; }
    /// <summary>Number of learnable parameters (excluding BatchNorm running statistics and counters).</summary>
    public required long ParameterCount { get; init; }
    /// <summary>The configuration: embedded in the file, or inferred from the tensor shapes.</summary>
    public required LoftrConfig Config { get; init; }
    /// <summary>True when <see cref="Config"/> was stored in the file (our trainer does this).</summary>
    public required bool ConfigEmbedded { get; init; }
    /// <summary>Statements about settings that the weights cannot tell and were guessed.</summary>
    public required IReadOnlyList<string> Guesses { get; init; }
    /// <summary>String metadata of the file.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    /// <summary>Key prefixes (first component) with their tensor counts.</summary>
    public required IReadOnlyDictionary<string, int> KeySummary { get; init; }
}

/// <summary>
/// Loading LoFTR checkpoints: the five released <c>.ckpt</c> files (PyTorch-Lightning layout, keys prefixed
/// <c>matcher.</c>), plain state dicts, and <c>.safetensors</c> files; the configuration is taken from the file's
/// metadata when present, otherwise inferred from the tensor shapes.
/// </summary>
public static class LoftrCheckpoint
{
    /// <summary>Metadata key holding the JSON-serialised <see cref="LoftrConfig"/>.</summary>
    public const string ConfigMetadataKey = "loftr_config";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The configuration as JSON (the form stored in checkpoint metadata).</summary>
    public static string ConfigToJson(LoftrConfig config) => JsonSerializer.Serialize(config, JsonOptions);

    /// <summary>
    /// The configuration as JSON without its inference settings (<see cref="LoftrConfig.Refinement"/>,
    /// <see cref="LoftrConfig.SharpestFraction"/>, <see cref="LoftrConfig.SecondPassScale"/>), in the form configurations had before those existed: equal strings
    /// mean the same network, trained the same way.
    /// </summary>
    public static string ArchitectureToJson(LoftrConfig config)
    {
        var json = JsonNode.Parse(ConfigToJson(config))!.AsObject();
        json.Remove(nameof(LoftrConfig.Refinement));
        json.Remove(nameof(LoftrConfig.SharpestFraction));
        json.Remove(nameof(LoftrConfig.SecondPassScale));
        json.Remove(nameof(LoftrConfig.PatchAlignmentRadius));
        json.Remove(nameof(LoftrConfig.PatchAlignmentMinCorrelation));
        return json.ToJsonString();
    }

    /// <summary>Parses a configuration written by <see cref="ConfigToJson"/>.</summary>
    public static LoftrConfig ConfigFromJson(string json) =>
        JsonSerializer.Deserialize<LoftrConfig>(json, JsonOptions) ?? throw new JsonException("empty LoFTR config");

    /// <summary>Reads a checkpoint and builds the model, strictly (every key and shape must match).</summary>
    /// <param name="path">A <c>.ckpt</c> or <c>.safetensors</c> file.</param>
    /// <param name="config">The configuration; when null it comes from the file's metadata or is inferred.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">The file is not a valid checkpoint.</exception>
    /// <exception cref="CheckpointMismatchException">The weights do not fit the configuration.</exception>
    public static LoftrModel LoadModel(string path, LoftrConfig? config = null) =>
        Build(path, (sd, metadata) => config ?? InferConfig(sd, metadata, path, out _, out _), (model, sd) => StateDictIO.LoadInto(model, sd, path));

    /// <summary>Reads a checkpoint, builds the model of <paramref name="config"/>, fills it with <paramref name="load"/> (the model is disposed if that throws), in evaluation mode.</summary>
    private static LoftrModel Build(string path, Func<Dictionary<string, Tensor>, IReadOnlyDictionary<string, string>, LoftrConfig> config,
        Action<LoftrModel, Dictionary<string, Tensor>> load)
    {
        var sd = Read(path, out var metadata);
        try
        {
            var model = new LoftrModel(config(sd, metadata));
            try
            {
                load(model, sd);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            model.eval();
            return model;
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Builds a model of <paramref name="config"/> (freshly initialised) and copies in every tensor of the checkpoint with
    /// the same name and shape (<see cref="StateDictIO.LoadMatching"/>): for training a changed architecture, e.g. a
    /// wider fine path, from a trained model. <paramref name="fresh"/> lists the model's keys that kept their
    /// initialisation.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">The file is not a valid checkpoint.</exception>
    /// <exception cref="CheckpointMismatchException">No tensor of the checkpoint fits the model.</exception>
    public static LoftrModel LoadModelPartial(string path, LoftrConfig config, out IReadOnlyList<string> fresh)
    {
        ArgumentNullException.ThrowIfNull(config);
        IReadOnlyList<string> kept = [];
        var model = Build(path, (_, _) => config, (m, sd) =>
        {
            kept = StateDictIO.LoadMatching(m, sd);
            var fitted = m.state_dict().Keys.Except(kept).Where(k => !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal));
            if (!fitted.Any())
                throw new CheckpointMismatchException(path, [.. kept], [.. sd.Keys], []);
        });
        fresh = kept;
        return model;
    }

    /// <summary>Describes a checkpoint without running anything.</summary>
    public static LoftrCheckpointInfo Inspect(string path)
    {
        var sd = Read(path, out var metadata);
        try
        {
            var config = InferConfig(sd, metadata, path, out bool embedded, out var guesses);
            bool IsBuffer(string k) => k.EndsWith(".running_mean", StringComparison.Ordinal) || k.EndsWith(".running_var", StringComparison.Ordinal)
                || k.EndsWith(".num_batches_tracked", StringComparison.Ordinal);
            return new LoftrCheckpointInfo
            {
                Path = path,
                TensorCount = sd.Count,
                ValueCount = sd.Values.Sum(t => t.numel()),
                ParameterCount = sd.Where(kv => !IsBuffer(kv.Key)).Sum(kv => kv.Value.numel()),
                Config = config,
                ConfigEmbedded = embedded,
                Guesses = guesses,
                Metadata = metadata,
                KeySummary = sd.Keys.GroupBy(k => k.Split('.')[0]).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Count()),
            };
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Saves a model's state dict as <c>.safetensors</c> with its configuration in the metadata (atomically).
    /// <paramref name="config"/> replaces the stored configuration (it must describe the same weights, e.g. another
    /// coarse threshold).
    /// </summary>
    public static void SaveSafeTensors(LoftrModel model, string path, IReadOnlyDictionary<string, string>? extraMetadata = null,
        LoftrConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var metadata = new Dictionary<string, string>(extraMetadata ?? new Dictionary<string, string>())
        {
            [ConfigMetadataKey] = ConfigToJson(config ?? model.Config),
        };
        SafeTensors.Save(path, model.state_dict(), metadata);
    }

    private static Dictionary<string, Tensor> Read(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file not found: {path}", path);
        return StateDictIO.ReadStateDict(path, out metadata);
    }

    /// <summary>
    /// The configuration of a state dict: from <see cref="ConfigMetadataKey"/> when present, else inferred from the
    /// shapes (backbone dims and resolution, transformer widths and depths, Sinkhorn when <c>coarse_matching.bin_score</c>
    /// exists). Settings the weights cannot tell are guessed and listed in <paramref name="guesses"/>: the number of
    /// heads (8, as all released models), self/cross alternation, linear attention, and the position-encoding fix (only
    /// <c>indoor_ds_new</c> uses it: true when the file name contains "ds_new").
    /// </summary>
    public static LoftrConfig InferConfig(IReadOnlyDictionary<string, Tensor> stateDict, IReadOnlyDictionary<string, string> metadata,
        string fileName, out bool embedded, out IReadOnlyList<string> guesses)
    {
        if (metadata.TryGetValue(ConfigMetadataKey, out var json))
        {
            embedded = true;
            guesses = [];
            try
            {
                return ConfigFromJson(json);
            }
            catch (JsonException e)
            {
                throw new CheckpointFormatException(fileName, $"the embedded '{ConfigMetadataKey}' is not a valid configuration: {e.Message}", e);
            }
        }
        embedded = false;
        var notes = new List<string>();
        long Dim(string key, int axis = 0) => stateDict.TryGetValue(key, out var t)
            ? t.shape[axis]
            : throw new CheckpointFormatException(fileName, $"not a LoFTR checkpoint: no '{key}' (cannot infer the architecture)");
        int CountLayers(string prefix) => stateDict.Keys
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => int.TryParse(k.AsSpan(prefix.Length, k.IndexOf('.', prefix.Length) - prefix.Length), out int i) ? i + 1 : 0)
            .DefaultIfEmpty(0).Max();

        bool is16 = stateDict.ContainsKey("backbone.layer4.0.conv1.weight");
        int stages = is16 ? 4 : 3;
        var dims = Enumerable.Range(1, stages).Select(i => (int)Dim($"backbone.layer{i}.0.conv1.weight")).ToArray();
        var backbone = new BackboneConfig((int)Dim("backbone.conv1.weight"), dims, is16 ? 16 : 8, is16 ? 4 : 2);
        int fineOut = (int)Dim(is16 ? "backbone.layer2_outconv2.3.weight" : "backbone.layer1_outconv2.3.weight");
        if (fineOut != backbone.FineDim) backbone = backbone with { FineOutputDim = fineOut };

        int coarseLayers = CountLayers("loftr_coarse.layers.");
        int fineLayers = CountLayers("loftr_fine.layers.");
        int coarseD = (int)Dim("loftr_coarse.layers.0.q_proj.weight");
        int fineD = (int)Dim("loftr_fine.layers.0.q_proj.weight");
        var layerTypes = new Func<int, TransformerLayerType[]>(n => Enumerable.Range(0, n)
            .Select(i => i % 2 == 0 ? TransformerLayerType.Self : TransformerLayerType.Cross).ToArray());
        int Heads(int d) => d % 8 == 0 ? 8 : d % 4 == 0 ? 4 : 1;
        notes.Add($"nhead = {Heads(coarseD)} (coarse) and {Heads(fineD)} (fine): head counts are not stored in the weights");
        notes.Add("layers alternate self, cross and use linear attention (not stored in the weights)");

        bool sinkhorn = stateDict.ContainsKey("coarse_matching.bin_score");
        bool tempBugFix = System.IO.Path.GetFileName(fileName).Contains("ds_new", StringComparison.OrdinalIgnoreCase);
        notes.Add($"temp_bug_fix = {(tempBugFix ? "true" : "false")}: guessed from the file name (only indoor_ds_new uses the fixed position encoding)");

        var reference = LoftrConfig.Reference(sinkhorn ? CoarseMatchType.Sinkhorn : CoarseMatchType.DualSoftmax, tempBugFix);
        var inferred = reference with
        {
            Backbone = backbone,
            Coarse = new TransformerConfig(coarseD, Heads(coarseD), layerTypes(coarseLayers)),
            Fine = new TransformerConfig(fineD, Heads(fineD), layerTypes(fineLayers)),
            FineConcatCoarseFeat = stateDict.ContainsKey("fine_preprocess.down_proj.weight"),
        };
        // A released checkpoint's name gives its preset; use it when the shapes agree with it.
        if (LoftrConfig.PresetNameForFile(fileName) is { } presetName)
        {
            var preset = LoftrConfig.FromPresetName(presetName);
            if (preset with { TempBugFix = inferred.TempBugFix } == inferred)
            {
                guesses = [$"preset {presetName} chosen from the file name (the shapes agree with it)"];
                return preset;
            }
            notes.Add($"the file name suggests {presetName}, but the shapes do not match it");
        }
        guesses = notes;
        return inferred;
    }
}
