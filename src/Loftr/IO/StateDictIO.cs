using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.IO;

/// <summary>
/// Reads LoFTR state dicts from <c>.ckpt</c> (torch zip) or <c>.safetensors</c> files and loads them strictly into
/// TorchSharp modules.
/// </summary>
public static class StateDictIO
{
    /// <summary>The prefix PL_LoFTR puts in front of every key of the matcher (removed once by <see cref="ReadStateDict(string)"/>).</summary>
    public const string MatcherPrefix = "matcher.";

    /// <summary>
    /// Reads a state dict, detecting the format from the content (zip magic → torch checkpoint, else a safetensors
    /// header). For a Lightning checkpoint the <c>state_dict</c> entry is used. One leading "matcher." is removed from
    /// every key that has it, as LoFTR does when it loads the released checkpoints.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>Key → CPU tensor.</returns>
    /// <exception cref="CheckpointFormatException">The file is neither format, or is malformed.</exception>
    public static Dictionary<string, Tensor> ReadStateDict(string path) => ReadStateDict(path, out _);

    /// <summary>
    /// As <see cref="ReadStateDict(string)"/>, and also returns the file's string metadata: the safetensors
    /// <c>__metadata__</c>, or the string and integer entries of a torch checkpoint's root dict (e.g. <c>epoch</c>,
    /// <c>global_step</c>, <c>pytorch-lightning_version</c>, <c>loftr_config</c>).
    /// </summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        Span<byte> head = stackalloc byte[16];
        long length;
        int n;
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            length = fs.Length;
            n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(path, "cannot open the file: " + e.Message, e);
        }
        head = head[..n];

        IEnumerable<KeyValuePair<string, Tensor>> source;
        List<Tensor> dropped = [];
        if (head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8) || TorchCheckpoint.IsLegacy(head))
        {
            var ckpt = TorchCheckpoint.Load(path);
            var sd = ckpt.StateDict;
            metadata = ckpt.Root
                .Where(kv => kv.Value is string or long or double or bool)
                .ToDictionary(kv => kv.Key, kv => Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture)!);
            var keep = new HashSet<Tensor>(sd.Values, ReferenceEqualityComparer.Instance);
            dropped.AddRange(CheckpointContents.EnumerateTensors(ckpt.Root).Where(t => !keep.Contains(t)));
            source = sd;
        }
        else if (SafeTensors.LooksLikeSafeTensors(head))
        {
            var (tensors, meta) = SafeTensors.LoadWithMetadata(path);
            source = tensors;
            metadata = meta;
        }
        else
        {
            throw new CheckpointFormatException(path,
                $"not a .ckpt or .safetensors file ({length} bytes, starting with {Convert.ToHexString(head[..Math.Min(8, head.Length)])})");
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in source)
        {
            string k = key.StartsWith(MatcherPrefix, StringComparison.Ordinal) ? key[MatcherPrefix.Length..] : key;
            if (!result.TryAdd(k, t))
                throw new CheckpointFormatException(path, $"keys '{key}' and another one both map to '{k}' after removing '{MatcherPrefix}'");
        }
        foreach (var t in dropped) t.Dispose();
        return result;
    }

    /// <summary>
    /// Copies a state dict into <paramref name="module"/>, strictly: the keys must equal those of
    /// <c>module.state_dict()</c> (parameters and buffers, including BatchNorm <c>running_mean</c>, <c>running_var</c>
    /// and <c>num_batches_tracked</c>, which is not tolerated as missing either) and every shape must match. On any
    /// mismatch a <see cref="CheckpointMismatchException"/> listing missing keys, unexpected keys and shape
    /// mismatches is thrown before anything is modified. Values are copied under <c>torch.no_grad()</c>, converted
    /// to the dtype (and device) of the module's tensor.
    /// </summary>
    /// <param name="module">The module to fill.</param>
    /// <param name="stateDict">Key → tensor, e.g. from <see cref="ReadStateDict(string)"/>.</param>
    /// <param name="sourceName">Name of the checkpoint, used in the exception message.</param>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        var target = module.state_dict();
        var missing = target.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !target.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var shapes = new List<string>();
        foreach (var (k, t) in target)
        {
            if (!stateDict.TryGetValue(k, out var src)) continue;
            if (!src.shape.SequenceEqual(t.shape))
                shapes.Add($"{k}: checkpoint {TensorDTypes.FormatShape(src.shape)} vs model {TensorDTypes.FormatShape(t.shape)}");
        }
        if (missing.Count > 0 || unexpected.Count > 0 || shapes.Count > 0)
            throw new CheckpointMismatchException(sourceName, missing, unexpected, shapes);

        using var noGrad = torch.no_grad();
        foreach (var (k, t) in target) t.copy_(stateDict[k]);
    }

    /// <summary>
    /// Copies into <paramref name="module"/> every tensor of <paramref name="stateDict"/> whose key and shape match one of
    /// the module's, and returns the module's keys that were left as they were (absent from the state dict, or of
    /// another shape), sorted. Keys of the state dict that the module lacks are ignored. For starting a changed
    /// architecture from a trained one; <see cref="LoadInto"/> is the strict load.
    /// </summary>
    /// <param name="module">The module to fill.</param>
    /// <param name="stateDict">Key → tensor.</param>
    /// <returns>The module's keys that kept their values.</returns>
    public static IReadOnlyList<string> LoadMatching(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        var kept = new List<string>();
        using var noGrad = torch.no_grad();
        foreach (var (k, t) in module.state_dict())
        {
            if (stateDict.TryGetValue(k, out var src) && src.shape.SequenceEqual(t.shape)) t.copy_(src);
            else kept.Add(k);
        }
        kept.Sort(StringComparer.Ordinal);
        return kept;
    }

    /// <summary>Reads a state dict with <see cref="ReadStateDict(string)"/> and loads it strictly with <see cref="LoadInto"/>.</summary>
    /// <param name="module">The module to fill.</param>
    /// <param name="path">The <c>.ckpt</c> or <c>.safetensors</c> file.</param>
    public static void LoadFile(nn.Module module, string path)
    {
        var sd = ReadStateDict(path);
        try
        {
            LoadInto(module, sd, path);
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }
}
