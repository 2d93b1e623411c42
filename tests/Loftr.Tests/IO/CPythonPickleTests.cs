using System.Numerics;
using Loftr.IO;
using Xunit.Abstractions;

namespace Loftr.Tests.IO;

/// <summary>The pickle VM against pickles written by CPython itself, for every protocol 0–5.</summary>
public class CPythonPickleTests(ITestOutputHelper output)
{
    private const string Script = """
import pickle, sys, collections
shared = [1, 2]
obj = {
    'int': 5, 'neg': -3, 'mid': 70000, 'i32': -2**31, 'i40': 2**40, 'big': 2**70, 'negbig': -2**65,
    'f': 1.5, 'fneg': -0.1, 's': 'h\u00e9llo \U0001F600 \\ "q"', 'b': b'\x00\x01\xff', 'none': None, 't': True, 'fa': False,
    'list': [1, [2, 3], (4, 'x')], 'tuple1': (1,), 'tuple4': (1, 2, 3, 4), 'emptyt': (), 'emptyl': [],
    'set': {7}, 'fs': frozenset([8]), 'od': collections.OrderedDict([('a', 1), ('b', 2)]),
    'nested': {'k': {'j': [None]}}, 'shared': shared, 'shared2': shared, 3: 'int key', (1, 'a'): 'tuple key',
    'many': list(range(2500)),
}
obj['od']._metadata = collections.OrderedDict([('', {'version': 1})])  # as nn.Module.state_dict() does
for p in range(6):
    with open('%s.%d' % (sys.argv[1], p), 'wb') as f:
        pickle.dump(obj, f, protocol=p)
""";

    [Fact]
    public void PicklesWrittenByCPythonLoadForEveryProtocol()
    {
        string? python = TestFiles.FindPython();
        if (python is null)
        {
            output.WriteLine("SKIPPED: python3 is not on PATH, so CPython-written pickles could not be produced.");
            return;
        }
        using var dir = new TempDir();
        string stem = dir.File("obj.pkl");
        var (code, _, err) = TestFiles.RunPython(python, Script, stem);
        Assert.True(code == 0, err);
        for (int p = 0; p <= 5; p++)
        {
            string ckpt = dir.File($"proto{p}.ckpt");
            TestFiles.WriteTorchZip(ckpt, File.ReadAllBytes($"{stem}.{p}"));
            var r = TorchCheckpoint.Load(ckpt).Root;
            string at = $"protocol {p}";
            Assert.True(5L.Equals(r["int"]), at);
            Assert.Equal(-3L, r["neg"]);
            Assert.Equal(70000L, r["mid"]);
            Assert.Equal((long)int.MinValue, r["i32"]);
            Assert.Equal(1L << 40, r["i40"]);
            Assert.Equal(BigInteger.Pow(2, 70), r["big"]);
            Assert.Equal(-BigInteger.Pow(2, 65), r["negbig"]);
            Assert.Equal(1.5, r["f"]);
            Assert.Equal(-0.1, r["fneg"]);
            Assert.Equal("héllo 😀 \\ \"q\"", r["s"]);
            Assert.Equal(new byte[] { 0, 1, 255 }, r["b"]);
            Assert.Null(r["none"]);
            Assert.Equal(true, r["t"]);
            Assert.Equal(false, r["fa"]);
            var list = Assert.IsType<List<object?>>(r["list"]);
            Assert.Equal(1L, list[0]);
            Assert.Equal(new object?[] { 2L, 3L }, Assert.IsType<List<object?>>(list[1]));
            Assert.Equal(new object?[] { 4L, "x" }, Assert.IsType<object?[]>(list[2]));
            Assert.Equal(new object?[] { 1L }, r["tuple1"]);
            Assert.Equal(new object?[] { 1L, 2L, 3L, 4L }, r["tuple4"]);
            Assert.Empty(Assert.IsType<object?[]>(r["emptyt"]));
            Assert.Empty(Assert.IsType<List<object?>>(r["emptyl"]));
            Assert.Equal(new object?[] { 7L }, Assert.IsType<List<object?>>(r["set"]));
            Assert.Equal(new object?[] { 8L }, Assert.IsType<List<object?>>(r["fs"]));
            var od = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(r["od"]);
            Assert.Equal(new[] { "a", "b" }, od.Keys);
            Assert.Equal(2L, od["b"]);
            var nested = (IReadOnlyDictionary<string, object?>)((IReadOnlyDictionary<string, object?>)r["nested"]!)["k"]!;
            Assert.Equal(new object?[] { null }, Assert.IsType<List<object?>>(nested["j"]));
            Assert.Equal(new object?[] { 1L, 2L }, Assert.IsType<List<object?>>(r["shared2"]));
            Assert.Equal("int key", r["3"]);
            Assert.Equal("tuple key", r["(1, a)"]);
            Assert.Equal(2500, Assert.IsType<List<object?>>(r["many"]).Count);
        }
    }
}
