using Loftr.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Loftr.Tests.IO;

public class StateDictIOTests
{
    private static nn.Module<Tensor, Tensor> Tiny() => nn.Sequential(("fc", nn.Linear(3, 4)), ("bn", nn.BatchNorm1d(4)));

    private static Dictionary<string, Tensor> Source(nn.Module module, int seed = 5)
    {
        torch.manual_seed(seed);
        var d = new Dictionary<string, Tensor>();
        foreach (var (k, t) in module.state_dict())
            d[k] = t.dtype == ScalarType.Int64 ? torch.tensor(17L) : torch.randn(t.shape, dtype: ScalarType.Float64);
        return d;
    }

    [Fact]
    public void MatchingStateDictIsCopiedWithDtypeConversion()
    {
        var m = Tiny();
        var src = Source(m);
        StateDictIO.LoadInto(m, src, "mem");
        var sd = m.state_dict();
        Assert.Equal(ScalarType.Float32, sd["fc.weight"].dtype);
        Assert.True(sd["fc.weight"].allclose(src["fc.weight"].to_type(ScalarType.Float32)));
        Assert.True(sd["bn.running_var"].allclose(src["bn.running_var"].to_type(ScalarType.Float32)));
        Assert.Equal(17L, sd["bn.num_batches_tracked"].item<long>());
        Assert.True(sd["fc.weight"].requires_grad);
    }

    [Fact]
    public void MissingKeyIsNamedAndNothingIsModified()
    {
        var m = Tiny();
        var before = m.state_dict()["fc.weight"].clone();
        var src = Source(m);
        src.Remove("bn.num_batches_tracked");
        var ex = Assert.Throws<CheckpointMismatchException>(() => StateDictIO.LoadInto(m, src, "weights.ckpt"));
        Assert.StartsWith("weights.ckpt: ", ex.Message);
        Assert.Contains("bn.num_batches_tracked", ex.Message);
        Assert.Equal(["bn.num_batches_tracked"], ex.MissingKeys);
        Assert.True(m.state_dict()["fc.weight"].allclose(before, 0, 0), "nothing may be copied before the check passes");
    }

    [Fact]
    public void UnexpectedKeyIsNamed()
    {
        var m = Tiny();
        var src = Source(m);
        src["bn.extra"] = torch.zeros(1);
        var ex = Assert.Throws<CheckpointMismatchException>(() => StateDictIO.LoadInto(m, src, "x.safetensors"));
        Assert.Equal(["bn.extra"], ex.UnexpectedKeys);
        Assert.Contains("unexpected keys (in the checkpoint, not in the model):\n  bn.extra", ex.Message);
    }

    [Fact]
    public void ShapeMismatchIsNamedWithBothShapes()
    {
        var m = Tiny();
        var src = Source(m);
        src["fc.weight"] = torch.zeros(4, 2);
        src["bn.num_batches_tracked"] = torch.zeros(1, dtype: ScalarType.Int64);
        var ex = Assert.Throws<CheckpointMismatchException>(() => StateDictIO.LoadInto(m, src, "w.ckpt"));
        Assert.Contains("fc.weight: checkpoint [4, 2] vs model [4, 3]", ex.Message);
        Assert.Contains("bn.num_batches_tracked: checkpoint [1] vs model []", ex.Message);
        Assert.Equal(2, ex.ShapeMismatches.Count);
    }

    [Fact]
    public void LongListsAreCutInTheMessage()
    {
        var m = Tiny();
        var src = Source(m);
        for (int i = 0; i < 25; i++) src[$"junk.{i:D2}"] = torch.zeros(1);
        var ex = Assert.Throws<CheckpointMismatchException>(() => StateDictIO.LoadInto(m, src, "w.ckpt"));
        Assert.Equal(25, ex.UnexpectedKeys.Count);
        Assert.Contains("junk.19", ex.Message);
        Assert.DoesNotContain("junk.20", ex.Message);
        Assert.Contains("... and 5 more", ex.Message);
    }

    [Fact]
    public void LightningCheckpointRoundTripIntoAFreshModule()
    {
        using var dir = new TempDir();
        var m = Tiny();
        StateDictIO.LoadInto(m, Source(m, 11), "mem");
        string ckpt = dir.File("tiny.ckpt");
        TorchCheckpoint.SaveLightning(ckpt, m.state_dict(), epoch: 1, globalStep: 2);
        string st = dir.File("tiny.safetensors");
        SafeTensors.Save(st, m.state_dict());

        foreach (var file in new[] { ckpt, st })
        {
            var fresh = Tiny();
            StateDictIO.LoadFile(fresh, file);
            foreach (var (k, t) in m.state_dict())
                Assert.True(t.allclose(fresh.state_dict()[k], 0, 0), $"{file}: {k}");
        }
        Assert.Equal(m.state_dict().Keys.OrderBy(k => k), StateDictIO.ReadStateDict(ckpt).Keys.OrderBy(k => k));
    }

    [Fact]
    public void OnlyOneLeadingMatcherPrefixIsRemoved()
    {
        using var dir = new TempDir();
        string path = dir.File("prefix.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["matcher.matcher.a"] = torch.zeros(1),
            ["backbone.matcher.b"] = torch.zeros(1),
            ["c"] = torch.zeros(1),
        });
        var sd = StateDictIO.ReadStateDict(path);
        Assert.Equal(new[] { "backbone.matcher.b", "c", "matcher.a" }, sd.Keys.OrderBy(k => k, StringComparer.Ordinal));

        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["matcher.a"] = torch.zeros(1), ["a"] = torch.zeros(1) });
        Assert.Contains("both map to 'a'", Assert.Throws<CheckpointFormatException>(() => StateDictIO.ReadStateDict(path)).Message);
    }
}
