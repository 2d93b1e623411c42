namespace Loftr.Evaluation;

/// <summary>A model fitted robustly to matches, with the per-match inlier mask.</summary>
/// <param name="Matrix">The 3x3 model (homography, fundamental or essential matrix).</param>
/// <param name="Inliers">One flag per input match.</param>
public sealed record RobustModel(double[,] Matrix, bool[] Inliers)
{
    /// <summary>Number of inliers.</summary>
    public int InlierCount => Inliers.Count(b => b);
}
