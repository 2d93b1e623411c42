using Loftr.Evaluation;
using Loftr.Tests.Infrastructure;
using OpenCvSharp;

namespace Loftr.Tests.Evaluation;

/// <summary><see cref="LoftrEvalMatcher"/>'s network long side: LoFTR sees resized images, the keypoints come back in the frame given.</summary>
[Collection(nameof(ProcessWide))]
public sealed class LoftrEvalMatcherTests
{
    [Fact]
    public void KeypointsOfAResizedNetworkInputAreInTheFrameOfTheImagesGiven()
    {
        using var matcher = new LoftrEvalMatcher(LoftrMatcher.LoadDefault(), weightsName: "default model", longSide: 480);
        Assert.EndsWith(", network long side 480, second fine pass at 1.5x, patch alignment radius 16 (matches correlating below 0.6 dropped)", matcher.Description, StringComparison.Ordinal);
        using var graf1 = Cv2.ImRead(TestData.Path("eval/homography/graf1.png"), ImreadModes.Grayscale);
        using var graf3 = Cv2.ImRead(TestData.Path("eval/homography/graf3.png"), ImreadModes.Grayscale);
        var m = matcher.Match(graf1, graf3, padToSquare: false);
        Assert.True(m.Points0.Length > 100, $"{m.Points0.Length} matches");
        // In the 800x640 frame, not the network's 480x384: points beyond 480 px, and on the ground truth.
        Assert.Contains(m.Points0, p => p.X > 500);
        Assert.All(m.Points0.Concat(m.Points1), p => Assert.True(p.X is >= 0 and < 800 && p.Y is >= 0 and < 640, $"{p} outside the image"));
        var gt = HomographyFile.Read(TestData.Path("eval/homography/graf_H1to3.txt"));
        var errors = HomographyMetrics.ReprojectionErrors(m.Points0, m.Points1, gt).Order().ToArray();
        // measured 2.46 px with the one-pass settings shipped before (the network sees 0.6x the pixels; keypoints left in
        // its frame would be off by hundreds)
        Assert.True(errors[errors.Length / 2] < 4.0, $"median reprojection error {errors[errors.Length / 2]:F2} px");

        Assert.Throws<ArgumentException>(() => matcher.Match(graf1, graf3, padToSquare: true));
        using var other = LoftrMatcher.LoadDefault();
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoftrEvalMatcher(other, ownsMatcher: false, longSide: 0));
    }
}
