using Loftr.Tests.Infrastructure;

namespace Loftr.Tests;

public sealed class LoftrMatcherNoMatchTests
{
    [Fact]
    public void APairWithoutMatchesGivesAnEmptyResult()
    {
        // Threshold 1 keeps nothing: the result is empty rather than an exception from reading empty tensors.
        using var matcher = LoftrMatcher.Load(TestData.Path("golden/small_ot/weights.ckpt"));
        var r = matcher.Match(TestData.Path("images/scene0711_00_frame-001680.jpg"), TestData.Path("images/scene0711_00_frame-001995.jpg"),
            new MatchOptions { MaxSize = 160, Threshold = 1.0 });
        Assert.Equal(0, r.Count);
        Assert.Empty(r.Keypoints0);
        Assert.Empty(r.Keypoints1);
        Assert.Empty(r.CoarseKeypoints1);
        Assert.Equal(new ImageSize(1296, 968), r.ImageSize0);
    }
}
