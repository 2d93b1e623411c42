using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Loftr.Cli.Input;
using Loftr.Cli.Matching;

namespace Loftr.Cli.Commands;

/// <summary>The model and matching options shared by <c>match</c> and <c>pairs</c>, and their binding to <see cref="MatchSettings"/>.</summary>
public sealed class MatchingOptions
{
    /// <summary>--weights.</summary>
    public Option<string?> Weights { get; } = new("--weights", "-w")
    {
        Description = "Checkpoint file (.ckpt or .safetensors). Default: the model that ships with loftr (docs/model-card.md).",
        HelpName = "FILE",
    };

    /// <summary>--preset.</summary>
    public Option<string?> Preset { get; } = new("--preset")
    {
        Description = "Configuration of the released checkpoint given with --weights: " + string.Join(", ", LoftrConfig.PresetNames) +
            ". Without it the configuration is read from the file (embedded) or inferred from its tensor shapes.",
        HelpName = "NAME",
    };

    /// <summary>--resize.</summary>
    public Option<ResizeSpec> Resize { get; } = new("--resize")
    {
        Description = "Network input size: long side (640, aspect kept), WxH (640x480; transposed for image 1 rotated by 90/270), " +
            "or none (original size). Sides are rounded to multiples of 8.",
        HelpName = "SIZE",
        DefaultValueFactory = _ => ResizeSpec.Default,
        CustomParser = r => ResizeSpec.TryParse(r.Tokens[0].Value, out var s, out var why) ? s : Fail(r, "--resize: " + why, ResizeSpec.None),
    };

    /// <summary>--threshold.</summary>
    public Option<double?> Threshold { get; } = new("--threshold", "-t")
    {
        Description = "Coarse match confidence threshold in [0, 1] (default: the model's, 0.2 for the released models).",
        HelpName = "T",
        CustomParser = r => ParseDouble(r, "--threshold", 0, 1),
    };

    /// <summary>--max-matches.</summary>
    public Option<int?> MaxMatches { get; } = new("--max-matches", "-n")
    {
        Description = "Keep only the N most confident matches (applied after merging rotations/directions, before geometry).",
        HelpName = "N",
        CustomParser = r => (int?)ParsePositiveInt(r, "--max-matches"),
    };

    /// <summary>--refinement.</summary>
    public Option<string?> Refinement { get; } = RefinementOption(
        "Sub-pixel estimate of the fine stage: expectation (over the whole 5x5 window, the reference) or local (around " +
        "the heatmap's peak). Default: the model's (expectation, for the shipped and the released models).");

    /// <summary>--sharpest.</summary>
    public Option<double?> Sharpest { get; } = SharpestOption(
        "Keep this fraction (0, 1] of the matches, those with the sharpest sub-pixel heatmaps (smallest fine std), " +
        "before --max-matches. Default: the model's (0.3 for the shipped model, 1 = all for the released ones).");

    /// <summary>--second-pass.</summary>
    public Option<double?> SecondPass { get; } = SecondPassOption(
        "Refine the matches a second time on the images enlarged F times (1 = no second pass): more precise positions, " +
        "same coarse matches, one more backbone pass at the larger size. Default: the model's (1.5 for the shipped model, " +
        "1 for the released ones).");

    /// <summary>--patch-align.</summary>
    public Option<double?> PatchAlign { get; } = PatchAlignOption(
        "After the network, align a patch of image 0 around each match to image 1 (ECC, affine, as OpenCV's findTransformECC; started from the " +
        "neighbouring matches' local affine map) and move the point of image 1 there: R is the patch radius in network " +
        "pixels (0 = no alignment). Default: the model's (16 for the shipped model, 0 for the released ones).");

    /// <summary>--patch-min-correlation.</summary>
    public Option<double?> PatchMinCorrelation { get; } = PatchMinCorrelationOption(
        "With the patch alignment, drop the matches whose patches could not be aligned or correlate below C (in [-1, 1]) " +
        "once aligned; none keeps every match. Default: the model's (0.6 for the shipped model; the released ones keep every match).");

    /// <summary>--geometry.</summary>
    public Option<string?> Geometry { get; } = new("--geometry", "-g")
    {
        Description = "Fit a model robustly (OpenCV USAC_MAGSAC) and report inliers: homography, fundamental or essential (needs --K0/--K1).",
        HelpName = "MODEL",
    };

