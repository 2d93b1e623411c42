using System.CommandLine;
using Loftr.Cli.Input;
using Loftr.Cli.Train;
using Loftr.Training;

namespace Loftr.Cli.Commands;

/// <summary>
/// <c>loftr train --recipe FILE --images DIR --out DIR [--resume]</c>: trains or fine-tunes LoFTR with
/// <see cref="LoftrTrainer"/> (homography self-supervision from a folder of photos, or ScanNet depth + pose).
/// Ctrl-C stops after the current step and writes a checkpoint (exit 130); <c>--resume</c> continues exactly.
/// Subcommand: <c>make-split</c>.
/// </summary>
public static class TrainCommand
{
    private const string Details = """
        Values: the defaults shown, replaced by the recipe's (--recipe), replaced by every option given on the command line.
        A recipe (recipes/default/recipe.json) also holds the view and photometric augmentation ranges and a fixed held-out
        split (its "split" file, relative to the recipe; --split replaces it, 'loftr train make-split' draws one).

        Output folder (--out): train_log.csv, val_log.csv, loss_curves.png, run.json, checkpoints/step_NNNNNNN.ckpt (the
        newest --keep) and, at the end, model.ckpt (weights + configuration: 'loftr match --weights model.ckpt').
        Ctrl-C stops after the current step and writes a checkpoint (exit code 130); run the same command with --resume
        to continue: every random choice is derived from (seed, step), so the result equals an uninterrupted run.

        Examples:
          loftr train --recipe recipes/default/recipe.json --images photos/ --out runs/default      (add --resume to continue)
          loftr train --images photos/ --preset small --size 320x240 --steps 200 --batch 2 --lr 5e-4 --warmup 20 --out runs/h200
          loftr train --images photos/ --init outdoor_ds.ckpt --preset outdoor_ds --steps 500 --out runs/finetune
        """;

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        // Recipe and data.
        var recipe = new Option<string?>("--recipe") { Description = "Training recipe (JSON, see recipes/default/recipe.json); the options below override it.", HelpName = "FILE" };
        var split = new Option<string?>("--split") { Description = "Fixed held-out split for --images (JSON: validation and test file names); replaces the recipe's.", HelpName = "FILE" };
        var images = new Option<string?>("--images") { Description = "Folder of photos: homography self-supervision (random views of each photo with photometric changes).", HelpName = "DIR" };
        var dataset = new Option<string?>("--dataset") { Description = "Depth + pose data instead of --images: scannet (needs --data-root, --index, --intrinsics) or megadepth (needs --data-root, --index; depth maps in HDF5).", HelpName = "NAME" };
        OptionValues.OneOf(dataset, "scannet", "megadepth");
        var dataRoot = new Option<string?>("--data-root") { Description = "ScanNet root (sceneXXXX_XX/color, depth, pose), or the MegaDepth root the scene-info paths are relative to.", HelpName = "DIR" };
        var index = new Option<string?>("--index") { Description = "ScanNet scene index (LoFTR's npz: name [P, 4], optional score), or MegaDepth scene info (an npz, a folder of them or a list file of npz names).", HelpName = "NPZ" };
        var valIndex = new Option<string?>("--val-index") { Description = "Validation index / scene info in the same form (default: pairs held out of --index).", HelpName = "NPZ" };
        var longSide = new Option<int?>("--long-side") { Description = "MegaDepth: long side of the resized images, then padded to a square (default 640; the reference's outdoor models use 840).", HelpName = "N" };
        var samplesPerScene = new Option<int?>("--samples-per-scene") { Description = "MegaDepth: pairs drawn from each scene per epoch, as the reference (default 200; 0: every pair once).", HelpName = "N" };
        var intrinsics = new Option<string?>("--intrinsics") { Description = "ScanNet intrinsics (npz: scene -> K).", HelpName = "NPZ" };

        // Model.
        var preset = new Option<string?>("--preset") { Description = $"Model configuration: {string.Join(", ", TrainingPresets.Names)} (default small, 0.56 M parameters).", HelpName = "NAME" };
        OptionValues.OneOf(preset, [.. TrainingPresets.Names]);
        var config = new Option<string?>("--config") { Description = "Model configuration JSON (the 'loftr_config' format of our checkpoints) instead of --preset.", HelpName = "FILE" };
        var init = new Option<string?>("--init") { Description = "Fine-tune from a checkpoint (released .ckpt or ours); its configuration is used unless --preset/--config/--recipe gives one.", HelpName = "CKPT" };
        var threshold = new Option<double?>("--threshold") { Description = "Coarse match threshold (default: the configuration's).", HelpName = "T", CustomParser = r => OptionValues.Number(r, 0, 1) };

