using System.Globalization;
using Loftr.Imaging;
using Loftr.Model;
using OpenCvSharp;
using static TorchSharp.torch;

namespace Loftr.Evaluation;

/// <summary>
/// A <see cref="LoftrMatcher"/> as an <see cref="IEvalMatcher"/>. Without padding it calls
/// <see cref="LoftrMatcher.Match(Mat, Mat, MatchOptions?)"/> (sizes that are not a multiple of the coarse resolution
/// are resized to one and the keypoints mapped back). With padding (the reference MegaDepth test) each image is
/// zero-padded at the bottom right to a square whose side is a multiple of the coarse resolution, and the network
/// gets the coarse padding masks.
/// </summary>
public sealed class LoftrEvalMatcher : IEvalMatcher
{
    private readonly LoftrMatcher _matcher;
    private readonly bool _ownsMatcher;

    /// <summary>Wraps a matcher.</summary>
    /// <param name="matcher">The LoFTR matcher.</param>
    /// <param name="threshold">Coarse confidence threshold (the model's when null).</param>
    /// <param name="weightsName">Weights name shown in reports (e.g. the file name).</param>
    /// <param name="ownsMatcher">Dispose the matcher with this object.</param>
    /// <param name="refinement">Sub-pixel estimate override (the model's when null).</param>
    /// <param name="sharpestFraction">Fraction of the sharpest matches kept (the model's when null).</param>
    /// <param name="longSide">
    /// Long side (pixels) at which the network sees the images, keypoints mapped back to the images given; null: their
    /// own size. Not with padding.
    /// </param>
    /// <param name="secondPass">Scale of the second fine pass (<see cref="MatchOptions.SecondPassScale"/>; the model's when null); with padding the enlarged images are padded the same way.</param>
    /// <param name="patchAlignment">Radius of the patch alignment in network pixels (<see cref="MatchOptions.PatchAlignmentRadius"/>; the model's when null; 0 = none).</param>
    /// <param name="patchMinCorrelation">Drop aligned matches below this correlation (<see cref="MatchOptions.PatchAlignmentMinCorrelation"/>; the model's when null).</param>
    public LoftrEvalMatcher(LoftrMatcher matcher, double? threshold = null, string? weightsName = null, bool ownsMatcher = true,
        FineRefinement? refinement = null, double? sharpestFraction = null, int? longSide = null, double? secondPass = null,
        double? patchAlignment = null, double? patchMinCorrelation = null)
    {
        _matcher = matcher ?? throw new ArgumentNullException(nameof(matcher));
        if (sharpestFraction is double f && !(f > 0 && f <= 1))
            throw new ArgumentOutOfRangeException(nameof(sharpestFraction), f, "The sharpest fraction must be in (0, 1].");
        if (longSide is <= 0) throw new ArgumentOutOfRangeException(nameof(longSide), longSide, "The long side must be positive.");
        if (secondPass is double f2 && !LoftrConfig.IsSecondPassScale(f2))
            throw new ArgumentOutOfRangeException(nameof(secondPass), secondPass, $"The second pass scale must be in [1, {LoftrConfig.MaxSecondPassScale}].");
        if (patchAlignment is double pa && !LoftrConfig.IsPatchAlignmentRadius(pa))
            throw new ArgumentOutOfRangeException(nameof(patchAlignment), patchAlignment, $"The patch alignment radius must be 0 or in [2, {LoftrConfig.MaxPatchAlignmentRadius}].");
        PatchAlignment = patchAlignment ?? matcher.Config.PatchAlignmentRadius ?? 0;
        if (patchMinCorrelation is double mc && !LoftrConfig.IsPatchAlignmentMinCorrelation(mc) && !double.IsNegativeInfinity(mc))
            throw new ArgumentOutOfRangeException(nameof(patchMinCorrelation), patchMinCorrelation, "The smallest correlation must be in [-1, 1] (or -infinity: keep every match).");
        PatchMinCorrelation = patchMinCorrelation ?? matcher.Config.PatchAlignmentMinCorrelation;
        LongSide = longSide;
        SecondPass = secondPass ?? matcher.Config.SecondPassScale ?? 1;
        Threshold = threshold;
        Refinement = refinement ?? matcher.Config.Refinement;
        SharpestFraction = sharpestFraction ?? matcher.Config.SharpestFraction;
        WeightsName = weightsName;
        _ownsMatcher = ownsMatcher;
    }

