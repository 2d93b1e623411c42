using static TorchSharp.torch;

namespace Loftr.IO;

/// <summary>
/// The decoded content of a PyTorch checkpoint (<c>torch.save</c> zip format), as inert .NET values.
/// </summary>
/// <remarks>
/// Value types in <see cref="Root"/>: <see cref="Tensor"/> (CPU), <see cref="long"/> (Python int;
/// <see cref="System.Numerics.BigInteger"/> beyond 64 bits), <see cref="double"/>, <see cref="bool"/>,
/// <see cref="string"/>, <c>byte[]</c>, null, <see cref="List{T}"/> of object? (lists and sets), object?[] (tuples),
/// nested <see cref="IReadOnlyDictionary{TKey, TValue}"/> of string → object? (dicts and OrderedDicts, in order;
/// non-string keys such as optimizer parameter ids or Lightning callback classes are converted to strings: 0 → "0",
/// a class → "module.Name"), <see cref="PythonGlobal"/> (inert class/dtype names), and <see cref="NpyArray"/>
/// (pickled numpy arrays). Tensors that shared a storage in the file are views of one shared buffer, as in PyTorch.
/// </remarks>
public sealed class CheckpointContents
{
    private readonly IReadOnlyDictionary<string, Tensor>? _stateDict;

    internal CheckpointContents(string sourcePath, IReadOnlyDictionary<string, object?> root)
    {
        SourcePath = sourcePath;
        Root = root;
        if (root.TryGetValue("state_dict", out var sd) && sd is IReadOnlyDictionary<string, object?> sdDict)
        {
            IsLightningCheckpoint = true;
            _stateDict = AsTensorDict(sdDict);
        }
        else
        {
            _stateDict = AsTensorDict(root);
        }
    }

    /// <summary>The file the checkpoint was read from.</summary>
    public string SourcePath { get; }

    /// <summary>The root dict of the checkpoint.</summary>
    public IReadOnlyDictionary<string, object?> Root { get; }

    /// <summary>True when the root has a <c>state_dict</c> dict entry (the PyTorch-Lightning layout).</summary>
    public bool IsLightningCheckpoint { get; }

    /// <summary>Whether <see cref="StateDict"/> is available.</summary>
    public bool HasStateDict => _stateDict is not null;

    /// <summary>
    /// The <c>state_dict</c> entry of a Lightning checkpoint, or the root itself when it maps strings to tensors.
    /// Keys are as stored (e.g. with the <c>matcher.</c> prefix of LoFTR checkpoints).
    /// </summary>
    /// <exception cref="CheckpointFormatException">The checkpoint holds no such mapping.</exception>
    public IReadOnlyDictionary<string, Tensor> StateDict => _stateDict ?? throw new CheckpointFormatException(SourcePath,
        IsLightningCheckpoint
            ? "the 'state_dict' entry holds values that are not tensors"
            : "the checkpoint has no 'state_dict' entry and its root is not a name → tensor mapping (keys: " +
              string.Join(", ", Root.Keys.Take(10)) + (Root.Count > 10 ? ", ..." : "") + ")");

    private static IReadOnlyDictionary<string, Tensor>? AsTensorDict(IReadOnlyDictionary<string, object?> d)
    {
        var r = new OrderedDictionary<string, Tensor>(d.Count, StringComparer.Ordinal);
        foreach (var (k, v) in d)
        {
            if (v is not Tensor t) return null;
            r.Add(k, t);
        }
        return r;
    }

    /// <summary>Every tensor reachable from <paramref name="value"/>.</summary>
    internal static IEnumerable<Tensor> EnumerateTensors(object? value)
    {
        switch (value)
        {
            case Tensor t:
                yield return t;
                break;
            case IReadOnlyDictionary<string, object?> d:
                foreach (var v in d.Values)
                    foreach (var t in EnumerateTensors(v)) yield return t;
                break;
            case string or byte[]:
                break;
            case IEnumerable<object?> seq:
                foreach (var v in seq)
                    foreach (var t in EnumerateTensors(v)) yield return t;
                break;
        }
    }
}
