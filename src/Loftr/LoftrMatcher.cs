using Loftr.Imaging;
using Loftr.Model;
using OpenCvSharp;
using static TorchSharp.torch;

namespace Loftr;

/// <summary>Per-call matching options.</summary>
public sealed record MatchOptions
{
    /// <summary>Resize so that the longer side has this many pixels (aspect ratio kept, then rounded to the network's multiple).</summary>
    public int? MaxSize { get; init; }

    /// <summary>Resize to exactly this size (rounded to the network's multiple). Takes precedence over <see cref="MaxSize"/>.</summary>
    public ImageSize? Size { get; init; }

    /// <summary>Coarse confidence threshold; the model's configured one when null.</summary>
    public double? Threshold { get; init; }

    /// <summary>Keep only the most confident matches (all when null), after <see cref="SharpestFraction"/>.</summary>
    public int? MaxMatches { get; init; }

    /// <summary>Sub-pixel estimate of the fine stage; the model's configured one (<see cref="LoftrConfig.Refinement"/>) when null.</summary>
    public FineRefinement? Refinement { get; init; }

    /// <summary>
    /// Keep this fraction (0, 1] of each pair's matches, those with the smallest <see cref="MatchResult.FineStd"/>; the
    /// model's configured fraction (<see cref="LoftrConfig.SharpestFraction"/>) when null. 1 keeps every match.
    /// </summary>
    public double? SharpestFraction { get; init; }

    /// <summary>
    /// In <see cref="LoftrMatcher.MatchBatch"/>, run pairs of different sizes in ONE forward pass by zero-padding them
    /// with padding masks (the reference's MegaDepth batching). Padding changes features near the padded border and the
    /// Sinkhorn marginals, so results differ from single-pair runs. When false (default), pairs are grouped by size and
    /// every result equals the single-pair result.
    /// </summary>
    public bool PadMixedSizes { get; init; }

    /// <summary>
    /// Scale of a second fine pass relative to the network size (at least 1; 1 = none); the model's configured one
    /// (<see cref="LoftrConfig.SecondPassScale"/>) when null. After the matches are refined at the network size, the
    /// fine stage runs again around them on copies of the images resized by this factor (sides rounded to the network's
    /// multiple): their fine pixels are smaller, so the sub-pixel positions get more precise while the coarse matches
    /// stay those of the network size. Costs one more backbone pass per image at the larger size. With
    /// <see cref="PadMixedSizes"/> the larger copies are padded like the network-sized images.
    /// </summary>
    public double? SecondPassScale { get; init; }

    /// <summary>
    /// Radius, in network pixels, of the patches aligned after the network (<see cref="PatchAlignment"/>; 0 = none);
    /// the model's configured one (<see cref="LoftrConfig.PatchAlignmentRadius"/>) when null. The patches are aligned
    /// on the original images, so their radius there is this one times the original-to-network scale (images more than
    /// twice the network's input size are aligned on copies shrunk to twice that size). A point of image 1 moves by at
    /// most 4 network pixels; where the alignment fails it keeps the network's position.
    /// </summary>
    public double? PatchAlignmentRadius { get; init; }

    /// <summary>
    /// With the patch alignment, drop the matches whose patches could not be aligned or whose correlation coefficient
    /// after the alignment (<see cref="PatchAlignmentResult.Correlation"/>) is below this value, in [-1, 1]; the model's
    /// configured one (<see cref="LoftrConfig.PatchAlignmentMinCorrelation"/>) when null; no value anywhere, or
    /// <see cref="double.NegativeInfinity"/> here, keeps every match.
    /// </summary>
    public double? PatchAlignmentMinCorrelation { get; init; }

    /// <summary>Default options: original size (rounded to a multiple of 8), configured threshold, all matches.</summary>
    public static MatchOptions Default { get; } = new();
}

/// <summary>
/// Matches image pairs with a LoFTR model: load once, then call <see cref="Match(string, string, MatchOptions?)"/> as
/// often as needed. Images are converted to grayscale, resized (INTER_LINEAR) to sides that are multiples of the coarse
/// resolution, scaled to [0, 1], matched, and the keypoints are mapped back to the original pixel coordinates with the
/// per-axis factors (w / w_net, h / h_net), as the reference does. Calls are serialised; one instance may be shared.
/// </summary>
public sealed class LoftrMatcher : IDisposable
{
    private readonly LoftrModel _model;
    private readonly object _gate = new();

