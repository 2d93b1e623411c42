using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>
/// Homography metrics (HPatches protocol of LoFTR / Patch2Pix): mean corner error of an estimated homography
/// against the ground truth, per-match reprojection error, and the AUC of corner errors at 3 / 5 / 10 px.
/// Homographies map image-0 pixels to image-1 pixels (OpenCV 0-based convention).
/// </summary>
public static class HomographyMetrics
{
    /// <summary>The corner-error AUC thresholds in pixels: 3, 5, 10.</summary>
    public static IReadOnlyList<double> AucThresholds { get; } = [3.0, 5.0, 10.0];

    /// <summary>RANSAC reprojection threshold in pixels of the protocol (<c>cv2.findHomography</c> default).</summary>
    public const double DefaultRansacThreshold = 3.0;

    /// <summary>The four image corners (0,0), (w-1,0), (w-1,h-1), (0,h-1).</summary>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>Four corners.</returns>
    public static Point2d[] ImageCorners(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        return [new(0, 0), new(width - 1, 0), new(width - 1, height - 1), new(0, height - 1)];
    }

    /// <summary>Maps a point with a 3x3 homography (homogeneous division).</summary>
    /// <param name="homography">3x3 matrix.</param>
    /// <param name="point">Point in image 0.</param>
    /// <returns>The mapped point.</returns>
    public static Point2d Project(double[,] homography, Point2d point)
    {
        MatrixMath.RequireShape(homography, 3, 3, nameof(homography));
        return MatrixMath.ApplyHomography(homography, point);
    }

    /// <summary>Distances between the image-0 corners mapped by the estimate and by the ground truth.</summary>
    /// <param name="estimated">Estimated 3x3 homography.</param>
    /// <param name="groundTruth">Ground-truth 3x3 homography.</param>
    /// <param name="width">Width of image 0.</param>
    /// <param name="height">Height of image 0.</param>
    /// <returns>Four distances in pixels of image 1.</returns>
    public static double[] CornerErrors(double[,] estimated, double[,] groundTruth, int width, int height)
    {
        MatrixMath.RequireShape(estimated, 3, 3, nameof(estimated));
        MatrixMath.RequireShape(groundTruth, 3, 3, nameof(groundTruth));
        var corners = ImageCorners(width, height);
        var d = new double[corners.Length];
        for (int i = 0; i < corners.Length; i++)
        {
            var a = MatrixMath.ApplyHomography(estimated, corners[i]);
            var b = MatrixMath.ApplyHomography(groundTruth, corners[i]);
            d[i] = Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
        }
        return d;
    }

    /// <summary>Mean of <see cref="CornerErrors"/>; +inf when <paramref name="estimated"/> is null (failed estimate).</summary>
    /// <param name="estimated">Estimated 3x3 homography, or null.</param>
    /// <param name="groundTruth">Ground-truth 3x3 homography.</param>
    /// <param name="width">Width of image 0.</param>
    /// <param name="height">Height of image 0.</param>
    /// <returns>Mean corner error in pixels.</returns>
    public static double MeanCornerError(double[,]? estimated, double[,] groundTruth, int width, int height)
        => estimated is null ? double.PositiveInfinity : CornerErrors(estimated, groundTruth, width, height).Average();

    /// <summary>Reprojection error ||H p0 - p1|| of each match under <paramref name="homography"/>.</summary>
    /// <param name="pts0">Points in image 0.</param>
    /// <param name="pts1">Corresponding points in image 1.</param>
    /// <param name="homography">3x3 homography (usually the ground truth).</param>
    /// <returns>One distance in pixels per match.</returns>
    public static double[] ReprojectionErrors(ReadOnlySpan<Point2d> pts0, ReadOnlySpan<Point2d> pts1, double[,] homography)
    {
        PoseMetrics.RequireSameLength(pts0, pts1);
        MatrixMath.RequireShape(homography, 3, 3, nameof(homography));
        var d = new double[pts0.Length];
        for (int i = 0; i < d.Length; i++)
        {
            var p = MatrixMath.ApplyHomography(homography, pts0[i]);
            d[i] = Math.Sqrt((p.X - pts1[i].X) * (p.X - pts1[i].X) + (p.Y - pts1[i].Y) * (p.Y - pts1[i].Y));
        }
        return d;
    }

