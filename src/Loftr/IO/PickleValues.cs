using System.Globalization;
using System.Numerics;
using static TorchSharp.torch;

namespace Loftr.IO;

/// <summary>What an allow-listed pickle global is, and therefore what REDUCE/NEWOBJ/BUILD may do with it.</summary>
internal enum GlobalKind
{
    OrderedDict,
    AttributeDict,
    RebuildTensorV2,
    RebuildParameter,
    RebuildParameterWithState,
    Storage,
    TorchDtype,
    TorchSize,
    InertClass,
    CodecsEncode,
    BuiltinsSet,
    BuiltinsFrozenset,
    NumpyScalar,
    NumpyDtype,
    NumpyReconstruct,
    NumpyNdarray,
}

/// <summary>An allow-listed global. Only the kinds above have behaviour; the object is otherwise a name.</summary>
internal sealed class AllowedGlobal(string module, string name, GlobalKind kind, ScalarType dtype = ScalarType.Float32)
{
    public string Module { get; } = module;
    public string Name { get; } = name;
    public GlobalKind Kind { get; } = kind;
    public ScalarType DType { get; } = dtype;
    public string FullName => Module + "." + Name;
    public PythonGlobal ToPublic() => new(Module, Name);
    public override string ToString() => FullName;
}

/// <summary>The set of globals a pickle may reference, plus wording for error messages.</summary>
internal sealed class UnpicklerPolicy
{
    private readonly Dictionary<string, AllowedGlobal> _map = new(StringComparer.Ordinal);

    public string Context { get; }
    public string AllowedSummary { get; }

    private UnpicklerPolicy(string context, string allowedSummary)
    {
        Context = context;
        AllowedSummary = allowedSummary;
    }

    private void Add(string module, string name, GlobalKind kind, ScalarType dtype = ScalarType.Float32) =>
        _map[module + "\n" + name] = new AllowedGlobal(module, name, kind, dtype);

    public AllowedGlobal? Find(string module, string name) => _map.GetValueOrDefault(module + "\n" + name);

    public IEnumerable<string> AllowedNames => _map.Values.Select(g => g.FullName);

    /// <summary>PyTorch Lightning callback classes that may appear as inert values (dict keys of 'callbacks').</summary>
    internal static readonly string[] LightningCallbacks =
    [
        "model_checkpoint.ModelCheckpoint", "early_stopping.EarlyStopping", "lr_monitor.LearningRateMonitor",
        "progress.ProgressBar", "progress.tqdm_progress.TQDMProgressBar", "progress.rich_progress.RichProgressBar",
        "progress.ProgressBarBase", "progress.base.ProgressBarBase", "gpu_stats_monitor.GPUStatsMonitor",
        "model_summary.ModelSummary", "rich_model_summary.RichModelSummary", "timer.Timer",
        "stochastic_weight_avg.StochasticWeightAveraging", "lr_finder.LearningRateFinder",
        "finetuning.BackboneFinetuning", "device_stats_monitor.DeviceStatsMonitor",
    ];

    public static readonly UnpicklerPolicy Checkpoint = BuildCheckpoint();
    public static readonly UnpicklerPolicy NumpyObjectArray = BuildNumpy();

