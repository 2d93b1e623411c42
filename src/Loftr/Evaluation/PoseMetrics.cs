using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>
/// Relative-pose metrics, a line-by-line port of LoFTR's <c>src/utils/metrics.py</c>
/// (<c>relative_pose_error</c>, <c>estimate_pose</c>, <c>symmetric_epipolar_distance</c>,
/// <c>compute_symmetrical_epipolar_errors</c>, <c>error_auc</c>, <c>epidist_prec</c>, <c>aggregate_metrics</c>),
/// computed in double precision. Keypoints are pixels of the images the intrinsics belong to.
/// </summary>
public static class PoseMetrics
{
    /// <summary>RANSAC inlier threshold in pixels (LoFTR <c>TRAINER.RANSAC_PIXEL_THR</c>).</summary>
    public const double DefaultPixelThreshold = 0.5;

    /// <summary>RANSAC confidence (LoFTR <c>TRAINER.RANSAC_CONF</c>).</summary>
    public const double DefaultConfidence = 0.99999;

    /// <summary>Epipolar-precision threshold used for ScanNet (squared normalised distance).</summary>
    public const double ScanNetEpipolarThreshold = 5e-4;

    /// <summary>Epipolar-precision threshold used for MegaDepth (squared normalised distance).</summary>
    public const double MegaDepthEpipolarThreshold = 1e-4;

    /// <summary>Minimum number of matches <see cref="EstimatePose"/> needs (fewer: failure).</summary>
    public const int MinimumMatches = 5;

    /// <summary>The pose AUC thresholds in degrees: 5, 10, 20.</summary>
    public static IReadOnlyList<double> AucThresholds { get; } = [5.0, 10.0, 20.0];

