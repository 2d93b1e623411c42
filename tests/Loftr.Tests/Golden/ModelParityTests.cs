using Loftr.Model;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Loftr.Tests.Golden;

/// <summary>The whole network against the reference implementation's tensors, intermediate by intermediate.</summary>
public sealed class ModelParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("small_ot", false)]
    [InlineData("full_ds", false)]
    [InlineData("small_ot", true)]
    [InlineData("full_ds", true)]
    [InlineData("full_ds", true, true)]
    public void EveryIntermediateMatchesTheReference(string fixtureName, bool channelsLast, bool imageByImageBackbone = false)
    {
        using var fixture = new GoldenFixture(fixtureName);
        using var model = GoldenModel.Load(fixture);
        model.ChannelsLast = channelsLast;
        if (imageByImageBackbone) model.MaxBatchedBackbonePixels = 0; // the large-image path: one image at a time
        var taps = new Dictionary<string, Tensor>();
        model.Tap = (name, t) => { taps[name] = t.detach().clone().DetachFromDisposeScope(); };

        using (inference_mode())
        using (var result = model.Forward(fixture["input.image0"], fixture["input.image1"]))
        {
            var m = result.Coarse.Matches;
            taps["coarse_matching.conf_matrix"] = result.Coarse.ConfMatrix!.clone().DetachFromDisposeScope();
            if (result.Coarse.ConfMatrixWithBin is { } withBin) taps["coarse_matching.conf_matrix_with_bin"] = withBin.clone().DetachFromDisposeScope();
            foreach (var (name, t) in new[] { ("b_ids", m.BIds), ("i_ids", m.IIds), ("j_ids", m.JIds), ("gt_mask", m.GtMask), ("m_bids", m.MBIds),
                         ("mkpts0_c", m.Keypoints0), ("mkpts1_c", m.Keypoints1), ("mconf", m.Confidence) })
                taps[$"coarse_matching.{name}"] = t.clone().DetachFromDisposeScope();
            taps["fine_matching.expec_f"] = result.Fine.Expectation.clone().DetachFromDisposeScope();
            taps["fine_matching.mkpts0_f"] = result.Fine.Keypoints0.clone().DetachFromDisposeScope();
            taps["fine_matching.mkpts1_f"] = result.Fine.Keypoints1.clone().DetachFromDisposeScope();
        }
        model.Tap = null;

        var failures = new List<string>();
        foreach (var name in fixture.TensorNames.Where(n => !n.StartsWith("input.", StringComparison.Ordinal)))
        {
            if (!taps.TryGetValue(name, out var ours))
            {
                failures.Add($"{name}: not produced");
                continue;
            }
            var (err, failure) = fixture.Compare(name, ours);
            output.WriteLine($"{name,-40} max|err| {err:G3}{(failure is null ? "" : "  FAIL")}");
            if (failure != null) failures.Add(failure);
        }
        foreach (var t in taps.Values) t.Dispose();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
