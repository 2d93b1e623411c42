using System.Text.Json.Serialization;

namespace Loftr;

/// <summary>Which coarse matching layer produces the confidence matrix.</summary>
public enum CoarseMatchType
{
    /// <summary>Dual-softmax over rows and columns of the similarity matrix (with a temperature).</summary>
    DualSoftmax,

    /// <summary>Log-domain Sinkhorn optimal transport with a learned dustbin score (SuperGlue).</summary>
    Sinkhorn,
}

/// <summary>Attention used inside a <see cref="TransformerConfig"/>.</summary>
public enum AttentionType
{
    /// <summary>Linear attention with the elu(x)+1 feature map (Katharopoulos et al.).</summary>
    Linear,

    /// <summary>Full softmax attention.</summary>
    Full,
}

/// <summary>Type of a layer of the LoFTR transformer.</summary>
public enum TransformerLayerType
{
    /// <summary>Each image attends to itself (the same weights serve both images).</summary>
    Self,

    /// <summary>Image 0 attends to image 1, then image 1 attends to the updated image 0.</summary>
    Cross,
}

/// <summary>How the fine stage turns its correlation heatmap into a sub-pixel position (at inference; training always uses <see cref="Expectation"/>).</summary>
public enum FineRefinement
{
    /// <summary>The spatial expectation over the whole window (the reference).</summary>
    Expectation,

    /// <summary>
    /// The expectation over the 3x3 neighbourhood of the heatmap's peak, renormalised: a second mode elsewhere in the
    /// window no longer pulls the estimate toward it. The standard deviation still comes from the whole window.
    /// </summary>
    LocalExpectation,
}

/// <summary>ResNet-FPN backbone configuration (<c>resnetfpn</c> and <c>resolution</c> in the reference config).</summary>
/// <param name="InitialDim">Channels of the 7x7 stem convolution.</param>
/// <param name="BlockDims">Channels of each residual stage: 3 for resolution (8, 2), 4 for (16, 4).</param>
/// <param name="CoarseResolution">Downsampling factor of the coarse map (8 or 16).</param>
/// <param name="FineResolution">Downsampling factor of the fine map (2 or 4).</param>
/// <param name="FineOutputDim">
/// Channels of the fine feature map when they differ from the reference's (its block dimension at the fine
/// resolution): only the last convolution of the FPN's fine output changes width, so the coarse path stays that of a
/// model without it. Null (the reference, and every released model) is not written to JSON.
/// </param>
public sealed record BackboneConfig(int InitialDim, IReadOnlyList<int> BlockDims, int CoarseResolution = 8, int FineResolution = 2,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? FineOutputDim = null)
{
    /// <summary>Channels of the coarse feature map (the last block dimension).</summary>
    public int CoarseDim => BlockDims[^1];

    /// <summary>Channels of the fine feature map (<see cref="FineOutputDim"/> when set).</summary>
    public int FineDim => FineOutputDim ?? (CoarseResolution == 8 ? BlockDims[0] : BlockDims[1]);

    /// <summary>Equality by value, including the block dimensions.</summary>
    public bool Equals(BackboneConfig? other) =>
        other is not null && InitialDim == other.InitialDim && BlockDims.SequenceEqual(other.BlockDims)
        && CoarseResolution == other.CoarseResolution && FineResolution == other.FineResolution && FineOutputDim == other.FineOutputDim;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(InitialDim, BlockDims.Count, CoarseResolution, FineResolution);
}

/// <summary>Configuration of a LoFTR transformer (<c>coarse</c> or <c>fine</c> in the reference config).</summary>
/// <param name="DModel">Feature dimension.</param>
/// <param name="NHead">Number of attention heads.</param>
/// <param name="Layers">Layer sequence, e.g. 4 x (self, cross) for the coarse module.</param>
/// <param name="Attention">Linear or full attention.</param>
public sealed record TransformerConfig(int DModel, int NHead, IReadOnlyList<TransformerLayerType> Layers, AttentionType Attention = AttentionType.Linear)
{
    /// <summary><paramref name="repeat"/> x (self, cross).</summary>
    public static IReadOnlyList<TransformerLayerType> SelfCross(int repeat) =>
        Enumerable.Range(0, repeat).SelectMany(_ => new[] { TransformerLayerType.Self, TransformerLayerType.Cross }).ToArray();

