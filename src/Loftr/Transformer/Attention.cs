using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.Transformer;

/// <summary>Multi-head attention over [N, L, H, D] queries and [N, S, H, D] keys/values; returns [N, L, H, D].</summary>
public interface IAttention
{
    /// <summary>Attends <paramref name="queries"/> to <paramref name="keys"/>/<paramref name="values"/>; masks are [N, L] / [N, S] bool (true = valid).</summary>
    Tensor Attend(Tensor queries, Tensor keys, Tensor values, Tensor? queryMask, Tensor? keyValueMask);
}

/// <summary>
/// Linear attention (Katharopoulos et al. 2020) with the feature map elu(x) + 1:
/// out = (Q (K^T V / S)) / (Q . sum_s K + eps) * S. Masks zero padded queries, keys and values.
/// </summary>
public sealed class LinearAttention : IAttention
{
    private static readonly Scalar Eps = 1e-6.ToScalar();

    /// <inheritdoc />
    public Tensor Attend(Tensor queries, Tensor keys, Tensor values, Tensor? queryMask, Tensor? keyValueMask)
    {
        if (!is_grad_enabled()) return AttendInference(queries, keys, values, queryMask, keyValueMask);
        using var scope = NewDisposeScope();
        var inputType = queries.dtype;
        // The sums over all source tokens are done in float32 whatever the compute precision.
        var q = EluPlusOne(queries.to(ScalarType.Float32));
        var k = EluPlusOne(keys.to(ScalarType.Float32));
        var v = values.to(ScalarType.Float32);
        if (queryMask is not null)
            q = q * queryMask.unsqueeze(-1).unsqueeze(-1);
        if (keyValueMask is not null)
        {
            var m = keyValueMask.unsqueeze(-1).unsqueeze(-1);
            k = k * m;
            v = v * m;
        }
        using var vLength = v.shape[1].ToScalar();
        v = v.div(vLength);
        var kv = einsum("nshd,nshv->nhdv", k, v);
        var z = einsum("nlhd,nhd->nlh", q, k.sum(1)).add(Eps, Scalars.One).reciprocal();
        var result = einsum("nlhd,nhdv,nlh->nlhv", q, kv, z).mul(vLength);
        return result.to(inputType).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same attention without autograd, in fewer passes over the [N, L, H, D] tensors (equal up to float rounding):
    /// elu(x) + 1 as exp(min(x, 0)) + max(x, 0), the 1/S and *S value scalings (there against half-precision overflow)
    /// cancelled, and the per-head products as one batched matmul on strided views.
    /// </summary>
    private static Tensor AttendInference(Tensor queries, Tensor keys, Tensor values, Tensor? queryMask, Tensor? keyValueMask)
    {
        using var scope = NewDisposeScope();
        var inputType = queries.dtype;
        var q = FeatureMap(queries.to(ScalarType.Float32));
        var k = FeatureMap(keys.to(ScalarType.Float32));
        var v = values.to(ScalarType.Float32);
        if (queryMask is not null)
            q.mul_(queryMask.unsqueeze(-1).unsqueeze(-1));
        if (keyValueMask is not null)
        {
            var m = keyValueMask.unsqueeze(-1).unsqueeze(-1);
            k.mul_(m);
            v = v * m;
        }
        var qh = q.permute(0, 2, 1, 3);                                   // [N, H, L, D] views, no copies
        var kv = k.permute(0, 2, 3, 1).matmul(v.permute(0, 2, 1, 3));     // [N, H, D, V] = sum_s k v^T
        var z = qh.matmul(k.sum(1).unsqueeze(-1)).add_(Eps, Scalars.One).reciprocal_(); // [N, H, L, 1]
        var result = qh.matmul(kv).mul_(z);                                // [N, H, L, V]
        return result.permute(0, 2, 1, 3).to(inputType).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>elu(x) + 1 = exp(min(x, 0)) + max(x, 0), in two passes instead of the expm1-based elu and an add.</summary>
    private static Tensor FeatureMap(Tensor x) =>
        x.clamp_max(Scalars.Zero).exp_().add_(x.clamp_min(Scalars.Zero), Scalars.One);

    /// <summary>elu(x) + 1 with alpha 1, as <c>nn.functional.elu(x, 1.0) + 1</c>.</summary>
    private static Tensor EluPlusOne(Tensor x) =>
        x.elu(Scalars.OneDouble, Scalars.OneDouble, Scalars.OneDouble).add(Scalars.One, Scalars.One);
}

/// <summary>Scaled dot-product softmax attention; positions outside both masks get -inf before the softmax.</summary>
public sealed class FullAttention : IAttention
{
    private static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();

    /// <inheritdoc />
    public Tensor Attend(Tensor queries, Tensor keys, Tensor values, Tensor? queryMask, Tensor? keyValueMask)
    {
        using var scope = NewDisposeScope();
        var inputType = queries.dtype;
        queries = queries.to(ScalarType.Float32);
        keys = keys.to(ScalarType.Float32);
        values = values.to(ScalarType.Float32);
        var qk = einsum("nlhd,nshd->nlsh", queries, keys);
        if (keyValueMask is not null)
        {
            var qm = queryMask ?? ones_like(keyValueMask[.., ..1]).expand(queries.shape[0], queries.shape[1]);
            var valid = qm.unsqueeze(2).unsqueeze(3).logical_and(keyValueMask.unsqueeze(1).unsqueeze(3));
            qk = qk.masked_fill(valid.logical_not(), NegativeInfinity);
        }
        using var temp = (1.0 / Math.Sqrt(queries.shape[3])).ToScalar();
        var a = nn.functional.softmax(qk.mul(temp), dim: 2);
        var result = einsum("nlsh,nshd->nlhd", a, values);
        return result.to(inputType).contiguous().MoveToOuterDisposeScope();
    }
}
