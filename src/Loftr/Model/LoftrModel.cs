using Loftr.Backbone;
using Loftr.Matching;
using Loftr.Transformer;
using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.Model;

/// <summary>Numeric precision of inference.</summary>
public enum Precision
{
    /// <summary>Everything in float32 (matches the reference implementation).</summary>
    Float32,

    /// <summary>
    /// Convolutions, linear layers and normalisations in bfloat16 (fast on CPUs with AMX or AVX512-BF16); attention
    /// sums, the coarse confidence matrix, the fine heatmap and all coordinates stay float32.
    /// </summary>
    BFloat16,
}

/// <summary>Wall-clock time of each stage of one forward pass.</summary>
/// <param name="Backbone">ResNet-FPN on both images.</param>
/// <param name="CoarseTransformer">Position encoding and the coarse LoFTR module.</param>
/// <param name="CoarseMatching">Confidence matrix and match selection.</param>
/// <param name="Fine">Window gathering, fine LoFTR module and sub-pixel expectation.</param>
public sealed record StageTimings(TimeSpan Backbone, TimeSpan CoarseTransformer, TimeSpan CoarseMatching, TimeSpan Fine)
{
    /// <summary>Sum of the stages.</summary>
    public TimeSpan Total => Backbone + CoarseTransformer + CoarseMatching + Fine;
}

/// <summary>
/// Replaces the predicted coarse matches by the windows that the fine stage is trained on (e.g. predictions padded with
/// ground-truth matches). Called inside <see cref="LoftrModel.Forward"/>; the returned tensors belong to the caller's
/// dispose scope.
/// </summary>
public delegate CoarseMatches CoarseMatchSampler(CoarseMatches predicted, PairGeometry geometry);

/// <summary>
/// Larger copies of a batch's images for a second fine pass (<see cref="LoftrModel.Forward"/>): the fine stage runs again
/// around the first pass's refined matches on the fine maps of these images, whose fine pixels are smaller.
/// </summary>
/// <param name="Image0">Images 0 [N, 1, H', W'] (float32 in [0, 1], sides multiples of the coarse resolution).</param>
/// <param name="Image1">Images 1 [N, 1, H', W'].</param>
/// <param name="Scale0">[N, 2] factors mapping the pixels of <paramref name="Image0"/> to the units of the first pass's keypoints.</param>
/// <param name="Scale1">[N, 2] the same for <paramref name="Image1"/>.</param>
public sealed record SecondFinePass(Tensor Image0, Tensor Image1, Tensor Scale0, Tensor Scale1);

/// <summary>Everything one forward pass produces. Dispose it to free the tensors.</summary>
public sealed class LoftrOutput : IDisposable
{
    /// <summary>Input, coarse and fine sizes of the pair.</summary>
    public required PairGeometry Geometry { get; init; }
    /// <summary>Coarse confidence matrix and matches.</summary>
    public required CoarseMatchingOutput Coarse { get; init; }
    /// <summary>Fine expectation [M, 3] and final keypoints [M, 2].</summary>
    public required FineMatchingOutput Fine { get; init; }
    /// <summary>Time spent in each stage.</summary>
    public required StageTimings Timings { get; init; }

    /// <summary>Final keypoints in image 0 [M, 2] (x, y, in the units of scale0, input pixels when absent).</summary>
    public Tensor Keypoints0 => Fine.Keypoints0;
    /// <summary>Final keypoints in image 1 [M, 2].</summary>
    public Tensor Keypoints1 => Fine.Keypoints1;
    /// <summary>Match confidences [M].</summary>
    public Tensor Confidence => Coarse.Matches.Confidence;
    /// <summary>Batch index of each match [M].</summary>
    public Tensor BatchIndex => Coarse.Matches.MBIds;

    internal IEnumerable<Tensor> Tensors => [.. Coarse.Tensors, .. Fine.Tensors];

    /// <inheritdoc />
    public void Dispose()
    {
        Coarse.Dispose();
        Fine.Dispose();
    }
}

/// <summary>
/// The LoFTR network (Sun et al., CVPR 2021). Submodules are named like the reference so that the state-dict keys are
/// identical: backbone, loftr_coarse, coarse_matching, fine_preprocess, loftr_fine.
/// Input images [N, 1, H, W] (float32 in [0, 1]) with H and W multiples of the coarse resolution.
/// </summary>
public sealed class LoftrModel : nn.Module
{
#pragma warning disable IDE1006 // state-dict keys
    private readonly ResNetFpn backbone;
    private readonly PositionEncodingSine pos_encoding;
    private readonly LocalFeatureTransformer loftr_coarse;
    private readonly CoarseMatching coarse_matching;
    private readonly FinePreprocess fine_preprocess;
    private readonly LocalFeatureTransformer loftr_fine;
#pragma warning restore IDE1006

