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
    private const double Eps = 1e-6;

    /// <inheritdoc />
    public Tensor Attend(Tensor queries, Tensor keys, Tensor values, Tensor? queryMask, Tensor? keyValueMask)
    {
        using var scope = NewDisposeScope();
        var inputType = queries.dtype;
        // The sums over all source tokens are done in float32 whatever the compute precision.
        var q = nn.functional.elu(queries.to(ScalarType.Float32), 1.0) + 1;
        var k = nn.functional.elu(keys.to(ScalarType.Float32), 1.0) + 1;
        var v = values.to(ScalarType.Float32);
        if (queryMask is not null)
            q = q * queryMask.unsqueeze(-1).unsqueeze(-1);
        if (keyValueMask is not null)
        {
            var m = keyValueMask.unsqueeze(-1).unsqueeze(-1);
            k = k * m;
            v = v * m;
        }
        long vLength = v.shape[1];
        v = v / vLength;
        var kv = einsum("nshd,nshv->nhdv", k, v);
        var z = 1 / (einsum("nlhd,nhd->nlh", q, k.sum(1)) + Eps);
        var result = einsum("nlhd,nhdv,nlh->nlhv", q, kv, z) * vLength;
        return result.to(inputType).contiguous().MoveToOuterDisposeScope();
    }
}

/// <summary>Scaled dot-product softmax attention; positions outside both masks get -inf before the softmax.</summary>
public sealed class FullAttention : IAttention
{
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
            qk = qk.masked_fill(valid.logical_not(), double.NegativeInfinity);
        }
        double temp = 1.0 / Math.Sqrt(queries.shape[3]);
        var a = nn.functional.softmax(qk * temp, dim: 2);
        var result = einsum("nlsh,nshd->nlhd", a, values);
        return result.to(inputType).contiguous().MoveToOuterDisposeScope();
    }
}
