using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Loftr.IO;

/// <summary>One entry of a zip archive's central directory.</summary>
internal sealed record ZipEntry(string Name, ushort Method, ushort Flags, uint Crc, long CompressedSize,
    long UncompressedSize, long DataOffset);

/// <summary>
/// A small read-only zip reader (central directory, zip64, stored and deflated entries, CRC checked) over a file
/// handle, so that tensor data can be read straight into tensor memory.
/// </summary>
internal sealed class ZipReader : IDisposable
{
    private const uint LocalSig = 0x04034b50, CentralSig = 0x02014b50, EocdSig = 0x06054b50;
    private const uint Eocd64Sig = 0x06064b50, Eocd64LocatorSig = 0x07064b50;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, ZipEntry> _byName = new(StringComparer.Ordinal);

    public string Path { get; }
    public long Length { get; }
    public IReadOnlyList<ZipEntry> Entries { get; }

    private ZipReader(string path, SafeFileHandle handle, long length, List<ZipEntry> entries)
    {
        Path = path;
        _handle = handle;
        Length = length;
        Entries = entries;
        foreach (var e in entries)
            if (!_byName.TryAdd(e.Name, e))
                throw Fail($"zip archive contains the entry '{e.Name}' twice");
    }

    private CheckpointFormatException Fail(string problem) => new(Path, problem);

