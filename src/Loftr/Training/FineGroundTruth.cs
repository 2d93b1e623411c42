using Loftr.Matching;
using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>The fine targets (the reference <c>spvs_fine</c>).</summary>
public static class FineGroundTruth
{
    /// <summary>
    /// Expected sub-pixel offsets <c>expec_f_gt</c> [M, 2] of the selected windows: (w_pt0_i[b, i] - pt1_i[b, j]) /
    /// (fine resolution * scale1[b]) / (W // 2), i.e. where the ground truth lies inside the W x W window of image 1 in
    /// window-normalised units ([-1, 1] inside the window; larger values are filtered by the fine loss).
    /// </summary>
    public static Tensor Compute(CoarseSupervision supervision, CoarseMatches matches, LoftrConfig config, Tensor? scale1 = null)
    {
        ArgumentNullException.ThrowIfNull(supervision);
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentNullException.ThrowIfNull(config);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var b = TensorIndex.Tensor(matches.BIds);
        var w0 = supervision.WarpedGrid0.index([b, TensorIndex.Tensor(matches.IIds)]);
        var p1 = supervision.Grid1.index([b, TensorIndex.Tensor(matches.JIds)]);
        int radius = config.FineWindowSize / 2;
        int res = config.Backbone.FineResolution;
        var diff = w0 - p1;
        using var resolution = res.ToScalar();
        using var windowRadius = radius.ToScalar();
        var target = scale1 is null
            ? diff.div(resolution).div(windowRadius)
            : (diff / scale1.to(ScalarType.Float32).index([b]).mul(resolution)).div(windowRadius);
        return target.MoveToOuterDisposeScope();
    }
}
