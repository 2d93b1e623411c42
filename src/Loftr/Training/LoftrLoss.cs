using Loftr.Matching;
using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>The losses of one forward pass. <see cref="Loss"/> keeps the autograd graph; dispose it after the backward pass.</summary>
public sealed class LossResult : IDisposable
{
    /// <summary>Total loss, a differentiable scalar: coarse_weight * loss_c + fine_weight * loss_f.</summary>
    public required Tensor Loss { get; init; }
    /// <summary>Value of the total loss.</summary>
    public required double Total { get; init; }
    /// <summary>Coarse loss value.</summary>
    public required double Coarse { get; init; }
    /// <summary>Fine loss value, or null when no window could be supervised (evaluation mode only; the reference then logs 1).</summary>
    public required double? Fine { get; init; }

    /// <inheritdoc />
    public void Dispose() => Loss.Dispose();
}

/// <summary>
/// The reference <c>LoFTRLoss</c>: focal (or cross-entropy) loss on the coarse confidence matrix with sparse or dense
/// supervision (Sinkhorn sparse supervision also supervises the dustbins of unmatched cells), and the fine L2 loss of the
/// expected sub-pixel offsets (optionally weighted by the inverse standard deviation of each window's heatmap).
/// Coarse positives are gathered directly at the ground-truth indices, so the dense [N, L, S] ground-truth matrix is only
/// built for dense supervision.
/// </summary>
public sealed class LoftrLoss
{
    private const double Clamp = 1e-6;
    private static readonly Scalar ClampMin = Clamp.ToScalar();
    private static readonly Scalar ClampMax = (1 - Clamp).ToScalar();
    private static readonly Scalar MinStd = 1e-10.ToScalar();
    private readonly LoftrLossConfig _loss;
    private readonly CoarseMatchingConfig _matching;

    /// <summary>Creates the loss for the given loss and coarse-matching settings.</summary>
    /// <exception cref="ArgumentException">Cross-entropy with sparse supervision (not defined by the reference).</exception>
    public LoftrLoss(LoftrLossConfig loss, CoarseMatchingConfig matching)
    {
        _loss = loss ?? throw new ArgumentNullException(nameof(loss));
        _matching = matching ?? throw new ArgumentNullException(nameof(matching));
        if (loss.CoarseType == CoarseLossType.CrossEntropy && matching.SparseSupervision)
            throw new ArgumentException("Sparse supervision is not implemented for the cross-entropy coarse loss (as in the reference); use focal or dense supervision.");
    }

    /// <summary>The loss settings.</summary>
    public LoftrLossConfig Config => _loss;

    /// <summary>
    /// Computes the losses. <paramref name="expectation"/> is the fine output [M, 3] (x, y, std) of the windows whose
    /// targets are <paramref name="fineTarget"/> [M, 2]. <paramref name="mask0"/>/<paramref name="mask1"/>: coarse
    /// padding masks (weights of the coarse loss) or null. <paramref name="training"/>: when no window is supervisable,
    /// training supervises window 0 with weight 0 (as the reference), evaluation reports no fine loss.
    /// </summary>
    public LossResult Compute(CoarseMatchingOutput coarse, CoarseSupervision supervision, Tensor expectation, Tensor fineTarget,
        Tensor? mask0 = null, Tensor? mask1 = null, bool training = true)
    {
        ArgumentNullException.ThrowIfNull(coarse);
        ArgumentNullException.ThrowIfNull(supervision);
        ArgumentNullException.ThrowIfNull(expectation);
        ArgumentNullException.ThrowIfNull(fineTarget);
        using var scope = NewDisposeScope();
        var lossC = CoarseLoss(coarse, supervision, mask0, mask1);
        using var coarseWeight = _loss.CoarseWeight.ToScalar();
        using var fineWeight = _loss.FineWeight.ToScalar();
        var loss = lossC.mul(coarseWeight);
        var lossF = FineLoss(expectation, fineTarget, training);
        if (lossF is not null) loss = loss.add(lossF.mul(fineWeight), Scalars.One);
        var result = new LossResult
        {
            Loss = loss.MoveToOuterDisposeScope(),
            Total = loss.item<float>(),
            Coarse = lossC.item<float>(),
            Fine = lossF?.item<float>(),
        };
        return result;
    }

