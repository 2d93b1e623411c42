using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>
/// Builds the coarse ground truth of a batch as the reference <c>spvs_coarse</c>: the 1/8 grid of each image (cell
/// corners 8*(x, y), times the batch scales in the MegaDepth branch; points in padded cells moved to (0, 0)) is warped
/// into the other image, rounded to the nearest coarse cell (out-of-bounds cells become cell 0), and a pair (i, j) is a
/// ground-truth match when i → j → i loops back (mutual); cell 0 of image 0 is ignored.
/// </summary>
public static class CoarseGroundTruth
{
    private static readonly Scalar MinW = 1e-8.ToScalar();

    /// <summary>Ground truth from the batch's depth + pose, or from its homography.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="config">The model configuration (coarse resolution).</param>
    /// <param name="depthConsistency">
    /// Depth branch only. False (default) reproduces the reference, which ignores the validity of the depth warp ("no
    /// depth consistency check, since it leads to worse results experimentally"). True additionally drops cells whose
    /// warp is invalid in either direction (unknown depth, outside the image, depth-inconsistent).
    /// </param>
    public static CoarseSupervision Compute(TrainingBatch batch, LoftrConfig config, bool depthConsistency = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(config);
        batch.Validate();
        return batch.Depth is not null ? FromDepth(batch, config, depthConsistency) : FromHomography(batch, config);
    }

