using Loftr.Transformer;
using static TorchSharp.torch;

namespace Loftr.Tests.Transformer;

public sealed class PositionEncodingTests
{
    /// <summary>
    /// Coarse maps wider or taller than the initial 256 x 256 table (inputs above 2048 px at resolution 8, e.g. 3840x2160)
    /// grow the table; the values are those of a table built for the larger grid, and growing twice works.
    /// </summary>
    [Fact]
    public void GrowsBeyondTheInitialTable()
    {
        using var scope = NewDisposeScope();
        using var encoding = new PositionEncodingSine(8, tempBugFix: false);
        var small = zeros(1, 8, 3, 5);
        var before = encoding.forward(small);

        var wide = zeros(1, 8, 4, 300);
        var grownOnce = encoding.forward(wide);
        var expected = PositionEncodingSine.Build(8, 256, 300, tempBugFix: false)[.., .., ..4, ..300];
        Assert.True(grownOnce.equal(expected).all().item<bool>());

        var tall = zeros(1, 8, 270, 10);
        var grownTwice = encoding.forward(tall);
        var expectedTall = PositionEncodingSine.Build(8, 270, 300, tempBugFix: false)[.., .., ..270, ..10];
        Assert.True(grownTwice.equal(expectedTall).all().item<bool>());

        Assert.True(encoding.forward(small).equal(before).all().item<bool>());
        Assert.Empty(encoding.state_dict()); // still a non-persistent buffer
    }
}
