using Loftr.Tests.Golden;
using Loftr.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Loftr.Tests.Training;

/// <summary>
/// Supervision, training-time sampling, losses and BatchNorm statistics against the reference training step
/// (golden fixture loss_ds: PL_LoFTR._trainval_inference on a ScanNet-style depth + pose batch, train mode).
/// </summary>
public sealed class LossParityTests(ITestOutputHelper output)
{
    private readonly List<string> _failures = [];

    private void Check(GoldenFixture fixture, string name, Tensor ours)
    {
        var (err, failure) = fixture.Compare(name, ours);
        output.WriteLine($"{name,-45} max|err| {err:G3}{(failure is null ? "" : "  FAIL")}");
        if (failure is not null) _failures.Add(failure);
    }

    [Fact]
    public void CoarseSupervisionEqualsTheReference()
    {
        using var fixture = new GoldenFixture(LossDsFixture.Name);
        using var batch = LossDsFixture.Batch(fixture);
        var config = GoldenModel.Config(fixture.Json);
        using var sup = CoarseGroundTruth.Compute(batch, config);

        Assert.Equal(fixture.Json.GetProperty("sampling").GetProperty("num_gt_coarse_matches").GetInt64(), sup.PositiveCount);
        Check(fixture, "supervision.spv_b_ids", sup.BIds);
        Check(fixture, "supervision.spv_i_ids", sup.IIds);
        Check(fixture, "supervision.spv_j_ids", sup.JIds);
        Check(fixture, "supervision.spv_w_pt0_i", sup.WarpedGrid0);
        Check(fixture, "supervision.spv_pt1_i", sup.Grid1);
        using var dense = sup.DenseMatrix();
        using var nonzero = dense.flatten().nonzero().flatten();
        Assert.Equal(fixture["supervision.conf_matrix_gt.nonzero_idx"].data<long>().ToArray(), nonzero.data<long>().ToArray());
        Assert.Equal(sup.PositiveCount, dense.sum().item<float>());
        Assert.Empty(_failures);
    }

    [Fact]
    public void TrainingStepMatchesTheReference()
    {
        using var fixture = new GoldenFixture(LossDsFixture.Name);
        using var model = LossDsFixture.LoadModel(fixture);
        using var batch = LossDsFixture.Batch(fixture);
        var config = model.Config;
        var taps = new Dictionary<string, Tensor>();
        model.Tap = (name, t) => taps[name] = t.detach().clone().DetachFromDisposeScope();
        var draws = new List<(long, long)>();
        var loss = new LoftrLoss(new LoftrLossConfig(), config.CoarseMatching);
        using (var result = TrainingForward.Run(model, batch, loss, LossDsFixture.StoredIndices(fixture, draws)))
        {
            model.Tap = null;
            // exactly one draw: 350 ground-truth pads out of the 2028 matches (the 130 predictions all fit)
            Assert.Equal([(2028L, 350L)], draws);
            var m = result.Output.Coarse.Matches;
            Check(fixture, "coarse_matching.conf_matrix", result.Output.Coarse.ConfMatrix!);
            foreach (var (name, t) in new[] { ("b_ids", m.BIds), ("i_ids", m.IIds), ("j_ids", m.JIds), ("gt_mask", m.GtMask),
                         ("m_bids", m.MBIds), ("mkpts0_c", m.Keypoints0), ("mkpts1_c", m.Keypoints1), ("mconf", m.Confidence) })
                Check(fixture, $"coarse_matching.{name}", t);
            Assert.Equal(fixture["train.num_pred"].item<long>(), m.Confidence.shape[0]);
            Check(fixture, "fine_matching.expec_f", result.Output.Fine.Expectation);
            Check(fixture, "fine_matching.mkpts0_f", result.Output.Fine.Keypoints0);
            Check(fixture, "fine_matching.mkpts1_f", result.Output.Fine.Keypoints1);
            Check(fixture, "supervision.expec_f_gt", result.FineTarget);
            foreach (var name in new[] { "backbone.feat_c0", "backbone.feat_c1", "backbone.feat_f0", "backbone.feat_f1",
                         "coarse.feat_c0_pe", "coarse.feat_c1_pe", "loftr_coarse.feat_c0", "loftr_coarse.feat_c1",
                         "fine_preprocess.feat_f0_unfold", "fine_preprocess.feat_f1_unfold", "loftr_fine.feat_f0", "loftr_fine.feat_f1" })
                Check(fixture, name, taps[name]);

            Check(fixture, "loss.loss", tensor((float)result.Loss.Total));
            Check(fixture, "loss.loss_c", tensor((float)result.Loss.Coarse));
            Check(fixture, "loss.loss_f", tensor((float)result.Loss.Fine!.Value));
            long correct = result.FineTarget.abs().amax([1]).lt(1.0).sum().item<long>();
            Assert.Equal(fixture.Json.GetProperty("sampling").GetProperty("num_fine_correct (|expec_f_gt|_inf < fine_correct_thr)").GetInt64(), correct);

            // the dense variant of the coarse loss on the same predictions
            var dense = new LoftrLoss(new LoftrLossConfig(), config.CoarseMatching with { SparseSupervision = false });
            using var denseResult = dense.Compute(result.Output.Coarse, result.Supervision, result.Output.Fine.Expectation, result.FineTarget);
            Check(fixture, "loss_dense.loss", tensor((float)denseResult.Total));
            Check(fixture, "loss_dense.loss_c", tensor((float)denseResult.Coarse));
            Check(fixture, "loss_dense.loss_f", tensor((float)denseResult.Fine!.Value));

            // the loss is differentiable end to end
            result.Loss.Loss.backward();
            Assert.All(model.parameters(), p => Assert.True(p.grad is not null && p.grad.isfinite().all().item<bool>()));
        }
        foreach (var t in taps.Values) t.Dispose();

        // BatchNorm running statistics after the train-mode forward (momentum 0.1, unbiased variance)
        foreach (var (key, buffer) in model.named_buffers())
        {
            string name = $"bn_running_after.{key}";
            if (fixture.Has(name)) Check(fixture, name, buffer);
        }
        Assert.Equal(34, model.named_buffers().Count(b => fixture.Has($"bn_running_after.{b.name}")));
        Assert.Empty(_failures);
    }
}
