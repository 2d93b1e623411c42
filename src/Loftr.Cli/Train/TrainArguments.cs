using System.Text.Json;
using Loftr.Cli.Input;
using Loftr.Training;

namespace Loftr.Cli.Train;

/// <summary>
/// The settings of <c>loftr train</c>: the defaults below, replaced by the values of <c>--recipe</c> when one is given,
/// replaced in turn by every option given on the command line. Builds the model configuration, the dataset and the
/// <see cref="TrainerOptions"/>.
/// </summary>
internal sealed class TrainArguments
{
    public string? Images { get; set; }
    public string? Dataset { get; set; }
    public string? DataRoot { get; set; }
    public string? Index { get; set; }
    public string? ValIndex { get; set; }
    public string? Intrinsics { get; set; }
    public int? LongSide { get; set; }
    public int? SamplesPerScene { get; set; }
    public string Preset { get; set; } = "small";
    /// <summary>A preset came from the recipe or the command line (so it wins over the configuration of --init).</summary>
    public bool PresetGiven { get; set; }
    /// <summary>--preset was typed (it conflicts with --config).</summary>
    public bool PresetOnCommandLine { get; set; }
    public string? ConfigFile { get; set; }
    public string? Init { get; set; }
    public double? Threshold { get; set; }
    public string? Out { get; set; }
    public long Steps { get; set; } = 1000;
    public bool Resume { get; set; }
    public int Width { get; set; } = 320;
    public int Height { get; set; } = 240;
    public int Batch { get; set; } = 1;
    public double? Lr { get; set; }
    public long? Warmup { get; set; }
    public long[]? Milestones { get; set; }
    public double Gamma { get; set; } = 0.5;
    public SchedulerInterval Interval { get; set; } = SchedulerInterval.Epoch;
    public double? WeightDecay { get; set; }
    public double Clip { get; set; } = 0.5;
    public ComputePrecision Precision { get; set; } = ComputePrecision.Float32;
    public int Threads { get; set; } = 2;
    public long Seed { get; set; } = 66;
    public int ValEvery { get; set; } = 100;
    public int? ValCount { get; set; }
    public int CkptEvery { get; set; } = 500;
    public int Keep { get; set; } = 2;
    public long? StopAfter { get; set; }
    public bool Dense { get; set; }
    public FineLossType FineLoss { get; set; } = FineLossType.L2WithStd;
    public CoarseLossType CoarseLoss { get; set; } = CoarseLossType.Focal;
    /// <summary>Weight of the fine loss (the recipe's <c>fineWeight</c>).</summary>
    public double FineWeight { get; set; } = 1.0;
    /// <summary>Modules not trained (the recipe's <c>freeze</c>).</summary>
    public IReadOnlyList<string> Freeze { get; set; } = [];

    /// <summary>The recipe's <c>initPartial</c>.</summary>
    public bool InitPartial { get; set; }
    public bool DepthConsistency { get; set; }
    public TrainingRecipe? Recipe { get; private set; }
    public string? SplitFile { get; set; }
    public HomographyAugmentation? Augmentation { get; private set; }

