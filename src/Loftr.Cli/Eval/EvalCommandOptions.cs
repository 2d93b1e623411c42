using System.Globalization;
using Loftr.Cli.Commands;

namespace Loftr.Eval;

/// <summary>A command-line usage error (unknown option, missing or invalid value); the message says which.</summary>
/// <param name="message">What is wrong.</param>
public sealed class EvalUsageException(string message) : Exception(message);

/// <summary>
/// The arguments of <c>eval pose|homography|stereo --dataset ... --method sift|loftr ...</c>, parsed and checked with
/// no other dependency, so that a CLI front end can reuse it as is. <see cref="Parse"/> validates the combinations;
/// <see cref="EvalCommand"/> runs them.
/// </summary>
public sealed record EvalCommandOptions
{
    /// <summary>The tasks and the datasets each accepts.</summary>
    public static IReadOnlyDictionary<string, string[]> DatasetsByTask { get; } = new Dictionary<string, string[]>
    {
        ["pose"] = ["scannet", "megadepth", "pairs"],
        ["homography"] = ["hpatches", "homography-pair", "photos"],
        ["stereo"] = ["stereo"],
    };

    /// <summary>Usage text.</summary>
    public const string Usage = """
        usage: eval pose|homography|stereo --dataset NAME [options]

        datasets:
          pose        --dataset scannet    --data-root DIR (holds sceneXXXX_XX/color/N.jpg) [--npz test.npz] [--intrinsics intrinsics.npz]
                      --dataset megadepth  --data-root DIR --scene-info NPZ|DIR|LIST.txt [--min-overlap 0]
                      --dataset pairs      --pairs FILE (name0 name1 rot0 rot1 K0 K1 T_0to1) [--data-root DIR]
          homography  --dataset hpatches   --data-root hpatches-sequences-release [--include-excluded]
                      --dataset homography-pair --image0 A --image1 B --homography H (text or OpenCV XML/YAML)
                      --dataset photos     --images DIR --split FILE (its "test" photos) [--recipe FILE (its augmentation; its split by default)]
                                           [--pairs-per-photo 4] [--seed 66] [--size 640x480] (synthetic homography pairs, made in memory)
          stereo      --dataset stereo     --data-root DIR (aloeL/aloeR/aloeGT or view1/view5/disp1, or sub-folders) [--disparity-scale 1]

        methods (repeat or comma-separate to compare; default sift):
          --method sift|loftr          --weights FILE (.ckpt/.safetensors, for loftr) [--preset indoor_ds_new|outdoor_ds|...] [--threshold T]
                                       [--refinement expectation|local] [--sharpest F] (default: the model's)
                                       [--loftr-long-side N] (LoFTR matches the protocol's images scaled to this long side,
                                       keypoints mapped back; SIFT and the metrics keep the protocol's frame)
                                       [--loftr-second-pass F] (refine LoFTR's matches again on the images enlarged F times,
                                       1 = none; default: the model's)
                                       [--loftr-patch-align R] (align a patch of radius R network pixels around each LoFTR
                                       match, ECC affine as cv2.findTransformECC; 0 = none; default: the model's)
                                       [--loftr-patch-min-correlation C] (drop aligned matches whose patches correlate
                                       below C, or could not be aligned; none keeps every match; default: the model's)
          --sift-max-features N        --sift-ratio R (default 0.8)

        protocol (defaults per dataset):
          --resize none|WxH|long:N|short:N  --divisible-by N  --pad|--no-pad
          --max-pairs N  --max-matches N  --ransac-threshold PX  --estimator ransac|magsac (homography)
          --epipolar-threshold E (pose)  --precision-threshold PX (homography)  --max-row-diff PX (stereo)

        output:
          --json FILE  --markdown FILE  --plot FILE.png  --title TEXT  --generated-by TEXT  --quiet (no per-pair tables)
        """;

