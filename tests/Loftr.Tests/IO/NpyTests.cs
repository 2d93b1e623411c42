using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Loftr.IO;
using Loftr.Tests.Infrastructure;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Loftr.Tests.IO;

public class NpyTests(ITestOutputHelper output)
{
    internal static byte[] NpyBytes(string descr, bool fortran, long[] shape, byte[] data, int major = 1)
    {
        string shapeStr = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shapeStr}, }}";
        int pre = major == 1 ? 10 : 12;
        int total = (pre + dict.Length + 1 + 63) / 64 * 64;
        string header = dict + new string(' ', total - pre - dict.Length - 1) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)header.Length));
        else ms.Write(BitConverter.GetBytes((uint)header.Length));
        ms.Write(Encoding.Latin1.GetBytes(header));
        ms.Write(data);
        return ms.ToArray();
    }

    private static byte[] Doubles(params double[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void FortranOrderIsReturnedInCOrder()
    {
        // C-order [[1,2,3],[4,5,6]] stored column-major: 1,4,2,5,3,6.
        var a = Npy.Parse(NpyBytes("<f8", true, [2, 3], Doubles(1, 4, 2, 5, 3, 6)), "f.npy");
        Assert.True(a.FortranOrder);
        Assert.Equal(new long[] { 2, 3 }, a.Shape);
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, a.AsDouble());
        using var t = a.ToTensor();
        Assert.Equal(ScalarType.Float64, t.dtype);
        Assert.Equal(6.0, t[1, 2].item<double>());

        // 3-D Fortran: element (i,j,k) at i + 2j + 4k for shape (2,2,3).
        var f = new double[12];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 3; k++)
                    f[i + 2 * j + 4 * k] = 100 * i + 10 * j + k;
        var b = Npy.Parse(NpyBytes("<f8", true, [2, 2, 3], Doubles(f)), "f3.npy", true);
        Assert.Equal(new double[] { 0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112 }, b.AsDouble());
    }

    [Fact]
    public void ByteOrdersAndDtypesDecode()
    {
        var be = new byte[12];
        BinaryPrimitives.WriteInt32BigEndian(be, 1);
        BinaryPrimitives.WriteInt32BigEndian(be.AsSpan(4), -2);
        BinaryPrimitives.WriteInt32BigEndian(be.AsSpan(8), 300000);
        var a = Npy.Parse(NpyBytes(">i4", false, [3], be), "be.npy");
        Assert.Equal(">i4", a.Dtype);
        Assert.Equal(new[] { 1, -2, 300000 }, a.AsInt32());
        Assert.Equal(new long[] { 1, -2, 300000 }, a.AsInt64());
        Assert.Equal(new double[] { 1, -2, 300000 }, a.AsDouble());

        var bed = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(bed, Math.PI);
        Assert.Equal(Math.PI, Npy.Parse(NpyBytes(">f8", false, [], bed), "s.npy").AsDouble()[0]);

        var b = Npy.Parse(NpyBytes("|b1", false, [3], [1, 0, 1]), "b.npy");
        Assert.Equal(new[] { true, false, true }, b.AsBoolean());
        using (var bt = b.ToTensor()) Assert.Equal(ScalarType.Bool, bt.dtype);

        var u2 = Npy.Parse(NpyBytes("<u2", false, [2], [0xff, 0xff, 0x01, 0x00]), "u2.npy");
        Assert.Equal(new ushort[] { 65535, 1 }, u2.AsUInt16());
        using (var ut = u2.ToTensor())
        {
            Assert.Equal(ScalarType.Int32, ut.dtype);
            Assert.Equal(65535, ut[0].item<int>());
        }

        var h = Npy.Parse(NpyBytes("<f2", false, [2], BitConverter.GetBytes((Half)1.5).Concat(BitConverter.GetBytes((Half)(-2))).ToArray()), "h.npy");
        Assert.Equal(new[] { 1.5f, -2f }, h.AsSingle());

        var ex = Assert.Throws<InvalidOperationException>(() => a.AsSingle());
        Assert.Contains("'>i4'", ex.Message);
    }

    [Fact]
    public void UnicodeArraysDecodeToStrings()
    {
        string[] words = ["ab", "héllo", "😀"];
        var data = new byte[3 * 5 * 4];
        for (int i = 0; i < words.Length; i++)
        {
            var cps = words[i].EnumerateRunes().Select(r => r.Value).ToArray();
            for (int c = 0; c < cps.Length; c++) BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(i * 20 + c * 4), cps[c]);
        }
        var a = Npy.Parse(NpyBytes("<U5", false, [3], data, major: 2), "u.npy");
        Assert.Equal(words, a.AsStrings());
        Assert.Equal(20, a.ItemSize);
    }

    [Fact]
    public void TruncatedAndMalformedNpyAreRejected()
    {
        var ok = NpyBytes("<f8", false, [4], Doubles(1, 2, 3, 4));
        var ex = Assert.Throws<CheckpointFormatException>(() => Npy.Parse(ok[..(ok.Length - 3)], "cut.npy"));
        Assert.StartsWith("cut.npy: truncated array data", ex.Message);
        ex = Assert.Throws<CheckpointFormatException>(() => Npy.Parse(ok[..20], "cuthdr.npy"));
        Assert.Contains("truncated .npy header", ex.Message);
        ex = Assert.Throws<CheckpointFormatException>(() => Npy.Parse(NpyBytes("[('a', '<f4')]", false, [1], new byte[4]), "rec.npy"));
        Assert.StartsWith("rec.npy: ", ex.Message);
        ex = Assert.Throws<CheckpointFormatException>(() => Npy.Parse(NpyBytes("<M8", false, [1], new byte[8]), "dt.npy"));
        Assert.Contains("unsupported numpy dtype '<M8'", ex.Message);
    }

    /// <summary>numpy's pickle of np.array(items, dtype=object): _reconstruct(ndarray, (0,), b'b') + BUILD.</summary>
    private static PickleBuilder ObjectArray(PickleBuilder p, long[] shape, Action<PickleBuilder> items)
    {
        p.Global("numpy.core.multiarray", "_reconstruct").Global("numpy", "ndarray").Int(0).Tuple1()
            .CodecsBytes("b"u8.ToArray()).Tuple3().Reduce();
        p.Mark().Int(1).Mark();
        foreach (var s in shape) p.Int(s);
        p.Tuple().NumpyDtype("O8", "|", -1, -1, 63).False().EmptyList().Mark();
        items(p);
        return p.Appends().Tuple().Build();
    }

    [Fact]
    public void ObjectArraysDecodeThroughTheRestrictedUnpickler()
    {
        var p = ObjectArray(new PickleBuilder().Proto(2), [6], q =>
        {
            q.Str("a").Int(5).None().Float(2.5);
            // A nested float64 array, numpy 2 spelling, protocol-3 bytes.
            q.Global("numpy._core.multiarray", "_reconstruct").Global("numpy", "ndarray").Int(0).Tuple1()
                .ShortBytes("b"u8.ToArray()).Tuple3().Reduce()
                .Mark().Int(1).Int(2).Tuple1().NumpyDtype("f8", "<").False().ShortBytes(Doubles(0.5, -1)).Tuple().Build();
            q.EmptyDict().Str("k").Str("v").SetItem();
        }).Stop().ToArray();
        var npy = NpyBytes("|O", false, [6], p);
        var a = Npy.Parse(npy, "obj.npy");
        Assert.Equal("|O", a.Dtype);
        var items = a.AsObjects();
        Assert.Equal("a", items[0]);
        Assert.Equal(5L, items[1]);
        Assert.Null(items[2]);
        Assert.Equal(2.5, items[3]);
        var nested = Assert.IsType<NpyArray>(items[4]);
        Assert.Equal(new[] { 0.5, -1 }, nested.AsDouble());
        var d = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(items[5]);
        Assert.Equal("v", d["k"]);

        var ex = Assert.Throws<CheckpointFormatException>(() => Npy.Parse(npy, "obj.npy", allowObjectArrays: false));
        Assert.Contains("object arrays are disabled", ex.Message);

        var wrongShape = NpyBytes("|O", false, [7], p);
        Assert.Contains("header says [7]", Assert.Throws<CheckpointFormatException>(() => Npy.Parse(wrongShape, "o.npy")).Message);
    }

    [Fact]
    public void ObjectArraysCannotReferenceArbitraryGlobals()
    {
        using var dir = new TempDir();
        string marker = dir.File("pwned");
        var p = ObjectArray(new PickleBuilder().Proto(2), [1], q =>
            q.Global("os", "system").Str($"touch {marker}").Tuple1().Reduce()).Stop().ToArray();
        var ex = Assert.Throws<CheckpointFormatException>(() => Npy.Parse(NpyBytes("|O", false, [1], p), "evil.npy"));
        Assert.StartsWith("evil.npy: refusing to load: the pickle references 'os.system', which is not allowed in an .npy object array", ex.Message);
        Assert.False(File.Exists(marker));

        // Tensors are not part of the numpy allow-list.
        var q2 = new PickleBuilder().Proto(2).Global("torch._utils", "_rebuild_tensor_v2").Stop().ToArray();
        Assert.Contains("'torch._utils._rebuild_tensor_v2'",
            Assert.Throws<CheckpointFormatException>(() => Npy.Parse(NpyBytes("|O", false, [1], q2), "t.npy")).Message);
    }

    [Fact]
    public void NpzWithStoredAndDeflatedEntries()
    {
        using var dir = new TempDir();
        string path = dir.File("mixed.npz");
        using (var z = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            void Add(string name, byte[] data, CompressionLevel level)
            {
                using var s = z.CreateEntry(name, level).Open();
                s.Write(data);
            }
            Add("stored.npy", NpyBytes("<f4", false, [2, 2], new[] { 1f, 2f, 3f, 4f }.SelectMany(BitConverter.GetBytes).ToArray()), CompressionLevel.NoCompression);
            Add("deflated.npy", NpyBytes("<i8", false, [1000], Enumerable.Range(0, 1000).SelectMany(i => BitConverter.GetBytes((long)i)).ToArray()), CompressionLevel.Optimal);
        }
        var arrays = Npz.Load(path);
        Assert.Equal(new[] { "stored", "deflated" }, arrays.Keys);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, arrays["stored"].AsSingle());
        Assert.Equal(999L, arrays["deflated"].AsInt64()[999]);
        using var t = arrays["stored"].ToTensor();
        Assert.Equal(new long[] { 2, 2 }, t.shape);
        Assert.Equal(4f, t[1, 1].item<float>());
    }

    [Fact]
    public void ScanNetTestPairsAndIntrinsics()
    {
        string? test = TestData.Shared("data/eval/scannet/test.npz");
        string? intr = TestData.Shared("data/eval/scannet/intrinsics.npz");
        if (test is null || intr is null)
        {
            output.WriteLine("SKIPPED: ../shared/data/eval/scannet/{test,intrinsics}.npz not present.");
            return;
        }
        var t = Npz.Load(test);
        var name = t["name"];
        Assert.Equal("<u2", name.Dtype);
        Assert.Equal(new long[] { 1500, 4 }, name.Shape);
        Assert.Equal(new ushort[] { 707, 0, 15, 585, 707, 0, 45, 105 }, name.AsUInt16()[..8]);
        var pose = t["rel_pose"];
        Assert.Equal("<f4", pose.Dtype);
        Assert.Equal(new long[] { 1500, 12 }, pose.Shape);
        Assert.Equal(new[] { 0.9759799838066101f, 0.05925000086426735f, 0.20965999364852905f }, pose.AsSingle()[..3]);
        using (var pt = pose.ToTensor()) Assert.Equal(new long[] { 1500, 12 }, pt.shape);

        var k = Npz.Load(intr);
        Assert.Equal(100, k.Count);
        Assert.All(k.Values, a => Assert.Equal(new long[] { 3, 3 }, a.Shape));
        Assert.Equal(new[] { 575.6641975308643, 0.0, 320.5407407407408, 0.0, 578.0528925619835, 240.37933884297522, 0.0, 0.0, 1.0 },
            k["scene0707_00"].AsDouble());
    }
}