    private static CoarseSupervision FromDepth(TrainingBatch batch, LoftrConfig config, bool depthConsistency)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var d = batch.Depth!;
        var grids = Grids.Create(batch, config);
        var (valid0, w0) = DepthWarp.Warp(grids.Points0, d.Depth0, d.Depth1, d.T0to1, d.K0, d.K1);
        var (valid1, w1) = DepthWarp.Warp(grids.Points1, d.Depth1, d.Depth0, d.T1to0, d.K1, d.K0);
        var result = Match(grids, w0, w1, depthConsistency ? valid0 : null, depthConsistency ? valid1 : null);
        result.Tensors.MoveToOuterDisposeScope();
        return result;
    }

    private static CoarseSupervision FromHomography(TrainingBatch batch, LoftrConfig config)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grids = Grids.Create(batch, config);
        var h = batch.Homography!.to(ScalarType.Float64);
        var (valid0, w0) = WarpByHomography(grids.Points0, h);
        var (valid1, w1) = WarpByHomography(grids.Points1, h.inverse());
        var result = Match(grids, w0, w1, valid0, valid1);
        result.Tensors.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>Applies [N, 3, 3] homographies to [N, L, 2] points (in float64); valid where the point stays in front (w &gt; 0).</summary>
    internal static (Tensor Valid, Tensor Warped) WarpByHomography(Tensor points, Tensor h)
    {
        var p = points.to(ScalarType.Float64);
        var homog = cat([p, ones_like(p[.., .., ..1])], -1);            // [N, L, 3]
        var q = homog.matmul(h.transpose(1, 2));                           // [N, L, 3]
        var w = q[.., .., 2..3];
        var valid = w.squeeze(-1).gt(MinW);
        var warped = (q[.., .., ..2] / w.clamp_min(MinW)).to(ScalarType.Float32);
        return (valid, warped);
    }

    /// <summary>Mutual nearest-cell check of the two warped grids.</summary>
    private static CoarseSupervision Match(Grids g, Tensor warped0, Tensor warped1, Tensor? valid0, Tensor? valid1)
    {
        long n = g.Points0.shape[0];
        long l = g.H0 * g.W0, s = g.H1 * g.W1;
        var round0 = (warped0 / g.CellScale1).round().to(ScalarType.Int64);
        var round1 = (warped1 / g.CellScale0).round().to(ScalarType.Int64);
        var out0 = OutOfBounds(round0, g.W1, g.H1);
        var out1 = OutOfBounds(round1, g.W0, g.H0);
        using var w1 = g.W1.ToScalar();
        using var w0 = g.W0.ToScalar();
        var nearest1 = round0[.., .., 0].add(round0[.., .., 1].mul(w1), Scalars.One).masked_fill(out0, Scalars.Zero);
        var nearest0 = round1[.., .., 0].add(round1[.., .., 1].mul(w0), Scalars.One).masked_fill(out1, Scalars.Zero);

        var loopBack = nearest0.gather(1, nearest1);
        var correct = loopBack.eq(Scalars.Arange(l, ScalarType.Int64, loopBack.device).unsqueeze(0));
        correct[.., 0].fill_(Scalars.False);  // the top-left cell is where every out-of-bounds point lands
        if (valid0 is not null && valid1 is not null)
        {
            var ok0 = valid0.logical_and(out0.logical_not());
            var ok1 = valid1.logical_and(out1.logical_not());
            correct = correct.logical_and(ok0).logical_and(ok1.gather(1, nearest1));
        }

        var nz = correct.nonzero();
        long p = nz.shape[0];
        Tensor b, i, j;
        if (p == 0)
        {
            b = zeros(1, dtype: ScalarType.Int64);
            i = zeros(1, dtype: ScalarType.Int64);
            j = zeros(1, dtype: ScalarType.Int64);
        }
        else
        {
            b = nz[.., 0].contiguous();
            i = nz[.., 1].contiguous();
            j = nearest1.index([TensorIndex.Tensor(b), TensorIndex.Tensor(i)]);
        }
        return new CoarseSupervision
        {
            BIds = b,
            IIds = i,
            JIds = j,
            PositiveCount = p,
            WarpedGrid0 = warped0.to(ScalarType.Float32),
            Grid1 = g.Points1,
            BatchSize = n,
            L = l,
            S = s,
        };
    }

    private static Tensor OutOfBounds(Tensor pt, long w, long h)
    {
        using var width = w.ToScalar();
        using var height = h.ToScalar();
        var x = pt[.., .., 0];
        var y = pt[.., .., 1];
        return x.lt(Scalars.Zero).logical_or(x.ge(width)).logical_or(y.lt(Scalars.Zero)).logical_or(y.ge(height));
    }

    /// <summary>The coarse grids of both images in supervision pixels, and the cell sizes.</summary>
    private sealed record Grids(Tensor Points0, Tensor Points1, Tensor CellScale0, Tensor CellScale1, long H0, long W0, long H1, long W1)
    {
        public static Grids Create(TrainingBatch batch, LoftrConfig config)
        {
            int res = config.Backbone.CoarseResolution;
            long n = batch.Size;
            long h0 = batch.Image0.shape[2] / res, w0 = batch.Image0.shape[3] / res;
            long h1 = batch.Image1.shape[2] / res, w1 = batch.Image1.shape[3] / res;
            // scale * data['scale0'][:, None] ([N, 1, 2]) in the MegaDepth branch, the plain resolution otherwise
            using var resolution = res.ToScalar();
            var s0 = batch.Scale0 is null ? tensor((float)res) : batch.Scale0.to(ScalarType.Float32).unsqueeze(1).mul(resolution);
            var s1 = batch.Scale1 is null ? tensor((float)res) : batch.Scale1.to(ScalarType.Float32).unsqueeze(1).mul(resolution);
            var p0 = s0 * Meshgrid(n, h0, w0);
            var p1 = s1 * Meshgrid(n, h1, w1);
            if (batch.Mask0 is not null && batch.Mask1 is not null)
            {
                p0 = p0.masked_fill(batch.Mask0.flatten(1).logical_not().unsqueeze(-1), Scalars.Zero);
                p1 = p1.masked_fill(batch.Mask1.flatten(1).logical_not().unsqueeze(-1), Scalars.Zero);
            }
            return new Grids(p0, p1, s0, s1, h0, w0, h1, w1);
        }

        /// <summary>[N, h*w, 2] (x, y) integer cell coordinates in row-major order.</summary>
        private static Tensor Meshgrid(long n, long h, long w)
        {
            var xs = Scalars.Arange(w, ScalarType.Float32).unsqueeze(0).expand(h, w);
            var ys = Scalars.Arange(h, ScalarType.Float32).unsqueeze(1).expand(h, w);
            return stack([xs, ys], -1).reshape(1, h * w, 2).expand(n, -1, -1).contiguous();
        }
    }
}
