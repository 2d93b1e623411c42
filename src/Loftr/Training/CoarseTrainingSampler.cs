using Loftr.Matching;
using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>Draws <paramref name="count"/> indices uniformly from [0, <paramref name="high"/>) (with replacement), as int64 [count].</summary>
public delegate Tensor RandomIndexSource(long high, long count);

/// <summary>
/// The reference's training-time selection of fine windows: a fixed number of windows per batch
/// (<c>train_coarse_percent</c> of the maximal number of candidates), filled with the predicted coarse matches (a random
/// subset when there are too many) and padded with random ground-truth matches (at least <c>train_pad_num_gt_min</c>);
/// the pads get confidence 0, so they are excluded from the returned predictions.
/// </summary>
public static class CoarseTrainingSampler
{
    /// <summary>Random indices from a <see cref="TrainingRandom"/>.</summary>
    public static RandomIndexSource FromRandom(TrainingRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return (high, count) =>
        {
            var idx = new long[count];
            for (int k = 0; k < count; k++) idx[k] = random.NextLong(high);
            return tensor(idx, dtype: ScalarType.Int64);
        };
    }

    /// <summary>
    /// Selects the windows for the fine stage from the <paramref name="predicted"/> coarse matches and the ground truth.
    /// Tensors are created in the caller's dispose scope.
    /// </summary>
    /// <exception cref="ArgumentException">train_pad_num_gt_min is not below the number of training windows (use a larger
    /// image, batch or train_coarse_percent, or a smaller train_pad_num_gt_min).</exception>
    public static CoarseMatches Sample(CoarseMatches predicted, CoarseSupervision supervision, PairGeometry geometry,
        CoarseMatchingConfig config, RandomIndexSource random, Tensor? mask0 = null, Tensor? mask1 = null,
        Tensor? scale0 = null, Tensor? scale1 = null)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(supervision);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(random);
        using var noGrad = no_grad();
        long numTrain = TrainingWindowCount(supervision.BatchSize, supervision.L, supervision.S, config.TrainCoarsePercent, mask0, mask1);
        int padMin = config.TrainPadNumGtMin;
        if (padMin >= numTrain)
            throw new ArgumentException(
                $"train_pad_num_gt_min ({padMin}) must be less than the number of training windows ({numTrain} = " +
                $"{config.TrainCoarsePercent} x the candidates of this batch): use larger images or batches, a larger " +
                "train_coarse_percent or a smaller train_pad_num_gt_min.");
        long numPred = predicted.BIds.shape[0];
        var predIdx = numPred <= numTrain - padMin
            ? Scalars.Arange(numPred, ScalarType.Int64)
            : random(numPred, numTrain - padMin);
        var gtIdx = random(supervision.BIds.shape[0], Math.Max(numTrain - numPred, padMin));

        Tensor Pick(Tensor pred, Tensor gt) => cat([pred.index([TensorIndex.Tensor(predIdx)]), gt.index([TensorIndex.Tensor(gtIdx)])], 0);
        var b = Pick(predicted.BIds, supervision.BIds);
        var i = Pick(predicted.IIds, supervision.IIds);
        var j = Pick(predicted.JIds, supervision.JIds);
        var mconf = cat([predicted.Confidence.index([TensorIndex.Tensor(predIdx)]),
            zeros(gtIdx.shape[0], dtype: predicted.Confidence.dtype)], 0);
        return CoarseMatching.BuildMatches(b, i, j, mconf, geometry, scale0, scale1);
    }

    /// <summary>
    /// int(train_coarse_percent x candidates): candidates = N x max(L, S) without padding, else the sum over the batch
    /// of min(valid cells of image 0, valid cells of image 1) (then in float32, as the reference's tensor product).
    /// </summary>
    public static long TrainingWindowCount(long n, long l, long s, double percent, Tensor? mask0, Tensor? mask1)
    {
        if (mask0 is null || mask1 is null)
            return (long)(n * Math.Max(l, s) * percent);
        using var scope = NewDisposeScope();
        var h0 = mask0.sum(1).amax([-1]);
        var w0 = mask0.sum(-1).amax([-1]);
        var h1 = mask1.sum(1).amax([-1]);
        var w1 = mask1.sum(-1).amax([-1]);
        long candidates = minimum(h0 * w0, h1 * w1).sum().item<long>();
        return (long)((float)candidates * (float)percent); // the reference multiplies a tensor: float32 arithmetic
    }
}
