namespace Loftr.Cli.Matching;

/// <summary>The robust model of a pair: the matrix (null when none was found) and one inlier flag per match.</summary>
/// <param name="Kind">The model type.</param>
/// <param name="Threshold">Inlier threshold in pixels.</param>
/// <param name="Matrix">Row-major 3x3 matrix, or null when estimation failed (too few matches, degenerate).</param>
/// <param name="Inliers">One flag per match (all false without a model).</param>
public sealed record GeometryResult(GeometryKind Kind, double Threshold, double[,]? Matrix, bool[] Inliers)
{
    /// <summary>Number of inliers.</summary>
    public int InlierCount => Inliers.Count(b => b);

    /// <summary>Lower-case name used in files ("homography", "fundamental", "essential").</summary>
    public string Name => KindName(Kind);

    /// <summary>Lower-case name of a model type.</summary>
    public static string KindName(GeometryKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Parses a lower-case model name.</summary>
    public static GeometryKind ParseKind(string name) => Enum.Parse<GeometryKind>(name, ignoreCase: true);
}

/// <summary>The matches of one pair as the tool reports them, in original pixel coordinates of both images.</summary>
public sealed record PairMatches
{
    /// <summary>Size of image 0.</summary>
    public required ImageSize ImageSize0 { get; init; }
    /// <summary>Size of image 1 (unrotated).</summary>
    public required ImageSize ImageSize1 { get; init; }
    /// <summary>Points in image 0.</summary>
    public required Point2[] Keypoints0 { get; init; }
    /// <summary>Points in image 1 (unrotated coordinates).</summary>
    public required Point2[] Keypoints1 { get; init; }
    /// <summary>Match confidences.</summary>
    public required float[] Confidence { get; init; }
    /// <summary>The rotation of image 1 the matches come from (clockwise degrees); null in union mode.</summary>
    public int? Rotation { get; init; }
    /// <summary>The robust model, when asked.</summary>
    public GeometryResult? Geometry { get; init; }

    /// <summary>Number of matches.</summary>
    public int Count => Confidence.Length;

    /// <summary>An empty result for the given sizes.</summary>
    public static PairMatches Empty(ImageSize s0, ImageSize s1, int? rotation) =>
        new() { ImageSize0 = s0, ImageSize1 = s1, Keypoints0 = [], Keypoints1 = [], Confidence = [], Rotation = rotation };

    /// <summary>The <paramref name="k"/> most confident matches in decreasing confidence (ties by index), as <see cref="MatchResult.TopK"/>.</summary>
    public PairMatches TopK(int k)
    {
        if (k >= Count) return this;
        var order = Enumerable.Range(0, Count).OrderByDescending(i => Confidence[i]).ThenBy(i => i).Take(k).ToArray();
        return Select(order);
    }

    /// <summary>The matches at <paramref name="indices"/>, in that order (the geometry is dropped).</summary>
    public PairMatches Select(IReadOnlyList<int> indices) => this with
    {
        Keypoints0 = indices.Select(i => Keypoints0[i]).ToArray(),
        Keypoints1 = indices.Select(i => Keypoints1[i]).ToArray(),
        Confidence = indices.Select(i => Confidence[i]).ToArray(),
        Geometry = null,
    };
}
