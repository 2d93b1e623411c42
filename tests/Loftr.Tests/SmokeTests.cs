namespace Loftr.Tests;
public class SmokeTests
{
    [Fact]
    public void TorchLoads()
    {
        using var t = TorchSharp.torch.ones(3);
        Assert.Equal(3.0f, t.sum().item<float>());
    }
}
