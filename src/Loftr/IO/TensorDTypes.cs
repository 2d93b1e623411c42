using System.Buffers.Binary;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Loftr.IO;

/// <summary>Dtype tables shared by the safetensors, torch checkpoint and npy code.</summary>
internal static class TensorDTypes
{
    private static readonly (ScalarType Type, string SafeName, string StorageName, int Size)[] Table =
    [
        (ScalarType.Float64, "F64", "DoubleStorage", 8),
        (ScalarType.Float32, "F32", "FloatStorage", 4),
        (ScalarType.Float16, "F16", "HalfStorage", 2),
        (ScalarType.BFloat16, "BF16", "BFloat16Storage", 2),
        (ScalarType.Int64, "I64", "LongStorage", 8),
        (ScalarType.Int32, "I32", "IntStorage", 4),
        (ScalarType.Int16, "I16", "ShortStorage", 2),
        (ScalarType.Int8, "I8", "CharStorage", 1),
        (ScalarType.Byte, "U8", "ByteStorage", 1),
        (ScalarType.Bool, "BOOL", "BoolStorage", 1),
    ];

    /// <summary>The safetensors dtype names this library reads and writes.</summary>
    public static IEnumerable<string> SafeTensorsNames => Table.Select(t => t.SafeName);

    public static bool IsSupported(ScalarType type) => Table.Any(t => t.Type == type);

    public static int ElementSize(ScalarType type)
    {
        foreach (var t in Table) if (t.Type == type) return t.Size;
        throw new ArgumentException($"unsupported tensor dtype {type} (supported: {string.Join(", ", Table.Select(t => t.Type))})");
    }

    public static bool TryFromSafeTensorsName(string name, out ScalarType type)
    {
        foreach (var t in Table)
            if (t.SafeName == name) { type = t.Type; return true; }
        type = default;
        return false;
    }

    public static string ToSafeTensorsName(ScalarType type)
    {
        foreach (var t in Table) if (t.Type == type) return t.SafeName;
        throw new ArgumentException($"unsupported tensor dtype {type} for safetensors (supported: {string.Join(", ", SafeTensorsNames)})");
    }

    public static string ToStorageName(ScalarType type)
    {
        foreach (var t in Table) if (t.Type == type) return t.StorageName;
        throw new ArgumentException($"unsupported tensor dtype {type} for a torch checkpoint");
    }

    public static bool TryFromStorageName(string name, out ScalarType type)
    {
        foreach (var t in Table)
            if (t.StorageName == name) { type = t.Type; return true; }
        type = default;
        return false;
    }

    /// <summary>Names of <c>torch.&lt;dtype&gt;</c> objects that may appear (inert) in checkpoints.</summary>
    public static readonly string[] TorchDtypeNames =
    [
        "float64", "double", "float32", "float", "float16", "half", "bfloat16", "int64", "long", "int32", "int",
        "int16", "short", "int8", "uint8", "bool", "complex64", "complex128", "cfloat", "cdouble",
    ];

    /// <summary>Reverses the byte order of every element of <paramref name="data"/> in place.</summary>
    public static void SwapBytes(Span<byte> data, int elementSize)
    {
        switch (elementSize)
        {
            case 1: return;
            case 2: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(data), MemoryMarshal.Cast<byte, ushort>(data)); return;
            case 4: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(data), MemoryMarshal.Cast<byte, uint>(data)); return;
            case 8: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(data), MemoryMarshal.Cast<byte, ulong>(data)); return;
            default:
                for (int i = 0; i + elementSize <= data.Length; i += elementSize) data.Slice(i, elementSize).Reverse();
                return;
        }
    }

    /// <summary>Formats a shape as "[a, b]".</summary>
    public static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>Product of the dims, or -1 on overflow / negative dims.</summary>
    public static long CheckedNumel(IReadOnlyList<long> shape)
    {
        long n = 1;
        foreach (long d in shape)
        {
            if (d < 0) return -1;
            try { n = checked(n * d); } catch (OverflowException) { return -1; }
        }
        return n;
    }
}
