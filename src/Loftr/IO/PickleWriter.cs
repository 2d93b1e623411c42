using System.Buffers.Binary;
using System.Collections;
using System.Numerics;
using System.Text;
using static TorchSharp.torch;

namespace Loftr.IO;

/// <summary>
/// Writes a protocol-2 pickle the way Python's pickler does for <c>torch.save</c>: memoized strings and globals,
/// batched SETITEMS/APPENDS, tensors as <c>torch._utils._rebuild_tensor_v2</c> with BINPERSID storage ids.
/// Each tensor gets its own storage (a contiguous CPU copy collected in <see cref="Storages"/>; key = index).
/// </summary>
internal sealed class PickleWriter
{
    private const int BatchSize = 1000;
    /// <summary>Marks an integer key of a non-generic dictionary (e.g. PyTorch optimizer state ids) in the entry list.</summary>
    private const string IntKeyPrefix = "\0int:";
    private readonly MemoryStream _s = new();
    private readonly Dictionary<string, int> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _globals = new(StringComparer.Ordinal);
    private int _memo;

    /// <summary>Contiguous CPU tensors whose bytes are the storages "0", "1", ...</summary>
    public List<Tensor> Storages { get; } = [];

    public byte[] Write(object? root)
    {
        _s.WriteByte(0x80);
        _s.WriteByte(2);
        Save(root, "root", forceOrdered: false, depth: 0);
        _s.WriteByte((byte)'.');
        return _s.ToArray();
    }

    private void Op(char c) => _s.WriteByte((byte)c);
    private void Op(byte b) => _s.WriteByte(b);

    private void Memoize()
    {
        if (_memo < 256) { Op('q'); Op((byte)_memo); }
        else { Op('r'); WriteU32((uint)_memo); }
        _memo++;
    }

    private void Get(int idx)
    {
        if (idx < 256) { Op('h'); Op((byte)idx); }
        else { Op('j'); WriteU32((uint)idx); }
    }

