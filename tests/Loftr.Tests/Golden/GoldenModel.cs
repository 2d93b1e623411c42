using System.Text.Json;
using Loftr.Model;

namespace Loftr.Tests.Golden;

/// <summary>Builds the LoFTR configuration and model of a golden fixture.</summary>
public static class GoldenModel
{
    public static LoftrConfig Config(JsonElement fixture)
    {
        var c = fixture.GetProperty("config");
        if (c.TryGetProperty("loftr", out var inner)) c = inner;
        var res = c.GetProperty("resolution").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var fpn = c.GetProperty("resnetfpn");
        var mc = c.GetProperty("match_coarse");
        bool sparse = !mc.TryGetProperty("sparse_spvs", out var sp) || sp.GetBoolean();
        return new LoftrConfig(
            new BackboneConfig(fpn.GetProperty("initial_dim").GetInt32(),
                fpn.GetProperty("block_dims").EnumerateArray().Select(e => e.GetInt32()).ToArray(), res[0], res[1]),
            Transformer(c.GetProperty("coarse")),
            new CoarseMatchingConfig(
                mc.GetProperty("thr").GetDouble(),
                mc.GetProperty("border_rm").GetInt32(),
                mc.GetProperty("match_type").GetString() == "sinkhorn" ? CoarseMatchType.Sinkhorn : CoarseMatchType.DualSoftmax,
                mc.GetProperty("dsmax_temperature").GetDouble(),
                mc.GetProperty("skh_iters").GetInt32(),
                mc.GetProperty("skh_init_bin_score").GetDouble(),
                mc.GetProperty("skh_prefilter").GetBoolean(),
                mc.GetProperty("train_coarse_percent").GetDouble(),
                mc.GetProperty("train_pad_num_gt_min").GetInt32(),
                sparse),
            Transformer(c.GetProperty("fine")),
            c.GetProperty("fine_window_size").GetInt32(),
            c.GetProperty("fine_concat_coarse_feat").GetBoolean(),
            c.GetProperty("coarse").GetProperty("temp_bug_fix").GetBoolean());
    }

    private static TransformerConfig Transformer(JsonElement t) => new(
        t.GetProperty("d_model").GetInt32(),
        t.GetProperty("nhead").GetInt32(),
        t.GetProperty("layer_names").EnumerateArray()
            .Select(e => e.GetString() == "self" ? TransformerLayerType.Self : TransformerLayerType.Cross).ToArray(),
        t.GetProperty("attention").GetString() == "full" ? AttentionType.Full : AttentionType.Linear);

    /// <summary>The fixture's model with its weights (the released .ckpt layout), in evaluation mode.</summary>
    public static LoftrModel Load(GoldenFixture fixture) =>
        LoftrCheckpoint.LoadModel(Path.Combine(fixture.Directory, "weights.ckpt"), Config(fixture.Json));
}
