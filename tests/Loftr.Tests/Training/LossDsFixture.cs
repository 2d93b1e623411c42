using Loftr.Model;
using Loftr.Tests.Golden;
using Loftr.Training;
using static TorchSharp.torch;

namespace Loftr.Tests.Training;

/// <summary>The loss_ds golden fixture (reference training step on a depth + pose batch) as test inputs.</summary>
internal static class LossDsFixture
{
    public const string Name = "loss_ds";

    /// <summary>The fixture's model (weights.safetensors, the state before the step), in train mode.</summary>
    public static LoftrModel LoadModel(GoldenFixture fixture)
    {
        var model = LoftrCheckpoint.LoadModel(Path.Combine(fixture.Directory, "weights.safetensors"), GoldenModel.Config(fixture.Json));
        model.train();
        return model;
    }

    /// <summary>The ScanNet-branch batch (no masks, no scales) with depth + pose supervision.</summary>
    public static TrainingBatch Batch(GoldenFixture fixture) => new()
    {
        Image0 = fixture["input.image0"].clone(),
        Image1 = fixture["input.image1"].clone(),
        Depth = new DepthPose(fixture["input.depth0"].clone(), fixture["input.depth1"].clone(), fixture["input.K0"].clone(),
            fixture["input.K1"].clone(), fixture["input.T_0to1"].clone(), fixture["input.T_1to0"].clone()),
    };

    /// <summary>
    /// The random source of the reference run: the predictions fit, so the only draw is the ground-truth padding, whose
    /// indices the fixture stores.
    /// </summary>
    public static RandomIndexSource StoredIndices(GoldenFixture fixture, List<(long High, long Count)>? calls = null) => (high, count) =>
    {
        calls?.Add((high, count));
        var stored = fixture["train.gt_pad_indices"];
        if (count != stored.shape[0]) throw new InvalidOperationException($"unexpected draw of {count} indices from [0, {high})");
        return stored.clone();
    };
}
