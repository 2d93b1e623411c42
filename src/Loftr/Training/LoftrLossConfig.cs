namespace Loftr.Training;

/// <summary>Coarse-level loss (<c>LOSS.COARSE_TYPE</c>).</summary>
public enum CoarseLossType
{
    /// <summary>Focal loss (Lin et al.) on the confidence matrix.</summary>
    Focal,

    /// <summary>Binary cross-entropy on every entry (dense supervision only).</summary>
    CrossEntropy,
}

/// <summary>Fine-level loss (<c>LOSS.FINE_TYPE</c>).</summary>
public enum FineLossType
{
    /// <summary>L2 of the expected offset, each window weighted by its inverse standard deviation (normalised).</summary>
    L2WithStd,

    /// <summary>Plain L2 of the expected offset.</summary>
    L2,
}

/// <summary>
/// Loss settings (<c>LOFTR.LOSS</c> of the reference config; defaults = reference defaults). Sparse or dense coarse
/// supervision and the matching type come from <see cref="CoarseMatchingConfig"/>.
/// </summary>
/// <param name="CoarseType">Focal or cross-entropy.</param>
/// <param name="CoarseWeight">Weight of the coarse loss in the total.</param>
/// <param name="FocalAlpha">Focal alpha.</param>
/// <param name="FocalGamma">Focal gamma.</param>
/// <param name="PosWeight">Weight of the positive (ground-truth match) terms.</param>
/// <param name="NegWeight">Weight of the negative terms (dense supervision, or Sinkhorn dustbins in sparse supervision).</param>
/// <param name="FineType">L2 with std weighting or plain L2.</param>
/// <param name="FineWeight">Weight of the fine loss in the total.</param>
/// <param name="FineCorrectThreshold">Windows whose target lies farther than this (max norm, window units) are not supervised.</param>
public sealed record LoftrLossConfig(
    CoarseLossType CoarseType = CoarseLossType.Focal,
    double CoarseWeight = 1.0,
    double FocalAlpha = 0.25,
    double FocalGamma = 2.0,
    double PosWeight = 1.0,
    double NegWeight = 1.0,
    FineLossType FineType = FineLossType.L2WithStd,
    double FineWeight = 1.0,
    double FineCorrectThreshold = 1.0);
