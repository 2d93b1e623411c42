using Loftr.IO;
using Loftr.Tests.Infrastructure;

namespace Loftr.Tests.IO;

public class CorruptFileTests
{
    [Fact]
    public void CheckpointCutInHalfIsATruncatedZip()
    {
        using var dir = new TempDir();
        byte[] full = File.ReadAllBytes(TestData.Path("golden/small_ot/weights.ckpt"));
        string path = dir.File("half.ckpt");
        File.WriteAllBytes(path, full[..(full.Length / 2)]);
        var ex = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path));
        Assert.Equal(path, ex.FilePath);
        Assert.StartsWith(path + ": truncated zip archive", ex.Message);
        ex = Assert.Throws<CheckpointFormatException>(() => StateDictIO.ReadStateDict(path));
        Assert.StartsWith(path + ": truncated zip archive", ex.Message);

        // Cut just before the end: the central directory is gone too.
        File.WriteAllBytes(path, full[..(full.Length - 30)]);
        Assert.Contains("truncated zip archive", Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path)).Message);
    }

    [Fact]
    public void CorruptedStorageBytesFailTheCrcCheck()
    {
        using var dir = new TempDir();
        byte[] full = File.ReadAllBytes(TestData.Path("golden/small_ot/weights.ckpt"));
        full[full.Length / 2] ^= 0x55;
        string path = dir.File("flipped.ckpt");
        File.WriteAllBytes(path, full);
        var ex = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path));
        Assert.Contains("CRC-32 mismatch", ex.Message);
    }

    [Fact]
    public void GarbageFilesAreRejectedByEveryReader()
    {
        using var dir = new TempDir();
        var garbage = new byte[10000];
        new Random(42).NextBytes(garbage);
        garbage[8] = (byte)'x';
        string path = dir.File("garbage.bin");
        File.WriteAllBytes(path, garbage);

        var ex = Assert.Throws<CheckpointFormatException>(() => StateDictIO.ReadStateDict(path));
        Assert.StartsWith(path + ": not a .ckpt or .safetensors file", ex.Message);
        ex = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path));
        Assert.StartsWith(path + ": not a zip archive", ex.Message);
        ex = Assert.Throws<CheckpointFormatException>(() => SafeTensors.Load(path));
        Assert.StartsWith(path + ": ", ex.Message);
        ex = Assert.Throws<CheckpointFormatException>(() => Npz.Load(path));
        Assert.StartsWith(path + ": not a zip archive", ex.Message);
        ex = Assert.Throws<CheckpointFormatException>(() => Npy.Load(path));
        Assert.StartsWith(path + ": not an .npy file", ex.Message);

        string empty = dir.File("empty.ckpt");
        File.WriteAllBytes(empty, []);
        Assert.StartsWith(empty + ": ", Assert.Throws<CheckpointFormatException>(() => StateDictIO.ReadStateDict(empty)).Message);
        Assert.StartsWith(empty + ": ", Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(empty)).Message);
    }

    [Fact]
    public void ZipWithoutDataPklIsNotACheckpoint()
    {
        using var dir = new TempDir();
        string path = dir.File("other.zip");
        using (var z = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
            z.CreateEntry("readme.txt");
        var ex = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Load(path));
        Assert.Contains("no '<archive>/data.pkl' record", ex.Message);
    }

    [Fact]
    public void ImplausibleDeclaredSizesAreRejectedBeforeAllocating()
    {
        using var dir = new TempDir();
        string path = dir.File("bomb.npz");
        using (var z = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
        using (var s = z.CreateEntry("a.npy", System.IO.Compression.CompressionLevel.Optimal).Open())
            s.Write(new byte[1000]);
        byte[] f = File.ReadAllBytes(path);
        int cd = f.AsSpan().IndexOf(new byte[] { 0x50, 0x4b, 0x01, 0x02 });
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(cd + 24), 0x7FFF0000);
        File.WriteAllBytes(path, f);
        var ex = Assert.Throws<CheckpointFormatException>(() => Npz.Load(path));
        Assert.Contains("declares 2147418112 bytes from", ex.Message);
    }

    [Fact]
    public void MissingFileIsReportedWithItsPath()
    {
        string path = Path.Combine(Path.GetTempPath(), "does-not-exist-" + Guid.NewGuid() + ".ckpt");
        Assert.StartsWith(path + ": cannot open", Assert.Throws<CheckpointFormatException>(() => StateDictIO.ReadStateDict(path)).Message);
        Assert.StartsWith(path + ": cannot open", Assert.Throws<CheckpointFormatException>(() => SafeTensors.Load(path)).Message);
    }
}
