using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.IO;

/// <summary>
/// An array read from a <c>.npy</c> file (or an <c>.npz</c> entry, or a pickled numpy array). Data are held in C
/// order (Fortran-order files are transposed on load) and decoded to native values by the typed accessors,
/// whatever the byte order of the file.
/// </summary>
public sealed class NpyArray
{
    private readonly byte[] _data; // C order, little-endian
    private readonly object?[]? _objects;

    private NpyArray(string dtype, char kind, int itemSize, long[] shape, bool fortranOrder, byte[] data, object?[]? objects)
    {
        Dtype = dtype;
        Kind = kind;
        ItemSize = itemSize;
        Shape = shape;
        FortranOrder = fortranOrder;
        Length = TensorDTypes.CheckedNumel(shape);
        _data = data;
        _objects = objects;
    }

    /// <summary>numpy's dtype string as stored in the file, e.g. "&lt;f4", "&gt;i8", "|b1", "&lt;U12", "|O".</summary>
    public string Dtype { get; }

    /// <summary>The dtype kind: 'f' float, 'i' signed int, 'u' unsigned int, 'b' bool, 'c' complex, 'U' unicode, 'S' bytes, 'O' object.</summary>
    public char Kind { get; }

    /// <summary>Bytes per element (for 'U', 4 per character; 8 for object arrays).</summary>
    public int ItemSize { get; }

    /// <summary>The array shape (empty for a 0-d array). Do not modify.</summary>
    public long[] Shape { get; }

    /// <summary>Whether the file stored the data in Fortran order (the accessors always return C order).</summary>
    public bool FortranOrder { get; }

    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public long Length { get; }

    /// <summary>The raw element bytes in C order, little-endian (not meaningful for object arrays).</summary>
    public ReadOnlySpan<byte> RawBytes => _data;

    /// <summary>float32 elements (from f4, or exactly widened from f2).</summary>
    public float[] AsSingle()
    {
        if (Kind == 'f' && ItemSize == 4) return MemoryMarshal.Cast<byte, float>(_data).ToArray();
        if (Kind == 'f' && ItemSize == 2) return MemoryMarshal.Cast<byte, Half>(_data).ToArray().Select(h => (float)h).ToArray();
        throw WrongKind("AsSingle", "float32 or float16 (use AsDouble for float64)");
    }

    /// <summary>float64 elements, converted from any real numeric or bool dtype.</summary>
    public double[] AsDouble()
    {
        if (Kind == 'f' && ItemSize == 8) return MemoryMarshal.Cast<byte, double>(_data).ToArray();
        if (Kind == 'f' && ItemSize == 4) return Array.ConvertAll(MemoryMarshal.Cast<byte, float>(_data).ToArray(), x => (double)x);
        if (Kind == 'f' && ItemSize == 2) return MemoryMarshal.Cast<byte, Half>(_data).ToArray().Select(h => (double)h).ToArray();
        if (Kind == 'u' && ItemSize == 8) return MemoryMarshal.Cast<byte, ulong>(_data).ToArray().Select(x => (double)x).ToArray();
        if (Kind is 'i' or 'u' or 'b') return Array.ConvertAll(AsInt64(), x => (double)x);
        throw WrongKind("AsDouble", "a real numeric or bool dtype");
    }

    /// <summary>int64 elements from any integer or bool dtype (uint64 values above long.MaxValue throw OverflowException).</summary>
    public long[] AsInt64()
    {
        var d = _data.AsSpan();
        switch (Kind, ItemSize)
        {
            case ('i', 8): return MemoryMarshal.Cast<byte, long>(d).ToArray();
            case ('i', 4): return Widen(MemoryMarshal.Cast<byte, int>(d));
            case ('i', 2): return Widen(MemoryMarshal.Cast<byte, short>(d));
            case ('i', 1): return Widen(MemoryMarshal.Cast<byte, sbyte>(d));
            case ('u', 8): return MemoryMarshal.Cast<byte, ulong>(d).ToArray().Select(x => checked((long)x)).ToArray();
            case ('u', 4): return Widen(MemoryMarshal.Cast<byte, uint>(d));
            case ('u', 2): return Widen(MemoryMarshal.Cast<byte, ushort>(d));
            case ('u', 1) or ('b', 1): return Widen(d);
            default: throw WrongKind("AsInt64", "an integer or bool dtype");
        }
    }

    /// <summary>int32 elements from int32 or any narrower integer / bool dtype.</summary>
    public int[] AsInt32()
    {
        if (Kind == 'i' && ItemSize == 4) return MemoryMarshal.Cast<byte, int>(_data).ToArray();
        if ((Kind is 'i' or 'u' && ItemSize <= 2) || Kind == 'b') return Array.ConvertAll(AsInt64(), x => (int)x);
        throw WrongKind("AsInt32", "int32 or a narrower integer / bool dtype");
    }

