using Loftr.Training;
using OpenCvSharp;
using static TorchSharp.torch;

namespace Loftr.Tests.Training;

public sealed class HomographySupervisionTests
{
    private static TrainingBatch Batch(double[] h, int width = 96, int height = 64) => new()
    {
        Image0 = zeros(1, 1, height, width),
        Image1 = zeros(1, 1, height, width),
        Homography = tensor(h, [1, 3, 3], dtype: ScalarType.Float64),
    };

    [Fact]
    public void IdentityMatchesEveryCellButTheIgnoredCornerWithZeroFineOffset()
    {
        var config = TrainingTestData.TinyConfig;
        using var batch = Batch([1, 0, 0, 0, 1, 0, 0, 0, 1]);
        using var sup = CoarseGroundTruth.Compute(batch, config);
        Assert.Equal(12 * 8 - 1, sup.PositiveCount);
        Assert.True(sup.IIds.eq(sup.JIds).all().item<bool>());
        Assert.Equal(1, sup.IIds.min().item<long>());
    }

    [Fact]
    public void TranslationByHalfACellGivesTheExpectedNeighboursAndFineTargets()
    {
        var config = TrainingTestData.TinyConfig;
        // x' = x + 11 (1.375 cells: rounds to the next cell, 3 px = 1.5 fine pixels beyond it), y' = y - 8 (one row up)
        using var batch = Batch([1, 0, 11, 0, 1, -8, 0, 0, 1]);
        using var sup = CoarseGroundTruth.Compute(batch, config);
        var i = sup.IIds.data<long>().ToArray();
        var j = sup.JIds.data<long>().ToArray();
        Assert.Equal(11 * 7, i.Length); // last column and first row of image 0 leave image 1
        for (int k = 0; k < i.Length; k++) Assert.Equal(i[k] + 1 - 12, j[k]);
        // fine target: (w_pt0 - pt1) / 2 / 2 = (3, 0) / 4
        var matches = Loftr.Matching.CoarseMatching.BuildMatches(sup.BIds, sup.IIds, sup.JIds, ones(i.Length), default(Loftr.Matching.PairGeometry) with
        {
            Image0 = (64, 96), Image1 = (64, 96), Coarse0 = (8, 12), Coarse1 = (8, 12), Fine0 = (32, 48), Fine1 = (32, 48),
        }, null, null);
        using var target = FineGroundTruth.Compute(sup, matches, config);
        Assert.True(target[.., 0].eq(0.75f).all().item<bool>());
        Assert.True(target[.., 1].eq(0f).all().item<bool>());
    }

    [Fact]
    public void PairMakerHomographyMapsViewZeroOntoViewOne()
    {
        string dir = TrainingTestData.PhotoFolder(1, 320, 240, seed: 4);
        try
        {
            using var photo = Cv2.ImRead(Directory.GetFiles(dir)[0], ImreadModes.Grayscale);
            var aug = HomographyAugmentation.None with { MaxRotation = 20, MaxScale = 1.2, MaxPerspective = 0.08, MaxTranslation = 0.1, CropFraction = (0.7, 0.9) };
            var a = HomographyPairMaker.Make(photo, 160, 120, aug, new TrainingRandom(11));
            var b = HomographyPairMaker.Make(photo, 160, 120, aug, new TrainingRandom(11));
            Assert.Equal(a.Homography, b.Homography);      // deterministic by seed
            Assert.Equal(a.Image1.Pixels, b.Image1.Pixels);
            Assert.True(HomographyPairMaker.Overlap(a.Homography!, 160, 120, 8) >= aug.MinOverlap);
            Assert.False(a.Homography!.SequenceEqual([1.0, 0, 0, 0, 1, 0, 0, 0, 1]));

            // view1(H p) == view0(p) wherever both are inside (bilinear resampling error only)
            var h = a.Homography!;
            double err = 0;
            int n = 0;
            for (int y = 4; y < 116; y += 3)
                for (int x = 4; x < 156; x += 3)
                {
                    double z = h[6] * x + h[7] * y + h[8];
                    double u = (h[0] * x + h[1] * y + h[2]) / z, v = (h[3] * x + h[4] * y + h[5]) / z;
                    if (u < 2 || v < 2 || u > 157 || v > 117) continue;
                    err += Math.Abs(Bilinear(a.Image1, u, v) - a.Image0.Pixels[y * 160 + x]);
                    n++;
                }
            Assert.True(n > 300, $"only {n} overlapping samples");
            Assert.True(err / n < 0.04, $"mean intensity difference {err / n:F3}");
        }
        finally
        {
            TrainingTestData.DeleteQuietly(dir);
        }
    }

    private static double Bilinear(Loftr.Imaging.GrayImage img, double x, double y)
    {
        int x0 = (int)x, y0 = (int)y;
        double fx = x - x0, fy = y - y0;
        float P(int xx, int yy) => img.Pixels[yy * img.Width + xx];
        return (1 - fy) * ((1 - fx) * P(x0, y0) + fx * P(x0 + 1, y0)) + fy * ((1 - fx) * P(x0, y0 + 1) + fx * P(x0 + 1, y0 + 1));
    }
}
