using Loftr.Cli.Input;
using Loftr.Imaging;
using OpenCvSharp;

namespace Loftr.Cli.Matching;

/// <summary>
/// Matches one pair of image files with the test-time options of <see cref="MatchSettings"/>: for each rotation of
/// image 1 (clockwise, <c>cv2.rotate</c>) the pair is matched (both ways with --symmetric, merged by
/// <see cref="MatchMerge"/>), the keypoints are mapped back to the unrotated image 1, the rotations are combined
/// (best or union), the top-k most confident kept, and the model fitted.
/// </summary>
public sealed class PairMatcher(LoftrMatcher matcher, MatchSettings settings)
{
    /// <summary>The settings.</summary>
    public MatchSettings Settings => settings;

    /// <summary>Matches the two files; times are added to <paramref name="times"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is not a decodable image.</exception>
    /// <exception cref="ArgumentException">An image is too small for the model.</exception>
    public PairMatches Match(string path0, string path1, StageTimes times)
    {
        var candidates = StageTimes.Time(() => MatchRotations(path0, path1), t => times.Inference += t);
        PairMatches result;
        if (candidates.Count == 1)
        {
            result = Finish(candidates[0], times);
        }
        else if (settings.RotationMode == RotationMode.Union)
        {
            result = Finish(MatchMerge.Union(candidates) with { Rotation = null }, times);
        }
        else
        {
            // Best rotation: most matches, or most inliers when a model is asked; ties go to the first listed.
            var finished = candidates.Select(c => Finish(c, times)).ToList();
            result = finished[0];
            foreach (var f in finished.Skip(1))
                if (Score(f) > Score(result)) result = f;
        }
        return result;
    }

    private static int Score(PairMatches m) => m.Geometry is { } g ? g.InlierCount : m.Count;

    private PairMatches Finish(PairMatches m, StageTimes times)
    {
        if (settings.MaxMatches is int k) m = m.TopK(k);
        if (settings.Geometry is null) return m;
        var geometry = StageTimes.Time(() => GeometryEstimator.Estimate(m, settings), t => times.Geometry += t);
        return m with { Geometry = geometry };
    }

    private List<PairMatches> MatchRotations(string path0, string path1)
    {
        using var mat0 = GrayImage.Read(path0);
        using var mat1 = GrayImage.Read(path1);
        var size0 = new ImageSize(mat0.Cols, mat0.Rows);
        var size1 = new ImageSize(mat1.Cols, mat1.Rows);
        var net0 = matcher.NetworkSize(size0, settings.Resize.ToOptions(), path0);
        var results = new List<PairMatches>();
        foreach (int angle in settings.Rotations)
        {
            using var rotated = Rotation.Rotate(mat1, angle);
            var rsize = new ImageSize(rotated.Cols, rotated.Rows);
            var net1 = matcher.NetworkSize(rsize, settings.Resize.ToOptions(swap: angle is 90 or 270),
                angle == 0 ? path1 : $"{path1} (rotated {angle})");
            var forward = Run(mat0, rotated, net0, net1);
            if (settings.Symmetric)
            {
                var backward = Run(rotated, mat0, net1, net0);
                forward = MatchMerge.Union([forward, Swap(backward)]);
            }
            results.Add(new PairMatches
            {
                ImageSize0 = size0,
                ImageSize1 = size1,
                Keypoints0 = forward.Keypoints0,
                Keypoints1 = forward.Keypoints1.Select(p => Rotation.ToOriginal(p, angle, size1)).ToArray(),
                Confidence = forward.Confidence,
                Rotation = angle,
            });
        }
        return results;
    }

    // Matches the images at the given network sizes; the library maps the keypoints back to the images' own pixels
    // (x * (w / w_net)) and makes the second fine pass's copies from the images themselves, not from the network-sized ones.
    private PairMatches Run(Mat a, Mat b, ImageSize netA, ImageSize netB)
    {
        var r = matcher.Match(a, b, netA, netB, new MatchOptions { Threshold = settings.Threshold, Refinement = settings.Refinement,
            SharpestFraction = settings.SharpestFraction, SecondPassScale = settings.SecondPassScale,
            PatchAlignmentRadius = settings.PatchAlignmentRadius, PatchAlignmentMinCorrelation = settings.PatchAlignmentMinCorrelation });
        return new PairMatches
        {
            ImageSize0 = r.ImageSize0,
            ImageSize1 = r.ImageSize1,
            Keypoints0 = r.Keypoints0,
            Keypoints1 = r.Keypoints1,
            Confidence = r.Confidence,
        };
    }

    private static PairMatches Swap(PairMatches m) => m with
    {
        ImageSize0 = m.ImageSize1,
        ImageSize1 = m.ImageSize0,
        Keypoints0 = m.Keypoints1,
        Keypoints1 = m.Keypoints0,
    };
}
