using System.Text.Json;
using static TorchSharp.torch;

namespace Loftr.Tests.Infrastructure;

// TEMPORARY minimal reader used until Loftr.IO lands; delete after the merge.
internal static class TempSafeTensors
{
    public static Dictionary<string, Tensor> Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long n = BitConverter.ToInt64(bytes, 0);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var result = new Dictionary<string, Tensor>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            string dt = p.Value.GetProperty("dtype").GetString()!;
            long[] shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var st = dt switch { "F32" => ScalarType.Float32, "F64" => ScalarType.Float64, "I64" => ScalarType.Int64, "BOOL" => ScalarType.Bool, _ => throw new NotSupportedException(dt) };
            var t = empty(shape, dtype: st);
            t.bytes = bytes.AsSpan((int)(8 + n + offs[0]), (int)(offs[1] - offs[0]));
            result[p.Name] = t;
        }
        return result;
    }
}