    /// <summary>--geometry-threshold.</summary>
    public Option<double?> GeometryThreshold { get; } = new("--geometry-threshold")
    {
        Description = "Inlier threshold in pixels (default 3 for homography, 1 for fundamental and essential).",
        HelpName = "PX",
        CustomParser = r => ParseDouble(r, "--geometry-threshold", 1e-6, 1e6),
    };

    /// <summary>--K0.</summary>
    public Option<double[,]?> K0 { get; } = new("--K0")
    {
        Description = "Intrinsics of image 0 for --geometry essential: " + Intrinsics.FormatHelp + ". Pixels of the original image.",
        HelpName = "K",
        CustomParser = r => Intrinsics.TryParse(r.Tokens[0].Value, "--K0", out var k, out var why) ? k : Fail<double[,]?>(r, why, null),
    };

    /// <summary>--K1.</summary>
    public Option<double[,]?> K1 { get; } = new("--K1")
    {
        Description = "Intrinsics of image 1 (same format; default: --K0).",
        HelpName = "K",
        CustomParser = r => Intrinsics.TryParse(r.Tokens[0].Value, "--K1", out var k, out var why) ? k : Fail<double[,]?>(r, why, null),
    };

    /// <summary>--rotations.</summary>
    public Option<int[]> Rotations { get; } = new("--rotations")
    {
        Description = "Also match image 1 rotated clockwise by these angles (e.g. 0,90,180,270; cv2.rotate) and map the keypoints " +
            "back exactly to the unrotated image 1. See --rotation-mode.",
        HelpName = "ANGLES",
        DefaultValueFactory = _ => [0],
        CustomParser = r => RotationSet.TryParse(r.Tokens[0].Value, out var a, out var why) ? a : Fail(r, "--rotations: " + why, new[] { 0 }),
    };

    /// <summary>--rotation-mode.</summary>
    public Option<string> RotationModeOption { get; } = new("--rotation-mode")
    {
        Description = "best (default): keep the rotation with the most matches, or the most inliers with --geometry (ties: first listed); " +
            "union: all rotations' matches together, duplicates (both keypoints within 2 px) removed.",
        HelpName = "MODE",
        DefaultValueFactory = _ => "best",
    };

    /// <summary>--symmetric.</summary>
    public Option<bool> Symmetric { get; } = new("--symmetric")
    {
        Description = "Match both ways (0→1 and 1→0) and merge: the union of both, a 1→0 match dropped when a 0→1 match has both " +
            "keypoints within 2 px of it.",
    };

    /// <summary>--threads.</summary>
    public Option<int?> Threads { get; } = new("--threads")
    {
        Description = "CPU threads of the network (default: torch's choice, the number of cores). 1 is fastest on a busy machine.",
        HelpName = "N",
        CustomParser = r => ParsePositiveInt(r, "--threads"),
    };

    /// <summary>Creates the options.</summary>
    public MatchingOptions()
    {
        Geometry.AcceptOnlyFromAmong("homography", "fundamental", "essential");
        RotationModeOption.AcceptOnlyFromAmong("best", "union");
    }

    /// <summary>The values of <c>--refinement</c> (every command that takes it) and the estimates they name.</summary>
    public static IReadOnlyDictionary<string, FineRefinement> Refinements { get; } = new Dictionary<string, FineRefinement>
    {
        ["expectation"] = FineRefinement.Expectation,
        ["local"] = FineRefinement.LocalExpectation,
    };

    /// <summary>A <c>--refinement MODE</c> option accepting only <see cref="Refinements"/>.</summary>
    public static Option<string?> RefinementOption(string description)
    {
        var option = new Option<string?>("--refinement") { Description = description, HelpName = "MODE" };
        option.AcceptOnlyFromAmong([.. Refinements.Keys]);
        return option;
    }

    /// <summary>A <c>--sharpest F</c> option accepting a fraction in (0, 1].</summary>
    public static Option<double?> SharpestOption(string description) =>
        new("--sharpest") { Description = description, HelpName = "F", CustomParser = r => OptionValues.Number(r, 0, 1, minExclusive: true) };

