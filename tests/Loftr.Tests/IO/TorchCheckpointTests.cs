using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Loftr.IO;
using Loftr.Tests.Infrastructure;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Loftr.Tests.IO;

public class TorchCheckpointTests(ITestOutputHelper output)
{
    private static void AssertSameTensor(Tensor expected, Tensor actual, string key)
    {
        Assert.True(expected.dtype == actual.dtype, $"{key}: dtype {actual.dtype} != {expected.dtype}");
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{key}: shape");
        Assert.True(expected.contiguous().bytes.SequenceEqual(actual.contiguous().bytes), $"{key}: values differ");
    }

    [Fact]
    public void GoldenSmallOtCheckpointEqualsItsSafetensors()
    {
        var ckpt = TorchCheckpoint.Load(TestData.Path("golden/small_ot/weights.ckpt"));
        Assert.True(ckpt.IsLightningCheckpoint);
        Assert.Equal(0L, ckpt.Root["epoch"]);
        Assert.Equal(0L, ckpt.Root["global_step"]);
        Assert.Equal("1.3.5", ckpt.Root["pytorch-lightning_version"]);
        Assert.All(ckpt.StateDict.Keys, k => Assert.StartsWith("matcher.", k));

        var fromCkpt = StateDictIO.ReadStateDict(TestData.Path("golden/small_ot/weights.ckpt"));
        var fromSt = StateDictIO.ReadStateDict(TestData.Path("golden/small_ot/weights.safetensors"));
        Assert.Equal(fromSt.Keys.OrderBy(k => k, StringComparer.Ordinal), fromCkpt.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (k, t) in fromSt) AssertSameTensor(t, fromCkpt[k], k);
        Assert.Empty(fromCkpt["coarse_matching.bin_score"].shape);
        Assert.Equal(ScalarType.Int64, fromCkpt["backbone.bn1.num_batches_tracked"].dtype);
    }