    /// <summary>
    /// Wraps a model (switched to evaluation mode, channels-last convolutions, the given precision). The matcher owns
    /// and disposes it.
    /// </summary>
    public LoftrMatcher(LoftrModel model, Precision precision = Precision.Float32)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _model.eval();
        _model.ChannelsLast = true;
        _model.SetPrecision(precision);
    }

    /// <summary>
    /// Loads a checkpoint (<c>.ckpt</c> or <c>.safetensors</c>) and returns a matcher. The configuration comes from
    /// <paramref name="config"/>, else from the file's metadata, else it is inferred (see
    /// <see cref="LoftrCheckpoint.InferConfig"/>); pass a preset such as <see cref="LoftrConfig.OutdoorDs"/> for the
    /// released checkpoints.
    /// </summary>
    public static LoftrMatcher Load(string weightsPath, LoftrConfig? config = null, Precision precision = Precision.Float32) =>
        new(LoftrCheckpoint.LoadModel(weightsPath, config), precision);

    /// <summary>Loads the default model that ships with the library (see <see cref="DefaultModel"/>).</summary>
    /// <exception cref="InvalidOperationException">This build carries no default model.</exception>
    public static LoftrMatcher LoadDefault(Precision precision = Precision.Float32) => new(DefaultModel.Load(), precision);

    /// <summary>The model's configuration.</summary>
    public LoftrConfig Config => _model.Config;

    /// <summary>The underlying network.</summary>
    public LoftrModel Model => _model;

    /// <summary>Matches two image files.</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is not a decodable image.</exception>
    public MatchResult Match(string path0, string path1, MatchOptions? options = null)
    {
        using var m0 = GrayImage.Read(path0);
        using var m1 = GrayImage.Read(path1);
        return Match(m0, m1, options, path0, path1);
    }

    /// <summary>Matches two OpenCvSharp images (gray, BGR or BGRA; 8-bit, 16-bit or float in [0, 1]).</summary>
    public MatchResult Match(Mat image0, Mat image1, MatchOptions? options = null) => Match(image0, image1, options, "image0", "image1");

    /// <summary>
    /// Matches two OpenCvSharp images at network sizes chosen per image (each rounded to the network's multiple), e.g.
    /// when image 1 is a rotated view that needs the transposed size; <see cref="MatchOptions.Size"/> and
    /// <see cref="MatchOptions.MaxSize"/> are ignored. Keypoints are in the images' own pixels.
    /// </summary>
    public MatchResult Match(Mat image0, Mat image1, ImageSize networkSize0, ImageSize networkSize1, MatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image0);
        ArgumentNullException.ThrowIfNull(image1);
        options = (options ?? MatchOptions.Default) with { MaxSize = null, Size = null };
        return Match(image0, image1, options, "image0", "image1",
            NetworkSize(new ImageSize(image0.Cols, image0.Rows), options with { Size = networkSize0 }, "image0"),
            NetworkSize(new ImageSize(image1.Cols, image1.Rows), options with { Size = networkSize1 }, "image1"));
    }

    private MatchResult Match(Mat image0, Mat image1, MatchOptions? options, string name0, string name1,
        ImageSize? network0 = null, ImageSize? network1 = null)
    {
        ArgumentNullException.ThrowIfNull(image0);
        ArgumentNullException.ThrowIfNull(image1);
        options ??= MatchOptions.Default;
        CheckOptions(options);
        var size0 = new ImageSize(image0.Cols, image0.Rows);
        var size1 = new ImageSize(image1.Cols, image1.Rows);
        var net0 = network0 ?? NetworkSize(size0, options, name0);
        var net1 = network1 ?? NetworkSize(size1, options, name1);
        var g0 = GrayImage.FromMat(image0, net0.Width, net0.Height);
        var g1 = GrayImage.FromMat(image1, net1.Width, net1.Height);
        GrayImage? s0 = null, s1 = null;
        if (SecondPassSizes(size0, net0, size1, net1, options, name0, name1) is var (n0, n1))
        {
            s0 = GrayImage.FromMat(image0, n0.Width, n0.Height);
            s1 = GrayImage.FromMat(image1, n1.Width, n1.Height);
        }
        bool align = AlignmentRadius(options) > 0;
        return Run([new Prepared(g0, g1, size0, size1, s0, s1, align ? GrayImage.FromMat(image0) : null, align ? GrayImage.FromMat(image1) : null)],
            options)[0];
    }

    /// <summary>Matches two grayscale float images (values in [0, 1]).</summary>
    public MatchResult Match(GrayImage image0, GrayImage image1, MatchOptions? options = null) =>
        MatchBatch([(image0, image1)], options)[0];

    /// <summary>
    /// Matches several pairs, batching pairs of equal network sizes into one forward pass (see
    /// <see cref="MatchOptions.PadMixedSizes"/> for padding mixed sizes into one pass). Results are per pair, in the
    /// order given, in original pixel coordinates.
    /// </summary>
    public IReadOnlyList<MatchResult> MatchBatch(IReadOnlyList<(GrayImage Image0, GrayImage Image1)> pairs, MatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        options ??= MatchOptions.Default;
        CheckOptions(options);
        if (pairs.Count == 0) return [];
        var prepared = new List<Prepared>();
        for (int i = 0; i < pairs.Count; i++)
        {
            var (a, b) = pairs[i];
            ArgumentNullException.ThrowIfNull(a);
            ArgumentNullException.ThrowIfNull(b);
            var s0 = new ImageSize(a.Width, a.Height);
            var s1 = new ImageSize(b.Width, b.Height);
            var n0 = NetworkSize(s0, options, $"pair {i} image0");
            var n1 = NetworkSize(s1, options, $"pair {i} image1");
            GrayImage? second0 = null, second1 = null;
            if (SecondPassSizes(s0, n0, s1, n1, options, $"pair {i} image0", $"pair {i} image1") is var (m0, m1))
            {
                second0 = a.Resize(m0.Width, m0.Height);
                second1 = b.Resize(m1.Width, m1.Height);
            }
            bool align = AlignmentRadius(options) > 0;
            prepared.Add(new Prepared(a.Resize(n0.Width, n0.Height), b.Resize(n1.Width, n1.Height), s0, s1, second0, second1,
                align ? a : null, align ? b : null));
        }
        if (options.PadMixedSizes) return Run(prepared, options);
        var results = new MatchResult[prepared.Count];
        foreach (var group in Enumerable.Range(0, prepared.Count)
                     .GroupBy(i => (prepared[i].Net0.Width, prepared[i].Net0.Height, prepared[i].Net1.Width, prepared[i].Net1.Height,
                         prepared[i].Second0?.Width, prepared[i].Second0?.Height, prepared[i].Second1?.Width, prepared[i].Second1?.Height)))
        {
            var idx = group.ToArray();
            var groupResults = Run(idx.Select(i => prepared[i]).ToList(), options);
            for (int k = 0; k < idx.Length; k++) results[idx[k]] = groupResults[k];
        }
        return results;
    }

    /// <summary>The size at which an image of size <paramref name="original"/> enters the network.</summary>
    /// <exception cref="ArgumentException">The image is too small for the model.</exception>
    public ImageSize NetworkSize(ImageSize original, MatchOptions? options = null, string name = "image")
    {
        options ??= MatchOptions.Default;
        int multiple = Config.Backbone.CoarseResolution;
        int minSide = multiple * (2 * Config.CoarseMatching.BorderRemove + 1);
        double w = original.Width, h = original.Height;
        if (options.Size is { } size)
        {
            w = size.Width;
            h = size.Height;
        }
        else if (options.MaxSize is int maxSize)
        {
            if (maxSize <= 0) throw new ArgumentException($"MaxSize must be positive, got {maxSize}.");
            double s = maxSize / Math.Max(w, h);
            w *= s;
            h *= s;
        }
        int nw = Math.Max(multiple, (int)Math.Round(w / multiple, MidpointRounding.AwayFromZero) * multiple);
        int nh = Math.Max(multiple, (int)Math.Round(h / multiple, MidpointRounding.AwayFromZero) * multiple);
        if (original.Width < minSide || original.Height < minSide || nw < minSide || nh < minSide)
            throw new ArgumentException(
                $"{name}: {original} is too small; the model needs at least {minSide}x{minSide} pixels " +
                $"({2 * Config.CoarseMatching.BorderRemove + 1} coarse cells of {multiple} px per side, network size {nw}x{nh}).");
        return new ImageSize(nw, nh);
    }

    /// <summary>The network sizes of the second fine pass, or null without one.</summary>
    private (ImageSize, ImageSize)? SecondPassSizes(ImageSize size0, ImageSize net0, ImageSize size1, ImageSize net1, MatchOptions options,
        string name0, string name1)
    {
        double factor = options.SecondPassScale ?? Config.SecondPassScale ?? 1;
        if (factor == 1) return null;
        return (SecondPassSize(size0, net0, factor, name0), SecondPassSize(size1, net1, factor, name1));
    }

    /// <summary>The size of the second fine pass's copy of an image: its network size times <paramref name="factor"/>, rounded like <see cref="NetworkSize"/>.</summary>
    internal ImageSize SecondPassSize(ImageSize original, ImageSize network, double factor, string name = "image") => NetworkSize(original,
        new MatchOptions { Size = new ImageSize((int)Math.Round(network.Width * factor), (int)Math.Round(network.Height * factor)) }, name);

    /// <summary>A pair resized for the network (and for the second fine pass, when asked for), with its original sizes.</summary>
    /// <summary>
    /// A pair resized for the network (and for the second fine pass, when asked for), with its original sizes and, for
    /// the patch alignment, the original images.
    /// </summary>
    private sealed record Prepared(GrayImage Net0, GrayImage Net1, ImageSize Orig0, ImageSize Orig1, GrayImage? Second0, GrayImage? Second1,
        GrayImage? Full0 = null, GrayImage? Full1 = null);

    private double AlignmentRadius(MatchOptions options) => options.PatchAlignmentRadius ?? Config.PatchAlignmentRadius ?? 0;

    /// <summary>
    /// The patch alignment of a result's matches (<see cref="AlignPoints"/>), the scale from its original and network
    /// sizes; the matches dropped by the correlation filter are left out.
    /// </summary>
    private MatchResult Align(MatchResult r, GrayImage full0, GrayImage full1, MatchOptions options)
    {
        if (r.Count == 0) return r;
        double scale = Math.Max(Math.Max((double)r.ImageSize0.Width / r.NetworkSize0.Width, (double)r.ImageSize0.Height / r.NetworkSize0.Height),
            Math.Max((double)r.ImageSize1.Width / r.NetworkSize1.Width, (double)r.ImageSize1.Height / r.NetworkSize1.Height));
        var (kp1, kept) = AlignPoints(r.Keypoints0, r.Keypoints1, full0, full1, scale, AlignmentRadius(options),
            options.PatchAlignmentMinCorrelation ?? Config.PatchAlignmentMinCorrelation);
        var moved = r.WithKeypoints1(kp1);
        return kept.Length == r.Count ? moved : moved.Subset(kept);
    }

    /// <summary>
    /// Moves the points of image 1 by aligning patches of the original images (<see cref="PatchAlignment"/>), the
    /// radius and the largest shift scaled from network to original pixels by <paramref name="scale"/>. Returns the
    /// points of image 1 (one per match) and the indices of the matches kept: all of them without a
    /// <paramref name="minCorrelation"/> (or with -infinity), else those aligned with at least that correlation.
    /// </summary>
    internal static (Point2[] Keypoints1, int[] Kept) AlignPoints(IReadOnlyList<Point2> kp0, IReadOnlyList<Point2> kp1, GrayImage full0,
        GrayImage full1, double scale, double radius, double? minCorrelation)
    {
        using var m0 = Mat.FromPixelData(full0.Height, full0.Width, MatType.CV_32FC1, full0.Pixels);
        using var m1 = Mat.FromPixelData(full1.Height, full1.Width, MatType.CV_32FC1, full1.Pixels);
        PatchAlignmentResult aligned;
        Point2[] result;
        if (scale <= MaxAlignmentScale)
        {
            aligned = PatchAlignment.Refine(m0, m1, kp0, kp1, PatchAlignmentSettings.ForNetworkPixels(radius, scale));
            result = aligned.Keypoints1;
        }
        else
        {
            // Images much larger than the network's input are aligned on copies shrunk to MaxAlignmentScale times the
            // network size (INTER_AREA; the cost of a patch grows with its area), the points mapped there and back with
            // pixel centres kept.
            double f = MaxAlignmentScale / scale;
            using var s0 = new Mat();
            using var s1 = new Mat();
            Cv2.Resize(m0, s0, new OpenCvSharp.Size(Math.Max(1, (int)Math.Round(full0.Width * f)), Math.Max(1, (int)Math.Round(full0.Height * f))), 0, 0, InterpolationFlags.Area);
            Cv2.Resize(m1, s1, new OpenCvSharp.Size(Math.Max(1, (int)Math.Round(full1.Width * f)), Math.Max(1, (int)Math.Round(full1.Height * f))), 0, 0, InterpolationFlags.Area);
            double fx0 = (double)s0.Cols / full0.Width, fy0 = (double)s0.Rows / full0.Height, fx1 = (double)s1.Cols / full1.Width, fy1 = (double)s1.Rows / full1.Height;
            var small0 = kp0.Select(p => new Point2((float)((p.X + 0.5) * fx0 - 0.5), (float)((p.Y + 0.5) * fy0 - 0.5))).ToArray();
            var small1 = kp1.Select(p => new Point2((float)((p.X + 0.5) * fx1 - 0.5), (float)((p.Y + 0.5) * fy1 - 0.5))).ToArray();
            aligned = PatchAlignment.Refine(s0, s1, small0, small1, PatchAlignmentSettings.ForNetworkPixels(radius, MaxAlignmentScale));
            result = kp1.ToArray();
            for (int i = 0; i < result.Length; i++)
                if (!float.IsNaN(aligned.Correlation[i]))
                    result[i] = new Point2((float)((aligned.Keypoints1[i].X + 0.5) / fx1 - 0.5), (float)((aligned.Keypoints1[i].Y + 0.5) / fy1 - 0.5));
        }
        var all = Enumerable.Range(0, result.Length);
        // the correlation filter drops the matches whose patches could not be aligned or correlate less than asked
        var kept = minCorrelation is double c && !double.IsNegativeInfinity(c) ? all.Where(i => aligned.Correlation[i] >= c) : all;
        return (result, kept.ToArray());
    }

    /// <summary>Largest original-to-network scale at which patches are aligned on the original images (larger ones are shrunk to it).</summary>
    internal const double MaxAlignmentScale = 2;

    private List<MatchResult> Run(IReadOnlyList<Prepared> batch, MatchOptions options)
    {
        int n = batch.Count;
        int res = Config.Backbone.CoarseResolution;
        int h0 = batch.Max(p => p.Net0.Height), w0 = batch.Max(p => p.Net0.Width);
        int h1 = batch.Max(p => p.Net1.Height), w1 = batch.Max(p => p.Net1.Width);
        bool padded = batch.Any(p => p.Net0.Width != w0 || p.Net0.Height != h0 || p.Net1.Width != w1 || p.Net1.Height != h1);

        lock (_gate)
        {
            using var scope = NewDisposeScope();
            using var mode = inference_mode();
            Tensor img0 = zeros(n, 1, h0, w0), img1 = zeros(n, 1, h1, w1);
            Tensor? mask0 = padded ? zeros(n, h0 / res, w0 / res, dtype: ScalarType.Bool) : null;
            Tensor? mask1 = padded ? zeros(n, h1 / res, w1 / res, dtype: ScalarType.Bool) : null;
            for (int i = 0; i < n; i++)
            {
                Paste(img0, mask0, i, batch[i].Net0, res);
                Paste(img1, mask1, i, batch[i].Net1, res);
            }
            var scale0 = tensor(batch.SelectMany(p => new[] { (float)p.Orig0.Width / p.Net0.Width, (float)p.Orig0.Height / p.Net0.Height }).ToArray()).view(n, 2);
            var scale1 = tensor(batch.SelectMany(p => new[] { (float)p.Orig1.Width / p.Net1.Width, (float)p.Orig1.Height / p.Net1.Height }).ToArray()).view(n, 2);

            SecondFinePass? second = null;
            if (batch[0].Second0 is not null)
            {
                // zero-padded to the batch's largest size like the first pass; the keypoints never reach the padding
                Tensor sec0 = zeros(n, 1, batch.Max(p => p.Second0!.Height), batch.Max(p => p.Second0!.Width));
                Tensor sec1 = zeros(n, 1, batch.Max(p => p.Second1!.Height), batch.Max(p => p.Second1!.Width));
                for (int i = 0; i < n; i++)
                {
                    Paste(sec0, null, i, batch[i].Second0!, res);
                    Paste(sec1, null, i, batch[i].Second1!, res);
                }
                var secScale0 = tensor(batch.SelectMany(p => new[] { (float)p.Orig0.Width / p.Second0!.Width, (float)p.Orig0.Height / p.Second0!.Height }).ToArray()).view(n, 2);
                var secScale1 = tensor(batch.SelectMany(p => new[] { (float)p.Orig1.Width / p.Second1!.Width, (float)p.Orig1.Height / p.Second1!.Height }).ToArray()).view(n, 2);
                second = new SecondFinePass(sec0, sec1, secScale0, secScale1);
            }
            using var output = _model.Forward(img0, img1, mask0, mask1, scale0, scale1, options.Threshold, refinement: options.Refinement,
                secondPass: second);
            var bIds = output.BatchIndex.ToArrayOrEmpty<long>();
            var kp0 = output.Keypoints0.ToArrayOrEmpty<float>();
            var kp1 = output.Keypoints1.ToArrayOrEmpty<float>();
            var kp1c = output.Coarse.Matches.Keypoints1.ToArrayOrEmpty<float>();
            var conf = output.Confidence.ToArrayOrEmpty<float>();
            var std = output.Fine.Expectation[.., 2].contiguous().ToArrayOrEmpty<float>();

            var results = new List<MatchResult>(n);
            for (int i = 0; i < n; i++)
            {
                var idx = Enumerable.Range(0, bIds.Length).Where(k => bIds[k] == i).ToArray();
                var r = new MatchResult
                {
                    Keypoints0 = idx.Select(k => new Point2(kp0[2 * k], kp0[2 * k + 1])).ToArray(),
                    Keypoints1 = idx.Select(k => new Point2(kp1[2 * k], kp1[2 * k + 1])).ToArray(),
                    CoarseKeypoints1 = idx.Select(k => new Point2(kp1c[2 * k], kp1c[2 * k + 1])).ToArray(),
                    Confidence = idx.Select(k => conf[k]).ToArray(),
                    FineStd = idx.Select(k => std[k]).ToArray(),
                    ImageSize0 = batch[i].Orig0,
                    ImageSize1 = batch[i].Orig1,
                    NetworkSize0 = new ImageSize(batch[i].Net0.Width, batch[i].Net0.Height),
                    NetworkSize1 = new ImageSize(batch[i].Net1.Width, batch[i].Net1.Height),
                };
                r = r.Sharpest(options.SharpestFraction ?? Config.SharpestFraction);
                if (options.MaxMatches is int k && k < r.Count) r = r.TopK(k);
                if (batch[i].Full0 is { } full0 && batch[i].Full1 is { } full1)
                    r = Align(r, full0, full1, options);
                results.Add(r);
            }
            return results;
        }
    }

    private static void CheckOptions(MatchOptions options)
    {
        if (options.SharpestFraction is double f && !(f > 0 && f <= 1))
            throw new ArgumentException($"SharpestFraction must be in (0, 1], got {f}.", nameof(options));
        if (options.Refinement is FineRefinement mode && !Enum.IsDefined(mode))
            throw new ArgumentException($"Unknown fine refinement {(int)mode}.", nameof(options));
        if (options.SecondPassScale is double scale && !LoftrConfig.IsSecondPassScale(scale))
            throw new ArgumentException($"SecondPassScale must be in [1, {LoftrConfig.MaxSecondPassScale}], got {scale}.", nameof(options));
        if (options.PatchAlignmentRadius is double radius && !LoftrConfig.IsPatchAlignmentRadius(radius))
            throw new ArgumentException($"PatchAlignmentRadius must be 0 or in [2, {LoftrConfig.MaxPatchAlignmentRadius}] network pixels, got {radius}.", nameof(options));
        if (options.PatchAlignmentMinCorrelation is double mc && !LoftrConfig.IsPatchAlignmentMinCorrelation(mc) && !double.IsNegativeInfinity(mc))
            throw new ArgumentException($"PatchAlignmentMinCorrelation must be in [-1, 1] (or -infinity: keep every match), got {mc}.", nameof(options));
        if (options.MaxMatches is < 0)
            throw new ArgumentException($"MaxMatches must not be negative, got {options.MaxMatches}.", nameof(options));
    }

    private static void Paste(Tensor images, Tensor? masks, int i, GrayImage image, int res)
    {
        images[i, 0, ..image.Height, ..image.Width] = tensor(image.Pixels).view(image.Height, image.Width);
        if (masks is not null) masks[i, ..(image.Height / res), ..(image.Width / res)].fill_(Scalars.True);
    }

    /// <summary>Disposes the model.</summary>
    public void Dispose() => _model.Dispose();
}