    /// <summary>uint16 elements (from u2 or u1).</summary>
    public ushort[] AsUInt16()
    {
        if (Kind == 'u' && ItemSize == 2) return MemoryMarshal.Cast<byte, ushort>(_data).ToArray();
        if (Kind == 'u' && ItemSize == 1) return Array.ConvertAll(_data, b => (ushort)b);
        throw WrongKind("AsUInt16", "uint16 or uint8");
    }

    /// <summary>uint8 elements (from u1 or b1).</summary>
    public byte[] AsByte()
    {
        if ((Kind is 'u' or 'b') && ItemSize == 1) return _data.ToArray();
        throw WrongKind("AsByte", "uint8 or bool");
    }

    /// <summary>bool elements (from b1).</summary>
    public bool[] AsBoolean()
    {
        if (Kind == 'b') return Array.ConvertAll(_data, b => b != 0);
        throw WrongKind("AsBoolean", "bool");
    }

    /// <summary>Strings from a unicode ('U') array (trailing NULs removed) or a bytes ('S') array (decoded as Latin-1).</summary>
    public string[] AsStrings()
    {
        if (Kind is not ('U' or 'S')) throw WrongKind("AsStrings", "a unicode (U) or bytes (S) dtype");
        var r = new string[Length];
        for (long i = 0; i < Length; i++)
        {
            var item = _data.AsSpan((int)(i * ItemSize), ItemSize);
            r[i] = Kind == 'U' ? DecodeUtf32(item) : Encoding.Latin1.GetString(item.TrimEnd((byte)0));
        }
        return r;
    }

    /// <summary>
    /// Elements of an object ('|O') array in C order, as inert .NET values: string, long, double, bool, null, byte[],
    /// nested <see cref="NpyArray"/>, List&lt;object?&gt; (lists), object?[] (tuples), string-keyed dictionaries.
    /// </summary>
    public object?[] AsObjects() => _objects?.ToArray() ?? throw WrongKind("AsObjects", "object (|O)");

    /// <summary>
    /// A new CPU tensor with the array's shape and values (not shared with this object; detached from any dispose
    /// scope). f2/f4/f8 → Float16/32/64, i1/i2/i4/i8 → Int8/16/32/64, u1 → Byte, b1 → Bool; u2 → Int32 and u4/u8 → Int64
    /// (TorchSharp has no wider unsigned types).
    /// </summary>
    public Tensor ToTensor()
    {
        ScalarType? direct = (Kind, ItemSize) switch
        {
            ('f', 2) => ScalarType.Float16,
            ('f', 4) => ScalarType.Float32,
            ('f', 8) => ScalarType.Float64,
            ('i', 1) => ScalarType.Int8,
            ('i', 2) => ScalarType.Int16,
            ('i', 4) => ScalarType.Int32,
            ('i', 8) => ScalarType.Int64,
            ('u', 1) => ScalarType.Byte,
            ('b', 1) => ScalarType.Bool,
            _ => null,
        };
        if (direct is ScalarType st)
        {
            var t = torch.empty(Shape, st);
            if (Length > 0) _data.CopyTo(t.bytes);
            return t.DetachFromDisposeScope();
        }
        if (Kind == 'u' && ItemSize == 2)
            return torch.tensor(AsInt32(), Shape, ScalarType.Int32).DetachFromDisposeScope();
        if (Kind == 'u')
            return torch.tensor(AsInt64(), Shape, ScalarType.Int64).DetachFromDisposeScope();
        throw WrongKind("ToTensor", "a numeric or bool dtype");
    }

    private InvalidOperationException WrongKind(string method, string need) =>
        new($"{method}: the array has dtype '{Dtype}', {method} needs {need}");

    private static long[] Widen<T>(ReadOnlySpan<T> s) where T : struct, System.Numerics.IBinaryInteger<T>
    {
        var r = new long[s.Length];
        for (int i = 0; i < s.Length; i++) r[i] = long.CreateTruncating(s[i]);
        return r;
    }

    internal static string DecodeUtf32(ReadOnlySpan<byte> item)
    {
        var sb = new StringBuilder(item.Length / 4);
        for (int i = 0; i + 4 <= item.Length; i += 4)
        {
            int cp = BinaryPrimitives.ReadInt32LittleEndian(item[i..]);
            if (cp == 0) break;
            if (cp is < 0 or > 0x10FFFF or (>= 0xD800 and <= 0xDFFF)) sb.Append('\uFFFD');
            else sb.Append(char.ConvertFromUtf32(cp));
        }
        return sb.ToString();
    }