    /// <summary>Fraction of errors at or below each threshold (the "mean matching accuracy" of one pair); 0 when empty.</summary>
    /// <param name="errors">Per-match errors.</param>
    /// <param name="thresholds">Thresholds in pixels.</param>
    /// <returns>One fraction per threshold.</returns>
    public static double[] FractionWithin(IReadOnlyList<double> errors, IReadOnlyList<double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(thresholds);
        var r = new double[thresholds.Count];
        if (errors.Count == 0) return r;
        for (int k = 0; k < r.Length; k++) r[k] = (double)errors.Count(e => e <= thresholds[k]) / errors.Count;
        return r;
    }

    /// <summary>AUC of per-pair corner errors (same cumulative-curve AUC as <see cref="PoseMetrics.ErrorAuc"/>; failures +inf or NaN).</summary>
    /// <param name="cornerErrors">Per-pair mean corner errors.</param>
    /// <param name="thresholds">Thresholds in pixels; default 3, 5, 10.</param>
    /// <returns>One AUC in [0, 1] per threshold.</returns>
    public static double[] Auc(IEnumerable<double> cornerErrors, IReadOnlyList<double>? thresholds = null)
        => PoseMetrics.ErrorAuc(cornerErrors, thresholds ?? AucThresholds);

    /// <summary>
    /// Estimates a homography with <c>cv2.findHomography(pts0, pts1, RANSAC, threshold)</c> (OpenCV defaults otherwise:
    /// 2000 iterations, confidence 0.995).
    /// </summary>
    /// <param name="pts0">Points in image 0.</param>
    /// <param name="pts1">Corresponding points in image 1.</param>
    /// <param name="ransacThreshold">Reprojection threshold in pixels.</param>
    /// <param name="confidence">RANSAC confidence.</param>
    /// <param name="maxIterations">RANSAC iteration limit.</param>
    /// <returns>The homography with its inlier mask, or null with fewer than 4 matches or no model.</returns>
    public static RobustModel? EstimateHomography(ReadOnlySpan<Point2d> pts0, ReadOnlySpan<Point2d> pts1,
        double ransacThreshold = DefaultRansacThreshold, double confidence = 0.995, int maxIterations = 2000)
    {
        PoseMetrics.RequireSameLength(pts0, pts1);
        if (pts0.Length < 4) return null;
        using var a = MatrixMath.PointsToMat(pts0);
        using var b = MatrixMath.PointsToMat(pts1);
        using var mask = new Mat();
        using var h = Cv2.FindHomography(a, b, HomographyMethods.Ransac, ransacThreshold, mask, maxIterations, confidence);
        return RobustGeometry.ToModel(h, mask, pts0.Length);
    }

    /// <summary>
    /// The homography between resized images: with image 0 scaled by (sx0, sy0) and image 1 by (sx1, sy1)
    /// (x' = sx x, y' = sy y), returns diag(sx1, sy1, 1) H diag(1/sx0, 1/sy0, 1). This is the plain scaling used by
    /// SuperGlue / Patch2Pix; it ignores the half-pixel shift of <c>cv2.resize</c>'s pixel-centre mapping.
    /// </summary>
    /// <param name="homography">H from original image 0 to original image 1.</param>
    /// <param name="sx0">Horizontal scale of image 0 (new width / old width).</param>
    /// <param name="sy0">Vertical scale of image 0.</param>
    /// <param name="sx1">Horizontal scale of image 1.</param>
    /// <param name="sy1">Vertical scale of image 1.</param>
    /// <returns>H from resized image 0 to resized image 1.</returns>
    public static double[,] RescaleHomography(double[,] homography, double sx0, double sy0, double sx1, double sy1)
    {
        MatrixMath.RequireShape(homography, 3, 3, nameof(homography));
        var s1 = new double[,] { { sx1, 0, 0 }, { 0, sy1, 0 }, { 0, 0, 1 } };
        var s0Inv = new double[,] { { 1 / sx0, 0, 0 }, { 0, 1 / sy0, 0 }, { 0, 0, 1 } };
        return MatrixMath.Multiply(MatrixMath.Multiply(s1, homography), s0Inv);
    }
}