    private static UnpicklerPolicy BuildCheckpoint()
    {
        var p = new UnpicklerPolicy("a checkpoint",
            "tensors, storages, OrderedDict, numbers, strings, bytes, lists, tuples, dicts, sets, torch dtypes, " +
            "numpy scalars and arrays, and PyTorch-Lightning callback class names as inert values");
        p.Add("collections", "OrderedDict", GlobalKind.OrderedDict);
        p.Add("torch._utils", "_rebuild_tensor_v2", GlobalKind.RebuildTensorV2);
        p.Add("torch._utils", "_rebuild_parameter", GlobalKind.RebuildParameter);
        p.Add("torch._utils", "_rebuild_parameter_with_state", GlobalKind.RebuildParameterWithState);
        foreach (var (type, name) in new[]
                 {
                     (ScalarType.Float64, "DoubleStorage"), (ScalarType.Float32, "FloatStorage"),
                     (ScalarType.Float16, "HalfStorage"), (ScalarType.BFloat16, "BFloat16Storage"),
                     (ScalarType.Int64, "LongStorage"), (ScalarType.Int32, "IntStorage"),
                     (ScalarType.Int16, "ShortStorage"), (ScalarType.Int8, "CharStorage"),
                     (ScalarType.Byte, "ByteStorage"), (ScalarType.Bool, "BoolStorage"),
                 })
            p.Add("torch", name, GlobalKind.Storage, type);
        p.Add("torch", "UntypedStorage", GlobalKind.Storage, ScalarType.Byte);
        p.Add("torch.storage", "UntypedStorage", GlobalKind.Storage, ScalarType.Byte);
        foreach (var d in TensorDTypes.TorchDtypeNames) p.Add("torch", d, GlobalKind.TorchDtype);
        p.Add("torch", "Size", GlobalKind.TorchSize);
        p.Add("_codecs", "encode", GlobalKind.CodecsEncode);
        p.Add("builtins", "set", GlobalKind.BuiltinsSet);
        p.Add("builtins", "frozenset", GlobalKind.BuiltinsFrozenset);
        p.Add("__builtin__", "set", GlobalKind.BuiltinsSet);
        p.Add("__builtin__", "frozenset", GlobalKind.BuiltinsFrozenset);
        foreach (var root in new[] { "pytorch_lightning", "lightning.pytorch" })
        {
            foreach (var cb in LightningCallbacks)
            {
                int dot = cb.LastIndexOf('.');
                p.Add($"{root}.callbacks.{cb[..dot]}", cb[(dot + 1)..], GlobalKind.InertClass);
            }
            p.Add($"{root}.utilities.parsing", "AttributeDict", GlobalKind.AttributeDict);
        }
        p.Add("lightning_fabric.utilities.data", "AttributeDict", GlobalKind.AttributeDict);
        AddNumpy(p);
        return p;
    }

    private static UnpicklerPolicy BuildNumpy()
    {
        var p = new UnpicklerPolicy("an .npy object array",
            "numpy arrays, dtypes and scalars, numbers, strings, bytes, lists, tuples, dicts, sets");
        AddNumpy(p);
        p.Add("_codecs", "encode", GlobalKind.CodecsEncode);
        p.Add("builtins", "set", GlobalKind.BuiltinsSet);
        p.Add("builtins", "frozenset", GlobalKind.BuiltinsFrozenset);
        p.Add("collections", "OrderedDict", GlobalKind.OrderedDict);
        return p;
    }

    private static void AddNumpy(UnpicklerPolicy p)
    {
        foreach (var core in new[] { "numpy.core.multiarray", "numpy._core.multiarray" })
        {
            p.Add(core, "_reconstruct", GlobalKind.NumpyReconstruct);
            p.Add(core, "scalar", GlobalKind.NumpyScalar);
        }
        p.Add("numpy", "ndarray", GlobalKind.NumpyNdarray);
        p.Add("numpy", "dtype", GlobalKind.NumpyDtype);
    }
}

/// <summary>A Python dict (or OrderedDict / dict subclass) under construction.</summary>
internal sealed class PyDict
{
    public OrderedDictionary<object, object?> Items { get; } = new(PyKeyComparer.Instance);
    public bool IsOrdered { get; init; }
    public string? ClassName { get; init; }
    public object? State { get; set; }
}

/// <summary>A Python set or frozenset.</summary>
internal sealed class PySet
{
    public List<object?> Items { get; } = [];
}

/// <summary>Stands for None when used as a dict key.</summary>
internal sealed class PyNoneKey
{
    public static readonly PyNoneKey Instance = new();
    public override string ToString() => "None";
}

/// <summary>A torch storage loaded from a checkpoint: a 1-D tensor of its dtype.</summary>
internal sealed class TorchStorage(string key, Tensor data, ScalarType dtype, long numel)
{
    public string Key { get; } = key;
    public Tensor Data { get; } = data;
    public ScalarType DType { get; } = dtype;
    public long Numel { get; } = numel;
}

/// <summary>A numpy dtype built by <c>numpy.dtype(descr, align, copy)</c> (+ BUILD for byte order / size).</summary>
internal sealed class NumpyDtype(char kind, int itemSize)
{
    public char Kind { get; } = kind;
    public int ItemSize { get; set; } = itemSize;
    public char ByteOrder { get; set; } = '|';

    /// <summary>numpy's <c>dtype.str</c>, e.g. "&lt;f8", "|b1", "&lt;U5", "|O".</summary>
    public string Descr
    {
        get
        {
            char order = Kind is 'b' or 'S' or 'O' or 'V' || ItemSize == 1 ? '|' : ByteOrder == '>' ? '>' : '<';
            return Kind switch
            {
                'O' => "|O",
                'U' => $"{(ByteOrder == '>' ? '>' : '<')}U{ItemSize / 4}",
                _ => $"{order}{Kind}{ItemSize}",
            };
        }
    }
}

