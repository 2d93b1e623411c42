using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.IO;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// <c>{name: {dtype, shape, data_offsets: [begin, end)}, "__metadata__": {str: str}}</c> (padded with spaces),
/// then the raw little-endian C-order tensor data. Dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.
/// </summary>
/// <remarks>
/// Loading validates strictly (header length against the file size, well-formed JSON, known dtypes, every
/// <c>data_offsets</c> range inside the data section and equal to dtype size × number of elements, no overlaps, no
/// gaps and no trailing bytes, as the reference implementation requires) and throws
/// <see cref="CheckpointFormatException"/> naming the file and the problem. Returned tensors are CPU, contiguous,
/// own their memory and are detached from any <see cref="DisposeScope"/>.
/// </remarks>
public static class SafeTensors
{
    /// <summary>The largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Loads every tensor of a safetensors file.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>Tensor name → tensor, in header order.</returns>
    public static Dictionary<string, Tensor> Load(string path) => LoadWithMetadata(path).Tensors;

    /// <summary>Loads every tensor of a safetensors file plus its <c>__metadata__</c> string map (empty when absent).</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The tensors (in header order) and the metadata.</returns>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) LoadWithMetadata(string path)
    {
        SafeFileHandle handle;
        try { handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(path, "cannot open the file: " + e.Message, e);
        }
        using (handle)
        {
            long fileLen = RandomAccess.GetLength(handle);
            var (entries, metadata, dataStart) = ReadHeader(path, handle, fileLen);
            var result = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
            using var scope = torch.NewDisposeScope();
            foreach (var e in entries)
            {
                var t = torch.empty(e.Shape, e.DType);
                if (e.End > e.Begin)
                {
                    Span<byte> dest = t.bytes;
                    long offset = dataStart + e.Begin;
                    int done = 0;
                    while (done < dest.Length)
                    {
                        int n = RandomAccess.Read(handle, dest[done..], offset + done);
                        if (n <= 0) throw new CheckpointFormatException(path, $"unexpected end of file while reading tensor '{e.Name}'");
                        done += n;
                    }
                }
                result.Add(e.Name, t);
            }
            foreach (var t in result.Values) t.DetachFromDisposeScope();
            return (result, metadata);
        }
    }

