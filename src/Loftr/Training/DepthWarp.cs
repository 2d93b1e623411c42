using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>
/// Warps pixels of image 0 into image 1 with depth, intrinsics and the relative pose (the reference
/// <c>warp_kpts</c>), and reports which warps are trustworthy.
/// </summary>
public static class DepthWarp
{
    /// <summary>Relative depth difference under which a warped point is consistent with the depth of image 1.</summary>
    public const double ConsistencyThreshold = 0.2;

    private static readonly Scalar DepthEps = 1e-4.ToScalar(); // added to the projected depth before dividing by it

    /// <summary>
    /// Warps <paramref name="points0"/> [N, L, 2] (x, y pixels of image 0): depth sampled at the rounded position,
    /// unprojected with K0, moved by T, projected with K1 (divided by z + 1e-4). Valid = known depth (non-zero), inside
    /// image 1 with a one-pixel margin (0 &lt; x &lt; w-1, 0 &lt; y &lt; h-1) and depth-consistent (relative difference to
    /// the depth of image 1 at the truncated warped position below 0.2). All arithmetic in float32, as the reference.
    /// </summary>
    /// <returns>(valid [N, L] bool, warped points [N, L, 2]).</returns>
    public static (Tensor Valid, Tensor Warped) Warp(Tensor points0, Tensor depth0, Tensor depth1, Tensor t0to1, Tensor k0, Tensor k1)
    {
        ArgumentNullException.ThrowIfNull(points0);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long n = points0.shape[0];
        var p = points0.to(ScalarType.Float32);
        var pLong = p.round().to(ScalarType.Int64);
        var depthAt0 = Sample(depth0, pLong, "depth0");
        var nonZero = depthAt0.ne(Scalars.Zero);

        var ones1 = ones(n, p.shape[1], 1, dtype: ScalarType.Float32, device: p.device);
        var homog = cat([p, ones1], -1) * depthAt0.unsqueeze(-1);                 // [N, L, 3]
        var cam0 = k0.to(ScalarType.Float32).inverse().matmul(homog.transpose(2, 1)); // [N, 3, L]
        var t = t0to1.to(ScalarType.Float32);
        var rot = t[.., ..3, ..3];
        var trans = t[.., ..3, 3..4];
        var cam1 = rot.matmul(cam0).add(trans, Scalars.One);
        var depthComputed = cam1[.., 2, ..];
        var proj = k1.to(ScalarType.Float32).matmul(cam1).transpose(2, 1);            // [N, L, 3]
        var warped = proj[.., .., ..2] / proj[.., .., 2..3].add(DepthEps, Scalars.One);

        long h = depth1.shape[1], w = depth1.shape[2];
        using var maxX = (w - 1).ToScalar();
        using var maxY = (h - 1).ToScalar();
        var x = warped[.., .., 0];
        var y = warped[.., .., 1];
        var covisible = x.gt(Scalars.Zero).logical_and(x.lt(maxX)).logical_and(y.gt(Scalars.Zero)).logical_and(y.lt(maxY));
        var wLong = warped.to(ScalarType.Int64).masked_fill(covisible.logical_not().unsqueeze(-1), Scalars.Zero);
        var depthAt1 = Sample(depth1, wLong, "depth1");
        using var threshold = ConsistencyThreshold.ToScalar();
        var consistent = ((depthAt1 - depthComputed) / depthAt1).abs().lt(threshold);
        var valid = nonZero.logical_and(covisible).logical_and(consistent);
        return (valid.MoveToOuterDisposeScope(), warped.MoveToOuterDisposeScope());
    }

    /// <summary>depth[b, y, x] for integer points [N, L, 2]; throws when a point lies outside the depth map.</summary>
    private static Tensor Sample(Tensor depth, Tensor pts, string name)
    {
        long h = depth.shape[1], w = depth.shape[2];
        using var width = w.ToScalar();
        using var height = h.ToScalar();
        var xs = pts[.., .., 0];
        var ys = pts[.., .., 1];
        bool inside = xs.ge(Scalars.Zero).logical_and(xs.lt(width)).logical_and(ys.ge(Scalars.Zero)).logical_and(ys.lt(height)).all().item<bool>();
        if (!inside)
            throw new ArgumentException($"{name} ({h}x{w}) is smaller than the grid of points to warp: depth maps must cover the image (at the supervision resolution).");
        return depth.to(ScalarType.Float32).flatten(1).gather(1, ys.mul(width).add(xs, Scalars.One));
    }
}
