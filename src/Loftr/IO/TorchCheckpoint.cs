using static TorchSharp.torch;
using TorchSharp;

namespace Loftr.IO;

/// <summary>
/// Reads and writes PyTorch checkpoints in the <c>torch.save</c> zip format (torch ≥ 1.6): a zip archive whose
/// single top folder holds <c>data.pkl</c> (the pickled object), <c>data/&lt;key&gt;</c> (raw storages),
/// <c>version</c> and optionally <c>byteorder</c>.
/// </summary>
/// <remarks>
/// The pickle is decoded by a restricted unpickler that never imports or runs anything: only tensors, storages,
/// OrderedDict, plain data, torch dtypes, numpy scalars/arrays and a few PyTorch-Lightning callback class names
/// (as inert values) are accepted. Any other global (e.g. <c>os.system</c>) is refused with a
/// <see cref="CheckpointFormatException"/> before anything else happens.
/// </remarks>
public static class TorchCheckpoint
{
    private static readonly byte[] LegacyMagic = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    /// <summary>Loads a checkpoint. Tensors are CPU tensors detached from any dispose scope.</summary>
    /// <param name="path">The <c>.ckpt</c> / <c>.pt</c> / <c>.pth</c> file.</param>
    /// <exception cref="CheckpointFormatException">
    /// The file is not a zip checkpoint, is truncated or corrupt, is a legacy (pre-1.6) torch file, or its pickle
    /// references something not allowed.
    /// </exception>
    public static CheckpointContents Load(string path)
    {
        RejectLegacy(path);
        using var zip = ZipReader.Open(path);
        var pklEntries = zip.Entries.Where(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal)
                                               && e.Name.IndexOf('/') == e.Name.Length - "/data.pkl".Length).ToList();
        if (pklEntries.Count == 0)
            throw new CheckpointFormatException(path, "zip archive has no '<archive>/data.pkl' record, so it is not a torch.save checkpoint");
        if (pklEntries.Count > 1)
            throw new CheckpointFormatException(path, "zip archive has several '<archive>/data.pkl' records: " +
                string.Join(", ", pklEntries.Select(e => e.Name)));
        string prefix = pklEntries[0].Name[..^"data.pkl".Length];

        bool bigEndian = false;
        if (zip.Find(prefix + "byteorder") is { } bo)
        {
            string order = System.Text.Encoding.ASCII.GetString(zip.ReadAll(bo)).Trim();
            bigEndian = order switch
            {
                "little" => false,
                "big" => true,
                _ => throw new CheckpointFormatException(path, $"unknown byteorder record '{order}'"),
            };
        }
        byte[] pkl = zip.ReadAll(pklEntries[0]);

