using System.Diagnostics;
using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>Progress of a running evaluation, reported after each pair.</summary>
/// <param name="Completed">Pairs done.</param>
/// <param name="Total">Pairs in the dataset.</param>
/// <param name="Identifier">The pair just finished.</param>
public readonly record struct EvalProgress(int Completed, int Total, string Identifier);

/// <summary>
/// Runs a matcher over a dataset and scores it: for each pair the images are read as grayscale (or taken from memory,
/// <see cref="HomographyEvalPair.Images"/>) and prepared by the
/// dataset's <see cref="EvalResize"/>, matched (timed), mapped to the frame of the ground truth, and scored with the
/// metrics of <see cref="PoseMetrics"/>, <see cref="HomographyMetrics"/> or <see cref="StereoMetrics"/>. The same
/// code path serves every matcher, so SIFT and LoFTR rows are comparable.
/// </summary>
/// <param name="matcher">The matcher under evaluation (not disposed by the runner).</param>
public sealed class EvalRunner(IEvalMatcher matcher)
{
    private readonly IEvalMatcher _matcher = matcher ?? throw new ArgumentNullException(nameof(matcher));

    /// <summary>Called after every pair (on the calling thread).</summary>
    public Action<EvalProgress>? PairCompleted { get; init; }

    /// <summary>Relative-pose evaluation (AUC@5/10/20 of max(t_err, R_err), epipolar precision).</summary>
    /// <param name="dataset">The pairs with ground-truth poses.</param>
    /// <param name="settings">Settings (LoFTR defaults when null).</param>
    /// <returns>The report.</returns>
    public PoseReport Run(PoseDataset dataset, PoseEvalSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        settings ??= new PoseEvalSettings();
        double epiThr = settings.EpipolarThreshold ?? dataset.EpipolarThreshold;
        var results = new List<PosePairResult>();
        var rows = new List<PosePairReport>();
        for (int i = 0; i < dataset.Pairs.Count; i++)
        {
            var pair = dataset.Pairs[i];
            var (p0, p1, ms) = MatchPair(pair.Image0Path, pair.Image1Path, dataset.Resize, settings.MaxMatches,
                dataset.Frame == IntrinsicsFrame.Original);
            var r = PoseMetrics.EvaluatePair(pair.Identifier, p0, p1, pair.K0, pair.K1, pair.T0to1, settings.PixelThreshold, settings.Confidence);
            results.Add(r);
            double prec = PoseMetrics.EpipolarPrecision([r.EpipolarErrors], [epiThr])[0];
            rows.Add(new PosePairReport(pair.Identifier, p0.Length, r.Estimate?.InlierCount ?? 0, r.Error.TranslationDeg, r.Error.RotationDeg, prec, ms));
            PairCompleted?.Invoke(new EvalProgress(i + 1, dataset.Pairs.Count, pair.Identifier));
        }
        var summary = PoseMetrics.Aggregate(results, epiThr);
        return new PoseReport
        {
            Dataset = dataset.Name,
            Method = _matcher.Name,
            MethodDescription = _matcher.Description,
            Protocol = settings.Describe(dataset),
            PairCount = summary.PairCount,
            MeanMatches = Mean(rows.Select(r => (double)r.Matches)),
            MeanMatchMilliseconds = Mean(rows.Select(r => r.MatchMilliseconds)),
            Auc5 = summary.Auc5,
            Auc10 = summary.Auc10,
            Auc20 = summary.Auc20,
            Precision = summary.Precision,
            EpipolarThreshold = epiThr,
            Pairs = rows,
        };
    }

