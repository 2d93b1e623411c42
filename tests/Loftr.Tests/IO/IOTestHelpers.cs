using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;

namespace Loftr.Tests.IO;

/// <summary>Hand-assembles pickle byte strings opcode by opcode (no Python needed).</summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> _b = [];

    public PickleBuilder Op(byte op) { _b.Add(op); return this; }
    public PickleBuilder Op(char op) => Op((byte)op);
    public PickleBuilder Raw(params byte[] bytes) { _b.AddRange(bytes); return this; }

    public PickleBuilder Proto(int p) => Op(0x80).Op((byte)p);
    public PickleBuilder Mark() => Op('(');
    public PickleBuilder Stop() => Op('.');
    public PickleBuilder None() => Op('N');
    public PickleBuilder True() => Op(0x88);
    public PickleBuilder False() => Op(0x89);
    public PickleBuilder EmptyTuple() => Op(')');
    public PickleBuilder Tuple() => Op('t');
    public PickleBuilder Tuple1() => Op(0x85);
    public PickleBuilder Tuple2() => Op(0x86);
    public PickleBuilder Tuple3() => Op(0x87);
    public PickleBuilder EmptyDict() => Op('}');
    public PickleBuilder EmptyList() => Op(']');
    public PickleBuilder SetItem() => Op('s');
    public PickleBuilder SetItems() => Op('u');
    public PickleBuilder Append() => Op('a');
    public PickleBuilder Appends() => Op('e');
    public PickleBuilder Reduce() => Op('R');
    public PickleBuilder Build() => Op('b');
    public PickleBuilder BinPersId() => Op('Q');
    public PickleBuilder Memoize() => Op(0x94);
    public PickleBuilder BinPut(byte i) => Op('q').Op(i);
    public PickleBuilder BinGet(byte i) => Op('h').Op(i);

    public PickleBuilder Global(string module, string name)
    {
        Op('c');
        _b.AddRange(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
        return this;
    }

    public PickleBuilder StackGlobal(string module, string name) => ShortStr(module).ShortStr(name).Op(0x93);

    public PickleBuilder Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op('X');
        _b.AddRange(BitConverter.GetBytes((uint)b.Length));
        _b.AddRange(b);
        return this;
    }

    public PickleBuilder ShortStr(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op(0x8c).Op((byte)b.Length);
        _b.AddRange(b);
        return this;
    }

    public PickleBuilder Int(long v)
    {
        if (v is >= 0 and <= 255) return Op('K').Op((byte)v);
        Op('J');
        _b.AddRange(BitConverter.GetBytes((int)v));
        return this;
    }

    public PickleBuilder Float(double d)
    {
        Op('G');
        var b = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, d);
        _b.AddRange(b);
        return this;
    }

    public PickleBuilder ShortBytes(byte[] data)
    {
        Op('C').Op((byte)data.Length);
        _b.AddRange(data);
        return this;
    }

    /// <summary>Python 2-protocol bytes: _codecs.encode(latin1 text, 'latin1').</summary>
    public PickleBuilder CodecsBytes(byte[] data) =>
        Global("_codecs", "encode").Str(Encoding.Latin1.GetString(data)).Str("latin1").Tuple2().Reduce();

    /// <summary>numpy.dtype(descr, False, True) + BUILD (3, order, None, None, None, elsize, align, flags).</summary>
    public PickleBuilder NumpyDtype(string descr, string order, long elsize = -1, long align = -1, long flags = 0) =>
        Global("numpy", "dtype").Str(descr).False().True().Tuple3().Reduce()
            .Mark().Int(3).Str(order).None().None().None().Int(elsize).Int(align).Int(flags).Tuple().Build();

    /// <summary>A torch tensor: _rebuild_tensor_v2(pid, offset, size, stride, False, OrderedDict()).</summary>
    public PickleBuilder Tensor(string storageType, string key, long numel, long offset, long[] size, long[] stride)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(numel).Tuple().BinPersId();
        Int(offset);
        Mark();
        foreach (var s in size) Int(s);
        Tuple();
        Mark();
        foreach (var s in stride) Int(s);
        Tuple();
        False();
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return Tuple().Reduce();
    }

    public byte[] ToArray() => _b.ToArray();
}

/// <summary>A temporary folder deleted at the end of the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "loftr-io-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

internal static class TestFiles
{
    /// <summary>Writes a torch-style zip: archive/data.pkl + archive/data/&lt;key&gt; + archive/version (BCL zip writer).</summary>
    public static void WriteTorchZip(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null,
        string archive = "archive", CompressionLevel level = CompressionLevel.NoCompression)
    {
        using var fs = new FileStream(path, FileMode.Create);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        void Add(string name, byte[] data)
        {
            var e = zip.CreateEntry(name, level);
            using var s = e.Open();
            s.Write(data);
        }
        Add(archive + "/data.pkl", pickle);
        foreach (var (k, v) in storages ?? new Dictionary<string, byte[]>()) Add(archive + "/data/" + k, v);
        Add(archive + "/version", "3\n"u8.ToArray());
    }

    /// <summary>Path of python3 on PATH, or null.</summary>
    public static string? FindPython()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            string p = System.IO.Path.Combine(dir, "python3");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Runs python3 -c script args...; returns (exit code, stdout, stderr).</summary>
    public static (int Code, string Out, string Err) RunPython(string python, string script, params string[] args)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(); throw new TimeoutException("python3 did not finish"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
