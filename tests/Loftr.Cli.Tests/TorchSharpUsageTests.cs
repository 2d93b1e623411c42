using Loftr.Tests.Shared;

namespace Loftr.Cli.Tests;

/// <summary>
/// The tool gives libtorch no TorchSharp Scalar that nothing keeps alive (see src/Loftr/Scalars.cs): a garbage
/// collection on another thread could free it during the native call.
/// </summary>
public sealed class TorchSharpUsageTests
{
    [Fact]
    public void TheToolMakesNoTemporaryScalars()
    {
        var findings = TorchSharpScalarScan.Find(typeof(Cli).Assembly.Location);
        Assert.True(findings.Count == 0, $"{findings.Count} calls give libtorch a temporary Scalar:\n{string.Join("\n", findings)}");
    }
}
