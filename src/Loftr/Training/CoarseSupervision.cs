using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>
/// Coarse ground truth of a batch (the reference's <c>spv_*</c> entries): the mutual ground-truth matches and the warped
/// grids needed later for the fine targets. The dense [N, L, S] matrix <c>conf_matrix_gt</c> is only built on demand
/// (<see cref="DenseMatrix"/>): it is 1 exactly at (<see cref="BIds"/>, <see cref="IIds"/>, <see cref="JIds"/>).
/// </summary>
public sealed class CoarseSupervision : IDisposable
{
    /// <summary>Batch index of each ground-truth match [P] (int64), sorted by (b, i). One dummy (0, 0, 0) entry when there is no match.</summary>
    public required Tensor BIds { get; init; }
    /// <summary>Coarse index in image 0 [P].</summary>
    public required Tensor IIds { get; init; }
    /// <summary>Coarse index in image 1 [P].</summary>
    public required Tensor JIds { get; init; }
    /// <summary>Number of true ground-truth matches (0 when the ids only hold the dummy entry).</summary>
    public required long PositiveCount { get; init; }
    /// <summary>The coarse grid of image 0 warped into image 1 [N, L, 2] (x, y; not rounded), in the pixels of image 1 (<c>spv_w_pt0_i</c>).</summary>
    public required Tensor WarpedGrid0 { get; init; }
    /// <summary>The coarse grid of image 1 [N, S, 2] in its pixels (<c>spv_pt1_i</c>).</summary>
    public required Tensor Grid1 { get; init; }
    /// <summary>Batch size N.</summary>
    public required long BatchSize { get; init; }
    /// <summary>Number of coarse cells of image 0 (L).</summary>
    public required long L { get; init; }
    /// <summary>Number of coarse cells of image 1 (S).</summary>
    public required long S { get; init; }

    /// <summary>True when at least one ground-truth match exists.</summary>
    public bool HasMatches => PositiveCount > 0;

    /// <summary>The dense ground-truth matrix [N, L, S] (float32, 1 at the ground-truth matches, 0 elsewhere).</summary>
    public Tensor DenseMatrix()
    {
        var m = zeros(BatchSize, L, S, dtype: ScalarType.Float32, device: WarpedGrid0.device);
        if (HasMatches)
            m.index_put_(ones(PositiveCount, dtype: ScalarType.Float32, device: m.device),
                [TensorIndex.Tensor(BIds), TensorIndex.Tensor(IIds), TensorIndex.Tensor(JIds)]);
        return m;
    }

    /// <summary>[N, L] bool: cells of image 0 that have a ground-truth match.</summary>
    internal Tensor MatchedRows0()
    {
        var m = zeros(BatchSize, L, dtype: ScalarType.Bool, device: WarpedGrid0.device);
        if (HasMatches) m.index_put_(tensor(true), [TensorIndex.Tensor(BIds), TensorIndex.Tensor(IIds)]);
        return m;
    }

    /// <summary>[N, S] bool: cells of image 1 that have a ground-truth match.</summary>
    internal Tensor MatchedColumns1()
    {
        var m = zeros(BatchSize, S, dtype: ScalarType.Bool, device: WarpedGrid0.device);
        if (HasMatches) m.index_put_(tensor(true), [TensorIndex.Tensor(BIds), TensorIndex.Tensor(JIds)]);
        return m;
    }

    internal IEnumerable<Tensor> Tensors => [BIds, IIds, JIds, WarpedGrid0, Grid1];

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}