    /// <summary>
    /// Writes tensors to a safetensors file atomically (temporary file + rename). Tensors are ordered by element
    /// size (descending) then name, so each is naturally aligned; the header is padded with spaces to a multiple
    /// of 8 bytes. Tensors may live on any device and need not be contiguous.
    /// </summary>
    /// <param name="path">Destination file; replaced if it exists.</param>
    /// <param name="tensors">Name → tensor pairs (names must be unique and non-empty).</param>
    /// <param name="metadata">Optional <c>__metadata__</c> strings.</param>
    /// <exception cref="ArgumentException">A name is duplicated or empty, or a dtype is not supported.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var scope = torch.NewDisposeScope();
        var items = new List<(string Name, Tensor T, string DType, int Size)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name) || name == "__metadata__")
                throw new ArgumentException($"invalid safetensors tensor name '{name}'", nameof(tensors));
            if (!seen.Add(name)) throw new ArgumentException($"duplicate tensor name '{name}'", nameof(tensors));
            ArgumentNullException.ThrowIfNull(tensor);
            string dt = TensorDTypes.ToSafeTensorsName(tensor.dtype);
            var c = tensor.detach().cpu().contiguous();
            if (c.NumberOfElements * c.ElementSize > int.MaxValue)
                throw new ArgumentException($"tensor '{name}' is larger than 2 GiB, which is not supported", nameof(tensors));
            items.Add((name, c, dt, TensorDTypes.ElementSize(tensor.dtype)));
        }
        items.Sort((a, b) => a.Size != b.Size ? b.Size.CompareTo(a.Size) : string.CompareOrdinal(a.Name, b.Name));

        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var it in items)
            {
                long n = it.T.NumberOfElements * it.Size;
                w.WriteStartObject(it.Name);
                w.WriteString("dtype", it.DType);
                w.WriteStartArray("shape");
                foreach (long d in it.T.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + n);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += n;
            }
            w.WriteEndObject();
        }
        int jsonLen = (int)json.Length;
        int padded = (jsonLen + 7) / 8 * 8;
        var header = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)padded);
        json.GetBuffer().AsSpan(0, jsonLen).CopyTo(header.AsSpan(8));
        header.AsSpan(8 + jsonLen).Fill((byte)' ');

        AtomicFile.Write(path, fs =>
        {
            fs.Write(header);
            foreach (var it in items)
                if (it.T.NumberOfElements > 0) fs.Write(it.T.bytes);
        });
    }

    internal sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    /// <summary>Returns true when the first bytes look like a safetensors file (plausible header length, then '{').</summary>
    internal static bool LooksLikeSafeTensors(ReadOnlySpan<byte> head) =>
        head.Length >= 9 && head[8] == (byte)'{' && BinaryPrimitives.ReadUInt64LittleEndian(head) > 0;

    private static (List<Entry> Entries, Dictionary<string, string> Metadata, long DataStart) ReadHeader(
        string path, SafeFileHandle handle, long fileLen)
    {
        if (fileLen < 8)
            throw new CheckpointFormatException(path, $"truncated or not a safetensors file: only {fileLen} bytes, less than the 8-byte header length");
        Span<byte> lenBuf = stackalloc byte[8];
        ReadFully(path, handle, lenBuf, 0);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lenBuf);
        if (n > (ulong)(fileLen - 8))
            throw new CheckpointFormatException(path,
                $"truncated or not a safetensors file: header length {n} exceeds the {fileLen - 8} bytes after the length field");
        if (n > MaxHeaderBytes)
            throw new CheckpointFormatException(path, $"safetensors header of {n} bytes exceeds the {MaxHeaderBytes}-byte limit");
        if (n < 2) throw new CheckpointFormatException(path, $"safetensors header length {n} is too small for a JSON object");
        var headerBytes = new byte[n];
        ReadFully(path, handle, headerBytes, 8);
        long dataStart = 8 + (long)n;
        long dataLen = fileLen - dataStart;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, $"safetensors header is not well-formed JSON ({e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(path, $"safetensors header must be a JSON object, found {doc.RootElement.ValueKind}");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(prop.Name))
                    throw new CheckpointFormatException(path, $"safetensors header lists '{prop.Name}' twice");
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw new CheckpointFormatException(path, "__metadata__ must be an object of strings");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new CheckpointFormatException(path, $"__metadata__ value '{m.Name}' is a {m.Value.ValueKind}, not a string");
                        if (!metadata.TryAdd(m.Name, m.Value.GetString()!))
                            throw new CheckpointFormatException(path, $"__metadata__ lists '{m.Name}' twice");
                    }
                    continue;
                }
                entries.Add(ParseEntry(path, prop.Name, prop.Value, dataLen));
            }

            // No overlaps, no gaps, no trailing bytes (the data section must be exactly covered).
            var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
            long expected = 0;
            Entry? prev = null;
            foreach (var e in sorted)
            {
                if (e.Begin < expected)
                    throw new CheckpointFormatException(path,
                        $"tensors '{prev!.Name}' [{prev.Begin}, {prev.End}) and '{e.Name}' [{e.Begin}, {e.End}) overlap");
                if (e.Begin > expected)
                    throw new CheckpointFormatException(path,
                        $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}) leave a gap after byte {expected} of the data section");
                expected = e.End;
                prev = e;
            }
            if (expected != dataLen)
                throw new CheckpointFormatException(path,
                    $"the data section holds {dataLen} bytes but the tensors cover {expected} bytes");
            return (entries, metadata, dataStart);
        }
    }

    private static Entry ParseEntry(string path, string name, JsonElement v, long dataLen)
    {
        if (v.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(path, $"tensor '{name}' header entry is a {v.ValueKind}, not an object");
        if (!v.TryGetProperty("dtype", out var dtEl) || dtEl.ValueKind != JsonValueKind.String)
            throw new CheckpointFormatException(path, $"tensor '{name}' has no string 'dtype'");
        string dtName = dtEl.GetString()!;
        if (!TensorDTypes.TryFromSafeTensorsName(dtName, out var dtype))
            throw new CheckpointFormatException(path,
                $"tensor '{name}' has unsupported dtype '{dtName}' (supported: {string.Join(", ", TensorDTypes.SafeTensorsNames)})");
        if (!v.TryGetProperty("shape", out var shEl) || shEl.ValueKind != JsonValueKind.Array)
            throw new CheckpointFormatException(path, $"tensor '{name}' has no 'shape' array");
        var shape = new long[shEl.GetArrayLength()];
        int i = 0;
        foreach (var d in shEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw new CheckpointFormatException(path, $"tensor '{name}' shape entry {d} is not a non-negative integer");
            shape[i++] = dim;
        }
        if (!v.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new CheckpointFormatException(path, $"tensor '{name}' has no 'data_offsets' [begin, end] pair");
        long[] off = new long[2];
        i = 0;
        foreach (var d in offEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long o) || o < 0)
                throw new CheckpointFormatException(path, $"tensor '{name}' data_offsets entry {d} is not a non-negative integer");
            off[i++] = o;
        }
        long begin = off[0], end = off[1];
        if (end < begin)
            throw new CheckpointFormatException(path, $"tensor '{name}' data_offsets [{begin}, {end}) end before they begin");
        long numel = TensorDTypes.CheckedNumel(shape);
        int es = TensorDTypes.ElementSize(dtype);
        long bytes = numel < 0 ? -1 : (numel > long.MaxValue / es ? -1 : numel * es);
        if (bytes < 0)
            throw new CheckpointFormatException(path, $"tensor '{name}' shape {TensorDTypes.FormatShape(shape)} is too large");
        if (end - begin != bytes)
            throw new CheckpointFormatException(path,
                $"tensor '{name}' data_offsets [{begin}, {end}) do not match {dtName} {TensorDTypes.FormatShape(shape)} ({bytes} bytes)");
        if (end > dataLen)
            throw new CheckpointFormatException(path,
                $"tensor '{name}' data_offsets [{begin}, {end}) extend past the end of the data section ({dataLen} bytes): the file is truncated");
        if (bytes > int.MaxValue)
            throw new CheckpointFormatException(path, $"tensor '{name}' is larger than 2 GiB, which is not supported");
        return new Entry(name, dtype, shape, begin, end);
    }

    private static void ReadFully(string path, SafeFileHandle h, Span<byte> dest, long offset)
    {
        int done = 0;
        while (done < dest.Length)
        {
            int n = RandomAccess.Read(h, dest[done..], offset + done);
            if (n <= 0) throw new CheckpointFormatException(path, "unexpected end of file");
            done += n;
        }
    }
}
