using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Loftr.IO;
using Loftr.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.Tests.IO;

public class SafeTensorsTests
{
    private static Dictionary<string, Tensor> AllDtypes()
    {
        torch.manual_seed(7);
        return new Dictionary<string, Tensor>
        {
            ["f64"] = torch.randn(2, 3, dtype: ScalarType.Float64),
            ["f32.scalar"] = torch.tensor(1.25f),
            ["f16"] = torch.randn(5).to_type(ScalarType.Float16),
            ["bf16"] = torch.randn(2, 2).to_type(ScalarType.BFloat16),
            ["i64"] = torch.tensor(new long[] { long.MinValue, -1, long.MaxValue }),
            ["i32.empty"] = torch.empty(new long[] { 0, 4 }, ScalarType.Int32),
            ["i16"] = torch.tensor(new short[] { -300, 300 }),
            ["i8"] = torch.tensor(new sbyte[] { -128, 0, 127 }),
            ["u8"] = torch.tensor(new byte[] { 0, 1, 254, 255 }),
            ["bool"] = torch.tensor(new[] { true, false, true }),
            ["f32.noncontig"] = torch.arange(12, dtype: ScalarType.Float32).reshape(3, 4).t(),
            ["f32.narrow"] = torch.arange(10, dtype: ScalarType.Float32).narrow(0, 3, 4),
        };
    }

    [Fact]
    public void RoundTripEveryDtypeIncludingScalarAndEmpty()
    {
        using var dir = new TempDir();
        string path = dir.File("all.safetensors");
        var src = AllDtypes();
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode" };
        SafeTensors.Save(path, src, meta);

        var (loaded, loadedMeta) = SafeTensors.LoadWithMetadata(path);
        Assert.Equal(meta, loadedMeta);
        Assert.Equal(src.Keys.OrderBy(k => k), loaded.Keys.OrderBy(k => k));
        foreach (var (k, t) in src)
        {
            var l = loaded[k];
            Assert.Equal(t.dtype, l.dtype);
            Assert.Equal(t.shape, l.shape);
            Assert.True(l.is_contiguous());
            Assert.Equal(DeviceType.CPU, l.device_type);
            Assert.True(t.contiguous().bytes.SequenceEqual(l.bytes), k);
        }
        Assert.Empty(loaded["f32.scalar"].shape);
        Assert.Equal(1.25f, loaded["f32.scalar"].item<float>());
        Assert.Equal(new long[] { 4, 3 }, loaded["f32.noncontig"].shape);
        Assert.Equal(4f, loaded["f32.noncontig"][0, 1].item<float>());
        Assert.Equal(new float[] { 3, 4, 5, 6 }, loaded["f32.narrow"].data<float>().ToArray());
        Assert.Single(Directory.GetFiles(dir.Path)); // no temporary file left behind
    }

