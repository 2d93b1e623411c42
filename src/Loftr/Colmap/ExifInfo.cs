using System.Buffers.Binary;
using System.Text;

namespace Loftr.Colmap;

/// <summary>
/// The EXIF tags COLMAP uses to initialise a camera's focal length, read from a JPEG's APP1 segment. Absent tags are
/// null. Only JPEG files carry EXIF here; other formats give <see cref="Empty"/>.
/// </summary>
/// <param name="Make">Camera make (IFD0 0x010F).</param>
/// <param name="Model">Camera model (IFD0 0x0110).</param>
/// <param name="Orientation">Orientation (IFD0 0x0112, 1 = upright).</param>
/// <param name="FocalLengthMm">FocalLength in mm (0x920A).</param>
/// <param name="FocalLength35mm">FocalLengthIn35mmFilm (0xA405).</param>
/// <param name="PixelXDimension">PixelXDimension (0xA002).</param>
/// <param name="FocalPlaneXResolution">FocalPlaneXResolution, pixels per unit (0xA20E).</param>
/// <param name="FocalPlaneResolutionUnit">FocalPlaneResolutionUnit (0xA210: 2 inches, 3 cm).</param>
public sealed record ExifInfo(string? Make, string? Model, int? Orientation, double? FocalLengthMm, double? FocalLength35mm,
    int? PixelXDimension, double? FocalPlaneXResolution, int? FocalPlaneResolutionUnit)
{
    /// <summary>No EXIF data.</summary>
    public static ExifInfo Empty { get; } = new(null, null, null, null, null, null, null, null);

    /// <summary>
    /// The focal length in pixels as COLMAP's <c>Bitmap::ExifFocalLength</c> derives it: 35 mm equivalent focal
    /// length / 35 * max(w, h); else focal length in mm over the sensor width (PixelXDimension /
    /// FocalPlaneXResolution, in inches or cm) * max(w, h). COLMAP's camera sensor-width database (make/model
    /// lookup) is not included, so a few cameras COLMAP knows fall back to the default prior here.
    /// </summary>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <returns>Focal length in pixels, or null when the tags do not determine it.</returns>
    public double? FocalLengthPixels(int width, int height)
    {
        double maxSize = Math.Max(width, height);
        if (FocalLength35mm is > 0) return FocalLength35mm.Value / 35.0 * maxSize;
        if (FocalLengthMm is not > 0 || PixelXDimension is not > 0 || FocalPlaneXResolution is not > 0) return null;
        double ccdWidth = PixelXDimension.Value / FocalPlaneXResolution.Value;
        double unitMm = FocalPlaneResolutionUnit switch { 2 => 25.4, 3 => 10.0, _ => 0 };
        if (unitMm == 0 || !(ccdWidth > 0)) return null;
        return FocalLengthMm.Value / (ccdWidth * unitMm) * maxSize;
    }

    /// <summary>Reads the EXIF tags of an image file; <see cref="Empty"/> for non-JPEG files or files without (valid) EXIF.</summary>
    /// <param name="path">Image file.</param>
    /// <returns>The tags found.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static ExifInfo Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image not found: {path}", path);
        using var fs = File.OpenRead(path);
        var tiff = FindExifSegment(fs);
        return tiff is null ? Empty : Parse(tiff);
    }

    /// <summary>Parses a TIFF-structured EXIF block (the APP1 payload after "Exif\0\0").</summary>
    /// <param name="tiff">The block.</param>
    /// <returns>The tags found; <see cref="Empty"/> when the block is malformed.</returns>
    public static ExifInfo Parse(ReadOnlySpan<byte> tiff)
    {
        try
        {
            return new TiffReader(tiff.ToArray()).ReadInfo();
        }
        catch (InvalidDataException)
        {
            return Empty;
        }
    }

    private static byte[]? FindExifSegment(Stream s)
    {
        if (s.ReadByte() != 0xFF || s.ReadByte() != 0xD8) return null;
        Span<byte> len = stackalloc byte[2];
        while (true)
        {
            int b = s.ReadByte();
            if (b < 0) return null;
            if (b != 0xFF) return null;
            int marker = s.ReadByte();
            while (marker == 0xFF) marker = s.ReadByte();
            if (marker < 0 || marker == 0xD9 || marker == 0xDA) return null; // end of image / start of scan
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) continue; // markers without length
            if (s.Read(len) != 2) return null;
            int size = BinaryPrimitives.ReadUInt16BigEndian(len) - 2;
            if (size < 0) return null;
            if (marker == 0xE1 && size >= 8)
            {
                var seg = new byte[size];
                if (s.ReadAtLeast(seg, size, throwOnEndOfStream: false) != size) return null;
                if (seg.AsSpan(0, 6).SequenceEqual("Exif\0\0"u8)) return seg[6..];
                continue;
            }
            s.Seek(size, SeekOrigin.Current);
        }
    }

    private sealed class TiffReader(byte[] data)
    {
        private bool _little;

        public ExifInfo ReadInfo()
        {
            if (data.Length < 8) throw new InvalidDataException("EXIF block too short.");
            _little = data[0] == 'I' && data[1] == 'I';
            if (!_little && !(data[0] == 'M' && data[1] == 'M')) throw new InvalidDataException("Bad TIFF byte order.");
            if (U16(2) != 42) throw new InvalidDataException("Bad TIFF magic.");
            var ifd0 = ReadIfd(U32(4));
            string? make = Ascii(ifd0, 0x010F), model = Ascii(ifd0, 0x0110);
            int? orientation = Integer(ifd0, 0x0112);
            var exif = Integer(ifd0, 0x8769) is int off ? ReadIfd((uint)off) : [];
            return new ExifInfo(make, model, orientation, Rational(exif, 0x920A), Integer(exif, 0xA405), Integer(exif, 0xA002),
                Rational(exif, 0xA20E), Integer(exif, 0xA210));
        }

        private Dictionary<int, (int Type, uint Count, int ValueOffset)> ReadIfd(uint offset)
        {
            var r = new Dictionary<int, (int, uint, int)>();
            if (offset > data.Length - 2) throw new InvalidDataException("IFD offset out of range.");
            int n = U16((int)offset);
            for (int i = 0; i < n; i++)
            {
                int e = (int)offset + 2 + 12 * i;
                if (e + 12 > data.Length) throw new InvalidDataException("IFD entry out of range.");
                int type = U16(e + 2);
                uint count = U32(e + 4);
                long bytes = (long)count * TypeSize(type);
                int valueOffset = bytes <= 4 ? e + 8 : (int)Math.Min(U32(e + 8), int.MaxValue);
                if (bytes > 0 && valueOffset + bytes <= data.Length) r.TryAdd(U16(e), (type, count, valueOffset));
            }
            return r;
        }

        private static int TypeSize(int type) => type switch
        {
            1 or 2 or 6 or 7 => 1,
            3 or 8 => 2,
            4 or 9 or 11 => 4,
            5 or 10 or 12 => 8,
            _ => 0,
        };

        private string? Ascii(Dictionary<int, (int Type, uint Count, int ValueOffset)> ifd, int tag)
        {
            if (!ifd.TryGetValue(tag, out var e) || e.Type != 2) return null;
            var s = Encoding.ASCII.GetString(data, e.ValueOffset, (int)e.Count).TrimEnd('\0', ' ');
            return s.Length == 0 ? null : s;
        }

        private int? Integer(Dictionary<int, (int Type, uint Count, int ValueOffset)> ifd, int tag)
        {
            if (!ifd.TryGetValue(tag, out var e)) return null;
            return e.Type switch
            {
                3 => U16(e.ValueOffset),
                4 => (int)Math.Min(U32(e.ValueOffset), int.MaxValue),
                _ => null,
            };
        }

        private double? Rational(Dictionary<int, (int Type, uint Count, int ValueOffset)> ifd, int tag)
        {
            if (!ifd.TryGetValue(tag, out var e)) return null;
            if (e.Type == 5)
            {
                uint num = U32(e.ValueOffset), den = U32(e.ValueOffset + 4);
                return den == 0 ? null : (double)num / den;
            }
            if (e.Type == 10)
            {
                int num = (int)U32(e.ValueOffset), den = (int)U32(e.ValueOffset + 4);
                return den == 0 ? null : (double)num / den;
            }
            return e.Type is 3 or 4 ? Integer(ifd, tag) : null;
        }

        private int U16(int at)
        {
            if (at < 0 || at + 2 > data.Length) throw new InvalidDataException("EXIF read out of range.");
            return _little ? BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at));
        }

        private uint U32(int at)
        {
            if (at < 0 || at + 4 > data.Length) throw new InvalidDataException("EXIF read out of range.");
            return _little ? BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
        }
    }
}