    [Fact]
    public void GoldenFullDsCheckpointLoads211EntriesQuickly()
    {
        var sw = Stopwatch.StartNew();
        var sd = StateDictIO.ReadStateDict(TestData.Path("golden/full_ds/weights.ckpt"));
        sw.Stop();
        output.WriteLine($"full_ds weights.ckpt (46 MB) loaded in {sw.ElapsedMilliseconds} ms");
        Assert.Equal(211, sd.Count);
        Assert.Equal(new long[] { 128, 1, 7, 7 }, sd["backbone.conv1.weight"].shape);
        Assert.All(sd.Values, t => Assert.True(t.is_contiguous()));
        Assert.True(sw.ElapsedMilliseconds < 5000, $"took {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void ResavingTheGoldenCheckpointReproducesTorchsPickleByteForByte()
    {
        using var dir = new TempDir();
        string golden = TestData.Path("golden/small_ot/weights.ckpt");
        var ckpt = TorchCheckpoint.Load(golden);
        string path = dir.File("weights.ckpt");
        TorchCheckpoint.Save(path, ckpt.Root);

        byte[] Pkl(string p)
        {
            using var z = ZipFile.OpenRead(p);
            using var s = z.GetEntry("weights/data.pkl")!.Open();
            var ms = new MemoryStream();
            s.CopyTo(ms);
            return ms.ToArray();
        }
        Assert.Equal(Pkl(golden), Pkl(path));
        var again = StateDictIO.ReadStateDict(path);
        var orig = StateDictIO.ReadStateDict(golden);
        foreach (var (k, t) in orig) AssertSameTensor(t, again[k], k);
    }

    private static Dictionary<string, Tensor> SampleStateDict()
    {
        torch.manual_seed(3);
        return new Dictionary<string, Tensor>
        {
            ["matcher.w"] = torch.randn(4, 3),
            ["matcher.scalar"] = torch.tensor(0.5f),
            ["matcher.nbt"] = torch.tensor(12345L),
            ["matcher.f64"] = torch.randn(2, dtype: ScalarType.Float64),
            ["matcher.f16"] = torch.randn(3).to_type(ScalarType.Float16),
            ["matcher.bf16"] = torch.randn(3).to_type(ScalarType.BFloat16),
            ["matcher.i32"] = torch.tensor(new[] { -1, 2, 3 }),
            ["matcher.i16"] = torch.tensor(new short[] { -1, 2 }),
            ["matcher.i8"] = torch.tensor(new sbyte[] { -1, 2 }),
            ["matcher.u8"] = torch.tensor(new byte[] { 1, 255 }),
            ["matcher.mask"] = torch.tensor(new[] { true, false }),
            ["matcher.empty"] = torch.empty(new long[] { 0, 5 }),
            ["matcher.transposed"] = torch.arange(6, dtype: ScalarType.Float32).reshape(2, 3).t(),
            ["matcher.narrow"] = torch.arange(10, dtype: ScalarType.Float32).narrow(0, 3, 4),
        };
    }

    private static Dictionary<string, object?> SampleRoot(Dictionary<string, Tensor> sd) => new()
    {
        ["epoch"] = 7,
        ["global_step"] = 123456789012L,
        ["pytorch-lightning_version"] = "1.3.5",
        ["state_dict"] = sd,
        ["hparams"] = new Dictionary<string, object?>
        {
            ["lr"] = 1e-3,
            ["names"] = new List<object?> { "a", null, true, -5L, "ü" },
            ["pair"] = new object?[] { 1L, 2.5 },
            ["empty"] = new Dictionary<string, object?>(),
            ["big"] = 1L << 40,
            ["neg"] = -70000,
            ["huge"] = System.Numerics.BigInteger.Pow(10, 30),
            ["one"] = new List<object?> { 1L },
            ["many"] = Enumerable.Range(0, 2500).ToDictionary(i => "k" + i, i => (object?)(long)i),
            ["long_list"] = Enumerable.Range(0, 1001).Select(i => (object?)(long)i).ToList(),
        },
    };

    [Fact]
    public void SaveThenLoadRoundTripsTensorsAndMetadata()
    {
        using var dir = new TempDir();
        string path = dir.File("model.ckpt");
        var sd = SampleStateDict();
        TorchCheckpoint.Save(path, SampleRoot(sd));
        Assert.Single(Directory.GetFiles(dir.Path));

        var loaded = TorchCheckpoint.Load(path);
        Assert.Equal(7L, loaded.Root["epoch"]);
        Assert.Equal(123456789012L, loaded.Root["global_step"]);
        Assert.Equal("1.3.5", loaded.Root["pytorch-lightning_version"]);
        Assert.Equal(sd.Keys, loaded.StateDict.Keys);
        foreach (var (k, t) in sd) AssertSameTensor(t, loaded.StateDict[k], k);
        Assert.Equal(new float[] { 3, 4, 5, 6 }, loaded.StateDict["matcher.narrow"].data<float>().ToArray());
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, loaded.StateDict["matcher.transposed"].data<float>().ToArray());

        var h = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(loaded.Root["hparams"]);
        Assert.Equal(1e-3, h["lr"]);
        Assert.Equal(new object?[] { "a", null, true, -5L, "ü" }, Assert.IsType<List<object?>>(h["names"]));
        Assert.Equal(new object?[] { 1L, 2.5 }, Assert.IsType<object?[]>(h["pair"]));
        Assert.Empty(Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(h["empty"]));
        Assert.Equal(1L << 40, h["big"]);
        Assert.Equal(-70000L, h["neg"]);
        Assert.Equal(System.Numerics.BigInteger.Pow(10, 30), h["huge"]);
        var many = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(h["many"]);
        Assert.Equal(2500, many.Count);
        Assert.Equal(2499L, many["k2499"]);
        Assert.Equal("k0", many.Keys.First());
        Assert.Equal(1001, Assert.IsType<List<object?>>(h["long_list"]).Count);
        Assert.Equal(new object?[] { 1L }, Assert.IsType<List<object?>>(h["one"]));

        // Loading the re-saved file again gives the same.
        string path2 = dir.File("model2.ckpt");
        TorchCheckpoint.Save(path2, loaded.Root);
        var again = TorchCheckpoint.Load(path2);
        foreach (var (k, t) in sd) AssertSameTensor(t, again.StateDict[k], k);
    }

    [Fact]
    public void SavedArchiveHasTorchLayoutAndAlignedData()
    {
        using var dir = new TempDir();
        string path = dir.File("my_model.v2.ckpt");
        TorchCheckpoint.SaveLightning(path, SampleStateDict().ToDictionary(kv => kv.Key["matcher.".Length..], kv => kv.Value), epoch: 2, globalStep: 10);

        byte[] file = File.ReadAllBytes(path);
        using var zip = ZipFile.OpenRead(path); // the BCL reader accepts it
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Equal("my_model.v2/data.pkl", names[0]);
        Assert.Equal("my_model.v2/byteorder", names[1]);
        Assert.Equal("my_model.v2/version", names[^1]);
        Assert.Equal(14, names.Count(n => n.StartsWith("my_model.v2/data/", StringComparison.Ordinal)));
        Assert.All(zip.Entries, e => Assert.Equal(e.Length, e.CompressedLength));

        // Every local header's data starts on a 64-byte boundary (torch's "FB" extra-field padding).
        int pos = 0, count = 0;
        while (BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos)) == 0x04034b50)
        {
            int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos + 18));
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(pos + 26));
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(pos + 28));
            Assert.Equal((byte)'F', file[pos + 30 + nameLen]);
            Assert.Equal((byte)'B', file[pos + 31 + nameLen]);
            int data = pos + 30 + nameLen + extraLen;
            Assert.Equal(0, data % 64);
            pos = data + size;
            count++;
        }
        Assert.Equal(names.Count, count);

        var loaded = TorchCheckpoint.Load(path);
        Assert.Equal(2L, loaded.Root["epoch"]);
        Assert.Equal(10L, loaded.Root["global_step"]);
        Assert.True(loaded.StateDict.ContainsKey("matcher.w"));
    }

    [Fact]
    public void SavedCheckpointIsReadableByPythonPickleAndZipfile()
    {
        string? python = TestFiles.FindPython();
        if (python is null)
        {
            output.WriteLine("SKIPPED: python3 is not on PATH, so the cross-check with Python's pickle/zipfile was not run.");
            return;
        }
        using var dir = new TempDir();
        string path = dir.File("weights.ckpt");
        var sd = SampleStateDict();
        TorchCheckpoint.Save(path, SampleRoot(sd));
        const string script = """
import sys, zipfile, pickle, pickletools, json, struct, collections, io
path = sys.argv[1]
z = zipfile.ZipFile(path)
assert z.testzip() is None, 'CRC error'
names = z.namelist()
prefix = names[0].split('/')[0]
raw = open(path, 'rb').read()
for info in z.infolist():
    h = info.header_offset
    nl, el = struct.unpack('<HH', raw[h + 26:h + 30])
    assert (h + 30 + nl + el) % 64 == 0, info.filename
class Unp(pickle.Unpickler):
    def find_class(self, mod, name):
        if (mod, name) == ('collections', 'OrderedDict'):
            return collections.OrderedDict
        if (mod, name) == ('torch._utils', '_rebuild_tensor_v2'):
            return lambda st, off, size, stride, rg, hooks: {'storage': st[0], 'nbytes': st[1], 'numel': st[2], 'offset': off, 'size': list(size), 'stride': list(stride), 'requires_grad': rg, 'hooks': len(hooks)}
        if mod == 'torch' and name.endswith('Storage'):
            return name
        raise pickle.UnpicklingError('unexpected global %s.%s' % (mod, name))
    def persistent_load(self, pid):
        assert pid[0] == 'storage' and pid[3] == 'cpu', pid
        return (pid[1], len(z.read(prefix + '/data/' + pid[2])), pid[4])
pkl = z.read(prefix + '/data.pkl')
pickletools.dis(pkl, out=io.StringIO())
obj = Unp(io.BytesIO(pkl)).load()
def conv(o):
    if isinstance(o, collections.OrderedDict):
        return {'__ordered__': True, 'items': {k: conv(v) for k, v in o.items()}}
    if isinstance(o, dict):
        return {k: conv(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [conv(v) for v in o]
    return o
print(json.dumps({'prefix': prefix, 'root': conv(obj), 'version': z.read(prefix + '/version').decode(), 'byteorder': z.read(prefix + '/byteorder').decode()}))
""";
        var (code, stdout, stderr) = TestFiles.RunPython(python, script, path);
        Assert.True(code == 0, "python3 failed: " + stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.Equal("weights", r.GetProperty("prefix").GetString());
        Assert.Equal("3\n", r.GetProperty("version").GetString());
        Assert.Equal("little", r.GetProperty("byteorder").GetString());
        var root = r.GetProperty("root");
        Assert.Equal(7, root.GetProperty("epoch").GetInt32());
        Assert.Equal(123456789012L, root.GetProperty("global_step").GetInt64());
        var state = root.GetProperty("state_dict");
        Assert.True(state.GetProperty("__ordered__").GetBoolean());
        var w = state.GetProperty("items").GetProperty("matcher.w");
        Assert.Equal("FloatStorage", w.GetProperty("storage").GetString());
        Assert.Equal(48, w.GetProperty("nbytes").GetInt32());
        Assert.Equal("[4,3]", w.GetProperty("size").GetRawText().Replace(" ", ""));
        Assert.Equal("[3,1]", w.GetProperty("stride").GetRawText().Replace(" ", ""));
        Assert.False(w.GetProperty("requires_grad").GetBoolean());
        var sc = state.GetProperty("items").GetProperty("matcher.scalar");
        Assert.Equal("[]", sc.GetProperty("size").GetRawText().Replace(" ", ""));
        Assert.Equal("BoolStorage", state.GetProperty("items").GetProperty("matcher.mask").GetProperty("storage").GetString());
        Assert.Equal("BFloat16Storage", state.GetProperty("items").GetProperty("matcher.bf16").GetProperty("storage").GetString());
        Assert.Equal(2500, root.GetProperty("hparams").GetProperty("many").EnumerateObject().Count());
    }

    [Fact]
    public void LightningStyleCheckpointWithSharedStoragesCallbacksAndNumpyScalars()
    {
        using var dir = new TempDir();
        string path = dir.File("lightning.ckpt");
        var p = new PickleBuilder().Proto(2).EmptyDict().Mark()
            .Str("epoch").Int(3)
            .Str("callbacks").EmptyDict()
                .Global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint")
                .EmptyDict().Mark()
                    .Str("monitor").Str("val_loss")
                    .Str("best_model_score")
                        .Global("numpy.core.multiarray", "scalar").NumpyDtype("f8", "<")
                        .CodecsBytes(BitConverter.GetBytes(0.125)).Tuple2().Reduce()
                    .Str("best_k")
                        .Global("numpy._core.multiarray", "scalar").NumpyDtype("i8", "<")
                        .ShortBytes(BitConverter.GetBytes(42L)).Tuple2().Reduce()
                    .Str("flags").Global("builtins", "set").EmptyList().Str("x").Append().Tuple1().Reduce()
                    .Str("dtype").Global("torch", "float32")
                .SetItems()
            .SetItem()
            .Str("state_dict").Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark()
                .Str("matcher.a").Tensor("FloatStorage", "0", 6, 0, [2, 3], [3, 1])
                .Str("matcher.col").Tensor("FloatStorage", "0", 6, 2, [2], [3])
                .Str("matcher.n").Tensor("LongStorage", "1", 1, 0, [], [])
            .SetItems()
            .SetItems().Stop().ToArray();
        var storage0 = new byte[24];
        for (int i = 0; i < 6; i++) BinaryPrimitives.WriteSingleLittleEndian(storage0.AsSpan(4 * i), i);
        TestFiles.WriteTorchZip(path, p, new Dictionary<string, byte[]> { ["0"] = storage0, ["1"] = BitConverter.GetBytes(9L) },
            level: CompressionLevel.Optimal);

        var c = TorchCheckpoint.Load(path);
        Assert.Equal(3L, c.Root["epoch"]);
        var cbs = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(c.Root["callbacks"]);
        var mc = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(
            cbs["pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint"]);
        Assert.Equal("val_loss", mc["monitor"]);
        Assert.Equal(0.125, mc["best_model_score"]);
        Assert.Equal(42L, mc["best_k"]);
        Assert.Equal(new object?[] { "x" }, Assert.IsType<List<object?>>(mc["flags"]));
        Assert.Equal(new PythonGlobal("torch", "float32"), mc["dtype"]);

        var sd = c.StateDict;
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, sd["matcher.a"].data<float>().ToArray());
        Assert.Equal(new float[] { 2, 5 }, sd["matcher.col"].data<float>().ToArray());
        Assert.Equal(9L, sd["matcher.n"].item<long>());
        sd["matcher.a"][0, 2] = torch.tensor(100f); // views share the storage, as in PyTorch
        Assert.Equal(100f, sd["matcher.col"][0].item<float>());
    }

    [Fact]
    public void LegacyTorchFilesAreRejectedWithAHint()
    {
        using var dir = new TempDir();
        string path = dir.File("old.pth");
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e, 0, 0, 0]);
        var ex = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path));
        Assert.StartsWith(path + ": legacy", ex.Message);
        Assert.Contains("torch>=1.6", ex.Message);
        ex = Assert.Throws<CheckpointFormatException>(() => StateDictIO.ReadStateDict(path));
        Assert.Contains("legacy", ex.Message);
    }
}
