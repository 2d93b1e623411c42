namespace Loftr.Tests;

public sealed class MatchResultTests
{
    private static MatchResult Five() => new()
    {
        Keypoints0 = [new(0, 0), new(1, 0), new(2, 0), new(3, 0), new(4, 0)],
        Keypoints1 = [new(0, 1), new(1, 1), new(2, 1), new(3, 1), new(4, 1)],
        CoarseKeypoints1 = [new(0, 2), new(1, 2), new(2, 2), new(3, 2), new(4, 2)],
        Confidence = [0.9f, 0.3f, 0.8f, 0.5f, 0.4f],
        FineStd = [0.5f, 0.2f, 0.9f, 0.2f, 0.4f],
        ImageSize0 = new(64, 64), ImageSize1 = new(64, 64), NetworkSize0 = new(64, 64), NetworkSize1 = new(64, 64),
    };

    [Fact]
    public void SharpestKeepsTheSmallestStandardDeviationsInTheirOrder()
    {
        var r = Five().Sharpest(0.5); // ceil(2.5) = 3 matches: std 0.2 (#1), 0.2 (#3), 0.4 (#4)
        Assert.Equal([1f, 3f, 4f], r.Keypoints0.Select(p => p.X));
        Assert.Equal([1f, 3f, 4f], r.Keypoints1.Select(p => p.X));
        Assert.Equal([1f, 3f, 4f], r.CoarseKeypoints1.Select(p => p.X));
        Assert.Equal([0.3f, 0.5f, 0.4f], r.Confidence);
        Assert.Equal([0.2f, 0.2f, 0.4f], r.FineStd);
        Assert.Equal(new ImageSize(64, 64), r.NetworkSize1);
        Assert.Equal([1f], Five().Sharpest(0.2).Keypoints0.Select(p => p.X)); // ties keep the earlier match
        Assert.Equal(2, Five().Sharpest(0.21).Count);
    }

    [Fact]
    public void SharpestKeepsAtLeastOneMatchAndPutsNaNLast()
    {
        Assert.Equal([1], MatchResult.SharpestIndices([0.5f, 0.2f], 1e-9));
        Assert.Equal([], MatchResult.SharpestIndices([], 0.5));
        Assert.Equal([1, 2], MatchResult.SharpestIndices([float.NaN, 0.9f, 0.1f], 0.6));
    }

    [Fact]
    public void SharpestOfOneIsTheResultItselfAndOtherFractionsAreRejected()
    {
        var r = Five();
        Assert.Same(r, r.Sharpest(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Sharpest(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Sharpest(1.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Sharpest(double.NaN));
    }
}
