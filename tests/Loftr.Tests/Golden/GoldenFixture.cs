using System.Text.Json;
using Loftr.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Loftr.Tests.Golden;

/// <summary>
/// A golden fixture made by running the reference implementation (see tests/data/golden/index.json): its config, the
/// reference tensors (or their exact summaries) and the per-tensor tolerances.
/// </summary>
public sealed class GoldenFixture : IDisposable
{
    private readonly Dictionary<string, Tensor> _reference;
    private readonly Dictionary<string, (double Atol, double Rtol)?> _tolerances = new();
    private readonly Dictionary<string, string[]> _summaries = new();

    public string Name { get; }
    public string Directory { get; }
    public JsonElement Json { get; }

    public GoldenFixture(string name)
    {
        Name = name;
        Directory = TestData.Path(Path.Combine("golden", name));
        Json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "fixture.json"))).RootElement.Clone();
        _reference = Loftr.IO.SafeTensors.Load(Path.Combine(Directory, "reference.safetensors"));
        foreach (var p in Json.GetProperty("suggested_tolerances").GetProperty("per_tensor").EnumerateObject())
            _tolerances[p.Name] = p.Value.ValueKind == JsonValueKind.String
                ? null
                : (p.Value.GetProperty("atol").GetDouble(), p.Value.GetProperty("rtol").GetDouble());
        if (Json.TryGetProperty("summaries", out var sums))
            foreach (var p in sums.EnumerateObject())
                _summaries[p.Name] = p.Value.GetProperty("kept").GetString()!.Split(',');
    }

    public Tensor this[string name] => _reference.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"{Name}: no reference tensor '{name}'");

    public bool Has(string name) => _reference.ContainsKey(name) || _summaries.ContainsKey(name);

    /// <summary>Names of all compared tensors (full or summarised) recorded in fixture.json.</summary>
    public IEnumerable<string> TensorNames => Json.GetProperty("tensors").EnumerateObject().Select(p => p.Name);

    /// <summary>
    /// Compares <paramref name="ours"/> with the reference (or with its summaries). Returns the maximum absolute error
    /// (0 for exact tensors) and a failure message, or null when within tolerance.
    /// </summary>
    public (double MaxError, string? Failure) Compare(string name, Tensor ours)
    {
        using var scope = NewDisposeScope();
        var tol = _tolerances.TryGetValue(name, out var t) ? t : (1e-5, 1e-5);
        if (_summaries.TryGetValue(name, out var kinds))
            return CompareSummaries(name, ours.detach().to(ScalarType.Float64), kinds, tol ?? (0, 0));
        var reference = this[name];
        if (!reference.shape.SequenceEqual(ours.shape))
            return (double.PositiveInfinity, $"{name}: shape [{string.Join(", ", ours.shape)}] vs reference [{string.Join(", ", reference.shape)}]");
        if (tol is null || reference.dtype is ScalarType.Int64 or ScalarType.Bool)
        {
            bool equal = reference.to(ScalarType.Int64).eq(ours.to(ScalarType.Int64)).all().item<bool>();
            return (equal ? 0 : double.PositiveInfinity, equal ? null : $"{name}: integer tensor differs");
        }
        return CheckClose(name, ours.detach().to(ScalarType.Float64), reference.to(ScalarType.Float64), tol.Value.Atol, tol.Value.Rtol);
    }

    private static (double, string?) CheckClose(string what, Tensor ours, Tensor reference, double atol, double rtol)
    {
        if (!reference.shape.SequenceEqual(ours.shape))
            return (double.PositiveInfinity, $"{what}: shape [{string.Join(", ", ours.shape)}] vs reference [{string.Join(", ", reference.shape)}]");
        if (ours.numel() == 0) return (0, null);
        var diff = (ours - reference).abs();
        double maxErr = diff.max().item<double>();
        var excess = diff - (reference.abs() * rtol + atol);
        double worst = excess.max().item<double>();
        if (worst > 0 || double.IsNaN(maxErr))
        {
            long idx = excess.argmax().item<long>();
            return (maxErr, $"{what}: max |err| {maxErr:G4} exceeds atol {atol:G3} + rtol {rtol:G3}*|ref| at flat index {idx} " +
                $"(ours {ours.flatten()[idx].item<double>():G8}, ref {reference.flatten()[idx].item<double>():G8})");
        }
        return (maxErr, null);
    }

    private (double, string?) CompareSummaries(string name, Tensor x, string[] kinds, (double Atol, double Rtol) tol)
    {
        double maxErr = 0;
        var failures = new List<string>();
        void Check(string kind, Tensor ours, Tensor reference, double atol, double rtol)
        {
            var (e, f) = CheckClose($"{name}.{kind}", ours, reference.to(ScalarType.Float64), atol, rtol);
            maxErr = Math.Max(maxErr, kind is "row_max" or "col_max" or "sample_val" or "stride4" or "rows8" or "first32" ? e : 0);
            if (f != null) failures.Add(f);
        }
        // Sums: the tolerance of each summed element, times the number of elements, plus rtol of the sum of |x|.
        void CheckSum(string kind, Tensor ours, Tensor reference, long count, Tensor absSum)
        {
            var diff = (ours - reference.to(ScalarType.Float64)).abs();
            var allowed = absSum * tol.Rtol + tol.Atol * count;
            var excess = diff - allowed;
            if (excess.max().item<double>() > 0)
                failures.Add($"{name}.{kind}: sum differs by {diff.max().item<double>():G4} (allowed {allowed.flatten()[excess.argmax()].item<double>():G4})");
        }
        foreach (var kind in kinds)
        {
            var reference = this[$"{name}.{kind}"];
            switch (kind)
            {
                case "row_max": Check(kind, x.amax([2]), reference, tol.Atol, tol.Rtol); break;
                case "col_max": Check(kind, x.amax([1]), reference, tol.Atol, tol.Rtol); break;
                case "sample_idx": break;
                case "sample_val":
                    Check(kind, x.flatten()[this[$"{name}.sample_idx"]], reference, tol.Atol, tol.Rtol); break;
                case "stride4": Check(kind, x[.., .., TensorIndex.Slice(null, null, 4), TensorIndex.Slice(null, null, 4)], reference, tol.Atol, tol.Rtol); break;
                case "channel_sum" when x.dim() == 4: CheckSum(kind, x.sum([2, 3]), reference, x.shape[2] * x.shape[3], x.abs().sum([2, 3])); break;
                case "channel_sumsq":
                    CheckSum(kind, x.square().sum([2, 3]), reference, x.shape[2] * x.shape[3], (x.square() + x.abs() * 2).sum([2, 3])); break;
                case "rows8": Check(kind, x[.., TensorIndex.Slice(null, null, 8), ..], reference, tol.Atol, tol.Rtol); break;
                case "token_sum": CheckSum(kind, x.sum([2]), reference, x.shape[2], x.abs().sum([2])); break;
                case "channel_sum": CheckSum(kind, x.sum([1]), reference, x.shape[1], x.abs().sum([1])); break;
                case "first32": Check(kind, x[..32], reference, tol.Atol, tol.Rtol); break;
                case "window_sum": CheckSum(kind, x.sum([2]), reference, x.shape[2], x.abs().sum([2])); break;
                default: failures.Add($"{name}: unknown summary '{kind}'"); break;
            }
        }
        return (maxErr, failures.Count == 0 ? null : string.Join("\n", failures));
    }

    public void Dispose()
    {
        foreach (var t in _reference.Values) t.Dispose();
    }
}