        using var scope = torch.NewDisposeScope();
        var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);

        object? PersistentLoad(object? pid)
        {
            if (pid is not object?[] { Length: >= 5 } t || t[0] is not "storage")
                throw new CheckpointFormatException(path, "malformed pickle: persistent id is not ('storage', type, key, location, numel)");
            if (t[1] is not AllowedGlobal { Kind: GlobalKind.Storage } type)
                throw new CheckpointFormatException(path, "malformed pickle: persistent id does not name a torch storage type");
            if (t[2] is not string key || t[3] is not string || t[4] is not long numel || numel < 0)
                throw new CheckpointFormatException(path, "malformed pickle: persistent id has a bad key, location or size");
            if (storages.TryGetValue(key, out var existing))
            {
                if (existing.DType != type.DType)
                    throw new CheckpointFormatException(path,
                        $"storage '{key}' is used both as {existing.DType} and as {type.DType}, which is not supported");
                return existing;
            }
            var entry = zip.Find(prefix + "data/" + key)
                        ?? throw new CheckpointFormatException(path, $"storage record '{prefix}data/{key}' is missing");
            int es = TensorDTypes.ElementSize(type.DType);
            if (numel > long.MaxValue / es || entry.UncompressedSize != numel * es)
                throw new CheckpointFormatException(path,
                    $"storage record '{entry.Name}' holds {entry.UncompressedSize} bytes but the pickle declares {type.Name} of {numel} elements ({numel * es} bytes)");
            if (entry.UncompressedSize > int.MaxValue)
                throw new CheckpointFormatException(path, $"storage '{key}' is larger than 2 GiB, which is not supported");
            var data = torch.empty(numel, type.DType);
            if (numel > 0)
            {
                Span<byte> dest = data.bytes;
                zip.ReadInto(entry, dest);
                if (bigEndian) TensorDTypes.SwapBytes(dest, es);
            }
            var s = new TorchStorage(key, data, type.DType, numel);
            storages.Add(key, s);
            return s;
        }

        var raw = new RestrictedUnpickler(pkl, path, UnpicklerPolicy.Checkpoint, PersistentLoad).Load();
        var value = PickleConvert.ToPublic(raw, path);
        if (value is not IReadOnlyDictionary<string, object?> root)
            throw new CheckpointFormatException(path,
                $"the checkpoint's root object is a {value?.GetType().Name ?? "None"}, not a dict");
        foreach (var t in CheckpointContents.EnumerateTensors(root)) t.DetachFromDisposeScope();
        return new CheckpointContents(path, root);
    }

    /// <summary>
    /// Writes a checkpoint that <c>torch.load</c> (including <c>weights_only=True</c>) and the reference LoFTR code can
    /// read: a zip archive named after the file stem holding <c>data.pkl</c> (pickle protocol 2 as torch writes it),
    /// <c>byteorder</c> = "little", <c>data/&lt;n&gt;</c> raw little-endian storages (stored, 64-byte aligned) and
    /// <c>version</c>. The file is written atomically (temporary file + rename).
    /// </summary>
    /// <param name="path">Destination file; replaced if it exists.</param>
    /// <param name="root">
    /// The root dict. Values may be <see cref="Tensor"/> (any supported dtype, any device; saved as a contiguous
    /// detached copy), integers, floating point, bool, string, null, object?[] (saved as tuples), other sequences
    /// (lists) and dictionaries with string keys (or integer keys, e.g. the ids of a PyTorch optimizer state; nested). A dict stored under the root key <c>state_dict</c>, and any
    /// non-empty dict whose values are all tensors, is written as a <c>collections.OrderedDict</c>; other dicts as
    /// plain dicts.
    /// </param>
    /// <exception cref="ArgumentException">A value has an unsupported type or dtype.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, object?> root)
    {
        ArgumentNullException.ThrowIfNull(root);
        using var scope = torch.NewDisposeScope();
        var writer = new PickleWriter();
        byte[] pkl = writer.Write(root);
        string archive = Path.GetFileNameWithoutExtension(Path.GetFullPath(path));
        if (string.IsNullOrEmpty(archive)) archive = "archive";
        var keys = Enumerable.Range(0, writer.Storages.Count)
            .Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        AtomicFile.Write(path, fs =>
        {
            var zip = new ZipWriter(fs);
            zip.AddStored(archive + "/data.pkl", pkl);
            zip.AddStored(archive + "/byteorder", "little"u8);
            foreach (var key in keys)
            {
                var t = writer.Storages[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture)];
                zip.AddStored(archive + "/data/" + key, t.NumberOfElements == 0 ? ReadOnlySpan<byte>.Empty : t.bytes);
            }
            zip.AddStored(archive + "/version", "3\n"u8);
            zip.Finish();
        });
    }

    /// <summary>
    /// Writes a checkpoint in the layout of the released LoFTR checkpoints:
    /// <c>{'epoch', 'global_step', 'pytorch-lightning_version', 'state_dict': OrderedDict(prefix + key → tensor)}</c>.
    /// </summary>
    /// <param name="path">Destination file; replaced if it exists.</param>
    /// <param name="stateDict">Model state dict (keys without the prefix).</param>
    /// <param name="epoch">Value of the 'epoch' entry.</param>
    /// <param name="globalStep">Value of the 'global_step' entry.</param>
    /// <param name="keyPrefix">Prefix added to every key ("matcher." as in PL_LoFTR).</param>
    /// <param name="lightningVersion">Value of the 'pytorch-lightning_version' entry.</param>
    public static void SaveLightning(string path, IReadOnlyDictionary<string, Tensor> stateDict, long epoch = 0,
        long globalStep = 0, string keyPrefix = "matcher.", string lightningVersion = "1.3.5")
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var sd = new OrderedDictionary<string, object?>(stateDict.Count, StringComparer.Ordinal);
        foreach (var (k, v) in stateDict) sd.Add(keyPrefix + k, v);
        var root = new OrderedDictionary<string, object?>
        {
            ["epoch"] = epoch,
            ["global_step"] = globalStep,
            ["pytorch-lightning_version"] = lightningVersion,
            ["state_dict"] = sd,
        };
        Save(path, root);
    }

    /// <summary>True when <paramref name="head"/> begins like a legacy (pre-1.6) torch.save file.</summary>
    internal static bool IsLegacy(ReadOnlySpan<byte> head) =>
        head.Length >= 2 + LegacyMagic.Length && head[0] == 0x80 && head.Slice(2, LegacyMagic.Length).SequenceEqual(LegacyMagic);

    private static void RejectLegacy(string path)
    {
        Span<byte> head = stackalloc byte[512];
        int n;
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(path, "cannot open the file: " + e.Message, e);
        }
        head = head[..n];
        bool tar = n >= 262 && head.Slice(257, 5).SequenceEqual("ustar"u8);
        if (IsLegacy(head) || tar)
            throw new CheckpointFormatException(path,
                "legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with torch>=1.6 " +
                "(torch.save(torch.load(old), new))");
    }
}