    /// <summary>Loads weights (<see cref="LoftrMatcher.Load"/>) with an optional preset name (e.g. <c>indoor_ds_new</c>).</summary>
    /// <param name="weightsPath">A <c>.ckpt</c> or <c>.safetensors</c> file.</param>
    /// <param name="preset">Preset name (<see cref="LoftrConfig.FromPresetName"/>), or null for the embedded / inferred configuration.</param>
    /// <param name="threshold">Coarse confidence threshold override.</param>
    /// <param name="refinement">Sub-pixel estimate override.</param>
    /// <param name="sharpestFraction">Sharpest-fraction override.</param>
    /// <param name="longSide">Network long side (see the constructor).</param>
    /// <param name="secondPass">Scale of the second fine pass (see the constructor).</param>
    /// <param name="patchAlignment">Patch alignment radius (see the constructor).</param>
    /// <param name="patchMinCorrelation">Smallest correlation of an aligned match kept (see the constructor).</param>
    /// <returns>The matcher.</returns>
    public static LoftrEvalMatcher Load(string weightsPath, string? preset = null, double? threshold = null,
        FineRefinement? refinement = null, double? sharpestFraction = null, int? longSide = null, double? secondPass = null,
        double? patchAlignment = null, double? patchMinCorrelation = null)
    {
        var config = preset is null ? null : LoftrConfig.FromPresetName(preset);
        var matcher = LoftrMatcher.Load(weightsPath, config);
        try
        {
            return new LoftrEvalMatcher(matcher, threshold, Path.GetFileName(weightsPath), true, refinement, sharpestFraction, longSide, secondPass,
                patchAlignment, patchMinCorrelation);
        }
        catch
        {
            matcher.Dispose();
            throw;
        }
    }

    /// <summary>Coarse confidence threshold override.</summary>
    public double? Threshold { get; }

    /// <summary>The sub-pixel estimate used.</summary>
    public FineRefinement Refinement { get; }

    /// <summary>The fraction of the sharpest matches kept.</summary>
    public double SharpestFraction { get; }

    /// <summary>Long side at which the network sees the images, or null for their own size.</summary>
    public int? LongSide { get; }

    /// <summary>Scale of the second fine pass (1: none).</summary>
    public double SecondPass { get; }

    /// <summary>Radius of the patch alignment in network pixels (0: none).</summary>
    public double PatchAlignment { get; }

    /// <summary>Smallest correlation of an aligned match kept, or null to keep every match.</summary>
    public double? PatchMinCorrelation { get; }

    /// <summary>Weights name shown in reports.</summary>
    public string? WeightsName { get; }

    /// <inheritdoc />
    public string Name => "loftr";

    /// <inheritdoc />
    public string Description
    {
        get
        {
            var c = _matcher.Config;
            double thr = Threshold ?? c.CoarseMatching.Threshold;
            string refinement = Refinement == FineRefinement.Expectation ? "" : ", local sub-pixel estimate";
            string sharpest = SharpestFraction < 1
                ? string.Create(CultureInfo.InvariantCulture, $", sharpest {SharpestFraction * 100:0.##} % of the matches")
                : "";
            return string.Create(CultureInfo.InvariantCulture,
                $"LoFTR {WeightsName ?? "(in-memory model)"}: {c.CoarseMatching.MatchType}, coarse d_model {c.Coarse.DModel}, threshold {thr}") +
                refinement + sharpest + (LongSide is int side ? $", network long side {side}" : "") +
                (SecondPass != 1 ? string.Create(CultureInfo.InvariantCulture, $", second fine pass at {SecondPass}x") : "") +
                (PatchAlignment > 0 ? string.Create(CultureInfo.InvariantCulture, $", patch alignment radius {PatchAlignment}") : "") +
                (PatchAlignment > 0 && PatchMinCorrelation is double mc && !double.IsNegativeInfinity(mc) ? string.Create(CultureInfo.InvariantCulture, $" (matches correlating below {mc} dropped)") : "");
        }
    }

