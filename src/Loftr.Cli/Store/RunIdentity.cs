using System.Text.Json;
using System.Text.Json.Nodes;
using Loftr.Cli.Matching;

namespace Loftr.Cli.Store;

/// <summary>
/// What makes a batch's results comparable: the SHA-256 of the weights file and the options that change matches
/// (model configuration, resize, threshold, top-k, sub-pixel estimate, sharpest fraction, second fine pass, patch alignment and its correlation filter, geometry,
/// intrinsics, rotations, symmetric). A store only resumes a run with the same identity. The inference settings
/// are stored only when they differ from the reference decoding, so stores written before they existed still resume.
/// </summary>
/// <param name="WeightsSha256">Hash of the weights file.</param>
/// <param name="Options">Canonical JSON of the options.</param>
public sealed record RunIdentity(string WeightsSha256, string Options)
{
    /// <summary>Meta key of the weights hash.</summary>
    public const string WeightsKey = "weights_sha256";

    /// <summary>Meta key of the options.</summary>
    public const string OptionsKey = "options";

    /// <summary>The identity of a run.</summary>
    public static RunIdentity Create(string weightsSha256, string? preset, LoftrConfig config, MatchSettings s)
    {
        var o = new JsonObject
        {
            ["preset"] = preset,
            ["config"] = JsonNode.Parse(LoftrCheckpoint.ArchitectureToJson(config)),
            ["resize"] = s.Resize.ToString(),
            ["threshold"] = s.Threshold ?? config.CoarseMatching.Threshold,
            ["max_matches"] = s.MaxMatches,
            ["geometry"] = s.Geometry is { } g ? GeometryResult.KindName(g) : null,
            ["geometry_threshold"] = s.Geometry is null ? null : s.EffectiveGeometryThreshold,
            ["K0"] = Matrix(s.K0),
            ["K1"] = Matrix(s.K1),
            ["rotations"] = new JsonArray(s.Rotations.Select(r => (JsonNode?)r).ToArray()),
            ["rotation_mode"] = s.RotationMode.ToString().ToLowerInvariant(),
            ["symmetric"] = s.Symmetric,
        };
        var refinement = s.Refinement ?? config.Refinement;
        double sharpest = s.SharpestFraction ?? config.SharpestFraction;
        if (refinement != FineRefinement.Expectation) o["refinement"] = refinement.ToString();
        if (sharpest != 1) o["sharpest"] = sharpest;
        double second = s.SecondPassScale ?? config.SecondPassScale ?? 1;
        if (second != 1) o["second_pass"] = second;
        double align = s.PatchAlignmentRadius ?? config.PatchAlignmentRadius ?? 0;
        if (align != 0) o["patch_align"] = align;
        if (align != 0 && (s.PatchAlignmentMinCorrelation ?? config.PatchAlignmentMinCorrelation) is double minCorrelation
            && !double.IsNegativeInfinity(minCorrelation))
            o["patch_min_correlation"] = minCorrelation;
        return new RunIdentity(weightsSha256, o.ToJsonString());
    }

    private static JsonArray? Matrix(double[,]? m) =>
        m is null ? null : new JsonArray(Enumerable.Range(0, 9).Select(i => (JsonNode?)m[i / 3, i % 3]).ToArray());

    /// <summary>The meta entries of the identity.</summary>
    public IReadOnlyDictionary<string, string> ToMeta() => new Dictionary<string, string> { [WeightsKey] = WeightsSha256, [OptionsKey] = Options };

    /// <summary>The identity stored in a store, or null for a new store.</summary>
    public static RunIdentity? FromStore(ResultsStore store) =>
        store.GetMeta(WeightsKey) is { } w && store.GetMeta(OptionsKey) is { } o ? new RunIdentity(w, o) : null;

    /// <summary>Human-readable differences from <paramref name="stored"/> (empty when equal).</summary>
    public IReadOnlyList<string> Differences(RunIdentity stored)
    {
        var d = new List<string>();
        if (stored.WeightsSha256 != WeightsSha256)
            d.Add($"weights (stored sha256 {stored.WeightsSha256[..12]}…, now {WeightsSha256[..12]}…)");
        var a = JsonNode.Parse(stored.Options)!.AsObject();
        var b = JsonNode.Parse(Options)!.AsObject();
        foreach (var key in a.Select(kv => kv.Key).Union(b.Select(kv => kv.Key)))
        {
            string sa = a[key]?.ToJsonString() ?? "null", sb = b[key]?.ToJsonString() ?? "null";
            if (sa != sb) d.Add(key == "config" ? "model configuration" : $"{key} (stored {sa}, now {sb})");
        }
        return d;
    }

    /// <summary>Pretty JSON of the options (for messages and exports).</summary>
    public string PrettyOptions() => JsonNode.Parse(Options)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