    /// <summary>Reads a recipe and takes every value of it (errors name the file and the value).</summary>
    public void ApplyRecipe(string path)
    {
        if (Directory.Exists(path)) throw CliException.Usage($"--recipe {path} is a folder; give the recipe's JSON file.");
        if (!File.Exists(path)) throw CliException.Usage($"--recipe file not found: {path}");
        var recipe = TrainingRecipe.Load(path); // InvalidDataException naming the file and the JSON problem
        CliException Bad(string what) => CliException.Usage($"recipe {path}: {what}");
        if (!TrainingPresets.Names.Contains(recipe.Preset, StringComparer.OrdinalIgnoreCase))
            throw Bad($"unknown preset '{recipe.Preset}'; valid presets: {string.Join(", ", TrainingPresets.Names)}.");
        if (!OptionValues.TryParseTrainingSize(recipe.Size, out var size))
            throw Bad($"size '{recipe.Size}' is not WxH with sides that are positive multiples of 8 (e.g. 320x240).");
        Recipe = recipe;
        Preset = recipe.Preset;
        PresetGiven = true;
        (Width, Height) = size;
        Batch = recipe.Batch;
        Steps = recipe.Steps;
        Lr = recipe.Lr;
        Warmup = recipe.Warmup;
        Milestones = recipe.Milestones;
        Gamma = recipe.Gamma;
        Interval = ParseInterval(recipe.Interval) ?? throw Bad($"interval '{recipe.Interval}' is not epoch or step.");
        WeightDecay = recipe.WeightDecay;
        Clip = recipe.Clip;
        Precision = ParsePrecision(recipe.Precision) ?? throw Bad($"precision '{recipe.Precision}' is not fp32 or bf16.");
        Threads = recipe.Threads;
        Seed = recipe.Seed;
        ValEvery = recipe.ValEvery;
        CkptEvery = recipe.CkptEvery;
        Keep = recipe.Keep;
        SplitFile = recipe.SplitPath;
        Augmentation = recipe.Augmentation.ToAugmentation();
        if (!(recipe.FineWeight > 0) || double.IsInfinity(recipe.FineWeight)) throw Bad($"fineWeight must be a positive number, got {recipe.FineWeight}.");
        FineWeight = recipe.FineWeight;
        if (recipe.Freeze is null) throw Bad("freeze must be a list of module names (e.g. [\"loftr_coarse\"]), not null.");
        if (recipe.Freeze.Any(string.IsNullOrWhiteSpace)) throw Bad("freeze lists an empty module name.");
        Freeze = recipe.Freeze;
        InitPartial = recipe.InitPartial;
    }

    /// <summary>Checks the combination of options and that the named files and folders exist (usage errors).</summary>
    public void Validate()
    {
        if ((Images is null) == (Dataset is null))
            throw CliException.Usage(Images is null ? "give the training data: --images DIR (a folder of photos) or --dataset scannet|megadepth."
                : "give either --images or --dataset, not both.");
        if (Images is not null && !Directory.Exists(Images)) throw CliException.Usage($"--images folder not found: {Images}");
        if (SplitFile is not null && Images is null)
            throw CliException.Usage("--split (or the recipe's split) applies to --images only.");
        if (SplitFile is not null && !File.Exists(SplitFile)) throw CliException.Usage($"--split file not found: {SplitFile}");
        if (ConfigFile is not null && PresetOnCommandLine) throw CliException.Usage("give --config or --preset, not both.");
        if (ConfigFile is not null && !File.Exists(ConfigFile)) throw CliException.Usage($"--config file not found: {ConfigFile}");
        if (Init is not null && !File.Exists(Init)) throw CliException.Usage($"--init checkpoint not found: {Init}");
        if (InitPartial && Init is null && !Resume)
            throw CliException.Usage("the recipe's initPartial starts from a checkpoint: give --init CKPT.");
        if (Dataset == "scannet")
        {
            foreach (var (value, option) in new[] { (DataRoot, "--data-root DIR"), (Index, "--index NPZ"), (Intrinsics, "--intrinsics NPZ") })
                if (value is null) throw CliException.Usage($"--dataset scannet needs {option}.");
        }
        if (Dataset == "megadepth")
        {
            foreach (var (value, option) in new[] { (DataRoot, "--data-root DIR"), (Index, "--index NPZ|DIR|LIST") })
                if (value is null) throw CliException.Usage($"--dataset megadepth needs {option}.");
            if (Intrinsics is not null) throw CliException.Usage("--intrinsics applies to --dataset scannet; MegaDepth scene infos carry their own.");
        }
        if (Dataset != "megadepth" && (LongSide is not null || SamplesPerScene is not null))
            throw CliException.Usage("--long-side and --samples-per-scene apply to --dataset megadepth only.");
        if (LongSide is int ls && (ls <= 0 || ls % 8 != 0)) throw CliException.Usage($"--long-side must be a positive multiple of 8, got {ls}.");
        if (SamplesPerScene is < 0) throw CliException.Usage($"--samples-per-scene must be 0 or more, got {SamplesPerScene}.");
        if (DataRoot is not null && !Directory.Exists(DataRoot)) throw CliException.Usage($"--data-root folder not found: {DataRoot}");
        foreach (var (value, option) in new[] { (Index, "--index"), (ValIndex, "--val-index"), (Intrinsics, "--intrinsics") })
            if (value is not null && !File.Exists(value) && !Directory.Exists(value)) throw CliException.Usage($"{option} not found: {value}");
        if (Out is not null && File.Exists(Out)) throw CliException.Usage($"--out {Out} is a file; give a folder.");
    }

