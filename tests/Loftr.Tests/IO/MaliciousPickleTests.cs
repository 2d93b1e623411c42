using Loftr.IO;
using Loftr.Tests.Infrastructure;

namespace Loftr.Tests.IO;

/// <summary>Pickles that would run code under Python's pickle must be refused without running anything.</summary>
public class MaliciousPickleTests
{
    private static void AssertRefused(TempDir dir, byte[] pickle, string global, string marker)
    {
        string path = dir.File("evil.ckpt");
        TestFiles.WriteTorchZip(path, pickle);
        var ex = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path));
        Assert.Equal(
            $"{path}: refusing to load: the pickle references '{global}', which is not allowed in a checkpoint " +
            "(allowed: tensors, storages, OrderedDict, numbers, strings, bytes, lists, tuples, dicts, sets, torch dtypes, " +
            "numpy scalars and arrays, and PyTorch-Lightning callback class names as inert values)", ex.Message);
        var ex2 = Assert.Throws<CheckpointFormatException>(() => StateDictIO.ReadStateDict(path));
        Assert.Contains($"'{global}'", ex2.Message);
        Assert.False(File.Exists(marker), "the payload must never run");
    }

    [Fact]
    public void GlobalOsSystemIsRefused()
    {
        using var dir = new TempDir();
        string marker = dir.File("pwned_os");
        var p = new PickleBuilder().Proto(2).Global("os", "system").Str($"touch {marker}").Tuple1().Reduce().Stop();
        AssertRefused(dir, p.ToArray(), "os.system", marker);
    }

    [Fact]
    public void StackGlobalBuiltinsEvalIsRefused()
    {
        using var dir = new TempDir();
        string marker = dir.File("pwned_eval");
        var p = new PickleBuilder().Proto(4).StackGlobal("builtins", "eval").Memoize()
            .ShortStr($"__import__('os').system('touch {marker}')").Tuple1().Reduce().Stop();
        AssertRefused(dir, p.ToArray(), "builtins.eval", marker);
    }

    [Fact]
    public void PosixSystemNestedInAStateDictIsRefused()
    {
        using var dir = new TempDir();
        string marker = dir.File("pwned_posix");
        var p = new PickleBuilder().Proto(2).EmptyDict()
            .Str("state_dict").Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("matcher.x").Global("posix", "system").Str($"touch {marker}").Tuple1().Reduce().SetItem()
            .SetItem().Stop();
        AssertRefused(dir, p.ToArray(), "posix.system", marker);
    }

    [Theory]
    [InlineData("subprocess", "Popen")]
    [InlineData("builtins", "getattr")]
    [InlineData("builtins", "exec")]
    [InlineData("torch", "load")]
    [InlineData("torch.storage", "_load_from_bytes")]
    [InlineData("numpy", "load")]
    [InlineData("__builtin__", "eval")]
    public void OtherDangerousGlobalsAreRefused(string module, string name)
    {
        using var dir = new TempDir();
        string marker = dir.File("pwned");
        var p = new PickleBuilder().Proto(2).Global(module, name).Str(marker).Tuple1().Reduce().Stop();
        AssertRefused(dir, p.ToArray(), $"{module}.{name}", marker);
    }

    [Fact]
    public void InertClassNamesCannotBeCalled()
    {
        using var dir = new TempDir();
        string path = dir.File("call_inert.ckpt");
        var p = new PickleBuilder().Proto(2).Global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint")
            .EmptyTuple().Reduce().Stop();
        TestFiles.WriteTorchZip(path, p.ToArray());
        var ex = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path));
        Assert.Contains("ModelCheckpoint' is allowed only as an inert name and cannot be called", ex.Message);

        var p2 = new PickleBuilder().Proto(2).Global("numpy", "ndarray").EmptyTuple().Op(0x81).Stop();
        TestFiles.WriteTorchZip(path, p2.ToArray());
        ex = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path));
        Assert.Contains("NEWOBJ on a 'numpy.ndarray'", ex.Message);

        var p3 = new PickleBuilder().Proto(2).Str("not callable").EmptyTuple().Reduce().Stop();
        TestFiles.WriteTorchZip(path, p3.ToArray());
        ex = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path));
        Assert.Contains("REDUCE applied to a str", ex.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x02, 0x7d }, "without a STOP opcode")]
    [InlineData(new byte[] { 0x80, 0x02, 0xff, 0x2e }, "unknown opcode 0xff at offset 2")]
    [InlineData(new byte[] { 0x80, 0x02, 0x52, 0x2e }, "stack underflow")]
    [InlineData(new byte[] { 0x80, 0x02, 0x2e }, "stack underflow")]
    [InlineData(new byte[] { 0x80, 0x02, 0x68, 0x05, 0x2e }, "memo key 5 was never stored")]
    [InlineData(new byte[] { 0x80, 0x02, 0x74, 0x2e }, "MARK missing")]
    [InlineData(new byte[] { 0x80, 0x02, 0x58, 0xff, 0xff, 0x00, 0x00, 0x61 }, "truncated")]
    [InlineData(new byte[] { 0x80, 0x02, 0x82, 0x01, 0x2e }, "extension-registry")]
    [InlineData(new byte[] { 0x80, 0x09, 0x2e }, "unsupported pickle protocol 9")]
    [InlineData(new byte[] { 0x80, 0x02, 0x4e, 0x2e }, "root object is a None")]
    public void MalformedPicklesGiveClearErrors(byte[] pickle, string expected)
    {
        using var dir = new TempDir();
        string path = dir.File("bad.ckpt");
        TestFiles.WriteTorchZip(path, pickle);
        var ex = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path));
        Assert.StartsWith(path + ": ", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void StorageProblemsAreReported()
    {
        using var dir = new TempDir();
        string path = dir.File("storage.ckpt");
        var p = new PickleBuilder().Proto(2).EmptyDict().Str("w")
            .Tensor("FloatStorage", "0", 4, 0, [2, 2], [2, 1]).SetItem().Stop().ToArray();

        TestFiles.WriteTorchZip(path, p); // no data/0 record
        Assert.Contains("storage record 'archive/data/0' is missing",
            Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path)).Message);

        TestFiles.WriteTorchZip(path, p, new Dictionary<string, byte[]> { ["0"] = new byte[12] });
        Assert.Contains("holds 12 bytes but the pickle declares FloatStorage of 4 elements (16 bytes)",
            Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path)).Message);

        var outOfRange = new PickleBuilder().Proto(2).EmptyDict().Str("w")
            .Tensor("FloatStorage", "0", 4, 1, [2, 2], [2, 1]).SetItem().Stop().ToArray();
        TestFiles.WriteTorchZip(path, outOfRange, new Dictionary<string, byte[]> { ["0"] = new byte[16] });
        Assert.Contains("reaches element 4 of storage '0', which has only 4 elements",
            Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path)).Message);
    }
}