        // Run.
        var output = new Option<string?>("--out", "-o") { Description = "Output folder: logs, loss_curves.png, checkpoints/, model.ckpt.", HelpName = "DIR", Required = true };
        var steps = new Option<long?>("--steps") { Description = "Optimizer steps (default 1000).", HelpName = "N", CustomParser = r => OptionValues.Integer(r, 1) };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in --out (weights, optimizer, step, logs)." };
        var size = new Option<(int Width, int Height)?>("--size") { Description = "Network input size of the training pairs for --images (default 320x240; multiples of 8).", HelpName = "WxH", CustomParser = OptionValues.TrainingSize };
        var batch = new Option<int?>("--batch") { Description = "Pairs per step (default 1).", HelpName = "N", CustomParser = r => OptionValues.Int(r, 1) };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (default 6e-3 * batch / 64, as the reference).", HelpName = "X", CustomParser = r => OptionValues.Number(r, 0, minExclusive: true) };
        var warmup = new Option<long?>("--warmup") { Description = "Linear warm-up steps (default 4800 * 64 / batch, as the reference).", HelpName = "N", CustomParser = r => OptionValues.Integer(r, 0) };
        var milestones = new Option<long[]?>("--milestones") { Description = "MultiStep decay milestones, in --interval units (default 3,6,9,12).", HelpName = "A,B,...", CustomParser = OptionValues.IntegerList };
        var gamma = new Option<double?>("--gamma") { Description = "MultiStep decay factor (default 0.5).", HelpName = "G", CustomParser = r => OptionValues.Number(r, 0, minExclusive: true) };
        var interval = new Option<string?>("--interval") { Description = "Unit of the milestones: epoch (default) or step.", HelpName = "UNIT" };
        OptionValues.OneOf(interval, "epoch", "step");
        var weightDecay = new Option<double?>("--weight-decay") { Description = "AdamW weight decay (default 0.1).", HelpName = "X", CustomParser = r => OptionValues.Number(r, 0) };
        var clip = new Option<double?>("--clip") { Description = "Gradient-norm clipping (default 0.5, 0 = off).", HelpName = "X", CustomParser = r => OptionValues.Number(r, 0) };
        var precision = new Option<string?>("--precision") { Description = "Compute precision: fp32 (default) or bf16 (float32 master weights; only faster on CPUs with AMX/AVX512-BF16).", HelpName = "P" };
        OptionValues.OneOf(precision, "fp32", "bf16", "float32", "bfloat16");
        var threads = new Option<int?>("--threads") { Description = "libtorch threads (default 2; 1 is fastest on a machine shared with other jobs).", HelpName = "N", CustomParser = r => OptionValues.Int(r, 1) };
        var seed = new Option<long?>("--seed") { Description = "Seed of the data and the sampling (default 66).", HelpName = "N", CustomParser = OptionValues.AnyInteger };
        var valEvery = new Option<int?>("--val-every") { Description = "Validation interval in steps (default 100, 0 = off).", HelpName = "N", CustomParser = r => OptionValues.Int(r, 0) };
        var valCount = new Option<int?>("--val-count") { Description = "Held-out photos used for validation (default 5 %, without a split).", HelpName = "N", CustomParser = r => OptionValues.Int(r, 1) };
        var ckptEvery = new Option<int?>("--ckpt-every") { Description = "Checkpoint interval in steps (default 500; one is also written at the end and on Ctrl-C).", HelpName = "N", CustomParser = r => OptionValues.Int(r, 1) };
        var keep = new Option<int?>("--keep") { Description = "Step checkpoints kept (default 2).", HelpName = "N", CustomParser = r => OptionValues.Int(r, 1) };
        var stopAfter = new Option<long?>("--stop-after") { Description = "Stop after N steps as if interrupted (checkpoint written; continue later with --resume); exit code 0.", HelpName = "N", CustomParser = r => OptionValues.Integer(r, 1) };
        var dense = new Option<bool>("--dense") { Description = "Dense coarse supervision (default sparse)." };
        var fineLoss = new Option<string?>("--fine-loss") { Description = "l2_with_std (default) or l2.", HelpName = "TYPE" };
        OptionValues.OneOf(fineLoss, "l2_with_std", "l2");
        var coarseLoss = new Option<string?>("--coarse-loss") { Description = "focal (default) or cross_entropy.", HelpName = "TYPE" };
        OptionValues.OneOf(coarseLoss, "focal", "cross_entropy", "ce");
        var depthConsistency = new Option<bool>("--depth-consistency") { Description = "Drop invalid depth warps from the ground truth (depth datasets)." };