    /// <inheritdoc />
    public EvalMatches Match(Mat image0, Mat image1, bool padToSquare)
    {
        ArgumentNullException.ThrowIfNull(image0);
        ArgumentNullException.ThrowIfNull(image1);
        if (!padToSquare)
        {
            var r = _matcher.Match(image0, image1, new MatchOptions
            {
                Threshold = Threshold, Refinement = Refinement, SharpestFraction = SharpestFraction, MaxSize = LongSide,
                SecondPassScale = SecondPass, PatchAlignmentRadius = PatchAlignment, PatchAlignmentMinCorrelation = PatchMinCorrelation,
            });
            return new EvalMatches(ToPoints(r.Keypoints0), ToPoints(r.Keypoints1), r.Confidence);
        }
        if (LongSide is not null)
            throw new ArgumentException("A network long side cannot be combined with padding: resize with the protocol instead.");
        return MatchPadded(GrayImage.FromMat(image0), GrayImage.FromMat(image1));
    }

    private EvalMatches MatchPadded(GrayImage g0, GrayImage g1)
    {
        int res = _matcher.Config.Backbone.CoarseResolution;
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var (img0, mask0) = Padded(g0, res);
        var (img1, mask1) = Padded(g1, res);
        SecondFinePass? second = null;
        if (SecondPass != 1)
        {
            // the images enlarged by the factor (sides kept multiples of the coarse resolution), padded the same way
            var (s0, f0) = Enlarged(g0, res);
            var (s1, f1) = Enlarged(g1, res);
            second = new SecondFinePass(s0, s1, f0, f1);
        }
        using var output = _matcher.Model.Forward(img0, img1, mask0, mask1, null, null, Threshold, refinement: Refinement, secondPass: second);
        var kp0 = output.Keypoints0.ToArrayOrEmpty<float>();
        var kp1 = output.Keypoints1.ToArrayOrEmpty<float>();
        var conf = output.Confidence.ToArrayOrEmpty<float>();
        var std = output.Fine.Expectation[.., 2].contiguous().ToArrayOrEmpty<float>();
        var keep = MatchResult.SharpestIndices(std, SharpestFraction);
        var p0 = keep.Select(i => new Point2(kp0[2 * i], kp0[2 * i + 1])).ToArray();
        var p1 = keep.Select(i => new Point2(kp1[2 * i], kp1[2 * i + 1])).ToArray();
        var c = keep.Select(i => conf[i]).ToArray();
        if (PatchAlignment > 0 && p0.Length > 0)
        {
            // the padded network sees the images at their own size: scale 1
            var (aligned, kept) = LoftrMatcher.AlignPoints(p0, p1, g0, g1, 1, PatchAlignment, PatchMinCorrelation);
            (p0, p1, c) = (kept.Select(i => p0[i]).ToArray(), kept.Select(i => aligned[i]).ToArray(), kept.Select(i => c[i]).ToArray());
        }
        return new EvalMatches(ToPoints(p0), ToPoints(p1), c);
    }

    /// <summary>The image enlarged by <see cref="SecondPass"/> and padded, with the [1, 2] factors back to its own pixels.</summary>
    private (Tensor Image, Tensor Scale) Enlarged(GrayImage g, int res)
    {
        var own = new ImageSize(g.Width, g.Height);
        var (w, h) = _matcher.SecondPassSize(own, own, SecondPass);
        var (image, _) = Padded(g.Resize(w, h), res);
        return (image, tensor(new[] { (float)g.Width / w, (float)g.Height / h }).view(1, 2));
    }

    private static (Tensor Image, Tensor Mask) Padded(GrayImage g, int res)
    {
        if (g.Width % res != 0 || g.Height % res != 0)
            throw new ArgumentException(
                $"Padded LoFTR evaluation needs image sides that are multiples of {res}, got {g.Width}x{g.Height}: resize with divisible-by {res}.");
        int side = Math.Max(g.Width, g.Height);
        var image = zeros(1, 1, side, side);
        image[0, 0, ..g.Height, ..g.Width] = tensor(g.Pixels).view(g.Height, g.Width);
        var mask = zeros(1, side / res, side / res, dtype: ScalarType.Bool);
        mask[0, ..(g.Height / res), ..(g.Width / res)].fill_(Scalars.True);
        return (image, mask);
    }

    private static Point2d[] ToPoints(Point2[] points) => points.Select(p => new Point2d(p.X, p.Y)).ToArray();

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMatcher) _matcher.Dispose();
    }
}