    /// <summary><c>pose</c>, <c>homography</c> or <c>stereo</c>.</summary>
    public string Task { get; init; } = "";

    /// <summary>Dataset kind (see <see cref="DatasetsByTask"/>).</summary>
    public string Dataset { get; init; } = "";

    /// <summary>Dataset folder.</summary>
    public string? DataRoot { get; init; }

    /// <summary>Pairs-with-gt file.</summary>
    public string? PairsFile { get; init; }

    /// <summary>ScanNet <c>test.npz</c>.</summary>
    public string? ScanNetNpz { get; init; }

    /// <summary>ScanNet <c>intrinsics.npz</c>.</summary>
    public string? ScanNetIntrinsics { get; init; }

    /// <summary>MegaDepth scene info (npz, folder or list).</summary>
    public string? SceneInfo { get; init; }

    /// <summary>MegaDepth overlap filter.</summary>
    public double MinOverlap { get; init; }

    /// <summary>HPatches: also use the excluded sequences.</summary>
    public bool IncludeExcluded { get; init; }

    /// <summary>Homography pair: image 0.</summary>
    public string? Image0 { get; init; }

    /// <summary>Homography pair: image 1.</summary>
    public string? Image1 { get; init; }

    /// <summary>Homography pair: H file.</summary>
    public string? HomographyFile { get; init; }

    /// <summary>Photos: folder of the photos.</summary>
    public string? Images { get; init; }

    /// <summary>Photos: held-out split file whose <c>test</c> list is used (default: the recipe's split).</summary>
    public string? Split { get; init; }

    /// <summary>Photos: training recipe whose augmentation ranges make the pairs (default: the fixed test augmentation).</summary>
    public string? Recipe { get; init; }

    /// <summary>Photos: pairs made from each photo.</summary>
    public int PairsPerPhoto { get; init; } = 4;

    /// <summary>Photos: seed of the pairs.</summary>
    public long Seed { get; init; } = 66;

    /// <summary>Photos: view size "WxH".</summary>
    public string PhotoSize { get; init; } = "640x480";

    /// <summary>Stereo disparity per stored unit.</summary>
    public double DisparityScale { get; init; } = 1.0;

    /// <summary>Methods in order (<c>sift</c>, <c>loftr</c>).</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["sift"];

    /// <summary>LoFTR weights.</summary>
    public string? Weights { get; init; }

    /// <summary>LoFTR preset name.</summary>
    public string? Preset { get; init; }

    /// <summary>LoFTR coarse threshold override.</summary>
    public double? Threshold { get; init; }

    /// <summary>LoFTR sub-pixel estimate override.</summary>
    public FineRefinement? Refinement { get; init; }

    /// <summary>LoFTR sharpest-fraction override.</summary>
    public double? SharpestFraction { get; init; }

    /// <summary>Long side at which LoFTR matches the protocol's images (null: their own size).</summary>
    public int? LoftrLongSide { get; init; }

    /// <summary>Scale of LoFTR's second fine pass (1: none; null: the model's).</summary>
    public double? LoftrSecondPass { get; init; }

    /// <summary>Patch alignment radius of LoFTR's matches (network pixels, 0 = none; the model's when null).</summary>
    public double? LoftrPatchAlign { get; init; }

    /// <summary>Smallest correlation of an aligned LoFTR match kept (null: the model's).</summary>
    public double? LoftrPatchMinCorrelation { get; init; }

    /// <summary>SIFT keypoint limit (0 = all).</summary>
    public int SiftMaxFeatures { get; init; }

    /// <summary>SIFT ratio.</summary>
    public double SiftRatio { get; init; } = 0.8;

    /// <summary>Resize rule text (null: dataset default).</summary>
    public string? Resize { get; init; }

    /// <summary>Side multiple (null: dataset default).</summary>
    public int? DivisibleBy { get; init; }

    /// <summary>Padding to squares (null: dataset default).</summary>
    public bool? Pad { get; init; }

