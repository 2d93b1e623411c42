using Loftr.Backbone;
using Loftr.IO;
using Loftr.Model;
using Loftr.Training;
using static TorchSharp.torch;

namespace Loftr.Tests.Backbone;

/// <summary><see cref="BackboneConfig.FineOutputDim"/>: a wider fine path on an unchanged coarse path.</summary>
public sealed class FineOutputDimTests : IDisposable
{
    private readonly List<string> _files = [];

    /// <summary>The tensors of <see cref="TrainingPresets.SmallFine64"/> whose shapes differ from <see cref="TrainingPresets.Small"/>'s.</summary>
    private static bool WidensWithTheFinePath(string key) =>
        key.StartsWith("backbone.layer1_outconv2.3.", StringComparison.Ordinal)
        || key.StartsWith("fine_preprocess.", StringComparison.Ordinal)
        || key.StartsWith("loftr_fine.", StringComparison.Ordinal);

    [Fact]
    public void ConfigurationsWithoutItWriteTheSameJsonAsBefore()
    {
        foreach (var config in new[] { TrainingPresets.Small, LoftrConfig.IndoorDsNew, LoftrConfig.OutdoorOt })
        {
            Assert.Null(config.Backbone.FineOutputDim);
            Assert.DoesNotContain("FineOutputDim", LoftrCheckpoint.ConfigToJson(config), StringComparison.Ordinal);
        }
        var wide = TrainingPresets.SmallFine64;
        var json = LoftrCheckpoint.ConfigToJson(wide);
        Assert.Contains("\"FineOutputDim\":64", json, StringComparison.Ordinal);
        var read = LoftrCheckpoint.ConfigFromJson(json);
        Assert.Equal(wide, read);
        Assert.Equal(64, read.Backbone.FineDim);
        Assert.NotEqual(TrainingPresets.Small.Backbone, read.Backbone);
        Assert.Equal(32, TrainingPresets.Small.Backbone.FineDim);
    }

    [Fact]
    public void InvalidFineOutputDimsAreRejected()
    {
        var zero = TrainingPresets.Small with { Backbone = TrainingPresets.Small.Backbone with { FineOutputDim = 0 } };
        Assert.Contains("fine output dim must be positive", Assert.Throws<ArgumentException>(zero.Validate).Message);
        var mismatch = TrainingPresets.Small with { Backbone = TrainingPresets.Small.Backbone with { FineOutputDim = 64 } };
        Assert.Contains("Fine d_model 32 must equal the backbone's fine dim 64", Assert.Throws<ArgumentException>(mismatch.Validate).Message);
        TrainingPresets.SmallFine64.Validate();
    }

    [Fact]
    public void AWiderFinePathLeavesTheCoarseFeaturesUnchanged()
    {
        manual_seed(3);
        using var small = new LoftrModel(TrainingPresets.Small);
        using var wide = new LoftrModel(TrainingPresets.SmallFine64);
        var fresh = StateDictIO.LoadMatching(wide, small.state_dict());
        Assert.Equal(wide.state_dict().Keys.Where(WidensWithTheFinePath).Order(StringComparer.Ordinal), fresh);
        Assert.Equal(25, fresh.Count);

        using var backboneA = new ResNetFpn(TrainingPresets.Small.Backbone);
        using var backboneB = new ResNetFpn(TrainingPresets.SmallFine64.Backbone);
        Assert.Equal(["layer1_outconv2.3.weight"], StateDictIO.LoadMatching(backboneB, backboneA.state_dict()));
        backboneA.eval();
        backboneB.eval();
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var image = rand(1, 1, 64, 96);
        var (coarseA, fineA) = backboneA.forward(image);
        var (coarseB, fineB) = backboneB.forward(image);
        Assert.True(coarseA.eq(coarseB).all().item<bool>(), "coarse features differ");
        Assert.Equal([1L, 32, 32, 48], fineA.shape);
        Assert.Equal([1L, 64, 32, 48], fineB.shape);
    }

    [Fact]
    public void TheFineOutputDimIsInferredFromWeightsWithoutAConfiguration()
    {
        string path = SavedWithoutConfiguration(TrainingPresets.SmallFine64);
        var info = LoftrCheckpoint.Inspect(path);
        Assert.False(info.ConfigEmbedded);
        Assert.Equal(64, info.Config.Backbone.FineOutputDim);
        Assert.Equal(64, info.Config.Fine.DModel);
        using var loaded = LoftrCheckpoint.LoadModel(path);
        Assert.Equal(64, loaded.Config.Backbone.FineDim);
    }

    [Fact]
    public void APartialLoadWithNothingInCommonIsRefused()
    {
        string path = SavedWithoutConfiguration(TrainingPresets.Small);
        var e = Assert.Throws<CheckpointMismatchException>(() => LoftrCheckpoint.LoadModelPartial(path, LoftrConfig.IndoorDsNew, out _));
        Assert.Contains(Path.GetFileName(path), e.Message);
        using var wide = LoftrCheckpoint.LoadModelPartial(path, TrainingPresets.SmallFine64, out var fresh);
        Assert.Equal(25, fresh.Count);
    }

    /// <summary>A fresh model of <paramref name="config"/> saved as safetensors with no configuration in its metadata (deleted with the test).</summary>
    private string SavedWithoutConfiguration(LoftrConfig config)
    {
        string path = Path.Combine(Path.GetTempPath(), $"loftr-weights-{Guid.NewGuid():N}.safetensors");
        _files.Add(path);
        using var model = new LoftrModel(config);
        SafeTensors.Save(path, model.state_dict());
        return path;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var f in _files) File.Delete(f);
    }
}