    /// <summary>The model configuration: --config, else the preset (none when fine-tuning with --init and no preset).</summary>
    public LoftrConfig? Config()
    {
        LoftrConfig? config;
        if (ConfigFile is not null)
        {
            try
            {
                config = LoftrCheckpoint.ConfigFromJson(File.ReadAllText(ConfigFile));
            }
            catch (JsonException e)
            {
                throw CliException.Usage($"--config {ConfigFile}: not a LoFTR configuration ({e.Message}).");
            }
        }
        else
        {
            config = Init is not null && !PresetGiven ? null : TrainingPresets.FromName(Preset);
        }
        if (config is not null && Threshold is double thr)
            config = config with { CoarseMatching = config.CoarseMatching with { Threshold = thr } };
        if (config is not null && Dense)
            config = config with { CoarseMatching = config.CoarseMatching with { SparseSupervision = false } };
        return config;
    }

    /// <summary>The training data.</summary>
    public ITrainingDataset CreateDataset()
    {
        if (Images is not null)
        {
            HoldoutSplit? split = SplitFile is null ? null : HoldoutSplit.Load(SplitFile);
            try
            {
                return new HomographyFolderDataset(Images, Width, Height, Seed, Augmentation, ValCount, split);
            }
            catch (ArgumentException e) when (split is not null && e.Message.Contains("held-out split", StringComparison.Ordinal))
            {
                throw CliException.Usage($"{e.Message} The split is {SplitFile}; make one for this folder with " +
                    "'loftr train make-split --images DIR --out split.json' and pass it with --split.");
            }
        }
        if (Dataset == "megadepth")
            return MegaDepthDataset.Open(DataRoot!, Index!, ValIndex, LongSide ?? 640, Seed, ValCount, samplesPerScene: SamplesPerScene ?? 200);
        return ScanNetDataset.Open(DataRoot!, Index!, Intrinsics!, ValIndex, Seed, ValCount);
    }

    /// <summary>The trainer settings.</summary>
    public TrainerOptions TrainerOptions() => new()
    {
        OutputDirectory = Out!,
        Steps = Steps,
        BatchSize = Batch,
        Seed = Seed,
        LearningRate = Lr,
        WarmupSteps = Warmup,
        Milestones = Milestones ?? [3, 6, 9, 12],
        Gamma = Gamma,
        SchedulerInterval = Interval,
        WeightDecay = WeightDecay,
        GradientClipping = Clip,
        Precision = Precision,
        Threads = Threads,
        ValidationEvery = ValEvery,
        CheckpointEvery = CkptEvery,
        KeepCheckpoints = Keep,
        StopAfter = StopAfter,
        InitCheckpoint = Init,
        Resume = Resume,
        DepthConsistency = DepthConsistency,
        Freeze = Freeze,
        InitPartial = InitPartial,
        Loss = new LoftrLossConfig(CoarseType: CoarseLoss, FineType: FineLoss, FineWeight: FineWeight),
    };

    /// <summary>"epoch" or "step".</summary>
    public static SchedulerInterval? ParseInterval(string text) => text.ToLowerInvariant() switch
    {
        "epoch" => SchedulerInterval.Epoch,
        "step" => SchedulerInterval.Step,
        _ => null,
    };

    /// <summary>"fp32" (float32) or "bf16" (bfloat16).</summary>
    public static ComputePrecision? ParsePrecision(string text) => text.ToLowerInvariant() switch
    {
        "fp32" or "float32" => ComputePrecision.Float32,
        "bf16" or "bfloat16" => ComputePrecision.BFloat16,
        _ => null,
    };

    /// <summary>"l2" or "l2_with_std".</summary>
    public static FineLossType? ParseFineLoss(string text) => text.ToLowerInvariant() switch
    {
        "l2" => FineLossType.L2,
        "l2_with_std" => FineLossType.L2WithStd,
        _ => null,
    };

    /// <summary>"focal" or "cross_entropy" ("ce").</summary>
    public static CoarseLossType? ParseCoarseLoss(string text) => text.ToLowerInvariant() switch
    {
        "focal" => CoarseLossType.Focal,
        "cross_entropy" or "ce" => CoarseLossType.CrossEntropy,
        _ => null,
    };
}
