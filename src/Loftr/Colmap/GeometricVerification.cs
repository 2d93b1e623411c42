using Loftr.Evaluation;
using OpenCvSharp;

namespace Loftr.Colmap;

/// <summary>Settings of the two-view geometric verification.</summary>
/// <param name="Threshold">MAGSAC++ threshold in pixels (epipolar distance); 4 px like COLMAP's own verification
/// (<c>max_error</c>).</param>
/// <param name="Confidence">RANSAC confidence.</param>
/// <param name="MinInliers">Fewer inliers than this: the pair is written as degenerate, with no inliers (COLMAP's
/// <c>min_num_inliers</c>, 15).</param>
/// <param name="UseEssentialWhenCalibrated">Estimate an essential matrix (config CALIBRATED) when both cameras have a
/// trusted focal length (from EXIF); otherwise a fundamental matrix (config UNCALIBRATED).</param>
public sealed record GeometricVerificationOptions(double Threshold = 4.0, double Confidence = 0.9999, int MinInliers = 15,
    bool UseEssentialWhenCalibrated = true)
{
    /// <summary>Checks the values.</summary>
    public void Validate()
    {
        if (!(Threshold > 0)) throw new ArgumentOutOfRangeException(nameof(Threshold), $"Threshold must be positive, got {Threshold}.");
        if (!(Confidence > 0 && Confidence < 1)) throw new ArgumentOutOfRangeException(nameof(Confidence), $"Confidence must be in (0, 1), got {Confidence}.");
        if (MinInliers < 8) throw new ArgumentOutOfRangeException(nameof(MinInliers), $"At least 8 inliers are needed for a fundamental matrix, got {MinInliers}.");
    }
}

/// <summary>
/// Two-view geometric verification with OpenCV's USAC MAGSAC++ (<see cref="RobustGeometry"/>): an essential matrix
/// for calibrated pairs or a fundamental matrix otherwise, plus a homography, converted to COLMAP's conventions.
/// </summary>
public static class GeometricVerification
{
    /// <summary>Verifies the matches of a pair.</summary>
    /// <param name="keypoints0">Keypoints of image 0 (OpenCV pixel convention).</param>
    /// <param name="keypoints1">Keypoints of image 1.</param>
    /// <param name="matches">Keypoint matches (image 0, image 1).</param>
    /// <param name="camera0">Camera of image 0.</param>
    /// <param name="camera1">Camera of image 1.</param>
    /// <param name="options">Settings.</param>
    /// <returns>The geometry for (image 0, image 1), models in COLMAP pixels.</returns>
    public static ColmapTwoViewGeometry Verify(ReadOnlySpan<Point2> keypoints0, ReadOnlySpan<Point2> keypoints1, ReadOnlySpan<KeypointMatch> matches,
        ColmapCamera camera0, ColmapCamera camera1, GeometricVerificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(camera0);
        ArgumentNullException.ThrowIfNull(camera1);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var degenerate = new ColmapTwoViewGeometry(TwoViewConfig.Degenerate, []);
        var p0 = new Point2d[matches.Length];
        var p1 = new Point2d[matches.Length];
        for (int i = 0; i < matches.Length; i++)
        {
            var m = matches[i];
            if ((uint)m.Index1 >= (uint)keypoints0.Length || (uint)m.Index2 >= (uint)keypoints1.Length)
                throw new ArgumentException($"Match {i} ({m}) is out of range of {keypoints0.Length} / {keypoints1.Length} keypoints.", nameof(matches));
            p0[i] = new Point2d(keypoints0[m.Index1].X, keypoints0[m.Index1].Y);
            p1[i] = new Point2d(keypoints1[m.Index2].X, keypoints1[m.Index2].Y);
        }
        if (matches.Length < options.MinInliers) return degenerate;

        bool calibrated = options.UseEssentialWhenCalibrated && camera0.HasPriorFocalLength && camera1.HasPriorFocalLength;
        double[,] f;
        double[,]? e = null;
        bool[] inliers;
        if (calibrated)
        {
            var k0 = camera0.OpenCvIntrinsics();
            var k1 = camera1.OpenCvIntrinsics();
            var model = RobustGeometry.EstimateEssential(p0, p1, k0, k1, options.Threshold, options.Confidence);
            if (model is null) return degenerate;
            e = model.Matrix;
            f = Matrix3.FundamentalFromEssential(e, k0, k1);
            inliers = model.Inliers;
        }
        else
        {
            var model = RobustGeometry.EstimateFundamental(p0, p1, options.Threshold, options.Confidence);
            if (model is null) return degenerate;
            f = model.Matrix;
            inliers = model.Inliers;
        }

        var kept = new List<KeypointMatch>();
        for (int i = 0; i < inliers.Length; i++)
            if (inliers[i]) kept.Add(matches[i]);
        if (kept.Count < options.MinInliers) return degenerate;

        var h = RobustGeometry.EstimateHomography(p0, p1, options.Threshold, options.Confidence);
        return new ColmapTwoViewGeometry(calibrated ? TwoViewConfig.Calibrated : TwoViewConfig.Uncalibrated, kept.ToArray(),
            Matrix3.FundamentalToColmap(f), e, h is null ? null : Matrix3.HomographyToColmap(h.Matrix));
    }
}