    /// <summary>Equality by value, including the layer list.</summary>
    public bool Equals(TransformerConfig? other) =>
        other is not null && DModel == other.DModel && NHead == other.NHead && Attention == other.Attention && Layers.SequenceEqual(other.Layers);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DModel, NHead, Layers.Count, Attention);
}

/// <summary>Coarse matching configuration (<c>match_coarse</c> in the reference config).</summary>
/// <param name="Threshold">Confidence threshold (strict <c>&gt;</c>).</param>
/// <param name="BorderRemove">Coarse cells removed at each border of both images.</param>
/// <param name="MatchType">Dual-softmax or Sinkhorn.</param>
/// <param name="DualSoftmaxTemperature">Temperature of the dual-softmax.</param>
/// <param name="SinkhornIterations">Sinkhorn iterations.</param>
/// <param name="SinkhornInitBinScore">Initial dustbin score (a learned parameter afterwards).</param>
/// <param name="SinkhornPrefilter">In evaluation, zero rows/columns whose best assignment is the dustbin.</param>
/// <param name="TrainCoarsePercent">Fraction of coarse cells sampled for the fine stage in training.</param>
/// <param name="TrainPadNumGtMin">Minimum number of ground-truth matches padded in training.</param>
/// <param name="SparseSupervision">Supervise only ground-truth positives (and dustbins for Sinkhorn).</param>
public sealed record CoarseMatchingConfig(
    double Threshold = 0.2,
    int BorderRemove = 2,
    CoarseMatchType MatchType = CoarseMatchType.DualSoftmax,
    double DualSoftmaxTemperature = 0.1,
    int SinkhornIterations = 3,
    double SinkhornInitBinScore = 1.0,
    bool SinkhornPrefilter = false,
    double TrainCoarsePercent = 0.2,
    int TrainPadNumGtMin = 200,
    bool SparseSupervision = true);