    /// <summary>The coarse loss as the reference <c>compute_coarse_loss</c>.</summary>
    internal Tensor CoarseLoss(CoarseMatchingOutput coarse, CoarseSupervision sup, Tensor? mask0, Tensor? mask1)
    {
        bool sinkhorn = _matching.MatchType == CoarseMatchType.Sinkhorn;
        Tensor? weight0 = mask0?.flatten(-2).to(ScalarType.Float32);  // weight = mask0[..., None] * mask1[:, None]
        Tensor? weight1 = mask1?.flatten(-2).to(ScalarType.Float32);
        if (_matching.SparseSupervision)
        {
            var conf = sinkhorn
                ? coarse.ConfMatrixWithBin ?? throw new ArgumentException("Sparse Sinkhorn supervision needs the confidence matrix with dustbins.")
                : coarse.ConfMatrix ?? throw new ArgumentException(NoMatrix);
            return SparseFocal(conf.clamp(ClampMin, ClampMax), sup, weight0, weight1, sinkhorn);
        }
        return Dense(coarse.ConfMatrix ?? throw new ArgumentException(NoMatrix), sup, weight0, weight1);
    }

    private const string NoMatrix =
        "The coarse loss needs the confidence matrix; run the model in training mode so it is not chunked away.";

    private Tensor Focal(Tensor p)
    {
        using var minusAlpha = (-_loss.FocalAlpha).ToScalar();
        using var gamma = _loss.FocalGamma.ToScalar();
        return OneMinus(p).pow(gamma).mul(minusAlpha) * p.log();
    }

    /// <summary><c>1 - p</c> as TorchSharp computes it (<c>-p + 1</c>).</summary>
    private static Tensor OneMinus(Tensor p) => p.negative().add(Scalars.One, Scalars.One);

    /// <summary><c>lossPos.mean() * posW + lossNeg.mean() * negW</c>.</summary>
    private static Tensor Weighted(Tensor lossPos, double posW, Tensor lossNeg, double negW)
    {
        using var pos = posW.ToScalar();
        using var neg = negW.ToScalar();
        return lossPos.mean().mul(pos).add(lossNeg.mean().mul(neg), Scalars.One);
    }

    private Tensor SparseFocal(Tensor conf, CoarseSupervision sup, Tensor? w0, Tensor? w1, bool sinkhorn)
    {
        double posW = _loss.PosWeight, negW = _loss.NegWeight;
        var b = TensorIndex.Tensor(sup.BIds);
        var i = TensorIndex.Tensor(sup.IIds);
        var j = TensorIndex.Tensor(sup.JIds);
        // Without any ground truth the reference supervises entry (0, 0, 0) with weight 0.
        var posConf = conf.index([b, i, j]);
        var lossPos = Focal(posConf);
        if (w0 is not null && w1 is not null)
        {
            var w = w0.index([b, i]) * w1.index([b, j]);
            if (!sup.HasMatches) w = zeros_like(w);
            lossPos = lossPos * w;
        }
        if (!sup.HasMatches) posW = 0;
        if (!sinkhorn)
        {
            using var pos = posW.ToScalar();
            return lossPos.mean().mul(pos);
        }

        long l = sup.L, s = sup.S;
        var neg0 = sup.MatchedRows0().logical_not();      // conf_gt.sum(-1) == 0
        var neg1 = sup.MatchedColumns1().logical_not();   // conf_gt.sum(1) == 0
        var bin0 = conf[.., ..(int)l, (int)s];             // [N, L]: cell i -> dustbin
        var bin1 = conf[.., (int)l, ..(int)s];             // [N, S]
        var lossNeg = Focal(cat([bin0.masked_select(neg0), bin1.masked_select(neg1)], 0));
        if (w0 is not null && w1 is not null)
        {
            // (weight.sum(-1) != 0)[neg0] and (weight.sum(1) != 0)[neg1]: keep dustbin terms of valid cells
            var rowValid = (w0 * w1.sum(-1, keepdim: true)).ne(Scalars.Zero);
            var colValid = (w1 * w0.sum(-1, keepdim: true)).ne(Scalars.Zero);
            var keep = cat([rowValid.masked_select(neg0), colValid.masked_select(neg1)], 0);
            lossNeg = lossNeg.masked_select(keep);
        }
        return Weighted(lossPos, posW, lossNeg, negW);
    }