    [Fact]
    public void SavedLayoutIsAlignedAndPadded()
    {
        using var dir = new TempDir();
        string path = dir.File("layout.safetensors");
        SafeTensors.Save(path, AllDtypes());
        byte[] file = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0UL, (8 + n) % 8);
        string header = Encoding.UTF8.GetString(file, 8, (int)n);
        Assert.Matches("^\\{.*\\} *$", header);
        using var doc = JsonDocument.Parse(header);
        long prevAlign = long.MaxValue;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            string dt = p.Value.GetProperty("dtype").GetString()!;
            long size = dt switch { "F64" or "I64" => 8, "F32" or "I32" => 4, "F16" or "BF16" or "I16" => 2, _ => 1 };
            long begin = p.Value.GetProperty("data_offsets")[0].GetInt64();
            Assert.Equal(0, (8 + (long)n + begin) % size);
            Assert.True(size <= prevAlign, "tensors are ordered by alignment, descending");
            prevAlign = size;
        }
    }

    [Fact]
    public void GoldenWeightsLoadWithScalarsAndMetadata()
    {
        var (t, meta) = SafeTensors.LoadWithMetadata(TestData.Path("golden/small_ot/weights.safetensors"));
        Assert.Equal("pt", meta["format"]);
        var bin = t["coarse_matching.bin_score"];
        Assert.Equal(ScalarType.Float32, bin.dtype);
        Assert.Empty(bin.shape);
        var nbt = t["backbone.bn1.num_batches_tracked"];
        Assert.Equal(ScalarType.Int64, nbt.dtype);
        Assert.Empty(nbt.shape);
        Assert.Equal(new long[] { 32, 1, 7, 7 }, t["backbone.conv1.weight"].shape);
    }

    [Fact]
    public void ReferenceFilesWithBoolAndFloat64Load()
    {
        var t = SafeTensors.Load(TestData.Path("golden/small_ot/reference.safetensors"));
        Assert.Contains(t.Values, x => x.dtype == ScalarType.Bool);
        Assert.Contains(t.Values, x => x.dtype == ScalarType.Int64);
        Assert.Contains(t.Values, x => x.dtype == ScalarType.Float32);
    }

    [Fact]
    public void LoadedTensorsSurviveTheCallersDisposeScope()
    {
        Dictionary<string, Tensor> t;
        using (torch.NewDisposeScope())
            t = SafeTensors.Load(TestData.Path("golden/small_ot/weights.safetensors"));
        Assert.Equal(32, t["backbone.conv1.weight"].shape[0]);
        Assert.True(float.IsFinite(t["backbone.conv1.weight"].sum().item<float>()));
    }

    // ------------------------------------------------------------ malformed files

    private static byte[] Build(string json, int dataBytes, bool pad = true)
    {
        var h = Encoding.UTF8.GetBytes(json);
        int n = pad ? (h.Length + 7) / 8 * 8 : h.Length;
        var f = new byte[8 + n + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(f, (ulong)n);
        h.CopyTo(f, 8);
        for (int i = h.Length; i < n; i++) f[8 + i] = (byte)' ';
        return f;
    }

    private static CheckpointFormatException LoadBad(TempDir dir, byte[] content, string name = "x.safetensors")
    {
        string path = dir.File(name);
        File.WriteAllBytes(path, content);
        var ex = Assert.Throws<CheckpointFormatException>(() => SafeTensors.Load(path));
        Assert.StartsWith(path + ": ", ex.Message);
        return ex;
    }

    [Fact]
    public void OffsetsNotMatchingDtypeAndShapeAreRejected()
    {
        using var dir = new TempDir();
        var ex = LoadBad(dir, Build("""{"a.b":{"dtype":"F32","shape":[4,4],"data_offsets":[0,12]}}""", 12));
        Assert.Contains("tensor 'a.b' data_offsets [0, 12) do not match F32 [4, 4] (64 bytes)", ex.Message);
    }

    [Fact]
    public void OverlapsGapsTrailingBytesAndOutOfRangeAreRejected()
    {
        using var dir = new TempDir();
        Assert.Contains("overlap", LoadBad(dir, Build(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12)).Message);
        Assert.Contains("gap", LoadBad(dir, Build(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8)).Message);
        Assert.Contains("cover 4 bytes", LoadBad(dir, Build(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8)).Message);
        Assert.Contains("extend past the end of the data section", LoadBad(dir, Build(
            """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8)).Message);
        Assert.Contains("unsupported dtype 'F8_E4M3'", LoadBad(dir, Build(
            """{"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}""", 4)).Message);
        Assert.Contains("not well-formed JSON", LoadBad(dir, Build("""{"a":{"dtype":"F32",""", 0)).Message);
        Assert.Contains("twice", LoadBad(dir, Build(
            """{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", 2)).Message);
        Assert.Contains("not a non-negative integer", LoadBad(dir, Build(
            """{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}""", 1)).Message);
    }

    [Fact]
    public void TruncatedFilesNameTheFile()
    {
        using var dir = new TempDir();
        byte[] full = File.ReadAllBytes(TestData.Path("golden/small_ot/weights.safetensors"));
        var inHeader = LoadBad(dir, full[..100], "cut_header.safetensors");
        Assert.Contains("header length", inHeader.Message);
        var inData = LoadBad(dir, full[..(full.Length - 1000)], "cut_data.safetensors");
        Assert.Contains("truncated", inData.Message);
        Assert.Contains("only 3 bytes", LoadBad(dir, [1, 2, 3], "tiny.safetensors").Message);
        var garbage = new byte[4096];
        new Random(1).NextBytes(garbage);
        LoadBad(dir, garbage, "garbage.safetensors");
    }
}
