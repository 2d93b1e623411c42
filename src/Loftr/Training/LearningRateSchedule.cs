namespace Loftr.Training;

/// <summary>Warm-up at the start of training (<c>TRAINER.WARMUP_TYPE</c>).</summary>
public enum WarmupType
{
    /// <summary>lr = base + step / warmup_steps * (true_lr - base), base = warmup_ratio * true_lr.</summary>
    Linear,

    /// <summary>No warm-up change.</summary>
    Constant,
}

/// <summary>Learning-rate decay after the warm-up (<c>TRAINER.SCHEDULER</c>).</summary>
public enum SchedulerType
{
    /// <summary>Multiply by gamma at each milestone.</summary>
    MultiStep,

    /// <summary>Cosine annealing to 0 over <c>CosineTMax</c> intervals.</summary>
    CosineAnnealing,

    /// <summary>Multiply by gamma every interval.</summary>
    Exponential,
}

/// <summary>Whether scheduler milestones count epochs or optimizer steps (<c>TRAINER.SCHEDULER_INTERVAL</c>).</summary>
public enum SchedulerInterval
{
    /// <summary>Milestones are epochs.</summary>
    Epoch,

    /// <summary>Milestones are steps.</summary>
    Step,
}

/// <summary>
/// The reference learning-rate policy: a step-based warm-up (PL_LoFTR.optimizer_step overrides the rate while
/// global_step &lt; warmup_step), then the scheduler's rate (MultiStepLR by default: true_lr * gamma^(milestones
/// passed)). A pure function of the step, so resuming needs no scheduler state.
/// </summary>
/// <param name="TrueLearningRate">Peak rate (canonical_lr * batch / canonical_bs in the reference).</param>
/// <param name="WarmupSteps">Warm-up length in steps.</param>
/// <param name="Warmup">Warm-up type.</param>
/// <param name="WarmupRatio">Start of the linear warm-up as a fraction of the peak rate.</param>
/// <param name="Scheduler">Decay after the warm-up.</param>
/// <param name="Milestones">MultiStep milestones (in <paramref name="Interval"/> units).</param>
/// <param name="Gamma">MultiStep / exponential factor.</param>
/// <param name="Interval">Unit of the scheduler.</param>
/// <param name="StepsPerEpoch">Optimizer steps per epoch (for epoch intervals).</param>
/// <param name="CosineTMax">Cosine period in intervals.</param>
public sealed record LearningRateSchedule(
    double TrueLearningRate,
    long WarmupSteps,
    WarmupType Warmup = WarmupType.Linear,
    double WarmupRatio = 0.0,
    SchedulerType Scheduler = SchedulerType.MultiStep,
    IReadOnlyList<long>? Milestones = null,
    double Gamma = 0.5,
    SchedulerInterval Interval = SchedulerInterval.Epoch,
    long StepsPerEpoch = 1,
    double CosineTMax = 30)
{
    /// <summary>The rate used by the update at <paramref name="step"/> (0-based global step).</summary>
    public double At(long step)
    {
        if (Warmup == WarmupType.Linear && step < WarmupSteps)
        {
            double baseLr = WarmupRatio * TrueLearningRate;
            return baseLr + (double)step / WarmupSteps * Math.Abs(TrueLearningRate - baseLr);
        }
        long t = Interval == SchedulerInterval.Epoch ? step / Math.Max(1, StepsPerEpoch) : step;
        return Scheduler switch
        {
            SchedulerType.MultiStep => TrueLearningRate * Math.Pow(Gamma, (Milestones ?? [3, 6, 9, 12]).Count(m => m <= t)),
            SchedulerType.CosineAnnealing => TrueLearningRate * (1 + Math.Cos(Math.PI * t / CosineTMax)) / 2,
            SchedulerType.Exponential => TrueLearningRate * Math.Pow(Gamma, t),
            _ => throw new InvalidOperationException($"Unknown scheduler {Scheduler}"),
        };
    }
}
