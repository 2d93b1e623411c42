using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace Loftr.Cli.Output;

/// <summary>Writes NumPy <c>.npy</c> arrays (format version 1.0, little-endian, C order) and <c>.npz</c> archives of them.</summary>
public static class NpyWriter
{
    /// <summary>An array to write: numpy dtype string, shape and raw little-endian data.</summary>
    /// <param name="Descr">dtype, e.g. "&lt;f4", "&lt;f8", "|b1".</param>
    /// <param name="Shape">Shape.</param>
    /// <param name="Data">Element bytes in C order.</param>
    public sealed record Array(string Descr, long[] Shape, byte[] Data);

    /// <summary>A float32 array.</summary>
    public static Array Float32(float[] values, params long[] shape) => new("<f4", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>A float64 array.</summary>
    public static Array Float64(double[] values, params long[] shape) => new("<f8", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>A bool array.</summary>
    public static Array Bool(bool[] values, params long[] shape) => new("|b1", shape, values.Select(b => b ? (byte)1 : (byte)0).ToArray());

    /// <summary>Writes one <c>.npy</c> array.</summary>
    public static void WriteNpy(Stream stream, Array array)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
        string shape = array.Shape.Length == 1
            ? $"({array.Shape[0].ToString(CultureInfo.InvariantCulture)},)"
            : "(" + string.Join(", ", array.Shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + ")";
        string header = $"{{'descr': '{array.Descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // magic (6) + version (2) + header length (2) + header + '\n' padded with spaces to a multiple of 64.
        int total = 10 + header.Length + 1;
        int pad = (64 - total % 64) % 64;
        header = header + new string(' ', pad) + "\n";
        Span<byte> prefix = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 0, 0];
        prefix[8] = (byte)(header.Length & 0xff);
        prefix[9] = (byte)(header.Length >> 8);
        stream.Write(prefix);
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(array.Data);
    }

    /// <summary>Writes an <c>.npz</c> archive (uncompressed zip, as <c>numpy.savez</c>) of named arrays.</summary>
    public static void WriteNpz(Stream stream, IEnumerable<(string Name, Array Array)> arrays)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, array) in arrays)
        {
            var entry = zip.CreateEntry(name + ".npy", CompressionLevel.NoCompression);
            using var s = entry.Open();
            WriteNpy(s, array);
        }
    }
}