    private void WriteU32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        _s.Write(b);
    }

    private void Save(object? v, string where, bool forceOrdered, int depth)
    {
        if (depth > PickleConvert.MaxDepth)
            throw new ArgumentException($"checkpoint value nests more than {PickleConvert.MaxDepth} levels deep at {where}");
        switch (v)
        {
            case null: Op('N'); return;
            case bool b: Op(b ? (byte)0x88 : (byte)0x89); return;
            case sbyte or byte or short or ushort or int or uint or long:
                SaveLong(Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)); return;
            case ulong u:
                if (u <= long.MaxValue) SaveLong((long)u); else SaveBig(u);
                return;
            case BigInteger big:
                if (big >= long.MinValue && big <= long.MaxValue) SaveLong((long)big); else SaveBig(big);
                return;
            case float or double or Half:
                {
                    Op('G');
                    Span<byte> b = stackalloc byte[8];
                    BinaryPrimitives.WriteDoubleBigEndian(b, Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture));
                    _s.Write(b);
                    return;
                }
            case string s: SaveString(s); return;
            case Tensor t: SaveTensor(t, where); return;
            case object?[] tuple: SaveTuple(tuple, where, depth); return;
        }
        var entries = TryGetEntries(v, where);
        if (entries is not null)
        {
            bool ordered = forceOrdered || (entries.Count > 0 && entries.All(e => e.Value is Tensor));
            SaveDict(entries, ordered, where, depth);
            return;
        }
        if (v is IEnumerable seq)
        {
            Op(']');
            Memoize();
            var items = seq.Cast<object?>().ToList();
            for (int start = 0; start < items.Count; start += BatchSize)
            {
                int n = Math.Min(BatchSize, items.Count - start);
                if (n > 1) Op('(');
                for (int i = 0; i < n; i++) Save(items[start + i], $"{where}[{start + i}]", false, depth + 1);
                Op(n > 1 ? 'e' : 'a');
            }
            return;
        }
        throw new ArgumentException(
            $"cannot save a value of type {v.GetType().Name} at {where} (supported: Tensor, integers, floating point, bool, string, null, " +
            "lists, object?[] tuples and string-keyed dictionaries)");
    }

    private static List<KeyValuePair<string, object?>>? TryGetEntries(object v, string where)
    {
        switch (v)
        {
            case IReadOnlyDictionary<string, object?> ro: return ro.ToList();
            case IReadOnlyDictionary<string, Tensor> rt: return rt.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)).ToList();
            case IDictionary d:
                {
                    var list = new List<KeyValuePair<string, object?>>(d.Count);
                    foreach (DictionaryEntry e in d)
                    {
                        string k = e.Key switch
                        {
                            string str => str,
                            int or long => IntKeyPrefix + Convert.ToInt64(e.Key, System.Globalization.CultureInfo.InvariantCulture)
                                .ToString(System.Globalization.CultureInfo.InvariantCulture),
                            _ => throw new ArgumentException($"dictionary at {where} has a key of type {e.Key.GetType().Name}; only string and integer keys are supported"),
                        };
                        list.Add(new(k, e.Value));
                    }
                    return list;
                }
            default: return null;
        }
    }

    private void SaveDict(List<KeyValuePair<string, object?>> entries, bool ordered, string where, int depth)
    {
        if (ordered)
        {
            SaveGlobal("collections", "OrderedDict");
            Op(')');
            Op('R');
        }
        else
        {
            Op('}');
        }
        Memoize();
        for (int start = 0; start < entries.Count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, entries.Count - start);
            if (n > 1) Op('(');
            for (int i = 0; i < n; i++)
            {
                var (k, val) = entries[start + i];
                if (k.StartsWith(IntKeyPrefix, StringComparison.Ordinal))
                    SaveLong(long.Parse(k.AsSpan(IntKeyPrefix.Length), System.Globalization.CultureInfo.InvariantCulture));
                else
                    SaveString(k);
                Save(val, where == "root" ? k : $"{where}.{k}", forceOrdered: where == "root" && k == "state_dict", depth + 1);
            }
            Op(n > 1 ? 'u' : 's');
        }
    }

    private void SaveTuple(IReadOnlyList<object?> items, string where, int depth)
    {
        if (items.Count == 0) { Op(')'); return; }
        if (items.Count > 3) Op('(');
        for (int i = 0; i < items.Count; i++) Save(items[i], $"{where}[{i}]", false, depth + 1);
        Op(items.Count switch { 1 => (byte)0x85, 2 => (byte)0x86, 3 => (byte)0x87, _ => (byte)'t' });
        Memoize();
    }

    private void SaveLongTuple(long[] items)
    {
        if (items.Length == 0) { Op(')'); return; }
        if (items.Length > 3) Op('(');
        foreach (long x in items) SaveLong(x);
        Op(items.Length switch { 1 => (byte)0x85, 2 => (byte)0x86, 3 => (byte)0x87, _ => (byte)'t' });
        Memoize();
    }

    private void SaveLong(long x)
    {
        if (x >= 0 && x <= 0xFF) { Op('K'); Op((byte)x); return; }
        if (x >= 0 && x <= 0xFFFF)
        {
            Op('M');
            Op((byte)x);
            Op((byte)(x >> 8));
            return;
        }
        if (x >= int.MinValue && x <= int.MaxValue)
        {
            Op('J');
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)x);
            _s.Write(b);
            return;
        }
        SaveBig(x);
    }

    private void SaveBig(BigInteger x)
    {
        byte[] bytes = x.IsZero ? [] : x.ToByteArray(isUnsigned: false, isBigEndian: false);
        if (bytes.Length < 256) { Op(0x8a); Op((byte)bytes.Length); }
        else
        {
            Op(0x8b);
            WriteU32((uint)bytes.Length);
        }
        _s.Write(bytes);
    }

    private void SaveString(string s)
    {
        if (_strings.TryGetValue(s, out int idx)) { Get(idx); return; }
        byte[] b = Encoding.UTF8.GetBytes(s);
        Op('X');
        WriteU32((uint)b.Length);
        _s.Write(b);
        _strings[s] = _memo;
        Memoize();
    }

    private void SaveGlobal(string module, string name)
    {
        string key = module + " " + name;
        if (_globals.TryGetValue(key, out int idx)) { Get(idx); return; }
        Op('c');
        _s.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
        _globals[key] = _memo;
        Memoize();
    }

    private void SaveTensor(Tensor t, string where)
    {
        if (!TensorDTypes.IsSupported(t.dtype))
            throw new ArgumentException($"tensor at {where} has unsupported dtype {t.dtype}");
        var c = t.detach().cpu().contiguous();
        if (c.NumberOfElements * c.ElementSize > int.MaxValue)
            throw new ArgumentException($"tensor at {where} is larger than 2 GiB, which is not supported");
        string key = Storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Storages.Add(c);
        long[] shape = c.shape;
        var stride = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            stride[i] = acc;
            acc *= Math.Max(shape[i], 1);
        }

        SaveGlobal("torch._utils", "_rebuild_tensor_v2");
        Op('(');
        // persistent id ('storage', torch.XStorage, key, 'cpu', numel)
        Op('(');
        SaveString("storage");
        SaveGlobal("torch", TensorDTypes.ToStorageName(c.dtype));
        SaveString(key);
        SaveString("cpu");
        SaveLong(c.NumberOfElements);
        Op('t');
        Memoize();
        Op('Q');
        SaveLong(0); // storage offset
        SaveLongTuple(shape);
        SaveLongTuple(stride);
        Op(0x89); // requires_grad = False
        SaveGlobal("collections", "OrderedDict"); // backward hooks: OrderedDict()
        Op(')');
        Op('R');
        Memoize();
        Op('t');
        Memoize();
        Op('R');
        Memoize();
    }
}
