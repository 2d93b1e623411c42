using Loftr.Matching;
using Loftr.Training;
using static TorchSharp.torch;

namespace Loftr.Tests.Training;

/// <summary>Loss branches the golden fixture does not cover, against hand-computed values.</summary>
public sealed class LossTests
{
    private static CoarseSupervision OneMatch(long l, long s) => new()
    {
        BIds = tensor(new long[] { 0 }),
        IIds = tensor(new long[] { 1 }),
        JIds = tensor(new long[] { 2 }),
        PositiveCount = 1,
        WarpedGrid0 = zeros(1, l, 2),
        Grid1 = zeros(1, s, 2),
        BatchSize = 1,
        L = l,
        S = s,
    };

    private static double F(double p, double alpha = 0.25, double gamma = 2) => -alpha * Math.Pow(1 - p, gamma) * Math.Log(p);

    [Fact]
    public void SparseSinkhornSupervisesTheMatchAndTheDustbinsOfUnmatchedCells()
    {
        manual_seed(1);
        var withBin = rand(1, 4, 4) * 0.9 + 0.05;  // L = S = 3 plus dustbins
        var coarse = new CoarseMatchingOutput { ConfMatrix = withBin[.., ..3, ..3], ConfMatrixWithBin = withBin, Matches = null! };
        var loss = new LoftrLoss(new LoftrLossConfig(), new CoarseMatchingConfig(MatchType: CoarseMatchType.Sinkhorn));
        using var sup = OneMatch(3, 3);
        double got = loss.CoarseLoss(coarse, sup, null, null).item<float>();
        float C(int i, int j) => withBin[0, i, j].item<float>();
        double pos = F(C(1, 2));
        // rows 0 and 2 are unmatched -> their dustbin column entries; columns 0 and 1 -> the dustbin row
        double neg = (F(C(0, 3)) + F(C(2, 3)) + F(C(3, 0)) + F(C(3, 1))) / 4;
        Assert.Equal(pos + neg, got, 5);
    }

    [Fact]
    public void DenseFocalAndCrossEntropyAverageAllNegatives()
    {
        manual_seed(2);
        var conf = rand(1, 3, 3) * 0.9 + 0.05;
        var coarse = new CoarseMatchingOutput { ConfMatrix = conf, Matches = null! };
        using var sup = OneMatch(3, 3);
        float C(int i, int j) => conf[0, i, j].item<float>();
        var negatives = Enumerable.Range(0, 9).Where(k => k != 5).Select(k => (double)C(k / 3, k % 3)).ToList();

        var focal = new LoftrLoss(new LoftrLossConfig(), new CoarseMatchingConfig(SparseSupervision: false));
        double expectedFocal = F(C(1, 2)) + negatives.Average(p => -0.25 * p * p * Math.Log(1 - p));
        Assert.Equal(expectedFocal, focal.CoarseLoss(coarse, sup, null, null).item<float>(), 5);

        var ce = new LoftrLoss(new LoftrLossConfig(CoarseType: CoarseLossType.CrossEntropy), new CoarseMatchingConfig(SparseSupervision: false));
        double expectedCe = -Math.Log(C(1, 2)) + negatives.Average(p => -Math.Log(1 - p));
        Assert.Equal(expectedCe, ce.CoarseLoss(coarse, sup, null, null).item<float>(), 5);
        Assert.Throws<ArgumentException>(() => new LoftrLoss(new LoftrLossConfig(CoarseType: CoarseLossType.CrossEntropy), new CoarseMatchingConfig()));
    }

    [Fact]
    public void FineL2KeepsOnlyWindowsInsideTheCorrectThreshold()
    {
        var expec = tensor(new float[] { 0.1f, 0.2f, 0.5f, 0.0f, 0.0f, 0.3f, 0.5f, 0.5f, 1.0f }, [3, 3]);
        var target = tensor(new float[] { 0.0f, 0.0f, 0.5f, 0.5f, 2.0f, 0.0f }, [3, 2]);   // window 2 is outside (|x| = 2)
        var l2 = new LoftrLoss(new LoftrLossConfig(FineType: FineLossType.L2), new CoarseMatchingConfig());
        Assert.Equal((0.05 + 0.5) / 2, l2.FineLoss(expec, target, true)!.item<float>(), 5);
        var std = new LoftrLoss(new LoftrLossConfig(), new CoarseMatchingConfig());
        double w0 = (1 / 0.5) / ((1 / 0.5 + 1 / 0.3 + 1 / 1.0) / 3), w1 = (1 / 0.3) / ((1 / 0.5 + 1 / 0.3 + 1 / 1.0) / 3);
        Assert.Equal((0.05 * w0 + 0.5 * w1) / 2, std.FineLoss(expec, target, true)!.item<float>(), 5);
        var far = full(3, 2, 5f);
        Assert.Null(std.FineLoss(expec, far, training: false));                 // evaluation: no fine loss
        Assert.Equal(0, std.FineLoss(expec, far, training: true)!.item<float>()); // training: window 0 with weight 0
    }

    [Fact]
    public void PaddedCellsGetNoGroundTruthAndCountNoCandidates()
    {
        // MegaDepth branch: images zero-padded on the right half, supervision in original pixels (scale 2)
        var mask = zeros(1, 8, 12, dtype: ScalarType.Bool);
        mask[.., .., ..6] = true;
        using var batch = new TrainingBatch
        {
            Image0 = zeros(1, 1, 64, 96),
            Image1 = zeros(1, 1, 64, 96),
            Mask0 = mask.clone(),
            Mask1 = mask.clone(),
            Scale0 = tensor(new float[] { 2, 2 }, [1, 2]),
            Scale1 = tensor(new float[] { 2, 2 }, [1, 2]),
            Homography = eye(3, dtype: ScalarType.Float64).unsqueeze(0),
        };
        using var sup = CoarseGroundTruth.Compute(batch, TrainingTestData.TinyConfig);
        Assert.Equal(6 * 8 - 1, sup.PositiveCount);
        Assert.True(sup.IIds.remainder(12).lt(6).all().item<bool>());
        Assert.Equal(32f, sup.Grid1[0, 2, 0].item<float>());         // cell x = 2 -> 2 * 8 * scale 2
        Assert.Equal(0f, sup.Grid1[0, 7, 0].item<float>());          // padded cell -> (0, 0)
        Assert.Equal((long)(48 * 0.2f), CoarseTrainingSampler.TrainingWindowCount(1, 96, 96, 0.2, batch.Mask0, batch.Mask1));
    }
}