    /// <summary>Only the first N pairs.</summary>
    public int? MaxPairs { get; init; }

    /// <summary>Top-k matches by confidence (null: task default).</summary>
    public int? MaxMatches { get; init; }

    /// <summary>RANSAC threshold in pixels (null: task default).</summary>
    public double? RansacThreshold { get; init; }

    /// <summary>Homography estimator: <c>ransac</c> or <c>magsac</c>.</summary>
    public string Estimator { get; init; } = "ransac";

    /// <summary>Pose precision threshold (null: dataset default).</summary>
    public double? EpipolarThreshold { get; init; }

    /// <summary>Homography precision threshold in pixels.</summary>
    public double PrecisionThreshold { get; init; } = 3.0;

    /// <summary>Stereo row filter.</summary>
    public double? MaxRowDifference { get; init; }

    /// <summary>JSON output.</summary>
    public string? JsonPath { get; init; }

    /// <summary>Markdown output.</summary>
    public string? MarkdownPath { get; init; }

    /// <summary>PNG plot output.</summary>
    public string? PlotPath { get; init; }

    /// <summary>Report title.</summary>
    public string? Title { get; init; }

    /// <summary>Generator shown in the Markdown document.</summary>
    public string? GeneratedBy { get; init; }

    /// <summary>Only the summary on the console.</summary>
    public bool Quiet { get; init; }

    /// <summary>Show the usage.</summary>
    public bool Help { get; init; }