    /// <summary>Homography evaluation (AUC@3/5/10 px of the mean corner error, match precision), in the resized frame.</summary>
    /// <param name="dataset">The pairs with ground-truth homographies.</param>
    /// <param name="settings">Settings (HPatches protocol when null).</param>
    /// <returns>The report.</returns>
    public HomographyReport Run(HomographyDataset dataset, HomographyEvalSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        settings ??= new HomographyEvalSettings();
        var rows = new List<HomographyPairReport>();
        for (int i = 0; i < dataset.Pairs.Count; i++)
        {
            var pair = dataset.Pairs[i];
            using var im0 = pair.Images is { } mem0 ? EvalImage.FromGray8(mem0.Image0, dataset.Resize) : EvalImage.Load(pair.Image0Path, dataset.Resize);
            using var im1 = pair.Images is { } mem1 ? EvalImage.FromGray8(mem1.Image1, dataset.Resize) : EvalImage.Load(pair.Image1Path, dataset.Resize);
            var (m, ms) = TimedMatch(im0, im1, dataset.Resize, settings.MaxMatches);
            var gt = HomographyMetrics.RescaleHomography(pair.Homography, im0.ScaleX, im0.ScaleY, im1.ScaleX, im1.ScaleY);
            var est = settings.Estimator == HomographyEstimator.Magsac
                ? RobustGeometry.EstimateHomography(m.Points0, m.Points1, settings.RansacThreshold)
                : HomographyMetrics.EstimateHomography(m.Points0, m.Points1, settings.RansacThreshold);
            double err = HomographyMetrics.MeanCornerError(est?.Matrix, gt, im0.Resized.Width, im0.Resized.Height);
            var reproj = HomographyMetrics.ReprojectionErrors(m.Points0, m.Points1, gt);
            double prec = HomographyMetrics.FractionWithin(reproj, [settings.PrecisionThreshold])[0];
            rows.Add(new HomographyPairReport(pair.Identifier, m.Count, est?.InlierCount ?? 0, err, prec, ms));
            PairCompleted?.Invoke(new EvalProgress(i + 1, dataset.Pairs.Count, pair.Identifier));
        }
        var auc = HomographyMetrics.Auc(rows.Select(r => r.CornerError));
        return new HomographyReport
        {
            Dataset = dataset.Name,
            Method = _matcher.Name,
            MethodDescription = _matcher.Description,
            Protocol = settings.Describe(dataset),
            PairCount = rows.Count,
            MeanMatches = Mean(rows.Select(r => (double)r.Matches)),
            MeanMatchMilliseconds = Mean(rows.Select(r => r.MatchMilliseconds)),
            Auc3 = auc[0],
            Auc5 = auc[1],
            Auc10 = auc[2],
            Precision = Mean(rows.Select(r => r.Precision)),
            PrecisionThreshold = settings.PrecisionThreshold,
            Pairs = rows,
        };
    }

    /// <summary>Stereo evaluation: fraction of matches within 1/2/5 px of the disparity ground truth, in stored pixels.</summary>
    /// <param name="dataset">The rectified pairs.</param>
    /// <param name="settings">Settings (thresholds 1, 2, 5 px, no row filter when null).</param>
    /// <returns>The report.</returns>
    public StereoReport Run(StereoDataset dataset, StereoEvalSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        settings ??= new StereoEvalSettings();
        var thr = settings.EffectiveThresholds;
        var rows = new List<StereoPairReport>();
        var pooled = new List<double>();
        for (int i = 0; i < dataset.Pairs.Count; i++)
        {
            var pair = dataset.Pairs[i];
            string id = StereoDataset.Identifier(pair);
            var disparity = pair.LoadDisparity();
            var (p0, p1, ms) = MatchPair(pair.LeftPath, pair.RightPath, dataset.Resize, settings.MaxMatches, toOriginal: true);
            var ev = StereoMetrics.Evaluate(p0, p1, disparity, thr, settings.MaxRowDifference);
            pooled.AddRange(ev.Errors);
            rows.Add(new StereoPairReport(id, p0.Length, ev.EvaluatedCount, ev.FractionWithin, ev.MedianError, ms) { Errors = ev.Errors });
            PairCompleted?.Invoke(new EvalProgress(i + 1, dataset.Pairs.Count, id));
        }
        return new StereoReport
        {
            Dataset = dataset.Name,
            Method = _matcher.Name,
            MethodDescription = _matcher.Description,
            Protocol = settings.Describe(dataset),
            PairCount = rows.Count,
            MeanMatches = Mean(rows.Select(r => (double)r.Matches)),
            MeanMatchMilliseconds = Mean(rows.Select(r => r.MatchMilliseconds)),
            Thresholds = thr.ToArray(),
            FractionWithin = thr.Select(t => pooled.Count == 0 ? 0.0 : (double)pooled.Count(e => e < t) / pooled.Count).ToArray(),
            EvaluatedCount = pooled.Count,
            MedianError = Median(pooled),
            Pairs = rows,
        };
    }

    private (Point2d[] P0, Point2d[] P1, double Ms) MatchPair(string path0, string path1, EvalResize resize, int? maxMatches, bool toOriginal)
    {
        using var im0 = EvalImage.Load(path0, resize);
        using var im1 = EvalImage.Load(path1, resize);
        var (m, ms) = TimedMatch(im0, im1, resize, maxMatches);
        return toOriginal ? (im0.ToOriginal(m.Points0), im1.ToOriginal(m.Points1), ms) : (m.Points0, m.Points1, ms);
    }

    private (EvalMatches Matches, double Ms) TimedMatch(EvalImage im0, EvalImage im1, EvalResize resize, int? maxMatches)
    {
        var sw = Stopwatch.StartNew();
        var m = _matcher.Match(im0.Gray, im1.Gray, resize.PadToSquare);
        double ms = sw.Elapsed.TotalMilliseconds;
        return (m.TopK(maxMatches), ms);
    }

    private static double Mean(IEnumerable<double> v)
    {
        var a = v.ToArray();
        return a.Length == 0 ? 0 : a.Average();
    }

    private static double Median(List<double> v)
    {
        if (v.Count == 0) return double.NaN;
        var s = v.Order().ToArray();
        int m = s.Length / 2;
        return s.Length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
}
