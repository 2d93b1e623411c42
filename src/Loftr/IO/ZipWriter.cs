using System.Buffers.Binary;
using System.Text;

namespace Loftr.IO;

/// <summary>
/// Writes a zip archive of STORED entries whose data start at multiples of 64 bytes, using the same
/// "FB" extra-field padding as PyTorch's <c>PyTorchStreamWriter</c>. Zip64 records are added only when needed.
/// </summary>
internal sealed class ZipWriter
{
    private const int Alignment = 64;
    private readonly Stream _out;
    private readonly List<(byte[] Name, uint Crc, long Size, long Offset)> _central = [];
    private long _pos;

    public ZipWriter(Stream output) => _out = output;

    public void AddStored(string name, ReadOnlySpan<byte> data)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        uint crc = Crc32.Compute(data);
        long size = data.Length;
        long offset = _pos;
        bool zip64 = size >= 0xFFFFFFFF || offset >= 0xFFFFFFFF;

        // Same computation as caffe2/serialize/inline_container.cc getPadding(): the zip64 extra (if any) comes
        // first, then "FB" + u16 length + 'Z' padding so that the data begins on a 64-byte boundary.
        long start = offset + 30 + nameBytes.Length + 4;
        int zip64Len = 0;
        if (zip64) { zip64Len = 4 + 16; start += zip64Len; }
        int pad = (int)((Alignment - start % Alignment) % Alignment);
        int extraLen = zip64Len + 4 + pad;

        var header = new byte[30 + nameBytes.Length + extraLen];
        var h = header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], (ushort)(zip64 ? 45 : 20));
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)(IsAscii(name) ? 0 : 0x800));
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], 0); // stored
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], 0); // time 00:00
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], 0x21); // date 1980-01-01
        BinaryPrimitives.WriteUInt32LittleEndian(h[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h[18..], zip64 ? 0xFFFFFFFF : (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(h[22..], zip64 ? 0xFFFFFFFF : (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(h[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)extraLen);
        nameBytes.CopyTo(h[30..]);
        var x = h[(30 + nameBytes.Length)..];
        if (zip64)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(x, 1);
            BinaryPrimitives.WriteUInt16LittleEndian(x[2..], 16);
            BinaryPrimitives.WriteUInt64LittleEndian(x[4..], (ulong)size);
            BinaryPrimitives.WriteUInt64LittleEndian(x[12..], (ulong)size);
            x = x[zip64Len..];
        }
        x[0] = (byte)'F';
        x[1] = (byte)'B';
        BinaryPrimitives.WriteUInt16LittleEndian(x[2..], (ushort)pad);
        x[4..].Fill((byte)'Z');

        _out.Write(header);
        _out.Write(data);
        _pos += header.Length + size;
        _central.Add((nameBytes, crc, size, offset));
    }

    public void Finish()
    {
        long cdStart = _pos;
        foreach (var (name, crc, size, offset) in _central)
        {
            bool bigSize = size >= 0xFFFFFFFF, bigOff = offset >= 0xFFFFFFFF;
            int extraLen = bigSize || bigOff ? 4 + (bigSize ? 16 : 0) + (bigOff ? 8 : 0) : 0;
            var c = new byte[46 + name.Length + extraLen];
            var s = c.AsSpan();
            bool ascii = name.All(b => b < 0x80);
            BinaryPrimitives.WriteUInt32LittleEndian(s, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(s[4..], (ushort)(extraLen > 0 ? 45 : 20));
            BinaryPrimitives.WriteUInt16LittleEndian(s[6..], (ushort)(extraLen > 0 ? 45 : 20));
            BinaryPrimitives.WriteUInt16LittleEndian(s[8..], (ushort)(ascii ? 0 : 0x800));
            BinaryPrimitives.WriteUInt16LittleEndian(s[10..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(s[12..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(s[14..], 0x21);
            BinaryPrimitives.WriteUInt32LittleEndian(s[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(s[20..], bigSize ? 0xFFFFFFFF : (uint)size);
            BinaryPrimitives.WriteUInt32LittleEndian(s[24..], bigSize ? 0xFFFFFFFF : (uint)size);
            BinaryPrimitives.WriteUInt16LittleEndian(s[28..], (ushort)name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(s[30..], (ushort)extraLen);
            BinaryPrimitives.WriteUInt32LittleEndian(s[42..], bigOff ? 0xFFFFFFFF : (uint)offset);
            name.CopyTo(s[46..]);
            if (extraLen > 0)
            {
                var x = s[(46 + name.Length)..];
                BinaryPrimitives.WriteUInt16LittleEndian(x, 1);
                BinaryPrimitives.WriteUInt16LittleEndian(x[2..], (ushort)(extraLen - 4));
                int q = 4;
                if (bigSize)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(x[q..], (ulong)size); q += 8;
                    BinaryPrimitives.WriteUInt64LittleEndian(x[q..], (ulong)size); q += 8;
                }
                if (bigOff) BinaryPrimitives.WriteUInt64LittleEndian(x[q..], (ulong)offset);
            }
            _out.Write(c);
            _pos += c.Length;
        }
        long cdSize = _pos - cdStart;
        bool needZip64 = _central.Count >= 0xFFFF || cdStart >= 0xFFFFFFFF || cdSize >= 0xFFFFFFFF;
        if (needZip64)
        {
            long e64Pos = _pos;
            var e64 = new byte[56 + 20];
            var s = e64.AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(s, 0x06064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(s[4..], 44);
            BinaryPrimitives.WriteUInt16LittleEndian(s[12..], 45);
            BinaryPrimitives.WriteUInt16LittleEndian(s[14..], 45);
            BinaryPrimitives.WriteUInt64LittleEndian(s[24..], (ulong)_central.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(s[32..], (ulong)_central.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(s[40..], (ulong)cdSize);
            BinaryPrimitives.WriteUInt64LittleEndian(s[48..], (ulong)cdStart);
            var loc = s[56..];
            BinaryPrimitives.WriteUInt32LittleEndian(loc, 0x07064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(loc[8..], (ulong)e64Pos);
            BinaryPrimitives.WriteUInt32LittleEndian(loc[16..], 1);
            _out.Write(e64);
            _pos += e64.Length;
        }
        var eocd = new byte[22];
        var es = eocd.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(es, 0x06054b50);
        ushort n16 = (ushort)Math.Min(_central.Count, 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(es[8..], n16);
        BinaryPrimitives.WriteUInt16LittleEndian(es[10..], n16);
        BinaryPrimitives.WriteUInt32LittleEndian(es[12..], (uint)Math.Min(cdSize, 0xFFFFFFFF));
        BinaryPrimitives.WriteUInt32LittleEndian(es[16..], (uint)Math.Min(cdStart, 0xFFFFFFFF));
        _out.Write(eocd);
        _pos += eocd.Length;
    }

    private static bool IsAscii(string s) => s.All(ch => ch < 0x80);
}