        var command = new DetailedCommand("train",
            "Train or fine-tune LoFTR: homography self-supervision from a folder of photos (--images), or depth + pose data (--dataset " +
            "scannet|megadepth). Writes logs, loss curves and checkpoints to --out; Ctrl-C stops after the current step with a checkpoint, " +
            "--resume continues.", Details);
        foreach (var o in new Option[] { recipe, split, images, dataset, dataRoot, index, valIndex, intrinsics, longSide, samplesPerScene, preset, config, init, threshold,
                     output, steps, resume, size, batch, lr, warmup, milestones, gamma, interval, weightDecay, clip, precision, threads, seed,
                     valEvery, valCount, ckptEvery, keep, stopAfter, dense, fineLoss, coarseLoss, depthConsistency })
            command.Options.Add(o);
        command.Subcommands.Add(MakeSplitCommand.Create(context));

        command.SetAction(p =>
        {
            var a = new TrainArguments();
            if (p.GetValue(recipe) is { } recipePath) a.ApplyRecipe(recipePath);
            if (p.GetValue(split) is { } s) a.SplitFile = s;
            a.Images = p.GetValue(images);
            a.Dataset = p.GetValue(dataset)?.ToLowerInvariant();
            a.DataRoot = p.GetValue(dataRoot);
            a.Index = p.GetValue(index);
            a.ValIndex = p.GetValue(valIndex);
            a.Intrinsics = p.GetValue(intrinsics);
            a.LongSide = p.GetValue(longSide);
            a.SamplesPerScene = p.GetValue(samplesPerScene);
            if (p.GetValue(preset) is { } pr)
            {
                a.Preset = pr.ToLowerInvariant();
                a.PresetGiven = a.PresetOnCommandLine = true;
            }
            a.ConfigFile = p.GetValue(config);
            a.Init = p.GetValue(init);
            a.Threshold = p.GetValue(threshold);
            a.Out = p.GetValue(output);
            if (p.GetValue(steps) is { } st) a.Steps = st;
            a.Resume = p.GetValue(resume);
            if (p.GetValue(size) is { } sz) (a.Width, a.Height) = sz;
            if (p.GetValue(batch) is { } b) a.Batch = b;
            if (p.GetValue(lr) is { } l) a.Lr = l;
            if (p.GetValue(warmup) is { } w) a.Warmup = w;
            if (p.GetValue(milestones) is { Length: > 0 } m) a.Milestones = m; // not given: an empty array, not null
            if (p.GetValue(gamma) is { } g) a.Gamma = g;
            if (p.GetValue(interval) is { } iv) a.Interval = TrainArguments.ParseInterval(iv)!.Value;
            if (p.GetValue(weightDecay) is { } wd) a.WeightDecay = wd;
            if (p.GetValue(clip) is { } c) a.Clip = c;
            if (p.GetValue(precision) is { } pc) a.Precision = TrainArguments.ParsePrecision(pc)!.Value;
            if (p.GetValue(threads) is { } t) a.Threads = t;
            if (p.GetValue(seed) is { } sd) a.Seed = sd;
            if (p.GetValue(valEvery) is { } ve) a.ValEvery = ve;
            a.ValCount = p.GetValue(valCount) ?? a.ValCount;
            if (p.GetValue(ckptEvery) is { } ce) a.CkptEvery = ce;
            if (p.GetValue(keep) is { } k) a.Keep = k;
            a.StopAfter = p.GetValue(stopAfter);
            a.Dense = p.GetValue(dense);
            if (p.GetValue(fineLoss) is { } fl) a.FineLoss = TrainArguments.ParseFineLoss(fl)!.Value;
            if (p.GetValue(coarseLoss) is { } cl) a.CoarseLoss = TrainArguments.ParseCoarseLoss(cl)!.Value;
            a.DepthConsistency = p.GetValue(depthConsistency);
            return Run(context, a);
        });
        return command;
    }

    private static int Run(CliContext context, TrainArguments a)
    {
        a.Validate();
        var config = a.Config();
        var data = a.CreateDataset();
        var options = a.TrainerOptions();
        context.Cancellation.ThrowIfCancellationRequested();

        using var stopping = context.Cancellation.Register(() =>
            context.Err.WriteLine("stopping after the current step (a checkpoint is written; continue with --resume)..."));
        using var trainer = new LoftrTrainer(config, data, options, context.Out);
        var summary = trainer.Run(context.Cancellation);
        if (summary.Completed) return ExitCodes.Ok;

        if (summary.LastCheckpoint is not null)
            context.Out.WriteLine($"stopped at step {summary.StepsDone} of {options.Steps}; continue with --resume (checkpoint {summary.LastCheckpoint})");
        if (!context.Cancellation.IsCancellationRequested) return ExitCodes.Ok; // --stop-after: stopped as asked
        context.Err.WriteLine($"error: interrupted at step {summary.StepsDone}; run the same command with --resume to continue.");
        return ExitCodes.Interrupted;
    }
}
