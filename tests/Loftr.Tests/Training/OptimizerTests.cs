using Loftr.Tests.Golden;
using Loftr.Training;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using AdamW = Loftr.Training.AdamW;
using static TorchSharp.torch;

namespace Loftr.Tests.Training;

public sealed class OptimizerTests
{
    [Fact]
    public void AdamWEqualsTorchSharpsAdamW()
    {
        manual_seed(3);
        var init = randn(5, 7);
        var a = new Parameter(init.clone());
        var b = new Parameter(init.clone());
        using var ours = new AdamW([a], 0.01, weightDecay: 0.1);
        var theirs = optim.AdamW([b], lr: 0.01, weight_decay: 0.1);
        for (int step = 0; step < 5; step++)
        {
            var target = randn(5, 7);
            foreach (var (p, opt) in new (Parameter, Action)[] { (a, ours.Step), (b, () => theirs.step()) })
            {
                using var loss = (p - target).square().sum();
                loss.backward();
                opt();
            }
            ours.ZeroGrad();
            theirs.zero_grad();
        }
        Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-7), $"max diff {(a - b).abs().max().item<float>()}");
        Assert.Equal(5, ours.State(0)!.Step);
        Assert.False(a.allclose(init), "the parameter did not move");
    }

    [Fact]
    public void LearningRateFollowsTheReferenceWarmupAndMultiStep()
    {
        var s = new LearningRateSchedule(1e-3, WarmupSteps: 100, Milestones: [3, 6], Gamma: 0.5, StepsPerEpoch: 50);
        Assert.Equal(0, s.At(0));
        Assert.Equal(0.5e-3, s.At(50), 12);
        Assert.Equal(0.99e-3, s.At(99), 12);
        Assert.Equal(1e-3, s.At(100), 12);      // epoch 2
        Assert.Equal(0.5e-3, s.At(150), 12);    // epoch 3: first milestone
        Assert.Equal(0.25e-3, s.At(300), 12);   // epoch 6
        var options = new TrainerOptions { OutputDirectory = "x", BatchSize = 4 };
        Assert.Equal(6e-3 * 4 / 64, options.TrueLearningRate, 12);
        Assert.Equal(4800 * 16, options.EffectiveWarmupSteps);
    }

    [Fact]
    public void OneOptimizerStepLowersTheLossOnAFixedBatch()
    {
        using var fixture = new GoldenFixture(LossDsFixture.Name);
        using var model = LossDsFixture.LoadModel(fixture);
        using var batch = LossDsFixture.Batch(fixture);
        var loss = new LoftrLoss(new LoftrLossConfig(), model.Config.CoarseMatching);
        using var optimizer = new AdamW(model.parameters(), 1e-3, weightDecay: 0.1);
        double before, after, beforeC, afterC;
        // the same seed draws the ground-truth pads; the predictions (and so the windows) may change with the weights
        using (var r = TrainingForward.Run(model, batch, loss, CoarseTrainingSampler.FromRandom(new TrainingRandom(5))))
        {
            before = r.Loss.Total;
            beforeC = r.Loss.Coarse;
            r.Loss.Loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 0.5);
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        using (var r = TrainingForward.Run(model, batch, loss, CoarseTrainingSampler.FromRandom(new TrainingRandom(5))))
            (after, afterC) = (r.Loss.Total, r.Loss.Coarse);
        Assert.True(after < before - 0.01, $"loss {before} -> {after}");
        Assert.True(afterC < beforeC, $"coarse loss {beforeC} -> {afterC}");
    }
}
