namespace Loftr.Colmap;

/// <summary>
/// The matches of one image pair: corresponding points in OpenCV pixel coordinates of the images as decoded (centre of
/// the top-left pixel at (0, 0)), with a score per match (higher is better).
/// </summary>
/// <param name="Keypoints0">Points in image 0.</param>
/// <param name="Keypoints1">Points in image 1.</param>
/// <param name="Scores">Score of each match.</param>
public sealed record PairMatches(Point2[] Keypoints0, Point2[] Keypoints1, float[] Scores)
{
    /// <summary>Number of matches.</summary>
    public int Count => Scores.Length;

    /// <summary>Checks that the three arrays have the same length.</summary>
    /// <exception cref="InvalidDataException">They do not.</exception>
    public void Validate()
    {
        if (Keypoints0 is null || Keypoints1 is null || Scores is null) throw new InvalidDataException("Pair matches have a null array.");
        if (Keypoints0.Length != Scores.Length || Keypoints1.Length != Scores.Length)
            throw new InvalidDataException($"Pair matches have {Keypoints0.Length} / {Keypoints1.Length} points for {Scores.Length} scores.");
    }
}

/// <summary>A two-view matcher the COLMAP exporter can drive (LoFTR, SIFT, or your own).</summary>
public interface IPairMatcher
{
    /// <summary>
    /// Identifies the matcher and its settings; cached matches are reused only by a matcher with the same identity,
    /// so change it whenever the weights or options change.
    /// </summary>
    string Identity { get; }

    /// <summary>
    /// True when the matcher's keypoints are detected per image (SIFT): the same keypoint has the same coordinates
    /// in every pair, so only identical points are merged (<see cref="KeypointMergeOptions.Exact"/>). False for
    /// detector-free matchers (LoFTR), whose points are merged with the grid voting.
    /// </summary>
    bool KeypointsArePerImage { get; }

    /// <summary>Matches two image files.</summary>
    /// <param name="path0">Image 0.</param>
    /// <param name="path1">Image 1.</param>
    /// <returns>The matches.</returns>
    PairMatches Match(string path0, string path1);
}