    /// <summary>A <c>--second-pass F</c> option accepting a factor in [1, <see cref="LoftrConfig.MaxSecondPassScale"/>].</summary>
    public static Option<double?> SecondPassOption(string description) =>
        new("--second-pass") { Description = description, HelpName = "F", CustomParser = r => OptionValues.Number(r, 1, LoftrConfig.MaxSecondPassScale) };

    /// <summary>A <c>--patch-align R</c> option accepting 0 or a radius in [2, <see cref="LoftrConfig.MaxPatchAlignmentRadius"/>].</summary>
    public static Option<double?> PatchAlignOption(string description) =>
        new("--patch-align")
        {
            Description = description, HelpName = "R",
            CustomParser = r => OptionValues.ZeroOrRange(r, 2, LoftrConfig.MaxPatchAlignmentRadius),
        };

    /// <summary>A <c>--patch-min-correlation C</c> option accepting a value in [-1, 1].</summary>
    public static Option<double?> PatchMinCorrelationOption(string description) =>
        new("--patch-min-correlation")
        {
            Description = description, HelpName = "C",
            CustomParser = r => r.Tokens.Count == 1 && r.Tokens[0].Value == "none" ? double.NegativeInfinity : OptionValues.Number(r, -1, 1),
        };

    /// <summary>The estimate a parsed <c>--refinement</c> value names, or null when the option was not given.</summary>
    public static FineRefinement? ParseRefinement(string? name) => name is null ? null : Refinements[name];

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Weights, Preset, Resize, Threshold, MaxMatches, Refinement, Sharpest, SecondPass, PatchAlign, PatchMinCorrelation, Geometry, GeometryThreshold, K0, K1, Rotations,
                     RotationModeOption, Symmetric, Threads })
            command.Options.Add(o);
    }

    /// <summary>The settings given on the command line (usage errors for inconsistent combinations).</summary>
    public MatchSettings Bind(ParseResult p)
    {
        GeometryKind? geometry = p.GetValue(Geometry) is { } g ? GeometryResult.ParseKind(g) : null;
        var k0 = p.GetValue(K0);
        var k1 = p.GetValue(K1);
        if (geometry == GeometryKind.Essential && k0 is null)
            throw CliException.Usage("--geometry essential needs the intrinsics --K0 (and --K1 when image 1 has other intrinsics): " +
                Intrinsics.FormatHelp + ".");
        if (geometry != GeometryKind.Essential && (k0 is not null || k1 is not null))
            throw CliException.Usage("--K0/--K1 are only used with --geometry essential.");
        if (geometry is null && p.GetValue(GeometryThreshold) is not null)
            throw CliException.Usage("--geometry-threshold needs --geometry.");
        var rotations = p.GetValue(Rotations) ?? [0];
        var mode = p.GetValue(RotationModeOption) == "union" ? RotationMode.Union : RotationMode.Best;
        return new MatchSettings
        {
            Resize = p.GetValue(Resize) ?? ResizeSpec.Default,
            Threshold = p.GetValue(Threshold),
            MaxMatches = p.GetValue(MaxMatches),
            Refinement = ParseRefinement(p.GetValue(Refinement)),
            SharpestFraction = p.GetValue(Sharpest),
            SecondPassScale = p.GetValue(SecondPass),
            PatchAlignmentRadius = p.GetValue(PatchAlign),
            PatchAlignmentMinCorrelation = p.GetValue(PatchMinCorrelation),
            Geometry = geometry,
            GeometryThreshold = p.GetValue(GeometryThreshold),
            K0 = k0,
            K1 = k1 ?? k0,
            Rotations = rotations,
            RotationMode = mode,
            Symmetric = p.GetValue(Symmetric),
            Threads = p.GetValue(Threads),
        };
    }

    private static T Fail<T>(ArgumentResult r, string message, T fallback)
    {
        r.AddError(message);
        return fallback;
    }

    private static double? ParseDouble(ArgumentResult r, string name, double min, double max)
    {
        string t = r.Tokens[0].Value;
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            return Fail<double?>(r, $"{name}: '{t}' is not a number.", null);
        if (v < min || v > max)
            return Fail<double?>(r, $"{name}: {t} is out of range [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}].", null);
        return v;
    }

    internal static int? ParsePositiveInt(ArgumentResult r, string name)
    {
        string t = r.Tokens[0].Value;
        if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v <= 0)
            return Fail<int?>(r, $"{name}: '{t}' is not a positive whole number.", null);
        return v;
    }
}
