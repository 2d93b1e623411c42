using System.Globalization;
using Loftr.Training;

namespace Loftr.Train;

/// <summary>Command-line arguments of loftr-train.</summary>
internal sealed class TrainArguments
{
    public const string Usage = """
        loftr-train: train or fine-tune LoFTR.

        Recipe:
          --recipe FILE             a training recipe (JSON, see recipes/default/recipe.json); every option below overrides it
          --split FILE              fixed held-out split for --images (JSON: validation and test file names)
        Data (one of):
          --images DIR              folder of photos: homography self-supervision (random views + photometric changes)
          --dataset scannet         ScanNet layout: --data-root DIR (scene*/color, depth, pose), --index NPZ (LoFTR scene index),
                                    --intrinsics NPZ (scene -> K); --val-index NPZ optional
        Model:
          --preset NAME             small (default), indoor_ds_new, indoor_ds, indoor_ot, outdoor_ds, outdoor_ot
          --config FILE             configuration JSON (the 'loftr_config' format of our checkpoints)
          --init CKPT               fine-tune from a checkpoint (released .ckpt or ours); its config is used unless given
          --threshold X             coarse match threshold (default from the config)
        Run:
          --out DIR                 output folder (logs, loss_curves.png, checkpoints/, model.ckpt)   [required]
          --steps N                 optimizer steps (default 1000)
          --resume                  continue from the newest checkpoint in --out
          --size WxH                network input size for --images (default 320x240)
          --batch N                 pairs per step (default 1)
          --lr X                    peak learning rate (default 6e-3 * batch / 64, as the reference)
          --warmup N                warm-up steps (default 4800 * 64 / batch, as the reference)
          --milestones A,B,...      MultiStep milestones (default 3,6,9,12)   --gamma G (default 0.5)
          --interval epoch|step     unit of the milestones (default epoch)
          --weight-decay X          (default 0.1)   --clip X gradient-norm clipping (default 0.5, 0 = off)
          --precision fp32|bf16     compute precision (default fp32)
          --threads N               libtorch threads (default 2)
          --seed N                  seed of data and sampling (default 66)
          --val-every N             validation interval (default 100, 0 = off)   --val-count N held-out photos
          --ckpt-every N            checkpoint interval (default 500)   --keep N checkpoints kept (default 2)
          --stop-after N            stop after N steps (as if interrupted; resume later with --resume)
          --dense                   dense coarse supervision   --fine-loss l2|l2_with_std   --coarse-loss focal|cross_entropy
          --depth-consistency       drop invalid depth warps from the ground truth (depth datasets)
        """;

    public string? Images { get; private set; }
    public string? Dataset { get; private set; }
    public string? DataRoot { get; private set; }
    public string? Index { get; private set; }
    public string? ValIndex { get; private set; }
    public string? Intrinsics { get; private set; }
    public string Preset { get; private set; } = "small";
    public bool PresetGiven { get; private set; }
    public string? ConfigFile { get; private set; }
    public string? Init { get; private set; }
    public double? Threshold { get; private set; }
    public string? Out { get; private set; }
    public long Steps { get; private set; } = 1000;
    public bool Resume { get; private set; }
    public int Width { get; private set; } = 320;
    public int Height { get; private set; } = 240;
    public int Batch { get; private set; } = 1;
    public double? Lr { get; private set; }
    public long? Warmup { get; private set; }
    public long[]? Milestones { get; private set; }
    public double Gamma { get; private set; } = 0.5;
    public SchedulerInterval Interval { get; private set; } = SchedulerInterval.Epoch;
    public double? WeightDecay { get; private set; }
    public double Clip { get; private set; } = 0.5;
    public ComputePrecision Precision { get; private set; } = ComputePrecision.Float32;
    public int Threads { get; private set; } = 2;
    public long Seed { get; private set; } = 66;
    public int ValEvery { get; private set; } = 100;
    public int? ValCount { get; private set; }
    public int CkptEvery { get; private set; } = 500;
    public int Keep { get; private set; } = 2;
    public long? StopAfter { get; private set; }
    public bool Dense { get; private set; }
    public FineLossType FineLoss { get; private set; } = FineLossType.L2WithStd;
    public CoarseLossType CoarseLoss { get; private set; } = CoarseLossType.Focal;
    public bool DepthConsistency { get; private set; }
    public bool Help { get; private set; }
    public TrainingRecipe? Recipe { get; private set; }
    public string? SplitFile { get; private set; }
    public HomographyAugmentation? Augmentation { get; private set; }