    /// <summary>
    /// Angular error of an estimated pose against <paramref name="t0to1"/> (reference <c>relative_pose_error</c>).
    /// t_err = angle(t, t_gt) folded with min(e, 180 - e) (sign ambiguity of E), set to 0 when
    /// ||t_gt|| &lt; <paramref name="ignoreGtTranslationThreshold"/>; R_err = arccos(clip((tr(R^T R_gt) - 1) / 2, -1, 1)).
    /// </summary>
    /// <param name="t0to1">Ground-truth transform, 4x4 or 3x4 (X_cam1 = R_gt X_cam0 + t_gt).</param>
    /// <param name="rotation">Estimated 3x3 rotation.</param>
    /// <param name="translation">Estimated translation (any scale, 3 values).</param>
    /// <param name="ignoreGtTranslationThreshold">Below this ground-truth translation norm t_err is 0 (reference default 0: never).</param>
    /// <returns>Errors in degrees. A zero-norm translation gives NaN t_err, as numpy does.</returns>
    public static PoseError RelativePoseError(double[,] t0to1, double[,] rotation, ReadOnlySpan<double> translation,
        double ignoreGtTranslationThreshold = 0.0)
    {
        MatrixMath.RequireShape(t0to1, 3, 4, nameof(t0to1), exact: false);
        MatrixMath.RequireShape(rotation, 3, 3, nameof(rotation));
        if (translation.Length != 3) throw new ArgumentException("Translation must have 3 values.", nameof(translation));

        double tx = t0to1[0, 3], ty = t0to1[1, 3], tz = t0to1[2, 3];
        double normGt = Math.Sqrt(tx * tx + ty * ty + tz * tz);
        double norm = Math.Sqrt(translation[0] * translation[0] + translation[1] * translation[1] + translation[2] * translation[2]);
        double n = norm * normGt;
        double dot = translation[0] * tx + translation[1] * ty + translation[2] * tz;
        double tErr = RadToDeg(Math.Acos(Clip(dot / n, -1.0, 1.0)));
        tErr = Math.Min(tErr, 180 - tErr); // NaN propagates, as np.minimum
        if (normGt < ignoreGtTranslationThreshold) tErr = 0;

        double trace = 0; // trace(R^T R_gt) = sum_ij R_ij R_gt_ij
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) trace += rotation[i, j] * t0to1[i, j];
        double cos = Clip((trace - 1) / 2, -1.0, 1.0);
        double rErr = RadToDeg(Math.Abs(Math.Acos(cos)));
        return new PoseError(tErr, rErr);
    }

    /// <summary>
    /// Estimates the relative pose from matches (reference <c>estimate_pose</c>): keypoints normalised with K,
    /// <c>findEssentialMat</c> (identity camera, RANSAC, threshold = <paramref name="pixelThreshold"/> / mean(K0[0,0], K1[1,1], K0[0,0], K1[1,1]),
    /// prob = <paramref name="confidence"/>), then <c>recoverPose</c> (distance threshold 1e9) on every 3x3 block of E,
    /// keeping the block with the most cheirality inliers. As in the reference the RANSAC mask is passed in/out to
    /// each <c>recoverPose</c> call.
    /// </summary>
    /// <param name="kpts0">Matched keypoints in image 0 (pixels).</param>
    /// <param name="kpts1">Corresponding keypoints in image 1 (pixels).</param>
    /// <param name="k0">3x3 intrinsics of image 0.</param>
    /// <param name="k1">3x3 intrinsics of image 1.</param>
    /// <param name="pixelThreshold">RANSAC threshold in pixels.</param>
    /// <param name="confidence">RANSAC confidence.</param>
    /// <returns>The pose, or null with fewer than 5 matches, no essential matrix, or no block with a positive inlier count.</returns>
    public static PoseEstimate? EstimatePose(ReadOnlySpan<Point2d> kpts0, ReadOnlySpan<Point2d> kpts1, double[,] k0, double[,] k1,
        double pixelThreshold = DefaultPixelThreshold, double confidence = DefaultConfidence)
    {
        RequireSameLength(kpts0, kpts1);
        MatrixMath.RequireShape(k0, 3, 3, nameof(k0));
        MatrixMath.RequireShape(k1, 3, 3, nameof(k1));
        if (kpts0.Length < MinimumMatches) return null;

        using var p0 = MatrixMath.PointsToMat(Normalize(kpts0, k0));
        using var p1 = MatrixMath.PointsToMat(Normalize(kpts1, k1));
        double ransacThr = pixelThreshold / ((k0[0, 0] + k1[1, 1] + k0[0, 0] + k1[1, 1]) / 4.0);

        using var eye = Mat.Eye(3, 3, MatType.CV_64FC1).ToMat();
        using var mask = new Mat();
        using var e = Cv2.FindEssentialMat(p0, p1, eye, EssentialMatMethod.Ransac, confidence, ransacThr, mask);
        int eRows = e.Rows;
        if (e.Empty() || e.Cols != 3 || eRows % 3 != 0) return null;

        int n = kpts0.Length;
        int best = 0;
        PoseEstimate? result = null;
        for (int b = 0; b < eRows / 3; b++)
        {
            using var ebView = e.RowRange(3 * b, 3 * b + 3);
            using var eb = ebView.Clone();
            using var r = new Mat();
            using var t = new Mat();
            using var triangulated = new Mat();
            int inl = Cv2.RecoverPose(eb, p0, p1, eye, r, t, 1e9, mask, triangulated);
            if (inl > best)
            {
                var tArr = MatrixMath.ToArray(t);
                result = new PoseEstimate(MatrixMath.ToArray(r), [tArr[0, 0], tArr[1, 0], tArr[2, 0]], MatrixMath.MaskToBool(mask, n), inl);
                best = inl;
            }
        }
        return result;
    }

    /// <summary>
    /// Full per-pair evaluation (reference <c>compute_pose_errors</c> + <c>compute_symmetrical_epipolar_errors</c>):
    /// estimates the pose, scores it against <paramref name="t0to1"/> (failure: +inf) and computes the epipolar errors.
    /// </summary>
    /// <param name="identifier">Pair identifier (used for de-duplication in <see cref="Aggregate"/>).</param>
    /// <param name="kpts0">Matched keypoints in image 0 (pixels).</param>
    /// <param name="kpts1">Corresponding keypoints in image 1 (pixels).</param>
    /// <param name="k0">3x3 intrinsics of image 0.</param>
    /// <param name="k1">3x3 intrinsics of image 1.</param>
    /// <param name="t0to1">Ground-truth 4x4 (or 3x4) transform.</param>
    /// <param name="pixelThreshold">RANSAC threshold in pixels.</param>
    /// <param name="confidence">RANSAC confidence.</param>
    /// <returns>The pair's errors.</returns>
    public static PosePairResult EvaluatePair(string identifier, ReadOnlySpan<Point2d> kpts0, ReadOnlySpan<Point2d> kpts1,
        double[,] k0, double[,] k1, double[,] t0to1,
        double pixelThreshold = DefaultPixelThreshold, double confidence = DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var epi = SymmetricalEpipolarErrors(kpts0, kpts1, t0to1, k0, k1);
        var est = EstimatePose(kpts0, kpts1, k0, k1, pixelThreshold, confidence);
        var err = est is null ? PoseError.Failed : RelativePoseError(t0to1, est.Rotation, est.Translation);
        return new PosePairResult(identifier, err, epi, est);
    }

    /// <summary>The essential matrix E = [t]x R of a 4x4 (or 3x4) transform.</summary>
    /// <param name="t0to1">Transform with X_cam1 = R X_cam0 + t.</param>
    /// <returns>3x3 E.</returns>
    public static double[,] EssentialFromPose(double[,] t0to1)
    {
        MatrixMath.RequireShape(t0to1, 3, 4, nameof(t0to1), exact: false);
        double t0 = t0to1[0, 3], t1 = t0to1[1, 3], t2 = t0to1[2, 3];
        var tx = new double[,] { { 0, -t2, t1 }, { t2, 0, -t0 }, { -t1, t0, 0 } };
        return MatrixMath.Multiply(tx, MatrixMath.Block(t0to1, 3, 3));
    }

    /// <summary>
    /// Squared symmetric epipolar distance of each match in K-normalised coordinates (reference
    /// <c>symmetric_epipolar_distance</c>): d = (p1^T E p0)^2 (1 / ((E p0)_x^2 + (E p0)_y^2) + 1 / ((E^T p1)_x^2 + (E^T p1)_y^2)).
    /// Normalisation uses only fx, fy, cx, cy: ((x - cx) / fx, (y - cy) / fy).
    /// </summary>
    /// <param name="pts0">Points in image 0 (pixels).</param>
    /// <param name="pts1">Points in image 1 (pixels).</param>
    /// <param name="essential">3x3 essential matrix mapping camera 0 to camera 1.</param>
    /// <param name="k0">Intrinsics of image 0.</param>
    /// <param name="k1">Intrinsics of image 1.</param>
    /// <returns>One squared distance per match.</returns>
    public static double[] SymmetricEpipolarDistance(ReadOnlySpan<Point2d> pts0, ReadOnlySpan<Point2d> pts1, double[,] essential,
        double[,] k0, double[,] k1)
    {
        RequireSameLength(pts0, pts1);
        MatrixMath.RequireShape(essential, 3, 3, nameof(essential));
        MatrixMath.RequireShape(k0, 3, 3, nameof(k0));
        MatrixMath.RequireShape(k1, 3, 3, nameof(k1));
        var e = essential;
        var d = new double[pts0.Length];
        for (int i = 0; i < d.Length; i++)
        {
            double x0 = (pts0[i].X - k0[0, 2]) / k0[0, 0], y0 = (pts0[i].Y - k0[1, 2]) / k0[1, 1];
            double x1 = (pts1[i].X - k1[0, 2]) / k1[0, 0], y1 = (pts1[i].Y - k1[1, 2]) / k1[1, 1];
            double ep0x = e[0, 0] * x0 + e[0, 1] * y0 + e[0, 2];
            double ep0y = e[1, 0] * x0 + e[1, 1] * y0 + e[1, 2];
            double ep0z = e[2, 0] * x0 + e[2, 1] * y0 + e[2, 2];
            double p1Ep0 = x1 * ep0x + y1 * ep0y + ep0z;
            double etp1x = x1 * e[0, 0] + y1 * e[1, 0] + e[2, 0];
            double etp1y = x1 * e[0, 1] + y1 * e[1, 1] + e[2, 1];
            d[i] = p1Ep0 * p1Ep0 * (1.0 / (ep0x * ep0x + ep0y * ep0y) + 1.0 / (etp1x * etp1x + etp1y * etp1y));
        }
        return d;
    }

    /// <summary>
    /// Epipolar errors of matches under the ground-truth pose (reference <c>compute_symmetrical_epipolar_errors</c>):
    /// <see cref="SymmetricEpipolarDistance"/> with E = [t]x R of <paramref name="t0to1"/>.
    /// </summary>
    /// <param name="pts0">Points in image 0 (pixels).</param>
    /// <param name="pts1">Points in image 1 (pixels).</param>
    /// <param name="t0to1">Ground-truth 4x4 (or 3x4) transform.</param>
    /// <param name="k0">Intrinsics of image 0.</param>
    /// <param name="k1">Intrinsics of image 1.</param>
    /// <returns>One squared normalised distance per match.</returns>
    public static double[] SymmetricalEpipolarErrors(ReadOnlySpan<Point2d> pts0, ReadOnlySpan<Point2d> pts1, double[,] t0to1,
        double[,] k0, double[,] k1)
        => SymmetricEpipolarDistance(pts0, pts1, EssentialFromPose(t0to1), k0, k1);

    /// <summary>
    /// Area under the cumulative error curve up to each threshold, normalised by the threshold (reference
    /// <c>error_auc</c>, identical to SuperGlue's <c>pose_auc</c>): errors are sorted and prefixed with 0, recall
    /// i / N is integrated with the trapezoid rule up to the threshold, the last recall below the threshold being
    /// held until the threshold. NaN counts as +inf (numpy sorts NaN last). An empty list gives 0.
    /// </summary>
    /// <param name="errors">Per-pair errors (+inf for failures).</param>
    /// <param name="thresholds">Positive thresholds, same unit as the errors.</param>
    /// <returns>One AUC in [0, 1] per threshold.</returns>
    public static double[] ErrorAuc(IEnumerable<double> errors, IReadOnlyList<double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(thresholds);
        var sorted = errors.Select(e => double.IsNaN(e) ? double.PositiveInfinity : e).ToList();
        sorted.Sort();
        int count = sorted.Count;
        var errs = new double[count + 1];
        for (int i = 0; i < count; i++) errs[i + 1] = sorted[i];
        // np.linspace(0, 1, count + 1): i * step with the last value exactly 1.
        var recall = new double[count + 1];
        if (count > 0)
        {
            double step = 1.0 / count;
            for (int i = 0; i <= count; i++) recall[i] = i * step;
            recall[count] = 1.0;
        }

        var aucs = new double[thresholds.Count];
        for (int k = 0; k < thresholds.Count; k++)
        {
            double thr = thresholds[k];
            if (!(thr > 0)) throw new ArgumentOutOfRangeException(nameof(thresholds), "AUC thresholds must be positive.");
            int last = LowerBound(errs, thr); // np.searchsorted(side='left'); >= 1 because errs[0] = 0 < thr
            double area = 0;
            for (int i = 0; i < last; i++)
            {
                double x0 = errs[i], y0 = recall[i];
                double x1 = i + 1 < last ? errs[i + 1] : thr;
                double y1 = i + 1 < last ? recall[i + 1] : recall[last - 1];
                area += (x1 - x0) * (y1 + y0) / 2.0;
            }
            aucs[k] = area / thr;
        }
        return aucs;
    }

    /// <summary>
    /// Matching precision (reference <c>epidist_prec</c>): for each threshold, the mean over pairs of the fraction
    /// of matches with error strictly below it; a pair without matches contributes 0, no pairs gives 0.
    /// </summary>
    /// <param name="errorsPerPair">Epipolar errors of every pair.</param>
    /// <param name="thresholds">Thresholds (squared normalised distance).</param>
    /// <returns>One precision per threshold.</returns>
    public static double[] EpipolarPrecision(IEnumerable<IReadOnlyList<double>> errorsPerPair, IReadOnlyList<double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(errorsPerPair);
        ArgumentNullException.ThrowIfNull(thresholds);
        var pairs = errorsPerPair.ToList();
        var precs = new double[thresholds.Count];
        for (int k = 0; k < thresholds.Count; k++)
        {
            if (pairs.Count == 0) continue;
            double sum = 0;
            foreach (var errs in pairs)
            {
                if (errs.Count == 0) continue;
                int good = 0;
                foreach (double e in errs) if (e < thresholds[k]) good++;
                sum += (double)good / errs.Count;
            }
            precs[k] = sum / pairs.Count;
        }
        return precs;
    }

    /// <summary>
    /// Dataset-level metrics (reference <c>aggregate_metrics</c>): duplicates by identifier are collapsed (the last
    /// occurrence wins), pose AUC@5/10/20 of max(R_err, t_err) and the epipolar precision at <paramref name="epipolarThreshold"/>.
    /// </summary>
    /// <param name="pairs">Per-pair results.</param>
    /// <param name="epipolarThreshold">5e-4 for ScanNet, 1e-4 for MegaDepth.</param>
    /// <returns>The summary.</returns>
    public static PoseBenchmarkSummary Aggregate(IEnumerable<PosePairResult> pairs, double epipolarThreshold = ScanNetEpipolarThreshold)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var unique = new Dictionary<string, PosePairResult>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var p in pairs)
        {
            if (!unique.ContainsKey(p.Identifier)) order.Add(p.Identifier);
            unique[p.Identifier] = p;
        }
        var list = order.Select(id => unique[id]).ToList();
        var auc = ErrorAuc(list.Select(p => p.Error.Max), AucThresholds);
        var prec = EpipolarPrecision(list.Select(p => (IReadOnlyList<double>)p.EpipolarErrors), [epipolarThreshold]);
        return new PoseBenchmarkSummary(auc[0], auc[1], auc[2], prec[0], epipolarThreshold, list.Count);
    }

    /// <summary>K-normalised coordinates ((x - cx) / fx, (y - cy) / fy).</summary>
    /// <param name="pts">Pixels.</param>
    /// <param name="k">3x3 intrinsics.</param>
    /// <returns>Normalised points.</returns>
    public static Point2d[] Normalize(ReadOnlySpan<Point2d> pts, double[,] k)
    {
        MatrixMath.RequireShape(k, 3, 3, nameof(k));
        var r = new Point2d[pts.Length];
        for (int i = 0; i < r.Length; i++)
            r[i] = new Point2d((pts[i].X - k[0, 2]) / k[0, 0], (pts[i].Y - k[1, 2]) / k[1, 1]);
        return r;
    }

    internal static void RequireSameLength(ReadOnlySpan<Point2d> a, ReadOnlySpan<Point2d> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Point lists differ in length: {a.Length} vs {b.Length}.");
    }

    private static int LowerBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static double Clip(double v, double lo, double hi) => double.IsNaN(v) ? v : Math.Min(Math.Max(v, lo), hi);

    private static double RadToDeg(double r) => r * (180.0 / Math.PI);
}
