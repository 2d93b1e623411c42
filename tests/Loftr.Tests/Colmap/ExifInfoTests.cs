using System.Buffers.Binary;
using System.Text;
using Loftr.Colmap;
using Microsoft.Data.Sqlite;

namespace Loftr.Tests.Colmap;

public class ExifInfoTests
{
    /// <summary>Builds a TIFF/EXIF block: IFD0 (make, model, orientation, EXIF pointer) and the EXIF IFD.</summary>
    internal static byte[] Tiff(bool littleEndian, string? make, string? model, int? orientation, (uint Num, uint Den)? focalMm, int? focal35,
        int? pixelX, (uint Num, uint Den)? planeXRes, int? planeUnit)
    {
        var ifd0 = new List<(int Tag, int Type, uint Count, byte[] Value)>();
        var exif = new List<(int Tag, int Type, uint Count, byte[] Value)>();
        byte[] U16(int v) { var b = new byte[2]; if (littleEndian) BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); else BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v); return b; }
        byte[] U32(uint v) { var b = new byte[4]; if (littleEndian) BinaryPrimitives.WriteUInt32LittleEndian(b, v); else BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }
        byte[] Rat((uint Num, uint Den) r) => [.. U32(r.Num), .. U32(r.Den)];
        if (make != null) ifd0.Add((0x010F, 2, (uint)make.Length + 1, Encoding.ASCII.GetBytes(make + "\0")));
        if (model != null) ifd0.Add((0x0110, 2, (uint)model.Length + 1, Encoding.ASCII.GetBytes(model + "\0")));
        if (orientation != null) ifd0.Add((0x0112, 3, 1, U16(orientation.Value)));
        if (focalMm != null) exif.Add((0x920A, 5, 1, Rat(focalMm.Value)));
        if (focal35 != null) exif.Add((0xA405, 3, 1, U16(focal35.Value)));
        if (pixelX != null) exif.Add((0xA002, 4, 1, U32((uint)pixelX.Value)));
        if (planeXRes != null) exif.Add((0xA20E, 5, 1, Rat(planeXRes.Value)));
        if (planeUnit != null) exif.Add((0xA210, 3, 1, U16(planeUnit.Value)));
        ifd0.Add((0x8769, 4, 1, U32(0))); // patched below

        var buf = new List<byte>();
        buf.AddRange(littleEndian ? "II"u8.ToArray() : "MM"u8.ToArray());
        buf.AddRange(U16(42));
        buf.AddRange(U32(8));
        int ifd0Size = 2 + 12 * ifd0.Count + 4, exifSize = 2 + 12 * exif.Count + 4;
        int exifOffset = 8 + ifd0Size;
        int dataOffset = exifOffset + exifSize;
        var data = new List<byte>();
        void WriteIfd(List<(int Tag, int Type, uint Count, byte[] Value)> entries)
        {
            buf.AddRange(U16(entries.Count));
            foreach (var (tag, type, count, value0) in entries)
            {
                var value = tag == 0x8769 ? U32((uint)exifOffset) : value0;
                buf.AddRange(U16(tag));
                buf.AddRange(U16(type));
                buf.AddRange(U32(count));
                if (value.Length <= 4) buf.AddRange([.. value, .. new byte[4 - value.Length]]);
                else
                {
                    buf.AddRange(U32((uint)(dataOffset + data.Count)));
                    data.AddRange(value);
                }
            }
            buf.AddRange(U32(0));
        }
        WriteIfd(ifd0);
        WriteIfd(exif);
        buf.AddRange(data);
        return buf.ToArray();
    }

    /// <summary>Inserts an APP1 Exif segment right after the SOI marker of a JPEG.</summary>
    internal static byte[] WithExif(byte[] jpeg, byte[] tiff)
    {
        int len = 2 + 6 + tiff.Length;
        return [0xFF, 0xD8, 0xFF, 0xE1, (byte)(len >> 8), (byte)len, .. "Exif\0\0"u8.ToArray(), .. tiff, .. jpeg[2..]];
    }

    [Fact]
    public void ReadsFocalTagsFromJpegInBothByteOrders()
    {
        using var tmp = ColmapTestSupport.Temp();
        foreach (bool little in new[] { true, false })
        {
            var tiff = Tiff(little, "Make", "Model X", 1, (54, 10), 28, 4000, (4000, 5), 2);
            File.WriteAllBytes(tmp["a.jpg"], WithExif(ColmapTestSupport.PlainJpeg(64, 48), tiff));
            var e = ExifInfo.Read(tmp["a.jpg"]);
            Assert.Equal("Make", e.Make);
            Assert.Equal("Model X", e.Model);
            Assert.Equal(1, e.Orientation);
            Assert.Equal(5.4, e.FocalLengthMm!.Value, 12);
            Assert.Equal(28, e.FocalLength35mm);
            Assert.Equal(4000, e.PixelXDimension);
            Assert.Equal(800, e.FocalPlaneXResolution);
            Assert.Equal(2, e.FocalPlaneResolutionUnit);
            // 35 mm equivalent first: 28 / 35 * max(w, h).
            Assert.Equal(28 / 35.0 * 64, e.FocalLengthPixels(64, 48)!.Value, 9);
        }
    }

    [Fact]
    public void FocalFromSensorWidthWhenNo35mmTag()
    {
        // Sensor width = 4000 px / 800 px per inch = 5 in = 127 mm; f = 50 mm / 127 mm * 1000 px.
        var e = ExifInfo.Parse(Tiff(true, null, null, null, (50, 1), null, 4000, (800, 1), 2));
        Assert.Equal(50 / 127.0 * 1000, e.FocalLengthPixels(1000, 600)!.Value, 9);
        var cm = ExifInfo.Parse(Tiff(true, null, null, null, (50, 1), null, 4000, (800, 1), 3));
        Assert.Equal(50 / 50.0 * 1000, cm.FocalLengthPixels(1000, 600)!.Value, 9);
        // Unknown unit or missing tags: no focal length.
        Assert.Null(ExifInfo.Parse(Tiff(true, null, null, null, (50, 1), null, 4000, (800, 1), 4)).FocalLengthPixels(1000, 600));
        Assert.Null(ExifInfo.Parse(Tiff(true, null, null, null, (50, 1), null, null, null, null)).FocalLengthPixels(1000, 600));
    }

    [Fact]
    public void NoOrBrokenExifGivesEmpty()
    {
        using var tmp = ColmapTestSupport.Temp();
        File.WriteAllBytes(tmp["plain.jpg"], ColmapTestSupport.PlainJpeg(32, 32));
        Assert.Equal(ExifInfo.Empty, ExifInfo.Read(tmp["plain.jpg"]));
        File.WriteAllBytes(tmp["x.png"], [0x89, 0x50, 0x4E, 0x47]);
        Assert.Equal(ExifInfo.Empty, ExifInfo.Read(tmp["x.png"]));
        var tiff = Tiff(true, "M", "N", 1, (5, 1), 28, null, null, null);
        Assert.Equal(ExifInfo.Empty, ExifInfo.Parse(tiff.AsSpan(0, 20)));
        tiff[4] = 0xFF; // IFD0 offset far out of range
        Assert.Equal(ExifInfo.Empty, ExifInfo.Parse(tiff));
        Assert.Throws<FileNotFoundException>(() => ExifInfo.Read(tmp["missing.jpg"]));
    }

    [Fact]
    public void CameraPriorIsExifOrTheDefaultFactor()
    {
        var options = new CameraOptions();
        var withExif = options.CameraFor(800, 600, ExifInfo.Parse(Tiff(true, null, null, null, null, 35, null, null, null)));
        Assert.True(withExif.HasPriorFocalLength);
        Assert.Equal([800.0, 400, 300, 0], withExif.Params);
        var without = options.CameraFor(800, 600, ExifInfo.Empty);
        Assert.False(without.HasPriorFocalLength);
        Assert.Equal(1.2 * 800, without.FocalX);
        Assert.False((options with { UseExif = false }).CameraFor(800, 600, ExifInfo.Parse(Tiff(true, null, null, null, null, 35, null, null, null))).HasPriorFocalLength);
    }

    /// <summary>COLMAP's own feature extractor derives the same camera from the same files.</summary>
    [Fact]
    public void SameFocalAsColmapFeatureExtractor()
    {
        var exe = ColmapTestSupport.Colmap();
        if (exe == null) return;
        using var tmp = ColmapTestSupport.Temp();
        string images = tmp["images"];
        Directory.CreateDirectory(images);
        var jpeg = ColmapTestSupport.PlainJpeg(160, 120);
        File.WriteAllBytes(Path.Combine(images, "a_35mm.jpg"), WithExif(jpeg, Tiff(true, "NoSuchMake", "NoSuchModel", 1, (6, 1), 42, null, null, null)));
        File.WriteAllBytes(Path.Combine(images, "b_plane.jpg"), WithExif(jpeg, Tiff(false, "NoSuchMake", "NoSuchModel", 1, (50, 1), null, 4000, (800, 1), 2)));
        File.WriteAllBytes(Path.Combine(images, "c_none.jpg"), jpeg);
        ColmapTestSupport.RunColmap(exe, "feature_extractor", "--database_path", tmp["colmap.db"], "--image_path", images,
            "--SiftExtraction.use_gpu", "0", "--SiftExtraction.num_threads", "1");

        using var conn = new SqliteConnection($"Data Source={tmp["colmap.db"]};Mode=ReadOnly;Pooling=False");
        conn.Open();
        using var cmd = new SqliteCommand("SELECT i.name, c.width, c.height, c.params, c.prior_focal_length FROM images i JOIN cameras c USING(camera_id) ORDER BY i.name", conn);
        using var rd = cmd.ExecuteReader();
        int n = 0;
        while (rd.Read())
        {
            n++;
            string name = rd.GetString(0);
            var colmapParams = ColmapDatabase.FromBytes<double>((byte[])rd[3]);
            var ours = new CameraOptions().CameraFor(rd.GetInt32(1), rd.GetInt32(2), ExifInfo.Read(Path.Combine(images, name)));
            Assert.Equal(rd.GetInt32(4) != 0, ours.HasPriorFocalLength);
            Assert.Equal(colmapParams.Length, ours.Params.Length);
            for (int i = 0; i < colmapParams.Length; i++) Assert.Equal(colmapParams[i], ours.Params[i], 6);
        }
        Assert.Equal(3, n);
    }
}