    /// <summary>Parses and validates the arguments (the task first, then options in any order).</summary>
    /// <param name="args">Arguments after the program name.</param>
    /// <returns>The options.</returns>
    /// <exception cref="EvalUsageException">Anything invalid.</exception>
    public static EvalCommandOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help") return new EvalCommandOptions { Help = true };
        var o = new EvalCommandOptions { Task = args[0] };
        if (!DatasetsByTask.ContainsKey(o.Task))
            throw new EvalUsageException($"Unknown task '{args[0]}': expected pose, homography or stereo.");
        var methods = new List<string>();
        for (int i = 1; i < args.Count; i++)
        {
            string name = args[i];
            string Value()
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new EvalUsageException($"{name} needs a value.");
                return args[++i];
            }
            o = name switch
            {
                "--dataset" => o with { Dataset = Value() },
                "--data-root" => o with { DataRoot = Value() },
                "--pairs" => o with { PairsFile = Value() },
                "--npz" => o with { ScanNetNpz = Value() },
                "--intrinsics" => o with { ScanNetIntrinsics = Value() },
                "--scene-info" => o with { SceneInfo = Value() },
                "--min-overlap" => o with { MinOverlap = Double(name, Value()) },
                "--include-excluded" => o with { IncludeExcluded = true },
                "--image0" => o with { Image0 = Value() },
                "--image1" => o with { Image1 = Value() },
                "--homography" => o with { HomographyFile = Value() },
                "--images" => o with { Images = Value() },
                "--split" => o with { Split = Value() },
                "--recipe" => o with { Recipe = Value() },
                "--pairs-per-photo" => o with { PairsPerPhoto = PositiveInt(name, Value()) },
                "--seed" => o with { Seed = Long(name, Value()) },
                "--size" => o with { PhotoSize = Value() },
                "--disparity-scale" => o with { DisparityScale = Positive(name, Value()) },
                "--method" => AddMethods(o, methods, Value()),
                "--weights" => o with { Weights = Value() },
                "--preset" => o with { Preset = Value() },
                "--threshold" => o with { Threshold = Positive(name, Value()) },
                "--refinement" => o with { Refinement = RefinementValue(Value()) },
                "--sharpest" => o with { SharpestFraction = Fraction(name, Value()) },
                "--loftr-long-side" => o with { LoftrLongSide = PositiveInt(name, Value()) },
                "--loftr-second-pass" => o with { LoftrSecondPass = SecondPassScale(name, Value()) },
                "--loftr-patch-align" => o with { LoftrPatchAlign = PatchAlignRadius(name, Value()) },
                "--loftr-patch-min-correlation" => o with { LoftrPatchMinCorrelation = Correlation(name, Value()) },
                "--sift-max-features" => o with { SiftMaxFeatures = NonNegativeInt(name, Value()) },
                "--sift-ratio" => o with { SiftRatio = Positive(name, Value()) },
                "--resize" => o with { Resize = Value() },
                "--divisible-by" => o with { DivisibleBy = PositiveInt(name, Value()) },
                "--pad" => o with { Pad = true },
                "--no-pad" => o with { Pad = false },
                "--max-pairs" => o with { MaxPairs = PositiveInt(name, Value()) },
                "--max-matches" => o with { MaxMatches = PositiveInt(name, Value()) },
                "--ransac-threshold" => o with { RansacThreshold = Positive(name, Value()) },
                "--estimator" => o with { Estimator = Value() },
                "--epipolar-threshold" => o with { EpipolarThreshold = Positive(name, Value()) },
                "--precision-threshold" => o with { PrecisionThreshold = Positive(name, Value()) },
                "--max-row-diff" => o with { MaxRowDifference = Positive(name, Value()) },
                "--json" => o with { JsonPath = Value() },
                "--markdown" => o with { MarkdownPath = Value() },
                "--plot" => o with { PlotPath = Value() },
                "--title" => o with { Title = Value() },
                "--generated-by" => o with { GeneratedBy = Value() },
                "--quiet" => o with { Quiet = true },
                "-h" or "--help" => o with { Help = true },
                _ => throw new EvalUsageException($"Unknown option '{name}'."),
            };
        }
        if (methods.Count > 0) o = o with { Methods = methods };
        if (!o.Help) o.Validate();
        return o;
    }

    private void Validate()
    {
        if (Dataset.Length == 0) throw new EvalUsageException($"--dataset is required ({Task}: {string.Join(", ", DatasetsByTask[Task])}).");
        if (!DatasetsByTask[Task].Contains(Dataset))
            throw new EvalUsageException($"Dataset '{Dataset}' does not fit task '{Task}' (use {string.Join(", ", DatasetsByTask[Task])}).");
        switch (Dataset)
        {
            case "scannet" or "hpatches" or "stereo":
                Require(DataRoot, "--data-root");
                break;
            case "megadepth":
                Require(DataRoot, "--data-root");
                Require(SceneInfo, "--scene-info");
                break;
            case "pairs":
                Require(PairsFile, "--pairs");
                break;
            case "homography-pair":
                Require(Image0, "--image0");
                Require(Image1, "--image1");
                Require(HomographyFile, "--homography");
                break;
            case "photos":
                Require(Images, "--images");
                if (Split is null && Recipe is null) throw new EvalUsageException("--dataset photos needs --split FILE (or a --recipe naming one).");
                if (ParseSize(PhotoSize) is null) throw new EvalUsageException($"--size must be WxH with positive sides (e.g. 640x480), got '{PhotoSize}'.");
                break;
        }
        if (Methods.Contains("loftr") && Weights is null && Preset is not null)
            throw new EvalUsageException($"--preset {Preset} needs --weights FILE (without both, the default model is used).");
        if (Methods.Contains("loftr") && Weights is null && !DefaultModel.IsAvailable)
            throw new EvalUsageException("--method loftr needs --weights FILE (this build carries no default model).");
        if (Estimator is not ("ransac" or "magsac")) throw new EvalUsageException($"--estimator must be ransac or magsac, got '{Estimator}'.");
        if (!(SiftRatio <= 1)) throw new EvalUsageException($"--sift-ratio must be in (0, 1], got {SiftRatio}.");
        if ((Refinement is not null || SharpestFraction is not null) && !Methods.Contains("loftr"))
            throw new EvalUsageException("--refinement and --sharpest set LoFTR's inference; add --method loftr.");
        if (LoftrLongSide is not null && !Methods.Contains("loftr"))
            throw new EvalUsageException("--loftr-long-side sets LoFTR's input size; add --method loftr.");
        if (LoftrPatchMinCorrelation is not null && !Methods.Contains("loftr"))
            throw new EvalUsageException("--loftr-patch-min-correlation sets LoFTR's inference; add --method loftr.");
        if (LoftrPatchAlign is not null && !Methods.Contains("loftr"))
            throw new EvalUsageException("--loftr-patch-align sets LoFTR's inference; add --method loftr.");
        if (LoftrSecondPass is not null && !Methods.Contains("loftr"))
            throw new EvalUsageException("--loftr-second-pass sets LoFTR's inference; add --method loftr.");
    }

    /// <summary>Parses "WxH" (positive sides), or null.</summary>
    /// <param name="text">The size text.</param>
    /// <returns>The size, or null when invalid.</returns>
    public static (int Width, int Height)? ParseSize(string text)
    {
        var wh = (text ?? "").Trim().ToLowerInvariant().Split('x');
        return wh.Length == 2 && int.TryParse(wh[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w) && w > 0
            && int.TryParse(wh[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h) && h > 0 ? (w, h) : null;
    }

    private void Require(string? value, string option)
    {
        if (string.IsNullOrEmpty(value)) throw new EvalUsageException($"--dataset {Dataset} needs {option}.");
    }

    private static EvalCommandOptions AddMethods(EvalCommandOptions o, List<string> methods, string value)
    {
        foreach (var m in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (m is not ("sift" or "loftr")) throw new EvalUsageException($"Unknown method '{m}': expected sift or loftr.");
            if (!methods.Contains(m)) methods.Add(m);
        }
        return o;
    }

    private static double Double(string name, string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
            ? d : throw new EvalUsageException($"{name}: '{v}' is not a number.");

    private static double Positive(string name, string v) =>
        Double(name, v) is var d && d > 0 ? d : throw new EvalUsageException($"{name} must be positive, got '{v}'.");

    private static double Fraction(string name, string v) =>
        Positive(name, v) is var d && d <= 1 ? d : throw new EvalUsageException($"{name} must be in (0, 1], got '{v}'.");

    private static double Correlation(string name, string v) =>
        v == "none" ? double.NegativeInfinity
            : Double(name, v) is var d && LoftrConfig.IsPatchAlignmentMinCorrelation(d) ? d : throw new EvalUsageException($"{name} must be in [-1, 1] or none, got '{v}'.");

    private static double PatchAlignRadius(string name, string v) =>
        Double(name, v) is var d && LoftrConfig.IsPatchAlignmentRadius(d) ? d
            : throw new EvalUsageException($"{name} must be 0 (none) or in [2, {LoftrConfig.MaxPatchAlignmentRadius}], got '{v}'.");

    private static double SecondPassScale(string name, string v) =>
        Double(name, v) is var d && LoftrConfig.IsSecondPassScale(d) ? d
            : throw new EvalUsageException($"{name} must be in [1, {LoftrConfig.MaxSecondPassScale}], got '{v}'.");

    private static FineRefinement RefinementValue(string v) =>
        MatchingOptions.Refinements.TryGetValue(v, out var mode) ? mode
            : throw new EvalUsageException($"--refinement must be {string.Join(" or ", MatchingOptions.Refinements.Keys)}, got '{v}'.");

    private static long Long(string name, string v) =>
        long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n
            : throw new EvalUsageException($"{name}: '{v}' is not an integer.");

    private static int NonNegativeInt(string name, string v) =>
        int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n
            : throw new EvalUsageException($"{name}: '{v}' is not a non-negative integer.");

    private static int PositiveInt(string name, string v) =>
        NonNegativeInt(name, v) is var n && n > 0 ? n : throw new EvalUsageException($"{name} must be positive, got '{v}'.");
}