    public static ZipReader Open(string path)
    {
        SafeFileHandle handle;
        try { handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(path, "cannot open the file: " + e.Message, e);
        }
        try
        {
            long length = RandomAccess.GetLength(handle);
            var entries = ReadCentralDirectory(path, handle, length);
            return new ZipReader(path, handle, length, entries);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public ZipEntry? Find(string name) => _byName.GetValueOrDefault(name);

    public void Dispose() => _handle.Dispose();

    /// <summary>Reads a whole entry into a new array (entries up to 2 GiB).</summary>
    public byte[] ReadAll(ZipEntry e)
    {
        if (e.UncompressedSize > Array.MaxLength)
            throw Fail($"entry '{e.Name}' is too large to read into memory ({e.UncompressedSize} bytes)");
        var buf = new byte[e.UncompressedSize];
        ReadInto(e, buf);
        return buf;
    }

    /// <summary>Reads an entry into <paramref name="dest"/>, whose length must equal the entry's size; checks the CRC.</summary>
    public void ReadInto(ZipEntry e, Span<byte> dest)
    {
        if (dest.Length != e.UncompressedSize)
            throw new InvalidOperationException($"entry '{e.Name}' holds {e.UncompressedSize} bytes, destination has {dest.Length}");
        if (e.Method == 0)
        {
            ReadExactlyAt(dest, e.DataOffset, $"entry '{e.Name}'");
        }
        else
        {
            if (e.CompressedSize > Array.MaxLength)
                throw Fail($"compressed entry '{e.Name}' is too large ({e.CompressedSize} bytes)");
            var comp = new byte[e.CompressedSize];
            ReadExactlyAt(comp, e.DataOffset, $"entry '{e.Name}'");
            try
            {
                using var ds = new DeflateStream(new MemoryStream(comp), CompressionMode.Decompress);
                int got = 0;
                while (got < dest.Length)
                {
                    int n = ds.Read(dest[got..]);
                    if (n == 0) break;
                    got += n;
                }
                Span<byte> one = stackalloc byte[1];
                if (got != dest.Length || ds.Read(one) != 0)
                    throw Fail($"entry '{e.Name}': deflate data does not decompress to the declared {e.UncompressedSize} bytes");
            }
            catch (InvalidDataException ex)
            {
                throw new CheckpointFormatException(Path, $"entry '{e.Name}': corrupt deflate data ({ex.Message})", ex);
            }
        }
        uint crc = Crc32.Compute(dest);
        if (crc != e.Crc)
            throw Fail($"entry '{e.Name}': CRC-32 mismatch (stored {e.Crc:x8}, computed {crc:x8}); the file is corrupt");
    }

    private void ReadExactlyAt(Span<byte> dest, long offset, string what)
    {
        if (offset + dest.Length > Length)
            throw Fail($"truncated zip archive: {what} extends past the end of the file");
        int done = 0;
        while (done < dest.Length)
        {
            int n = RandomAccess.Read(_handle, dest[done..], offset + done);
            if (n <= 0) throw Fail($"truncated zip archive: unexpected end of file while reading {what}");
            done += n;
        }
    }

    private static void ReadAt(string path, SafeFileHandle h, Span<byte> dest, long offset, long fileLength, string what)
    {
        if (offset < 0 || offset + dest.Length > fileLength)
            throw new CheckpointFormatException(path, $"truncated zip archive: {what} lies outside the file ({fileLength} bytes)");
        int done = 0;
        while (done < dest.Length)
        {
            int n = RandomAccess.Read(h, dest[done..], offset + done);
            if (n <= 0) throw new CheckpointFormatException(path, $"truncated zip archive: unexpected end of file reading {what}");
            done += n;
        }
    }

    private static List<ZipEntry> ReadCentralDirectory(string path, SafeFileHandle h, long len)
    {
        Span<byte> head = stackalloc byte[4];
        if (len < 4) throw new CheckpointFormatException(path, $"not a zip archive (file is only {len} bytes)");
        ReadAt(path, h, head, 0, len, "the file header");
        uint first = BinaryPrimitives.ReadUInt32LittleEndian(head);
        if (first != LocalSig && first != EocdSig)
            throw new CheckpointFormatException(path, "not a zip archive (missing the PK\\x03\\x04 signature)");
        if (len < 22) throw new CheckpointFormatException(path, "truncated zip archive (no end-of-central-directory record)");

        // The end-of-central-directory record is in the last 22 + 65535 bytes.
        int tailLen = (int)Math.Min(len, 22 + 65535);
        var tail = new byte[tailLen];
        ReadAt(path, h, tail, len - tailLen, len, "the end of the file");
        int eocd = -1;
        for (int i = tailLen - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EocdSig
                && i + 22 + BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 20)) <= tailLen)
            {
                eocd = i;
                break;
            }
        }
        if (eocd < 0)
            throw new CheckpointFormatException(path, "truncated zip archive (end-of-central-directory record not found)");
        long eocdPos = len - tailLen + eocd;
        var e = tail.AsSpan(eocd);
        if (BinaryPrimitives.ReadUInt16LittleEndian(e[4..]) != 0 || BinaryPrimitives.ReadUInt16LittleEndian(e[6..]) != 0)
            throw new CheckpointFormatException(path, "multi-disk zip archives are not supported");
        long count = BinaryPrimitives.ReadUInt16LittleEndian(e[10..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(e[12..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
        long cdLimit = eocdPos;

        if (eocdPos >= 20)
        {
            Span<byte> loc = stackalloc byte[20];
            ReadAt(path, h, loc, eocdPos - 20, len, "the zip64 locator");
            if (BinaryPrimitives.ReadUInt32LittleEndian(loc) == Eocd64LocatorSig)
            {
                long e64Pos = (long)BinaryPrimitives.ReadUInt64LittleEndian(loc[8..]);
                Span<byte> e64 = stackalloc byte[56];
                ReadAt(path, h, e64, e64Pos, len, "the zip64 end-of-central-directory record");
                if (BinaryPrimitives.ReadUInt32LittleEndian(e64) != Eocd64Sig)
                    throw new CheckpointFormatException(path, "corrupt zip archive (bad zip64 end-of-central-directory record)");
                count = (long)BinaryPrimitives.ReadUInt64LittleEndian(e64[32..]);
                cdSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(e64[40..]);
                cdOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(e64[48..]);
                cdLimit = e64Pos;
            }
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > cdLimit || cdSize > Array.MaxLength)
            throw new CheckpointFormatException(path,
                $"truncated zip archive (central directory at {cdOffset}+{cdSize} lies outside the file)");
        if (count > cdSize / 46 + 1)
            throw new CheckpointFormatException(path, $"corrupt zip archive (declares {count} entries in a {cdSize}-byte central directory)");

        var cd = new byte[cdSize];
        ReadAt(path, h, cd, cdOffset, len, "the central directory");
        var entries = new List<ZipEntry>((int)count);
        int p = 0;
        Span<byte> lh = stackalloc byte[30];
        for (long k = 0; k < count; k++)
        {
            if (p + 46 > cd.Length || BinaryPrimitives.ReadUInt32LittleEndian(cd.AsSpan(p)) != CentralSig)
                throw new CheckpointFormatException(path, $"corrupt zip archive (central directory entry {k} is damaged)");
            var c = cd.AsSpan(p);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(c[8..]);
            ushort method = BinaryPrimitives.ReadUInt16LittleEndian(c[10..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(c[16..]);
            long csize = BinaryPrimitives.ReadUInt32LittleEndian(c[20..]);
            long usize = BinaryPrimitives.ReadUInt32LittleEndian(c[24..]);
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(c[28..]);
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(c[30..]);
            int commentLen = BinaryPrimitives.ReadUInt16LittleEndian(c[32..]);
            long lho = BinaryPrimitives.ReadUInt32LittleEndian(c[42..]);
            if (p + 46 + nameLen + extraLen + commentLen > cd.Length)
                throw new CheckpointFormatException(path, $"corrupt zip archive (central directory entry {k} overruns the directory)");
            string name = ((flags & 0x800) != 0 ? Encoding.UTF8 : Encoding.Latin1).GetString(c.Slice(46, nameLen));
            var extra = c.Slice(46 + nameLen, extraLen);
            if (usize == 0xFFFFFFFF || csize == 0xFFFFFFFF || lho == 0xFFFFFFFF)
                ApplyZip64Extra(path, name, extra, ref usize, ref csize, ref lho);
            p += 46 + nameLen + extraLen + commentLen;

            if ((flags & 1) != 0) throw new CheckpointFormatException(path, $"entry '{name}' is encrypted");
            if (method != 0 && method != 8)
                throw new CheckpointFormatException(path, $"entry '{name}' uses unsupported compression method {method}");
            // Deflate cannot expand more than ~1032:1; refuse absurd declared sizes before allocating for them.
            if (method == 8 && usize > csize * 1100L + 4096)
                throw new CheckpointFormatException(path,
                    $"corrupt zip archive (entry '{name}' declares {usize} bytes from {csize} compressed bytes)");
            if (method == 0 && csize != usize)
                throw new CheckpointFormatException(path, $"corrupt zip archive (stored entry '{name}' has compressed size {csize} != size {usize})");
            ReadAt(path, h, lh, lho, len, $"the local header of '{name}'");
            if (BinaryPrimitives.ReadUInt32LittleEndian(lh) != LocalSig)
                throw new CheckpointFormatException(path, $"corrupt zip archive (bad local header for '{name}')");
            long dataOffset = lho + 30 + BinaryPrimitives.ReadUInt16LittleEndian(lh[26..]) + BinaryPrimitives.ReadUInt16LittleEndian(lh[28..]);
            if (dataOffset + csize > len)
                throw new CheckpointFormatException(path, $"truncated zip archive (entry '{name}' extends past the end of the file)");
            entries.Add(new ZipEntry(name, method, flags, crc, csize, usize, dataOffset));
        }
        return entries;
    }

    private static void ApplyZip64Extra(string path, string name, ReadOnlySpan<byte> extra, ref long usize, ref long csize, ref long lho)
    {
        int i = 0;
        while (i + 4 <= extra.Length)
        {
            ushort id = BinaryPrimitives.ReadUInt16LittleEndian(extra[i..]);
            int size = BinaryPrimitives.ReadUInt16LittleEndian(extra[(i + 2)..]);
            if (i + 4 + size > extra.Length) break;
            if (id == 1)
            {
                var f = extra.Slice(i + 4, size);
                int q = 0;
                if (usize == 0xFFFFFFFF) { if (q + 8 > f.Length) break; usize = (long)BinaryPrimitives.ReadUInt64LittleEndian(f[q..]); q += 8; }
                if (csize == 0xFFFFFFFF) { if (q + 8 > f.Length) break; csize = (long)BinaryPrimitives.ReadUInt64LittleEndian(f[q..]); q += 8; }
                if (lho == 0xFFFFFFFF) { if (q + 8 > f.Length) break; lho = (long)BinaryPrimitives.ReadUInt64LittleEndian(f[q..]); }
                if (usize < 0 || csize < 0 || lho < 0) break;
                return;
            }
            i += 4 + size;
        }
        throw new CheckpointFormatException(path, $"corrupt zip archive (entry '{name}' lacks a valid zip64 extra field)");
    }
}
