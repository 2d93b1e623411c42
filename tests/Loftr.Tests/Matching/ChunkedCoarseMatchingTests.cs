using Loftr.Matching;
using Loftr.Tests.Golden;
using static TorchSharp.torch;

namespace Loftr.Tests.Matching;

/// <summary>The memory-bounded dual-softmax selection gives the same matches as the dense confidence matrix.</summary>
public sealed class ChunkedCoarseMatchingTests
{
    private static void AssertSameMatches(CoarseMatches dense, CoarseMatches chunked)
    {
        Assert.Equal(dense.BIds.data<long>().ToArray(), chunked.BIds.data<long>().ToArray());
        Assert.Equal(dense.IIds.data<long>().ToArray(), chunked.IIds.data<long>().ToArray());
        Assert.Equal(dense.JIds.data<long>().ToArray(), chunked.JIds.data<long>().ToArray());
        var c0 = dense.Confidence.data<float>().ToArray();
        var c1 = chunked.Confidence.data<float>().ToArray();
        for (int k = 0; k < c0.Length; k++) Assert.Equal(c0[k], c1[k], 1e-5f); // exp of |x| ~ 30 rounds to ~2e-6
        Assert.Equal(dense.Keypoints1.data<float>().ToArray(), chunked.Keypoints1.data<float>().ToArray());
    }

    [Fact]
    public void GoldenPairGivesTheReferenceMatchesWithoutTheMatrix()
    {
        using var fixture = new GoldenFixture("full_ds");
        using var model = GoldenModel.Load(fixture);
        model.ChannelsLast = true;
        model.CoarseMatching.MaxDenseElements = 1_000_000; // 4800 x 4800 in chunks of 208 rows
        using var mode = inference_mode();
        using var output = model.Forward(fixture["input.image0"], fixture["input.image1"]);
        Assert.Null(output.Coarse.ConfMatrix);
        Assert.Equal(fixture["coarse_matching.i_ids"].data<long>().ToArray(), output.Coarse.Matches.IIds.data<long>().ToArray());
        Assert.Equal(fixture["coarse_matching.j_ids"].data<long>().ToArray(), output.Coarse.Matches.JIds.data<long>().ToArray());
        Assert.Null(fixture.Compare("coarse_matching.mconf", output.Confidence).Failure);
        Assert.Null(fixture.Compare("fine_matching.mkpts1_f", output.Keypoints1).Failure);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomFeaturesGiveIdenticalMatches(bool withMasks)
    {
        manual_seed(11);
        var config = new CoarseMatchingConfig(Threshold: 0.01, BorderRemove: 1, DualSoftmaxTemperature: 0.1);
        using var layer = new CoarseMatching(config);
        layer.eval();
        const int n = 2, h0 = 12, w0 = 16, h1 = 10, w1 = 14, c = 32;
        using var scope = NewDisposeScope();
        // Correlated features so that there are many mutual matches.
        var basis = randn(n, h1 * w1, c);
        var f1 = basis + 0.3 * randn(n, h1 * w1, c);
        var f0 = cat([basis[.., ..(h1 * w1 / 2)], randn(n, h0 * w0 - h1 * w1 / 2, c)], 1) + 0.3 * randn(n, h0 * w0, c);
        var g = new PairGeometry((h0 * 8, w0 * 8), (h1 * 8, w1 * 8), (h0, w0), (h1, w1), (h0 * 4, w0 * 4), (h1 * 4, w1 * 4));
        Tensor? m0 = null, m1 = null;
        if (withMasks)
        {
            m0 = ones(n, h0, w0, dtype: ScalarType.Bool);
            m1 = ones(n, h1, w1, dtype: ScalarType.Bool);
            m0[1, 9.., ..] = false;
            m1[1, .., 11..] = false;
        }
        using var dense = layer.Forward(f0, f1, g, m0, m1);
        layer.MaxDenseElements = 2 * 7 * h1 * w1; // 7 rows per chunk
        using var chunked = layer.Forward(f0, f1, g, m0, m1);
        Assert.NotNull(dense.ConfMatrix);
        Assert.Null(chunked.ConfMatrix);
        Assert.True(dense.Matches.BIds.shape[0] > 10, $"only {dense.Matches.BIds.shape[0]} matches");
        AssertSameMatches(dense.Matches, chunked.Matches);
    }
}