    public static TrainArguments Parse(string[] args)
    {
        var a = new TrainArguments();
        int r = Array.IndexOf(args, "--recipe");
        if (r >= 0)
        {
            if (r + 1 >= args.Length) throw new ArgumentException("--recipe needs a value.");
            a.Apply(TrainingRecipe.Load(args[r + 1]));
        }
        for (int i = 0; i < args.Length; i++)
        {
            string key = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{key} needs a value.");
            long Long() => long.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : throw new ArgumentException($"{key}: '{args[i]}' is not an integer.");
            int Int() => checked((int)Long());
            double Double() => double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : throw new ArgumentException($"{key}: '{args[i]}' is not a number.");
            switch (key)
            {
                case "-h" or "--help": a.Help = true; break;
                case "--recipe": Value(); break;
                case "--split": a.SplitFile = Value(); break;
                case "--images": a.Images = Value(); break;
                case "--dataset": a.Dataset = Value().ToLowerInvariant(); break;
                case "--data-root": a.DataRoot = Value(); break;
                case "--index": a.Index = Value(); break;
                case "--val-index": a.ValIndex = Value(); break;
                case "--intrinsics": a.Intrinsics = Value(); break;
                case "--preset": a.Preset = Value(); a.PresetGiven = true; break;
                case "--config": a.ConfigFile = Value(); break;
                case "--init": a.Init = Value(); break;
                case "--threshold": a.Threshold = Double(); break;
                case "--out": a.Out = Value(); break;
                case "--steps": a.Steps = Long(); break;
                case "--resume": a.Resume = true; break;
                case "--size": (a.Width, a.Height) = ParseSize(Value()); break;
                case "--batch": a.Batch = Int(); break;
                case "--lr": a.Lr = Double(); break;
                case "--warmup": a.Warmup = Long(); break;
                case "--milestones":
                    a.Milestones = Value().Split(',', StringSplitOptions.RemoveEmptyEntries)
                        .Select(s => long.TryParse(s, CultureInfo.InvariantCulture, out long v) ? v : throw new ArgumentException($"--milestones: '{s}' is not an integer.")).ToArray();
                    break;
                case "--gamma": a.Gamma = Double(); break;
                case "--interval": a.Interval = ParseInterval(Value()); break;
                case "--weight-decay": a.WeightDecay = Double(); break;
                case "--clip": a.Clip = Double(); break;
                case "--precision": a.Precision = ParsePrecision(Value()); break;
                case "--threads": a.Threads = Int(); break;
                case "--seed": a.Seed = Long(); break;
                case "--val-every": a.ValEvery = Int(); break;
                case "--val-count": a.ValCount = Int(); break;
                case "--ckpt-every": a.CkptEvery = Int(); break;
                case "--keep": a.Keep = Int(); break;
                case "--stop-after": a.StopAfter = Long(); break;
                case "--dense": a.Dense = true; break;
                case "--fine-loss":
                    a.FineLoss = Value().ToLowerInvariant() switch
                    {
                        "l2" => FineLossType.L2,
                        "l2_with_std" => FineLossType.L2WithStd,
                        var s => throw new ArgumentException($"--fine-loss: expected l2 or l2_with_std, got '{s}'."),
                    };
                    break;
                case "--coarse-loss":
                    a.CoarseLoss = Value().ToLowerInvariant() switch
                    {
                        "focal" => CoarseLossType.Focal,
                        "cross_entropy" or "ce" => CoarseLossType.CrossEntropy,
                        var s => throw new ArgumentException($"--coarse-loss: expected focal or cross_entropy, got '{s}'."),
                    };
                    break;
                case "--depth-consistency": a.DepthConsistency = true; break;
                default: throw new ArgumentException($"Unknown argument '{key}' (see --help).");
            }
        }
        if (a.Help) return a;
        if (a.SplitFile is not null && a.Images is null) throw new ArgumentException("--split applies to --images only.");
        if (a.Out is null) throw new ArgumentException("--out DIR is required.");
        if ((a.Images is null) == (a.Dataset is null)) throw new ArgumentException("Give exactly one of --images DIR or --dataset NAME.");
        if (a.ConfigFile is not null && a.PresetGiven) throw new ArgumentException("Give --config or --preset, not both.");
        return a;
    }

    /// <summary>Takes every value of the recipe as a default.</summary>
    private void Apply(TrainingRecipe recipe)
    {
        Recipe = recipe;
        Preset = recipe.Preset;
        PresetGiven = true;
        (Width, Height) = ParseSize(recipe.Size);
        Batch = recipe.Batch;
        Steps = recipe.Steps;
        Lr = recipe.Lr;
        Warmup = recipe.Warmup;
        Milestones = recipe.Milestones;
        Gamma = recipe.Gamma;
        Interval = ParseInterval(recipe.Interval);
        WeightDecay = recipe.WeightDecay;
        Clip = recipe.Clip;
        Precision = ParsePrecision(recipe.Precision);
        Threads = recipe.Threads;
        Seed = recipe.Seed;
        ValEvery = recipe.ValEvery;
        CkptEvery = recipe.CkptEvery;
        Keep = recipe.Keep;
        SplitFile = recipe.SplitPath;
        Augmentation = recipe.Augmentation.ToAugmentation();
    }

    private static (int W, int H) ParseSize(string text)
    {
        var parts = text.ToLowerInvariant().Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out int w) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int h))
            throw new ArgumentException($"--size: expected WxH (e.g. 320x240), got '{text}'.");
        return (w, h);
    }

    private static SchedulerInterval ParseInterval(string text) => text.ToLowerInvariant() switch
    {
        "epoch" => SchedulerInterval.Epoch,
        "step" => SchedulerInterval.Step,
        var s => throw new ArgumentException($"--interval: expected epoch or step, got '{s}'."),
    };

    private static ComputePrecision ParsePrecision(string text) => text.ToLowerInvariant() switch
    {
        "fp32" or "float32" => ComputePrecision.Float32,
        "bf16" or "bfloat16" => ComputePrecision.BFloat16,
        var s => throw new ArgumentException($"--precision: expected fp32 or bf16, got '{s}'."),
    };
}