    /// <summary>The configuration the model was built with.</summary>
    public LoftrConfig Config { get; }

    /// <summary>Builds a randomly initialised model (reference initialisation) for <paramref name="config"/>.</summary>
    public LoftrModel(LoftrConfig config) : base("LoFTR")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        backbone = new ResNetFpn(config.Backbone);
        pos_encoding = new PositionEncodingSine(config.Coarse.DModel, config.TempBugFix);
        loftr_coarse = new LocalFeatureTransformer(config.Coarse, "loftr_coarse");
        coarse_matching = new CoarseMatching(config.CoarseMatching);
        fine_preprocess = new FinePreprocess(config);
        loftr_fine = new LocalFeatureTransformer(config.Fine, "loftr_fine");
        RegisterComponents();
    }

    /// <summary>The precision set by <see cref="SetPrecision"/> (float32 initially).</summary>
    public Precision Precision { get; private set; } = Precision.Float32;

    /// <summary>
    /// Switches the compute precision. <see cref="Precision.BFloat16"/> converts the backbone and the linear layers of
    /// the transformers and of the fine preprocessing to bfloat16; the transformers' residual streams and layer norms,
    /// the attention sums, the coarse matching (including the Sinkhorn dustbin score), the fine heatmap and all
    /// coordinates stay float32.
    /// The state dict then holds bfloat16 values; switch back to float32 before training or saving full-precision weights.
    /// </summary>
    public void SetPrecision(Precision precision)
    {
        var dtype = precision == Precision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        backbone.SetConvolutionType(dtype);
        loftr_coarse.SetLinearType(dtype);
        loftr_fine.SetLinearType(dtype);
        fine_preprocess.SetLinearType(dtype);
        Precision = precision;
    }

    /// <summary>The coarse matching layer (e.g. to set <see cref="Matching.CoarseMatching.MaxDenseElements"/>).</summary>
    public CoarseMatching CoarseMatching => coarse_matching;

    /// <summary>
    /// Largest number of pixels (both images, whole batch) sent through the backbone in one call (default 2^21, e.g. a
    /// 1024x768 pair). Larger inputs run the two images one after the other: the full-resolution FPN maps of one image
    /// are freed before the other starts, which halves the backbone's peak memory at the same results (1920x1080: one
    /// 196-channel 1/2-resolution map is 0.4 GB per image).
    /// </summary>
    public long MaxBatchedBackbonePixels { get; set; } = 1L << 21;

    /// <summary>Whether the backbone convolutions use the channels-last layout (see <see cref="ResNetFpn.ChannelsLast"/>).</summary>
    public bool ChannelsLast
    {
        get => backbone.ChannelsLast;
        set => backbone.SetChannelsLast(value);
    }

    /// <summary>Optional observer of named intermediate tensors (names as in the golden fixtures), for parity tests.</summary>
    internal Action<string, Tensor>? Tap { get; set; }

    /// <summary>
    /// Runs the whole pipeline. <paramref name="mask0"/>/<paramref name="mask1"/>: coarse padding masks [N, H/8, W/8]
    /// (bool, true = valid) or null. <paramref name="scale0"/>/<paramref name="scale1"/>: [N, 2] factors (w/w_new, h/h_new)
    /// that map network pixels to original pixels, or null to get network pixels. <paramref name="threshold"/> overrides
    /// the configured coarse confidence threshold. <paramref name="trainingSampler"/> (training only) replaces the predicted
    /// coarse matches by the windows the fine stage is trained on (see <see cref="Training.CoarseTrainingSampler"/>).
    /// <paramref name="refinement"/> overrides the configured sub-pixel estimate; with a training sampler it is always
    /// <see cref="FineRefinement.Expectation"/>, the one the fine loss is defined on. <paramref name="secondPass"/> (inference
    /// only) runs the fine stage again on larger copies of the images around the refined matches (see
    /// <see cref="SecondFinePass"/>); the output's fine keypoints and expectation are then those of the second pass.
    /// </summary>
    public LoftrOutput Forward(Tensor image0, Tensor image1, Tensor? mask0 = null, Tensor? mask1 = null,
        Tensor? scale0 = null, Tensor? scale1 = null, double? threshold = null, CoarseMatchSampler? trainingSampler = null,
        FineRefinement? refinement = null, SecondFinePass? secondPass = null)
    {
        ArgumentNullException.ThrowIfNull(image0);
        ArgumentNullException.ThrowIfNull(image1);
        if (secondPass is not null)
        {
            if (trainingSampler is not null) throw new ArgumentException("A second fine pass is for inference only, not with a training sampler.");
            if (secondPass.Image0.shape[0] != image0.shape[0] || secondPass.Image1.shape[0] != image1.shape[0]
                || !secondPass.Scale0.shape.SequenceEqual(new[] { image0.shape[0], 2L }) || !secondPass.Scale1.shape.SequenceEqual(new[] { image1.shape[0], 2L }))
                throw new ArgumentException("The second fine pass needs one enlarged image and one [2] scale per image of the batch.");
        }
        using var scope = NewDisposeScope();
        long bs = image0.shape[0];
        var backboneType = backbone.ConvolutionType;
        image0 = image0.to(backboneType);
        image1 = image1.to(backboneType);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan Lap()
        {
            var t = clock.Elapsed;
            clock.Restart();
            return t;
        }

        // 1. Local feature CNN
        var (featC0, featC1, featF0, featF1) = RunBackbone(image0, image1, Tap);
        Tap?.Invoke("backbone.feat_c0", featC0);
        Tap?.Invoke("backbone.feat_c1", featC1);
        Tap?.Invoke("backbone.feat_f0", featF0);
        Tap?.Invoke("backbone.feat_f1", featF1);

        var tBackbone = Lap();
        var geometry = new PairGeometry(
            (image0.shape[2], image0.shape[3]), (image1.shape[2], image1.shape[3]),
            (featC0.shape[2], featC0.shape[3]), (featC1.shape[2], featC1.shape[3]),
            (featF0.shape[2], featF0.shape[3]), (featF1.shape[2], featF1.shape[3]));

        // 2. Coarse LoFTR module on the flattened, position-encoded maps ('n c h w -> n (h w) c')
        var seq0 = pos_encoding.forward(featC0.to(ScalarType.Float32)).flatten(2).transpose(1, 2);
        var seq1 = pos_encoding.forward(featC1.to(ScalarType.Float32)).flatten(2).transpose(1, 2);
        Tap?.Invoke("coarse.feat_c0_pe", seq0);
        Tap?.Invoke("coarse.feat_c1_pe", seq1);
        Tensor? flatMask0 = mask0?.flatten(-2), flatMask1 = mask1?.flatten(-2);
        loftr_coarse.Tap = Tap is null ? null : (name, t) => Tap($"loftr_coarse.{name}", t);
        var (tc0, tc1) = loftr_coarse.Forward(seq0, seq1, flatMask0, flatMask1);
        Tap?.Invoke("loftr_coarse.feat_c0", tc0);
        Tap?.Invoke("loftr_coarse.feat_c1", tc1);

        var tCoarse = Lap();

        // 3. Coarse matching
        coarse_matching.Tap = Tap is null ? null : (name, t) => Tap($"coarse_matching.{name}", t);
        var coarse = coarse_matching.Forward(tc0, tc1, geometry, mask0, mask1, scale0, scale1, threshold);
        if (trainingSampler is not null)
            coarse = new CoarseMatchingOutput
            {
                ConfMatrix = coarse.ConfMatrix,
                ConfMatrixWithBin = coarse.ConfMatrixWithBin,
                Matches = trainingSampler(coarse.Matches, geometry),
            };

        var tMatching = Lap();

        // 4. Fine-level refinement
        var (w0, w1) = fine_preprocess.Forward(featF0.to(ScalarType.Float32), featF1.to(ScalarType.Float32), tc0, tc1, coarse.Matches, geometry);
        Tap?.Invoke("fine_preprocess.feat_f0_unfold", w0);
        Tap?.Invoke("fine_preprocess.feat_f1_unfold", w1);
        if (w0.shape[0] != 0)
        {
            loftr_fine.Tap = Tap is null ? null : (name, t) => Tap($"loftr_fine.{name}", t);
            (w0, w1) = loftr_fine.Forward(w0, w1);
        }
        Tap?.Invoke("loftr_fine.feat_f0", w0);
        Tap?.Invoke("loftr_fine.feat_f1", w1);

        // 5. Fine matching
        var fineRefinement = trainingSampler is not null ? FineRefinement.Expectation : refinement ?? Config.Refinement;
        var fine = FineMatching.Forward(w0, w1, coarse.Matches, geometry, scale0 is null ? null : scale1, fineRefinement);

        // 6. Optional second fine pass on larger images around the first pass's matches
        if (secondPass is not null && fine.Keypoints0.shape[0] > 0)
            fine = RefineAgain(fine, coarse.Matches, tc0, tc1, secondPass, fineRefinement);
        var output = new LoftrOutput
        {
            Geometry = geometry, Coarse = coarse, Fine = fine,
            Timings = new StageTimings(tBackbone, tCoarse, tMatching, Lap()),
        };
        output.Tensors.MoveToOuterDisposeScope();
        return output;
    }

    /// <summary>Coarse and fine feature maps of both images: one backbone call on the concatenation when the images have the same size and are not large.</summary>
    private (Tensor C0, Tensor C1, Tensor F0, Tensor F1) RunBackbone(Tensor image0, Tensor image1, Action<string, Tensor>? tap)
    {
        long bs = image0.shape[0];
        try
        {
            bool sameSize = image0.shape[2] == image1.shape[2] && image0.shape[3] == image1.shape[3];
            if (sameSize && 2 * image0.numel() <= MaxBatchedBackbonePixels)
            {
                backbone.Tap = tap is null ? null : (name, t) => { tap($"backbone.{name}0", t[..(int)bs]); tap($"backbone.{name}1", t[(int)bs..]); };
                var (c, f) = backbone.forward(cat([image0, image1], 0));
                return (c[..(int)bs], c[(int)bs..], f[..(int)bs], f[(int)bs..]);
            }
            backbone.Tap = tap is null ? null : (name, t) => tap($"backbone.{name}0", t);
            var (c0, f0) = backbone.forward(image0);
            backbone.Tap = tap is null ? null : (name, t) => tap($"backbone.{name}1", t);
            var (c1, f1) = backbone.forward(image1);
            return (c0, c1, f0, f1);
        }
        finally
        {
            backbone.Tap = null;
        }
    }

    /// <summary>
    /// The second fine pass: windows of the larger images' fine maps centred on the fine pixels nearest to the first
    /// pass's keypoints (image 0: the coarse cell centre; image 1: the refined position), the same coarse features merged
    /// in, the fine LoFTR module and the sub-pixel estimate.
    /// </summary>
    private FineMatchingOutput RefineAgain(FineMatchingOutput first, CoarseMatches matches, Tensor tc0, Tensor tc1,
        SecondFinePass pass, FineRefinement refinement)
    {
        using var scope = NewDisposeScope();   // frees the enlarged images' feature maps before the caller goes on
        long m = first.Keypoints0.shape[0];
        var backboneType = backbone.ConvolutionType;
        var (_, _, f0, f1) = RunBackbone(pass.Image0.to(backboneType), pass.Image1.to(backboneType), null);
        f0 = f0.to(ScalarType.Float32);
        f1 = f1.to(ScalarType.Float32);
        var bIds = matches.BIds[..(int)m];
        using var stride0 = ((double)pass.Image0.shape[2] / f0.shape[2]).ToScalar();   // input pixels per fine pixel
        using var stride1 = ((double)pass.Image1.shape[2] / f1.shape[2]).ToScalar();
        var unit0 = pass.Scale0.index([TensorIndex.Tensor(bIds)]).mul(stride0);
        var unit1 = pass.Scale1.index([TensorIndex.Tensor(bIds)]).mul(stride1);
        var centre0 = NearestFinePixel(first.Keypoints0, unit0, f0);
        var centre1 = NearestFinePixel(first.Keypoints1, unit1, f1);
        var c0 = tc0.index([TensorIndex.Tensor(bIds), TensorIndex.Tensor(matches.IIds[..(int)m])]);
        var c1 = tc1.index([TensorIndex.Tensor(bIds), TensorIndex.Tensor(matches.JIds[..(int)m])]);
        var (w0, w1) = fine_preprocess.ForwardAt(f0, f1, c0, c1, bIds, centre0, centre1);
        (w0, w1) = loftr_fine.Forward(w0, w1);
        var refined = FineMatching.ForwardAt(w0, w1, centre0, centre1, unit0, unit1, refinement);
        refined.Tensors.MoveToOuterDisposeScope();
        return refined;
    }

    /// <summary>The fine pixel (x, y) [M, 2] (int64, inside <paramref name="fine"/> [N, C, Hf, Wf]) nearest to keypoints [M, 2] in units of <paramref name="unit"/>.</summary>
    private static Tensor NearestFinePixel(Tensor keypoints, Tensor unit, Tensor fine)
    {
        var p = keypoints.div(unit).round().to(ScalarType.Int64);
        using var lastColumn = (fine.shape[3] - 1).ToScalar();
        using var lastRow = (fine.shape[2] - 1).ToScalar();
        return stack([p[.., 0].clamp(Scalars.Zero, lastColumn), p[.., 1].clamp(Scalars.Zero, lastRow)], 1);
    }
}