/// <summary>
/// The full LoFTR configuration. Immutable; use the named presets (<see cref="IndoorDs"/>, <see cref="OutdoorDs"/>, ...)
/// and <c>with</c> expressions to derive variants.
/// </summary>
/// <param name="Backbone">ResNet-FPN configuration.</param>
/// <param name="Coarse">Coarse transformer.</param>
/// <param name="CoarseMatching">Coarse matching.</param>
/// <param name="Fine">Fine transformer.</param>
/// <param name="FineWindowSize">Side of the fine window (5).</param>
/// <param name="FineConcatCoarseFeat">Merge the transformed coarse feature into each fine window.</param>
/// <param name="TempBugFix">Position encoding with the corrected frequencies (indoor_ds_new); false reproduces the original models.</param>
/// <param name="Refinement">Sub-pixel estimate of the fine stage at inference (the reference: <see cref="FineRefinement.Expectation"/>).</param>
/// <param name="SharpestFraction">
/// Fraction of each pair's matches that <see cref="LoftrMatcher"/> returns: those with the smallest fine standard
/// deviation (<see cref="MatchResult.FineStd"/>, the sharpest heatmaps). 1 (the reference) keeps every match.
/// </param>
/// <param name="SecondPassScale">
/// Scale, relative to the network size, of a second fine pass at inference (<see cref="MatchOptions.SecondPassScale"/>):
/// the fine stage runs again around the refined matches on the images enlarged by this factor. Null or 1 (the
/// reference): none. Not written to JSON when null.
/// </param>
/// <param name="PatchAlignmentRadius">
/// Radius in network pixels of the photometric patch alignment after the network (<see cref="PatchAlignment"/>,
/// <see cref="MatchOptions.PatchAlignmentRadius"/>). Null or 0 (the reference): none. Not written to JSON when null.
/// </param>
/// <param name="PatchAlignmentMinCorrelation">
/// With the patch alignment, drop the matches whose patches could not be aligned or correlate less than this
/// (<see cref="MatchOptions.PatchAlignmentMinCorrelation"/>). Null: keep every match. Not written to JSON when null.
/// </param>
public sealed record LoftrConfig(
    BackboneConfig Backbone,
    TransformerConfig Coarse,
    CoarseMatchingConfig CoarseMatching,
    TransformerConfig Fine,
    int FineWindowSize = 5,
    bool FineConcatCoarseFeat = true,
    bool TempBugFix = true,
    FineRefinement Refinement = FineRefinement.Expectation,
    double SharpestFraction = 1.0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? SecondPassScale = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? PatchAlignmentRadius = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? PatchAlignmentMinCorrelation = null)
{
    /// <summary>Largest accepted <see cref="PatchAlignmentRadius"/> (network pixels).</summary>
    public const double MaxPatchAlignmentRadius = 32;

    /// <summary>Largest accepted <see cref="SecondPassScale"/>.</summary>
    public const double MaxSecondPassScale = 4;

    /// <summary>Whether <paramref name="scale"/> is an accepted <see cref="SecondPassScale"/>: in [1, <see cref="MaxSecondPassScale"/>].</summary>
    public static bool IsSecondPassScale(double scale) => scale >= 1 && scale <= MaxSecondPassScale;

    /// <summary>Whether <paramref name="radius"/> is an accepted <see cref="PatchAlignmentRadius"/>: 0 (none) or in [2, <see cref="MaxPatchAlignmentRadius"/>].</summary>
    public static bool IsPatchAlignmentRadius(double radius) => radius == 0 || (radius >= 2 && radius <= MaxPatchAlignmentRadius);

    /// <summary>Whether <paramref name="correlation"/> is an accepted <see cref="PatchAlignmentMinCorrelation"/>: in [-1, 1].</summary>
    public static bool IsPatchAlignmentMinCorrelation(double correlation) => correlation >= -1 && correlation <= 1;

    /// <summary>The reference architecture with the given matching type, threshold and position-encoding behaviour.</summary>
    public static LoftrConfig Reference(CoarseMatchType matchType, bool tempBugFix, double threshold = 0.2, int borderRemove = 2) => new(
        new BackboneConfig(128, [128, 196, 256]),
        new TransformerConfig(256, 8, TransformerConfig.SelfCross(4)),
        new CoarseMatchingConfig(threshold, borderRemove, matchType,
            SinkhornPrefilter: matchType == CoarseMatchType.Sinkhorn),
        new TransformerConfig(128, 8, TransformerConfig.SelfCross(1)),
        TempBugFix: tempBugFix);

    /// <summary>Released <c>indoor_ds_new.ckpt</c>: dual-softmax, corrected position encoding.</summary>
    public static LoftrConfig IndoorDsNew => Reference(CoarseMatchType.DualSoftmax, tempBugFix: true);

    /// <summary>Released <c>indoor_ds.ckpt</c>: dual-softmax, original position encoding.</summary>
    public static LoftrConfig IndoorDs => Reference(CoarseMatchType.DualSoftmax, tempBugFix: false);

    /// <summary>Released <c>indoor_ot.ckpt</c>: Sinkhorn, original position encoding.</summary>
    public static LoftrConfig IndoorOt => Reference(CoarseMatchType.Sinkhorn, tempBugFix: false);

    /// <summary>Released <c>outdoor_ds.ckpt</c>: dual-softmax, original position encoding.</summary>
    public static LoftrConfig OutdoorDs => Reference(CoarseMatchType.DualSoftmax, tempBugFix: false);

    /// <summary>Released <c>outdoor_ot.ckpt</c>: Sinkhorn, original position encoding.</summary>
    public static LoftrConfig OutdoorOt => Reference(CoarseMatchType.Sinkhorn, tempBugFix: false);

    /// <summary>Names accepted by <see cref="FromPresetName"/>.</summary>
    public static IReadOnlyList<string> PresetNames { get; } =
        ["indoor_ds_new", "indoor_ds", "indoor_ot", "outdoor_ds", "outdoor_ot"];

    /// <summary>The preset of a released checkpoint by its name (e.g. <c>outdoor_ds</c>).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public static LoftrConfig FromPresetName(string name) => name.ToLowerInvariant() switch
    {
        "indoor_ds_new" => IndoorDsNew,
        "indoor_ds" => IndoorDs,
        "indoor_ot" => IndoorOt,
        "outdoor_ds" => OutdoorDs,
        "outdoor_ot" => OutdoorOt,
        _ => throw new ArgumentException($"Unknown preset '{name}'. Valid presets: {string.Join(", ", PresetNames)}.", nameof(name)),
    };

    /// <summary>
    /// The preset a released checkpoint's file name implies (<c>indoor_ds_new.ckpt</c>, <c>loftr_outdoor.ckpt</c>,
    /// <c>outdoor_ot.ckpt</c>, ...), or null when the name says nothing.
    /// </summary>
    public static string? PresetNameForFile(string path)
    {
        string name = System.IO.Path.GetFileNameWithoutExtension(path ?? "").ToLowerInvariant();
        if (name.Contains("indoor_ds_new", StringComparison.Ordinal)) return "indoor_ds_new";
        foreach (var scene in new[] { "indoor", "outdoor" })
        {
            if (!name.Contains(scene, StringComparison.Ordinal)) continue;
            return name.Contains("_ot", StringComparison.Ordinal) ? $"{scene}_ot" : $"{scene}_ds";
        }
        return null;
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the configuration cannot build a model.</summary>
    public void Validate()
    {
        if (Backbone.CoarseResolution == 8 && (Backbone.FineResolution != 2 || Backbone.BlockDims.Count != 3))
            throw new ArgumentException("Resolution (8, 2) needs exactly 3 block dims.");
        if (Backbone.CoarseResolution == 16 && (Backbone.FineResolution != 4 || Backbone.BlockDims.Count != 4))
            throw new ArgumentException("Resolution (16, 4) needs exactly 4 block dims.");
        if (Backbone.CoarseResolution is not (8 or 16))
            throw new ArgumentException($"Unsupported resolution ({Backbone.CoarseResolution}, {Backbone.FineResolution}); use (8, 2) or (16, 4).");
        if (Backbone.InitialDim != Backbone.BlockDims[0])
            throw new ArgumentException(
                $"The backbone's initial dim {Backbone.InitialDim} must equal its first block dim {Backbone.BlockDims[0]}: the first " +
                "residual stage keeps the resolution and has no projection for its skip connection (as in the reference).");
        if (Coarse.DModel != Backbone.CoarseDim)
            throw new ArgumentException($"Coarse d_model {Coarse.DModel} must equal the backbone's coarse dim {Backbone.CoarseDim}.");
        if (Backbone.FineOutputDim is <= 0)
            throw new ArgumentException($"The backbone's fine output dim must be positive, got {Backbone.FineOutputDim}.");
        if (Fine.DModel != Backbone.FineDim)
            throw new ArgumentException($"Fine d_model {Fine.DModel} must equal the backbone's fine dim {Backbone.FineDim}.");
        if (Coarse.DModel % Coarse.NHead != 0 || Fine.DModel % Fine.NHead != 0)
            throw new ArgumentException("d_model must be divisible by nhead.");
        if (FineWindowSize < 1 || FineWindowSize % 2 == 0)
            throw new ArgumentException("The fine window size must be odd.");
        if (!Enum.IsDefined(Refinement))
            throw new ArgumentException($"Unknown fine refinement {(int)Refinement}.");
        if (!(SharpestFraction > 0 && SharpestFraction <= 1))
            throw new ArgumentException($"The sharpest fraction must be in (0, 1], got {SharpestFraction}.");
        if (SecondPassScale is double scale && !IsSecondPassScale(scale))
            throw new ArgumentException($"The second pass scale must be in [1, {MaxSecondPassScale}], got {scale}.");
        if (PatchAlignmentRadius is double radius && !IsPatchAlignmentRadius(radius))
            throw new ArgumentException($"The patch alignment radius must be 0 or in [2, {MaxPatchAlignmentRadius}] network pixels, got {radius}.");
        if (PatchAlignmentMinCorrelation is double mc && !IsPatchAlignmentMinCorrelation(mc))
            throw new ArgumentException($"The patch alignment's smallest correlation must be in [-1, 1], got {mc}.");
    }
}
