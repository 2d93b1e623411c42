using Loftr;
using Loftr.Train;
using Loftr.Training;

if (args.Length > 0 && args[0] == "make-split")
    return MakeSplit.Run(args[1..]);

TrainArguments a;
try
{
    a = TrainArguments.Parse(args);
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(TrainArguments.Usage);
    return 2;
}
if (a.Help)
{
    Console.WriteLine(TrainArguments.Usage);
    return 0;
}

try
{
    LoftrConfig? config = a.ConfigFile is not null
        ? LoftrCheckpoint.ConfigFromJson(File.ReadAllText(a.ConfigFile))
        : a.Init is not null && !a.PresetGiven ? null : TrainingPresets.FromName(a.Preset);
    if (config is not null && a.Threshold is double thr)
        config = config with { CoarseMatching = config.CoarseMatching with { Threshold = thr } };
    if (config is not null && a.Dense)
        config = config with { CoarseMatching = config.CoarseMatching with { SparseSupervision = false } };

    ITrainingDataset data = a.Images is not null
        ? new HomographyFolderDataset(a.Images, a.Width, a.Height, a.Seed, a.Augmentation, a.ValCount,
            a.SplitFile is null ? null : HoldoutSplit.Load(a.SplitFile))
        : a.Dataset switch
        {
            "scannet" => ScanNetDataset.Open(
                a.DataRoot ?? throw new ArgumentException("--dataset scannet needs --data-root."),
                a.Index ?? throw new ArgumentException("--dataset scannet needs --index."),
                a.Intrinsics ?? throw new ArgumentException("--dataset scannet needs --intrinsics."),
                a.ValIndex, a.Seed, a.ValCount),
            "megadepth" => throw new ArgumentException("--dataset megadepth is not supported yet (its depth maps are HDF5); convert them or use --images."),
            _ => throw new ArgumentException($"Unknown dataset '{a.Dataset}' (scannet or megadepth)."),
        };

    var options = new TrainerOptions
    {
        OutputDirectory = a.Out!,
        Steps = a.Steps,
        BatchSize = a.Batch,
        Seed = a.Seed,
        LearningRate = a.Lr,
        WarmupSteps = a.Warmup,
        Milestones = a.Milestones ?? [3, 6, 9, 12],
        Gamma = a.Gamma,
        SchedulerInterval = a.Interval,
        WeightDecay = a.WeightDecay,
        GradientClipping = a.Clip,
        Precision = a.Precision,
        Threads = a.Threads,
        ValidationEvery = a.ValEvery,
        CheckpointEvery = a.CkptEvery,
        KeepCheckpoints = a.Keep,
        StopAfter = a.StopAfter,
        InitCheckpoint = a.Init,
        Resume = a.Resume,
        DepthConsistency = a.DepthConsistency,
        Loss = new LoftrLossConfig(CoarseType: a.CoarseLoss, FineType: a.FineLoss),
    };
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        Console.Error.WriteLine("stopping after the current step (a checkpoint is written; continue with --resume)...");
        cancel.Cancel();
    };
    using var trainer = new LoftrTrainer(config, data, options, Console.Out);
    var summary = trainer.Run(cancel.Token);
    if (!summary.Completed && summary.LastCheckpoint is not null)
        Console.WriteLine($"stopped at step {summary.StepsDone}; continue with --resume (checkpoint {summary.LastCheckpoint})");
    return 0;
}
catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or Loftr.IO.CheckpointFormatException or Loftr.IO.CheckpointMismatchException or InvalidDataException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
