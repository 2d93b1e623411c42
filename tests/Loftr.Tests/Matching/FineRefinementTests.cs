using System.Text.Json.Nodes;
using Loftr.Matching;
using static TorchSharp.torch;

namespace Loftr.Tests.Matching;

/// <summary>The sub-pixel estimates of the fine stage (<see cref="FineRefinement"/>) and the inference settings in the configuration.</summary>
public sealed class FineRefinementTests
{
    // A 5x5 heatmap with its peak at row 1, column 1 (normalised position (-0.5, -0.5)) and a second, weaker mode in the
    // opposite corner (row 4, column 4: (1, 1)).
    private static double[] Logits()
    {
        var l = new double[25];
        l[1 * 5 + 1] = 5;
        l[1 * 5 + 2] = 2;
        l[4 * 5 + 4] = 4.5;
        return l;
    }

    private static (double X, double Y, double Std) Reference(double[] logits, Func<int, bool> include)
    {
        double max = logits.Max();
        var p = logits.Select(v => Math.Exp(v - max)).ToArray();
        double total = p.Sum();
        p = p.Select(v => v / total).ToArray();
        double G(int k) => -1 + 0.5 * k;
        double mx = 0, my = 0, vx = 0, vy = 0;
        for (int i = 0; i < 25; i++) { mx += p[i] * G(i % 5); my += p[i] * G(i / 5); }
        for (int i = 0; i < 25; i++) { vx += p[i] * G(i % 5) * G(i % 5); vy += p[i] * G(i / 5) * G(i / 5); }
        double std = Math.Sqrt(vx - mx * mx) + Math.Sqrt(vy - my * my);
        double s = 0, lx = 0, ly = 0;
        for (int i = 0; i < 25; i++)
        {
            if (!include(i)) continue;
            s += p[i];
            lx += p[i] * G(i % 5);
            ly += p[i] * G(i / 5);
        }
        return (lx / s, ly / s, std);
    }

    [Fact]
    public void LocalExpectationAveragesOnlyTheThreeByThreeCellsAroundThePeak()
    {
        using var scope = NewDisposeScope();
        var logits = Logits();
        var heatmap = nn.functional.softmax(tensor(logits.Select(v => (float)v).ToArray()).view(1, 25), 1);
        var whole = Reference(logits, _ => true);
        var local = Reference(logits, i => i / 5 <= 2 && i % 5 <= 2);

        var (c0, s0) = FineMatching.Expectation(heatmap, 5, FineRefinement.Expectation);
        var (c1, s1) = FineMatching.Expectation(heatmap, 5, FineRefinement.LocalExpectation);
        var e = c0.data<float>().ToArray();
        var l = c1.data<float>().ToArray();
        Assert.Equal(whole.X, e[0], 5);
        Assert.Equal(whole.Y, e[1], 5);
        Assert.Equal(local.X, l[0], 5);
        Assert.Equal(local.Y, l[1], 5);
        // The far mode drags the whole-window expectation away from the peak; the local one stays next to it.
        Assert.True(whole.X > -0.2, $"whole-window x {whole.X}");
        Assert.InRange(l[0], -0.55, -0.35);
        // The standard deviation is the whole heatmap's in both modes (the fine loss weight and the sharpness filter).
        Assert.Equal(whole.Std, s0.item<float>(), 5);
        Assert.Equal(s0.item<float>(), s1.item<float>());
    }

    [Fact]
    public void APeakOnTheWindowBorderUsesTheCellsInsideTheWindow()
    {
        using var scope = NewDisposeScope();
        var logits = new double[25];
        logits[0] = 6;          // corner (-1, -1)
        logits[1] = 3;          // (-0.5, -1)
        logits[24] = 2;
        var heatmap = nn.functional.softmax(tensor(logits.Select(v => (float)v).ToArray()).view(1, 25), 1);
        var local = Reference(logits, i => i / 5 <= 1 && i % 5 <= 1);
        var (c, _) = FineMatching.Expectation(heatmap, 5, FineRefinement.LocalExpectation);
        Assert.Equal(local.X, c[0, 0].item<float>(), 5);
        Assert.Equal(local.Y, c[0, 1].item<float>(), 5);
    }

    [Fact]
    public void ReleasedPresetsKeepTheReferenceBehaviour()
    {
        foreach (var name in LoftrConfig.PresetNames)
        {
            var c = LoftrConfig.FromPresetName(name);
            Assert.Equal(FineRefinement.Expectation, c.Refinement);
            Assert.Equal(1.0, c.SharpestFraction);
        }
    }

    [Fact]
    public void ConfigurationsWrittenBeforeTheInferenceSettingsReadAsTheReference()
    {
        var config = LoftrConfig.IndoorDsNew with { Refinement = FineRefinement.LocalExpectation, SharpestFraction = 0.5 };
        var json = LoftrCheckpoint.ConfigToJson(config);
        Assert.Equal(json, LoftrCheckpoint.ConfigToJson(LoftrCheckpoint.ConfigFromJson(json)));
        var old = JsonNode.Parse(json)!.AsObject();
        old.Remove("Refinement");
        old.Remove("SharpestFraction");
        Assert.Equal(old.ToJsonString(), LoftrCheckpoint.ArchitectureToJson(config));
        var read = LoftrCheckpoint.ConfigFromJson(old.ToJsonString());
        Assert.Equal(FineRefinement.Expectation, read.Refinement);
        Assert.Equal(1.0, read.SharpestFraction);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void SharpestFractionOutsideZeroToOneIsRejected(double fraction)
    {
        var e = Assert.Throws<ArgumentException>(() => (LoftrConfig.IndoorDsNew with { SharpestFraction = fraction }).Validate());
        Assert.Contains("sharpest fraction", e.Message);
    }

    [Fact]
    public void AnInitialDimOtherThanTheFirstBlockDimIsRejectedBeforeAModelIsBuilt()
    {
        var config = LoftrConfig.IndoorDsNew with { Backbone = new BackboneConfig(96, [128, 196, 256]) };
        var e = Assert.Throws<ArgumentException>(config.Validate);
        Assert.Contains("initial dim 96 must equal its first block dim 128", e.Message);
        LoftrConfig.IndoorDsNew.Validate();
    }
}
