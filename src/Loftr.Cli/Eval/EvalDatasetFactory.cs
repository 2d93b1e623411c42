using Loftr.Evaluation;

namespace Loftr.Eval;

/// <summary>Builds the dataset named by <see cref="EvalCommandOptions"/> with its protocol's defaults and the option overrides.</summary>
public static class EvalDatasetFactory
{
    /// <summary>Creates a <see cref="PoseDataset"/>, <see cref="HomographyDataset"/> or <see cref="StereoDataset"/>.</summary>
    /// <param name="o">Validated options.</param>
    /// <returns>The dataset, limited to <see cref="EvalCommandOptions.MaxPairs"/>.</returns>
    public static object Create(EvalCommandOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        switch (o.Dataset)
        {
            case "scannet":
            {
                var resize = Resize(o, EvalResize.ScanNet);
                if (resize.TargetSize(new ImageSize(1296, 968)) != new ImageSize(640, 480))
                    throw new EvalUsageException("--dataset scannet uses 640x480 images (its K belongs to that size); drop --resize.");
                string root = o.DataRoot!;
                var d = ScanNetReader.Read(o.ScanNetNpz ?? Path.Combine(root, "test.npz"), o.ScanNetIntrinsics ?? Path.Combine(root, "intrinsics.npz"), root);
                return (d with { Resize = resize }).Take(o.MaxPairs);
            }
            case "megadepth":
                return MegaDepthReader.Read(o.SceneInfo!, o.DataRoot!, Resize(o, EvalResize.MegaDepth), o.MinOverlap).Take(o.MaxPairs);
            case "pairs":
            {
                var d = PoseDataset.FromPairsFile(o.PairsFile!, o.DataRoot, Resize(o, EvalResize.None));
                if (o.EpipolarThreshold is double e) d = d with { EpipolarThreshold = e };
                return d.Take(o.MaxPairs);
            }
            case "hpatches":
                return HomographyDataset.FromHPatches(o.DataRoot!, Resize(o, EvalResize.HPatches), o.IncludeExcluded).Take(o.MaxPairs);
            case "homography-pair":
                return HomographyDataset.FromHomographyPair(o.Image0!, o.Image1!, o.HomographyFile!, Resize(o, EvalResize.None));
            case "photos":
                return PhotoPairs(o).ToDataset(Resize(o, EvalResize.None), o.MaxPairs);
            case "stereo":
            {
                var d = StereoDataset.FromFolder(o.DataRoot!, Resize(o, EvalResize.None), o.DisparityScale);
                return d with { Pairs = o.MaxPairs is int n ? d.Pairs.Take(n).ToList() : d.Pairs };
            }
            default:
                throw new EvalUsageException($"Unknown dataset '{o.Dataset}'.");
        }
    }

    /// <summary>
    /// The synthetic pairs of <c>--dataset photos</c>: the <c>test</c> photos of <c>--split</c> (default: the recipe's
    /// split), made with the recipe's augmentation ranges when <c>--recipe</c> is given, else with
    /// <see cref="PhotoHomographyPairs.TestAugmentation"/>.
    /// </summary>
    /// <param name="o">Validated options.</param>
    /// <returns>The pair maker.</returns>
    public static PhotoHomographyPairs PhotoPairs(EvalCommandOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var recipe = o.Recipe is null ? null : Loftr.Training.TrainingRecipe.Load(o.Recipe);
        string splitPath = o.Split ?? recipe?.SplitPath
            ?? throw new EvalUsageException($"--dataset photos: the recipe {o.Recipe} names no split; give --split FILE.");
        var split = Loftr.Training.HoldoutSplit.Load(splitPath);
        if (split.Test.Count == 0) throw new EvalUsageException($"{splitPath}: the split has no test photo.");
        var (w, h) = EvalCommandOptions.ParseSize(o.PhotoSize) ?? throw new EvalUsageException($"--size: invalid size '{o.PhotoSize}'.");
        return PhotoHomographyPairs.FromSplit(o.Images!, split, o.PairsPerPhoto, o.Seed, w, h,
            recipe?.Augmentation.ToAugmentation(), recipe is null ? null : $"augmentation of {Path.GetFileName(o.Recipe)}");
    }

    private static EvalResize Resize(EvalCommandOptions o, EvalResize defaults)
    {
        EvalResize resize;
        try
        {
            resize = o.Resize is null
                ? defaults with { DivisibleBy = o.DivisibleBy ?? defaults.DivisibleBy, PadToSquare = o.Pad ?? defaults.PadToSquare }
                : EvalResize.Parse(o.Resize, o.DivisibleBy ?? 1, o.Pad ?? false);
        }
        catch (FormatException e)
        {
            throw new EvalUsageException("--resize: " + e.Message);
        }
        if (resize.PadToSquare && o.LoftrLongSide is not null)
            throw new EvalUsageException("--loftr-long-side cannot be combined with padding to a square (--pad, the megadepth default): add --no-pad.");
        return resize;
    }
}
