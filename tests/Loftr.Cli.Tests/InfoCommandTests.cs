using System.Text.Json;
using Loftr.Cli.Commands;
using Loftr.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests;

public sealed class InfoCommandTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void DescribesACheckpointWithInferredConfiguration()
    {
        var r = CliRunner.RunOk(log, "info", Paths.Weights);
        var expected = LoftrCheckpoint.Inspect(Paths.Weights);
        Assert.Contains("LoFTR-OT (optimal transport / Sinkhorn), custom size (not a released architecture)", r.Out);
        Assert.Contains($"{expected.ParameterCount:N0} learnable ({expected.ValueCount:N0} values in {expected.TensorCount} tensors)", r.Out);
        Assert.Contains("inferred from the tensor shapes", r.Out);
        Assert.Contains("ResNet-FPN 8/2, initial dim 32, blocks [32, 48, 64]", r.Out);
        Assert.Contains("false (guessed from the file name)", r.Out);
        Assert.Contains("backbone (107), coarse_matching (1), fine_preprocess (4), loftr_coarse (40), loftr_fine (20)", r.Out);
        Assert.Contains("pytorch-lightning_version", r.Out);
    }

    [Fact]
    public void JsonOutputAndEmbeddedConfiguration()
    {
        // A .safetensors written by the library embeds its configuration: info reports it as such, with no guesses.
        string path = _dir.File("small.safetensors");
        using (var model = LoftrCheckpoint.LoadModel(Paths.Weights, LoftrConfig.Reference(CoarseMatchType.Sinkhorn, tempBugFix: true) with
               {
                   Backbone = new BackboneConfig(32, [32, 48, 64]),
                   Coarse = new TransformerConfig(64, 4, TransformerConfig.SelfCross(2)),
                   Fine = new TransformerConfig(32, 4, TransformerConfig.SelfCross(1)),
               }))
            LoftrCheckpoint.SaveSafeTensors(model, path);
        var r = CliRunner.RunOk(log, "info", path, "--json");
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("config_embedded").GetBoolean());
        Assert.True(root.GetProperty("temp_bug_fix").GetBoolean());
        Assert.Equal(0, root.GetProperty("guesses").GetArrayLength());
        Assert.Equal(LoftrCheckpoint.Inspect(Paths.Weights).ParameterCount, root.GetProperty("parameters").GetInt64());
        Assert.Equal(4, root.GetProperty("config").GetProperty("Coarse").GetProperty("NHead").GetInt32());
        Assert.StartsWith("LoFTR-OT", root.GetProperty("variant").GetString());
    }

    [Fact]
    public void VariantNamesTheReleasedCheckpointsOfAnArchitecture()
    {
        Assert.Equal("LoFTR-DS (dual-softmax), the architecture of the released indoor_ds / outdoor_ds", InfoCommand.Variant(LoftrConfig.OutdoorDs));
        Assert.Equal("LoFTR-DS (dual-softmax), the architecture of the released indoor_ds_new", InfoCommand.Variant(LoftrConfig.IndoorDsNew));
        Assert.Equal("LoFTR-OT (optimal transport / Sinkhorn), the architecture of the released indoor_ot / outdoor_ot", InfoCommand.Variant(LoftrConfig.IndoorOt));
    }
}