    private Tensor Dense(Tensor confRaw, CoarseSupervision sup, Tensor? w0, Tensor? w1)
    {
        double posW = _loss.PosWeight, negW = _loss.NegWeight;
        var conf = confRaw.clamp(ClampMin, ClampMax);
        var gt = sup.DenseMatrix();
        var posMask = gt.eq(Scalars.One);
        var negMask = gt.eq(Scalars.Zero);
        Tensor? weight = w0 is not null && w1 is not null ? w0.unsqueeze(2) * w1.unsqueeze(1) : null;
        using var zero = 0f.ToScalar();
        if (!sup.HasMatches)
        {
            posMask[0, 0, 0].fill_(Scalars.True);
            if (weight is not null) weight[0, 0, 0].fill_(zero);
            posW = 0;
        }
        if (!negMask.any().item<bool>())
        {
            negMask[0, 0, 0].fill_(Scalars.True);
            if (weight is not null) weight[0, 0, 0].fill_(zero);
            negW = 0;
        }
        var pos = conf.masked_select(posMask);
        var neg = conf.masked_select(negMask);
        Tensor lossPos, lossNeg;
        if (_loss.CoarseType == CoarseLossType.CrossEntropy)
        {
            lossPos = -pos.log();
            lossNeg = -OneMinus(neg).log();
        }
        else
        {
            using var minusAlpha = (-_loss.FocalAlpha).ToScalar();
            using var gamma = _loss.FocalGamma.ToScalar();
            lossPos = Focal(pos);
            lossNeg = neg.pow(gamma).mul(minusAlpha) * OneMinus(neg).log();
        }
        if (weight is not null)
        {
            lossPos = lossPos * weight.masked_select(posMask);
            lossNeg = lossNeg * weight.masked_select(negMask);
        }
        return Weighted(lossPos, posW, lossNeg, negW);
    }

    /// <summary>The fine loss (<c>l2_with_std</c> or <c>l2</c>), or null in evaluation when no window is supervisable.</summary>
    internal Tensor? FineLoss(Tensor expectation, Tensor target, bool training)
    {
        if (expectation.shape[0] == 0)
        {
            if (training) throw new ArgumentException("The fine loss needs at least one window in training (the sampler always pads with ground truth).");
            return null;
        }
        using var threshold = _loss.FineCorrectThreshold.ToScalar();
        var correct = target.abs().amax([1]).lt(threshold);   // inf-norm < thr
        bool any = correct.any().item<bool>();
        if (_loss.FineType == FineLossType.L2)
        {
            if (!any)
            {
                if (!training) return null;
                correct[0].fill_(Scalars.True);
            }
            var m = TensorIndex.Tensor(correct);
            return (target.index([m]) - expectation[.., ..2].index([m])).pow(Scalars.Two).sum(-1).mean();
        }
        var std = expectation[.., 2];
        var inverseStd = std.clamp_min(MinStd).reciprocal(); // 1.0 / x
        var weight = (inverseStd / inverseStd.mean()).detach();
        if (!any)
        {
            if (!training) return null;
            correct[0].fill_(Scalars.True);
            using var zero = 0f.ToScalar();
            weight[0].fill_(zero);
        }
        var mask = TensorIndex.Tensor(correct);
        var offset = (target.index([mask]) - expectation[.., ..2].index([mask])).pow(Scalars.Two).sum(-1);
        return (offset * weight.index([mask])).mean();
    }
}
