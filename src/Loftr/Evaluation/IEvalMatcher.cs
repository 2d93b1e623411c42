using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>Matches of one evaluation pair, in the pixels of the images given to the matcher.</summary>
/// <param name="Points0">Point of each match in image 0.</param>
/// <param name="Points1">Corresponding point in image 1.</param>
/// <param name="Confidence">Confidence of each match (higher is better).</param>
public sealed record EvalMatches(Point2d[] Points0, Point2d[] Points1, float[] Confidence)
{
    /// <summary>Number of matches.</summary>
    public int Count => Points0.Length;

    /// <summary>The <paramref name="k"/> most confident matches (all when k is null or larger), decreasing confidence.</summary>
    /// <param name="k">How many to keep.</param>
    /// <returns>The selection.</returns>
    public EvalMatches TopK(int? k)
    {
        if (k is not int n || n >= Count) return this;
        var idx = EvalPoints.TopKByConfidence(Confidence, n);
        return new EvalMatches(EvalPoints.Select(Points0, idx), EvalPoints.Select(Points1, idx), idx.Select(i => Confidence[i]).ToArray());
    }
}

/// <summary>A matcher under evaluation (LoFTR or the SIFT baseline), fed the prepared 8-bit grayscale images.</summary>
public interface IEvalMatcher : IDisposable
{
    /// <summary>Short name shown in reports (e.g. <c>sift</c>, <c>loftr</c>).</summary>
    string Name { get; }

    /// <summary>A one-line description of the matcher's settings for reports.</summary>
    string Description { get; }

    /// <summary>Matches two prepared images.</summary>
    /// <param name="image0">8-bit grayscale image 0 (already resized).</param>
    /// <param name="image1">8-bit grayscale image 1.</param>
    /// <param name="padToSquare">The protocol zero-pads images to squares (with masks); matchers without padding support ignore it.</param>
    /// <returns>Matches in the pixels of the given images.</returns>
    EvalMatches Match(Mat image0, Mat image1, bool padToSquare);
}