    /// <summary>Parses a simple numpy dtype string ("&lt;f4", "|b1", "&gt;U5", "|O").</summary>
    internal static (char Order, char Kind, int ItemSize) ParseDescr(string source, string descr)
    {
        if (descr.Length < 2) throw new CheckpointFormatException(source, $"unsupported numpy dtype '{descr}'");
        char order = descr[0];
        string rest = descr[1..];
        if (order is not ('<' or '>' or '|' or '='))
        {
            order = '=';
            rest = descr;
        }
        if (order == '=') order = BitConverter.IsLittleEndian ? '<' : '>';
        char kind = rest[0];
        if (kind == '?') return ('|', 'b', 1);
        int n = 0;
        if (rest.Length > 1 && !int.TryParse(rest.AsSpan(1), System.Globalization.NumberStyles.None, null, out n))
            throw new CheckpointFormatException(source, $"unsupported numpy dtype '{descr}'");
        int size = kind switch
        {
            'b' when n == 1 => 1,
            'i' or 'u' when n is 1 or 2 or 4 or 8 => n,
            'f' when n is 2 or 4 or 8 => n,
            'c' when n is 8 or 16 => n,
            'U' when n >= 0 => checked(n * 4),
            'S' when n >= 0 => n,
            'O' when n is 0 or 8 => 8,
            _ => throw new CheckpointFormatException(source, $"unsupported numpy dtype '{descr}'"),
        };
        return (order, kind, size);
    }

    /// <summary>Builds an array from raw element bytes in the file's order and byte order.</summary>
    internal static NpyArray FromRaw(string source, string descr, long[] shape, bool fortran, ReadOnlySpan<byte> raw)
    {
        var (order, kind, size) = ParseDescr(source, descr);
        if (kind == 'O') throw new CheckpointFormatException(source, "object arrays need the pickle reader");
        long numel = TensorDTypes.CheckedNumel(shape);
        if (numel < 0 || numel > Array.MaxLength / Math.Max(size, 1))
            throw new CheckpointFormatException(source, $"array shape {TensorDTypes.FormatShape(shape)} is too large");
        long need = numel * size;
        if (raw.Length < need)
            throw new CheckpointFormatException(source,
                $"truncated array data: dtype {descr} shape {TensorDTypes.FormatShape(shape)} needs {need} bytes, found {raw.Length}");
        var data = raw[..(int)need].ToArray();
        if (order == '>' && kind is 'i' or 'u' or 'f' or 'c' or 'U')
            TensorDTypes.SwapBytes(data, kind == 'U' ? 4 : kind == 'c' ? size / 2 : size);
        if (fortran && shape.Length > 1 && numel > 1) data = FortranToC(data, shape, size);
        return new NpyArray(descr, kind, size, shape, fortran, data, null);
    }

    /// <summary>Builds an object array from items listed in the file's order.</summary>
    internal static NpyArray FromObjects(string source, long[] shape, bool fortran, object?[] items)
    {
        long numel = TensorDTypes.CheckedNumel(shape);
        if (numel != items.Length)
            throw new CheckpointFormatException(source,
                $"object array of shape {TensorDTypes.FormatShape(shape)} holds {items.Length} items, expected {numel}");
        if (fortran && shape.Length > 1 && numel > 1)
        {
            var idx = FortranToCIndex(shape);
            var c = new object?[items.Length];
            for (int i = 0; i < c.Length; i++) c[i] = items[idx[i]];
            items = c;
        }
        return new NpyArray("|O", 'O', 8, shape, fortran, [], items);
    }

    private static byte[] FortranToC(byte[] data, long[] shape, int size)
    {
        var idx = FortranToCIndex(shape);
        var r = new byte[data.Length];
        for (int i = 0; i < idx.Length; i++)
            Buffer.BlockCopy(data, idx[i] * size, r, i * size, size);
        return r;
    }

    // For each C-order position, the position of the same element in Fortran order.
    private static int[] FortranToCIndex(long[] shape)
    {
        int n = (int)TensorDTypes.CheckedNumel(shape);
        int nd = shape.Length;
        var fstride = new long[nd];
        long s = 1;
        for (int k = 0; k < nd; k++) { fstride[k] = s; s *= shape[k]; }
        var r = new int[n];
        var ix = new long[nd];
        for (int i = 0; i < n; i++)
        {
            long f = 0;
            for (int k = 0; k < nd; k++) f += ix[k] * fstride[k];
            r[i] = (int)f;
            for (int k = nd - 1; k >= 0; k--)
            {
                if (++ix[k] < shape[k]) break;
                ix[k] = 0;
            }
        }
        return r;
    }
}
