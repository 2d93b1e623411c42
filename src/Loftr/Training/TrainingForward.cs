using Loftr.Model;
using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>Everything one supervised forward pass produces: the ground truth, the network output and the losses.</summary>
public sealed class TrainingForwardResult : IDisposable
{
    /// <summary>The coarse ground truth.</summary>
    public required CoarseSupervision Supervision { get; init; }
    /// <summary>The network output (the coarse matches are the sampled training windows).</summary>
    public required LoftrOutput Output { get; init; }
    /// <summary>The fine targets <c>expec_f_gt</c> [M, 2] of the windows.</summary>
    public required Tensor FineTarget { get; init; }
    /// <summary>The losses.</summary>
    public required LossResult Loss { get; init; }

    /// <inheritdoc />
    public void Dispose()
    {
        Supervision.Dispose();
        Output.Dispose();
        FineTarget.Dispose();
        Loss.Dispose();
    }
}

/// <summary>
/// One supervised pass as the reference <c>_trainval_inference</c>: coarse ground truth, the network (with the
/// training-time window sampling), fine ground truth, losses. The model's mode (train / eval) is left as it is.
/// </summary>
public static class TrainingForward
{
    /// <summary>Runs the pass. <paramref name="random"/> draws the sampled windows.</summary>
    /// <param name="model">The network.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="loss">The loss.</param>
    /// <param name="random">Source of the random window indices.</param>
    /// <param name="training">Training semantics of the fine loss corner case (see <see cref="LoftrLoss.Compute"/>).</param>
    /// <param name="depthConsistency">See <see cref="CoarseGroundTruth.Compute"/>.</param>
    public static TrainingForwardResult Run(LoftrModel model, TrainingBatch batch, LoftrLoss loss, RandomIndexSource random,
        bool training = true, bool depthConsistency = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(random);
        var config = model.Config;
        var supervision = CoarseGroundTruth.Compute(batch, config, depthConsistency);
        LoftrOutput? output = null;
        Tensor? target = null;
        try
        {
            output = model.Forward(batch.Image0, batch.Image1, batch.Mask0, batch.Mask1, batch.Scale0, batch.Scale1,
                trainingSampler: (predicted, geometry) => CoarseTrainingSampler.Sample(predicted, supervision, geometry,
                    config.CoarseMatching, random, batch.Mask0, batch.Mask1, batch.Scale0, batch.Scale1));
            target = FineGroundTruth.Compute(supervision, output.Coarse.Matches, config, batch.Scale1);
            var losses = loss.Compute(output.Coarse, supervision, output.Fine.Expectation, target, batch.Mask0, batch.Mask1, training);
            return new TrainingForwardResult { Supervision = supervision, Output = output, FineTarget = target, Loss = losses };
        }
        catch
        {
            supervision.Dispose();
            output?.Dispose();
            target?.Dispose();
            throw;
        }
    }
}
