using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>
/// Robust two-view geometry with OpenCV's USAC MAGSAC++ (<c>cv2.USAC_MAGSAC</c>), for the command-line tools:
/// homography, fundamental and essential matrices with inlier masks. Thresholds are in pixels.
/// </summary>
public static class RobustGeometry
{
    /// <summary>OpenCV's <c>USAC_MAGSAC</c> method constant (38), also for the enums that lack the member.</summary>
    public const int UsacMagsac = 38;

    /// <summary>Default confidence of the USAC estimators.</summary>
    public const double DefaultConfidence = 0.99999;

    /// <summary>
    /// Homography H with [x1, y1, 1]^T ~ H [x0, y0, 1]^T (<c>cv2.findHomography(..., USAC_MAGSAC)</c>).
    /// </summary>
    /// <param name="pts0">Points in image 0 (pixels).</param>
    /// <param name="pts1">Corresponding points in image 1.</param>
    /// <param name="threshold">Reprojection threshold in pixels.</param>
    /// <param name="confidence">Confidence.</param>
    /// <param name="maxIterations">Maximum iterations.</param>
    /// <returns>The model, or null with fewer than 4 matches or when no model was found.</returns>
    public static RobustModel? EstimateHomography(ReadOnlySpan<Point2d> pts0, ReadOnlySpan<Point2d> pts1,
        double threshold = 3.0, double confidence = DefaultConfidence, int maxIterations = 10000)
    {
        PoseMetrics.RequireSameLength(pts0, pts1);
        if (pts0.Length < 4) return null;
        using var a = MatrixMath.PointsToMat(pts0);
        using var b = MatrixMath.PointsToMat(pts1);
        using var mask = new Mat();
        using var h = Cv2.FindHomography(a, b, (HomographyMethods)UsacMagsac, threshold, mask, maxIterations, confidence);
        return ToModel(h, mask, pts0.Length);
    }

    /// <summary>
    /// Fundamental matrix F with x1^T F x0 = 0 in pixels (<c>cv2.findFundamentalMat(..., USAC_MAGSAC)</c>;
    /// OpenCV's default iteration limit).
    /// </summary>
    /// <param name="pts0">Points in image 0 (pixels).</param>
    /// <param name="pts1">Corresponding points in image 1.</param>
    /// <param name="threshold">Epipolar distance threshold in pixels.</param>
    /// <param name="confidence">Confidence.</param>
    /// <returns>The model, or null with fewer than 8 matches or when no model was found.</returns>
    public static RobustModel? EstimateFundamental(ReadOnlySpan<Point2d> pts0, ReadOnlySpan<Point2d> pts1,
        double threshold = 1.0, double confidence = DefaultConfidence)
    {
        PoseMetrics.RequireSameLength(pts0, pts1);
        if (pts0.Length < 8) return null;
        using var a = MatrixMath.PointsToMat(pts0);
        using var b = MatrixMath.PointsToMat(pts1);
        using var mask = new Mat();
        using var f = Cv2.FindFundamentalMat(a, b, (FundamentalMatMethods)UsacMagsac, threshold, confidence, mask);
        return ToModel(f, mask, pts0.Length);
    }

    /// <summary>
    /// Essential matrix E with x1n^T E x0n = 0 for K-normalised points (<c>cv2.findEssentialMat(..., USAC_MAGSAC)</c>).
    /// As in LoFTR's <c>estimate_pose</c>, points are normalised with their own K and the pixel threshold is divided
    /// by the mean focal length, so the two images may have different intrinsics.
    /// </summary>
    /// <param name="pts0">Points in image 0 (pixels).</param>
    /// <param name="pts1">Corresponding points in image 1.</param>
    /// <param name="k0">3x3 intrinsics of image 0.</param>
    /// <param name="k1">3x3 intrinsics of image 1.</param>
    /// <param name="threshold">Threshold in pixels.</param>
    /// <param name="confidence">Confidence.</param>
    /// <returns>The model (the first 3x3 solution), or null with fewer than 5 matches or when no model was found.</returns>
    public static RobustModel? EstimateEssential(ReadOnlySpan<Point2d> pts0, ReadOnlySpan<Point2d> pts1, double[,] k0, double[,] k1,
        double threshold = 1.0, double confidence = DefaultConfidence)
    {
        PoseMetrics.RequireSameLength(pts0, pts1);
        MatrixMath.RequireShape(k0, 3, 3, nameof(k0));
        MatrixMath.RequireShape(k1, 3, 3, nameof(k1));
        if (pts0.Length < 5) return null;
        using var a = MatrixMath.PointsToMat(PoseMetrics.Normalize(pts0, k0));
        using var b = MatrixMath.PointsToMat(PoseMetrics.Normalize(pts1, k1));
        double thr = threshold / ((k0[0, 0] + k1[1, 1] + k0[0, 0] + k1[1, 1]) / 4.0);
        using var eye = Mat.Eye(3, 3, MatType.CV_64FC1).ToMat();
        using var mask = new Mat();
        using var e = Cv2.FindEssentialMat(a, b, eye, (EssentialMatMethod)UsacMagsac, confidence, thr, mask);
        if (e.Empty() || e.Rows < 3) return null;
        using var first = e.RowRange(0, 3);
        return ToModel(first, mask, pts0.Length);
    }

    internal static RobustModel? ToModel(Mat model, Mat mask, int n)
    {
        if (model.Empty() || model.Rows != 3 || model.Cols != 3) return null;
        var m = MatrixMath.ToArray(model);
        foreach (double v in m) if (!double.IsFinite(v)) return null;
        return new RobustModel(m, MatrixMath.MaskToBool(mask, n));
    }
}
