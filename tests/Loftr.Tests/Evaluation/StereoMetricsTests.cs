using Loftr.Evaluation;
using Loftr.Tests.Infrastructure;
using OpenCvSharp;

namespace Loftr.Tests.Evaluation;

public class StereoMetricsTests
{
    [Fact]
    public void ScoresAgainstDisparityAndCountsUnknown()
    {
        // 4x3 map: disparity 2 everywhere except (1, 1) unknown.
        var values = Enumerable.Repeat(2f, 12).ToArray();
        values[1 * 4 + 1] = 0;
        var map = new DisparityMap(4, 3, values);
        Point2d[] left = [new(3, 0), new(2.2, 1.9), new(1, 1), new(3, 2), new(10, 1), new(3, 1)];
        Point2d[] right = [new(1, 0), new(0.2 + 1.5, 1.9), new(0, 1), new(1, 2 + 3), new(0, 0), new(1.0, 1.8)];
        var ev = StereoMetrics.Evaluate(left, right, map);
        Assert.Equal(6, ev.MatchCount);
        Assert.Equal(1, ev.UnknownDisparityCount);
        Assert.Equal(1, ev.OutsideCount);
        Assert.Equal(0, ev.RowMismatchCount);
        Assert.Equal(4, ev.EvaluatedCount);
        Assert.Equal([0.0, 1.5, 3.0, 0.8], ev.Errors.Select(e => Math.Round(e, 9)).ToArray());
        Assert.Equal([0.5, 0.75, 1.0], ev.FractionWithin);          // < 1, < 2, < 5 px
        Assert.Equal([0.75, 1.0, 1.0], ev.FractionWithinHorizontal); // horizontal errors 0, 1.5, 0, 0
        Assert.Equal((0.8 + 1.5) / 2, ev.MedianError, 1e-12);

        var filtered = StereoMetrics.Evaluate(left, right, map, maxRowDifference: 1.0);
        Assert.Equal(2, filtered.RowMismatchCount); // the 3 px vertical one, and the outside one (dy = 1, filtered first)
        Assert.Equal(0, filtered.OutsideCount);
        Assert.Equal(3, filtered.EvaluatedCount);
    }

    [Fact]
    public void FindsAloeAndLoadsDisparity()
    {
        var pair = StereoPair.FromFolder(TestData.Path("eval/stereo"));
        Assert.EndsWith("aloeL.jpg", pair.LeftPath);
        Assert.EndsWith("aloeR.jpg", pair.RightPath);
        Assert.EndsWith("aloeGT.png", pair.DisparityPath);
        var d = pair.LoadDisparity();
        Assert.Equal((1282, 1110), (d.Width, d.Height));
        Assert.InRange(d.UnknownFraction, 0.03, 0.04); // README: 3.5 % unknown
        Assert.True(d.TrySample(640.4, 555.6, out double v) && v > 0);
        Assert.False(d.TrySample(-1, 0, out _));
    }
}
