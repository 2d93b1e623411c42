namespace Loftr.Training;

/// <summary>Numeric precision of the forward and backward passes.</summary>
public enum ComputePrecision
{
    /// <summary>Everything in float32.</summary>
    Float32,

    /// <summary>
    /// Convolutions and linear layers in bfloat16 with float32 master weights (updated by the optimizer); BatchNorm,
    /// LayerNorm, softmax, matching, coordinates and losses in float32. Only faster on CPUs with native bf16 (AVX512-BF16 / AMX).
    /// </summary>
    BFloat16,
}

/// <summary>Optimizer (<c>TRAINER.OPTIMIZER</c>).</summary>
public enum OptimizerType
{
    /// <summary>AdamW (decoupled weight decay, <c>ADAMW_DECAY</c> = 0.1).</summary>
    AdamW,

    /// <summary>Adam (L2 weight decay in the gradient, <c>ADAM_DECAY</c> = 0).</summary>
    Adam,
}

/// <summary>
/// Settings of <see cref="LoftrTrainer"/>. Defaults follow the reference trainer (<c>src/config/default.py</c>): AdamW
/// with weight decay 0.1, learning rate 6e-3 for a canonical batch of 64 scaled linearly with the batch size, linear
/// warm-up of 4800 canonical steps (scaled inversely), MultiStep decay by 0.5 at epochs 3, 6, 9, 12, gradient clipping
/// at norm 0.5.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Folder of logs, plots and checkpoints (created).</summary>
    public required string OutputDirectory { get; init; }
    /// <summary>Total number of optimizer steps.</summary>
    public long Steps { get; init; } = 1000;
    /// <summary>Pairs per step.</summary>
    public int BatchSize { get; init; } = 1;
    /// <summary>Seed of the window sampling (the dataset has its own seed for the data).</summary>
    public long Seed { get; init; } = 66;
    /// <summary>Optimizer.</summary>
    public OptimizerType Optimizer { get; init; } = OptimizerType.AdamW;
    /// <summary>Peak learning rate; null = <see cref="CanonicalLearningRate"/> * batch / <see cref="CanonicalBatchSize"/>.</summary>
    public double? LearningRate { get; init; }
    /// <summary>Reference learning rate for the canonical batch.</summary>
    public double CanonicalLearningRate { get; init; } = 6e-3;
    /// <summary>Canonical batch size of the reference.</summary>
    public int CanonicalBatchSize { get; init; } = 64;
    /// <summary>Weight decay; null = 0.1 for AdamW, 0 for Adam.</summary>
    public double? WeightDecay { get; init; }
    /// <summary>Warm-up steps; null = floor(4800 * canonical batch / batch) as the reference.</summary>
    public long? WarmupSteps { get; init; }
    /// <summary>Warm-up type.</summary>
    public WarmupType Warmup { get; init; } = WarmupType.Linear;
    /// <summary>Start of the linear warm-up as a fraction of the peak rate.</summary>
    public double WarmupRatio { get; init; }
    /// <summary>Scheduler after the warm-up.</summary>
    public SchedulerType Scheduler { get; init; } = SchedulerType.MultiStep;
    /// <summary>MultiStep milestones (in <see cref="SchedulerInterval"/> units).</summary>
    public IReadOnlyList<long> Milestones { get; init; } = [3, 6, 9, 12];
    /// <summary>MultiStep / exponential factor.</summary>
    public double Gamma { get; init; } = 0.5;
    /// <summary>Unit of the milestones.</summary>
    public SchedulerInterval SchedulerInterval { get; init; } = SchedulerInterval.Epoch;
    /// <summary>Steps per epoch; null = ceil(training items / batch).</summary>
    public long? StepsPerEpoch { get; init; }
    /// <summary>Largest gradient norm (0 = no clipping).</summary>
    public double GradientClipping { get; init; } = 0.5;
    /// <summary>Write a checkpoint every this many steps (and at the end).</summary>
    public int CheckpointEvery { get; init; } = 500;
    /// <summary>Number of step checkpoints kept (older ones are deleted).</summary>
    public int KeepCheckpoints { get; init; } = 2;
    /// <summary>Evaluate the held-out pairs every this many steps (and at the end); 0 = never.</summary>
    public int ValidationEvery { get; init; } = 100;
    /// <summary>Largest number of validation pairs used (null: all).</summary>
    public int? ValidationPairs { get; init; }
    /// <summary>Seconds between progress lines.</summary>
    public double ProgressSeconds { get; init; } = 10;
    /// <summary>Compute precision.</summary>
    public ComputePrecision Precision { get; init; } = ComputePrecision.Float32;
    /// <summary>Intra-op threads of libtorch.</summary>
    public int Threads { get; init; } = 2;
    /// <summary>Loss settings.</summary>
    public LoftrLossConfig Loss { get; init; } = new();
    /// <summary>Drop invalid depth warps from the ground truth (see <see cref="CoarseGroundTruth.Compute"/>).</summary>
    public bool DepthConsistency { get; init; }
    /// <summary>Checkpoint to fine-tune from (weights only), or null to start from the reference initialisation.</summary>
    public string? InitCheckpoint { get; init; }
    /// <summary>
    /// Start from <see cref="InitCheckpoint"/> even where the configuration differs from its architecture: tensors with
    /// the same name and shape are copied, the others keep their fresh initialisation (listed in the log). Needs an
    /// explicit configuration (a preset or a configuration file).
    /// </summary>
    public bool InitPartial { get; init; }
    /// <summary>Continue from the newest checkpoint in <see cref="OutputDirectory"/> (weights, optimizer, step).</summary>
    public bool Resume { get; init; }
    /// <summary>Batches loaded ahead on other threads.</summary>
    public int PrefetchBatches { get; init; } = 2;
    /// <summary>Stop after this many steps as if interrupted (writes a checkpoint first); for tests and time-boxed runs.</summary>
    public long? StopAfter { get; init; }
    /// <summary>
    /// Modules (state-dict names such as <c>loftr_coarse</c> or <c>backbone.layer3</c>) whose parameters are not trained:
    /// they get no gradient, and their BatchNorm layers run in evaluation mode (running statistics, not updated).
    /// </summary>
    public IReadOnlyList<string> Freeze { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> for impossible settings.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new ArgumentException("An output directory is required.");
        if (Steps <= 0) throw new ArgumentException($"Steps must be positive, got {Steps}.");
        if (BatchSize <= 0) throw new ArgumentException($"Batch size must be positive, got {BatchSize}.");
        if (CheckpointEvery <= 0) throw new ArgumentException($"CheckpointEvery must be positive, got {CheckpointEvery}.");
        if (ValidationEvery < 0) throw new ArgumentException($"ValidationEvery must not be negative, got {ValidationEvery}.");
        if (LearningRate is <= 0) throw new ArgumentException($"The learning rate must be positive, got {LearningRate}.");
        if (Threads <= 0) throw new ArgumentException($"Threads must be positive, got {Threads}.");
        if (InitCheckpoint is not null && !File.Exists(InitCheckpoint))
            throw new FileNotFoundException($"Checkpoint to fine-tune from not found: {InitCheckpoint}", InitCheckpoint);
        if (InitPartial && InitCheckpoint is null) throw new ArgumentException("A partial initialisation needs a checkpoint to start from.");
    }

    /// <summary>The peak learning rate after batch scaling.</summary>
    public double TrueLearningRate => LearningRate ?? CanonicalLearningRate * BatchSize / CanonicalBatchSize;

    /// <summary>The warm-up length after batch scaling.</summary>
    public long EffectiveWarmupSteps => WarmupSteps ?? (long)Math.Floor(4800.0 / ((double)BatchSize / CanonicalBatchSize));
}
