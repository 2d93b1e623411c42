using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.Matching;

/// <summary>Output of <see cref="FineMatching"/>.</summary>
/// <param name="Expectation">[M, 3]: the expected position (x, y) in the window, normalised to [-1, 1], and the summed standard deviation.</param>
/// <param name="Keypoints0">[M, 2] final keypoints in image 0: the coarse ones, or after a second fine pass the fine pixel of the enlarged image nearest to them.</param>
/// <param name="Keypoints1">[M, 2] final keypoints in image 1: the window centre plus the sub-pixel offset.</param>
public sealed record FineMatchingOutput(Tensor Expectation, Tensor Keypoints0, Tensor Keypoints1) : IDisposable
{
    internal IEnumerable<Tensor> Tensors => [Expectation, Keypoints0, Keypoints1];

    /// <inheritdoc />
    public void Dispose()
    {
        Expectation.Dispose();
        Keypoints0.Dispose();
        Keypoints1.Dispose();
    }
}

/// <summary>
/// Sub-pixel refinement: correlates the centre feature of each window of image 0 with every position of the window of
/// image 1, takes the softmax heatmap's spatial expectation (and its standard deviation), and moves the image-1
/// keypoint by expectation * (W/2) fine pixels (or by the expectation around the heatmap's peak, see
/// <see cref="FineRefinement.LocalExpectation"/>). Windows [M, W*W, C].
/// </summary>
public static class FineMatching
{
    private static readonly Scalar MinVariance = 1e-10.ToScalar();

    /// <summary>
    /// Runs fine matching; <paramref name="scale1"/> [N, 2] maps input pixels to original pixels (or null);
    /// <paramref name="refinement"/> chooses the sub-pixel estimate (the standard deviation is the same for both).
    /// </summary>
    public static FineMatchingOutput Forward(Tensor featF0, Tensor featF1, CoarseMatches coarse, PairGeometry g, Tensor? scale1,
        FineRefinement refinement = FineRefinement.Expectation)
    {
        using var scope = NewDisposeScope();
        featF0 = featF0.to(ScalarType.Float32); // heatmaps and coordinates in float32 whatever the features' precision
        featF1 = featF1.to(ScalarType.Float32);
        long m = featF0.shape[0];
        long w = (long)Math.Round(Math.Sqrt(featF0.shape[1]));
        double scale = (double)g.Image0.H / g.Fine0.H;
        if (m == 0)
        {
            return new FineMatchingOutput(
                empty(0, 3, device: featF0.device).MoveToOuterDisposeScope(),
                coarse.Keypoints0.clone().MoveToOuterDisposeScope(),
                coarse.Keypoints1.clone().MoveToOuterDisposeScope());
        }
        var (coords, std) = Expectation(Heatmap(featF0, featF1), w, refinement);
        var expectation = cat([coords, std.unsqueeze(1)], -1);

        long mPred = coarse.Confidence.shape[0];
        using var halfWindow = (w / 2).ToScalar();
        using var finePixel = scale.ToScalar();
        var offset = coords.mul(halfWindow);
        offset = scale1 is null
            ? offset.mul(finePixel)
            : offset * scale1.index([TensorIndex.Tensor(coarse.BIds)]).mul(finePixel);
        var kp1 = coarse.Keypoints1.add(offset[..(int)mPred], Scalars.One);
        return new FineMatchingOutput(
            expectation.MoveToOuterDisposeScope(),
            coarse.Keypoints0.clone().MoveToOuterDisposeScope(),
            kp1.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Fine matching of windows centred on arbitrary fine pixels (the second fine pass of
    /// <see cref="Model.LoftrModel.Forward"/>): windows [M, W*W, C], their centres [M, 2] (x, y, fine pixels) and the size
    /// of a fine pixel in keypoint units [M, 2] per image. Keypoint 0 is the centre of window 0, keypoint 1 the centre of
    /// window 1 moved by the sub-pixel offset.
    /// </summary>
    internal static FineMatchingOutput ForwardAt(Tensor featF0, Tensor featF1, Tensor centre0, Tensor centre1, Tensor unit0,
        Tensor unit1, FineRefinement refinement)
    {
        using var scope = NewDisposeScope();
        featF0 = featF0.to(ScalarType.Float32);
        featF1 = featF1.to(ScalarType.Float32);
        long w = (long)Math.Round(Math.Sqrt(featF0.shape[1]));
        var (coords, std) = Expectation(Heatmap(featF0, featF1), w, refinement);
        using var halfWindow = (w / 2).ToScalar();
        var kp0 = centre0.to(ScalarType.Float32) * unit0;
        var kp1 = centre1.to(ScalarType.Float32).add(coords.mul(halfWindow), Scalars.One) * unit1;
        return new FineMatchingOutput(
            cat([coords, std.unsqueeze(1)], -1).MoveToOuterDisposeScope(), kp0.MoveToOuterDisposeScope(), kp1.MoveToOuterDisposeScope());
    }

    /// <summary>Softmax heatmap [M, W*W] of the correlation of each window-0 centre feature with window 1 (float32 [M, W*W, C]).</summary>
    private static Tensor Heatmap(Tensor featF0, Tensor featF1)
    {
        long ww = featF0.shape[1], c = featF0.shape[2];
        var centre = featF0[.., ww / 2, ..];                                    // [M, C]
        var sim = einsum("mc,mrc->mr", centre, featF1);
        using var softmaxScale = (1.0 / Math.Sqrt(c)).ToScalar();
        return nn.functional.softmax(sim.mul(softmaxScale), 1);
    }

    /// <summary>
    /// The sub-pixel position of each heatmap [M, W*W] (row-major window, coordinates normalised to [-1, 1]) and the
    /// summed x and y standard deviation of the whole heatmap: returns ([M, 2], [M]).
    /// </summary>
    internal static (Tensor Coords, Tensor Std) Expectation(Tensor heatmap, long w, FineRefinement refinement)
    {
        var lin = linspace(-1, 1, w, dtype: ScalarType.Float32, device: heatmap.device);
        var gridX = lin.unsqueeze(0).expand(w, w).reshape(-1);                  // x varies along columns
        var gridY = lin.unsqueeze(1).expand(w, w).reshape(-1);
        var coords = stack([(heatmap * gridX).sum(-1), (heatmap * gridY).sum(-1)], -1);   // [M, 2]
        var grid = stack([gridX, gridY], -1).unsqueeze(0);                       // [1, WW, 2]
        var variance = (grid.pow(Scalars.Two) * heatmap.unsqueeze(-1)).sum(1) - coords.pow(Scalars.Two);
        var std = variance.clamp(min: MinVariance).sqrt().sum(-1);
        if (refinement == FineRefinement.LocalExpectation && heatmap.shape[0] > 0)
        {
            // Cells at most one step (2 / (w - 1) in normalised units) from the peak, in x and in y.
            var peak = heatmap.argmax(1);
            var peakX = gridX.index([TensorIndex.Tensor(peak)]).unsqueeze(1);
            var peakY = gridY.index([TensorIndex.Tensor(peak)]).unsqueeze(1);
            using var reach = (1.5 * 2.0 / (w - 1)).ToScalar();
            var near = (gridX.unsqueeze(0) - peakX).abs().lt(reach).logical_and((gridY.unsqueeze(0) - peakY).abs().lt(reach));
            var local = heatmap * near.to(heatmap.dtype);
            local = local / local.sum(1, keepdim: true);
            coords = stack([(local * gridX).sum(-1), (local * gridY).sum(-1)], -1);
        }
        return (coords, std);
    }
}
