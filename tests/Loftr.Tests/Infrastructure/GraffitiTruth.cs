using Loftr.Evaluation;
using OpenCvSharp;

namespace Loftr.Tests.Infrastructure;

/// <summary>The graffiti 1 -> 3 pair of <c>tests/data/eval/homography</c> and distances of matches to its ground-truth homography.</summary>
public static class GraffitiTruth
{
    /// <summary>graf1.png (800x640).</summary>
    public static string Image1 { get; } = TestData.Path("eval/homography/graf1.png");

    /// <summary>graf3.png (800x640).</summary>
    public static string Image3 { get; } = TestData.Path("eval/homography/graf3.png");

    /// <summary>Distance of each point of image 3 to where the ground truth maps its point of image 1.</summary>
    public static double[] Errors(IEnumerable<Point2d> p0, IEnumerable<Point2d> p1) =>
        HomographyMetrics.ReprojectionErrors(p0.ToArray(), p1.ToArray(), HomographyFile.Read(TestData.Path("eval/homography/graf_H1to3.txt")));

    /// <summary><see cref="Errors(IEnumerable{Point2d}, IEnumerable{Point2d})"/> of a match result.</summary>
    public static double[] Errors(MatchResult r) =>
        Errors(r.Keypoints0.Select(p => new Point2d(p.X, p.Y)), r.Keypoints1.Select(p => new Point2d(p.X, p.Y)));

    /// <summary>The upper median.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v[v.Length / 2];
    }
}