/// <summary>A numpy ndarray from <c>_reconstruct</c>; BUILD supplies its contents.</summary>
internal sealed class PyNdarray
{
    public bool Built { get; set; }
    public long[] Shape { get; set; } = [];
    public NumpyDtype? Dtype { get; set; }
    public bool Fortran { get; set; }
    public object? Raw { get; set; }
}

/// <summary>Python-like equality for dict keys (tuples compare element-wise).</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();

    public new bool Equals(object? x, object? y)
    {
        if (x is object?[] a && y is object?[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++)
                if (!Equals(a[i] ?? PyNoneKey.Instance, b[i] ?? PyNoneKey.Instance)) return false;
            return true;
        }
        return object.Equals(x, y);
    }

    public int GetHashCode(object obj)
    {
        if (obj is object?[] a)
        {
            var h = new HashCode();
            foreach (var x in a) h.Add(x is null ? 0 : GetHashCode(x));
            return h.ToHashCode();
        }
        return obj.GetHashCode();
    }
}

/// <summary>Converts unpickled values into the public .NET shapes.</summary>
internal static class PickleConvert
{
    public const int MaxDepth = 200;

    /// <summary>
    /// dict → OrderedDictionary&lt;string, object?&gt; (keys stringified), list/set → List&lt;object?&gt;,
    /// tuple → object?[], tensors/storages → Tensor, numpy arrays → NpyArray, globals → PythonGlobal,
    /// numbers/strings/bytes/bool/null unchanged.
    /// </summary>
    public static object? ToPublic(object? v, string source, int depth = 0)
    {
        if (depth > MaxDepth)
            throw new CheckpointFormatException(source, $"pickle nests values more than {MaxDepth} levels deep (or is self-referential)");
        switch (v)
        {
            case null or bool or long or double or string or byte[] or BigInteger or Tensor:
                return v;
            case PyDict d:
                return ToPublicDict(d, source, depth);
            case List<object?> list:
                return list.Select(x => ToPublic(x, source, depth + 1)).ToList();
            case object?[] tuple:
                return tuple.Select(x => ToPublic(x, source, depth + 1)).ToArray();
            case PySet set:
                return set.Items.Select(x => ToPublic(x, source, depth + 1)).ToList();
            case AllowedGlobal g:
                return g.ToPublic();
            case TorchStorage s:
                return s.Data;
            case NumpyDtype dt:
                return dt.Descr;
            case PyNdarray arr:
                return ToNpy(arr, source, depth);
            default:
                throw new CheckpointFormatException(source, $"pickle produced an unsupported value of type {v.GetType().Name}");
        }
    }

    public static OrderedDictionary<string, object?> ToPublicDict(PyDict d, string source, int depth)
    {
        var result = new OrderedDictionary<string, object?>(d.Items.Count, StringComparer.Ordinal);
        foreach (var (k, val) in d.Items)
        {
            string key = KeyToString(k, source);
            if (!result.TryAdd(key, ToPublic(val, source, depth + 1)))
                throw new CheckpointFormatException(source, $"dict has two keys that both read as '{key}'");
        }
        return result;
    }

    public static string KeyToString(object? k, string source) => k switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        BigInteger b => b.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        null or PyNoneKey => "None",
        AllowedGlobal g => g.FullName,
        object?[] t => "(" + string.Join(", ", t.Select(x => KeyToString(x, source))) + (t.Length == 1 ? ",)" : ")"),
        byte[] b => "b'" + System.Text.Encoding.Latin1.GetString(b) + "'",
        _ => throw new CheckpointFormatException(source, $"dict key of type {k.GetType().Name} is not supported"),
    };

    private static NpyArray ToNpy(PyNdarray arr, string source, int depth)
    {
        if (!arr.Built || arr.Dtype is null)
            throw new CheckpointFormatException(source, "pickled numpy array was never initialised (missing BUILD)");
        if (arr.Dtype.Kind == 'O')
        {
            if (arr.Raw is not List<object?> items)
                throw new CheckpointFormatException(source, "pickled numpy object array holds no item list");
            var converted = items.Select(x => ToPublic(x, source, depth + 1)).ToArray();
            return NpyArray.FromObjects(source, arr.Shape, arr.Fortran, converted);
        }
        byte[] raw = arr.Raw switch
        {
            byte[] b => b,
            string s => System.Text.Encoding.Latin1.GetBytes(s),
            _ => throw new CheckpointFormatException(source, "pickled numpy array data is neither bytes nor a string"),
        };
        return NpyArray.FromRaw(source, arr.Dtype.Descr, arr.Shape, arr.Fortran, raw);
    }
}
