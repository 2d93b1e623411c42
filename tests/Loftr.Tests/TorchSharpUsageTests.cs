using Loftr.Tests.Shared;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Loftr.Tests;

/// <summary>
/// The library gives libtorch no TorchSharp Scalar that nothing keeps alive (see src/Loftr/Scalars.cs): a garbage
/// collection on another thread could free it during the native call.
/// </summary>
public sealed class TorchSharpUsageTests(ITestOutputHelper output)
{
    [Fact]
    public void TheLibraryMakesNoTemporaryScalars()
    {
        // BatchNorm2d's forward counts training batches with a temporary Scalar; the library never runs that forward
        // (BatchNorms.Forward does it with a held one), so its factory is allowed.
        var findings = TorchSharpScalarScan.Find(typeof(LoftrMatcher).Assembly.Location, "TorchSharp.Modules.BatchNorm2d");
        foreach (var finding in findings) output.WriteLine(finding);
        Assert.True(findings.Count == 0, $"{findings.Count} calls give libtorch a temporary Scalar:\n{string.Join("\n", findings)}");
    }

    [Fact]
    public void TheScanFindsEachUnsafeForm()
    {
        var findings = TorchSharpScalarScan.Find(typeof(UnsafeSamples).Assembly.Location)
            .Where(f => f.StartsWith(typeof(UnsafeSamples).FullName!.Replace('+', '/'), StringComparison.Ordinal))
            .ToList();
        foreach (var finding in findings) output.WriteLine(finding);
        string[] expected =
        [
            "ImplicitScalar: Scalar.op_Implicit(double)",
            "ImplicitTensor: Tensor.op_Implicit(bool)",
            "NumberOperator: Tensor.op_Multiply(Tensor, double)",
            "TensorPlusTensor: Tensor.op_Addition(Tensor, Tensor)",
            "AddWithoutAlpha: Tensor.add(Tensor)",
            "Square: Tensor.square()",
            "Arange: torch.arange(Scalar, Nullable`1<ScalarType>, Device, bool)",
            "Elu: nn.functional.elu(Tensor, double, bool)",
            "LeakyReluModule: nn.LeakyReLU(double, bool)",
            "BatchNormModule: nn.BatchNorm2d(",
            "UndisposedLocal: ScalarExtensionMethods.ToScalar(double)",
        ];
        foreach (string form in expected)
            Assert.Contains(findings, f => f.Contains("UnsafeSamples." + form, StringComparison.Ordinal));
        Assert.DoesNotContain(findings, f => f.Contains(".Safe", StringComparison.Ordinal));
    }

    /// <summary>One method per unsafe form the scan must report (never run), and the safe forms it must accept.</summary>
    private static class UnsafeSamples
    {
        private static readonly Scalar Held = 2.0.ToScalar();

        public static Tensor ImplicitScalar(Tensor x) => x.add_(1e-6, Scalars.One);
        public static void ImplicitTensor(Tensor x) => x[0] = true;
        public static Tensor NumberOperator(Tensor x) => x * 2.0;
        public static Tensor TensorPlusTensor(Tensor x, Tensor y) => x + y;
        public static Tensor AddWithoutAlpha(Tensor x, Tensor y) => x.add(y);
        public static Tensor Square(Tensor x) => x.square();
        public static Tensor Arange(long n) => arange(n, dtype: ScalarType.Int64);
        public static Tensor Elu(Tensor x) => nn.functional.elu(x, 1.0);
        public static nn.Module<Tensor, Tensor> LeakyReluModule() => nn.LeakyReLU(0.01);
        public static nn.Module<Tensor, Tensor> BatchNormModule() => nn.BatchNorm2d(4);

        public static Tensor UndisposedLocal(Tensor x)
        {
            var s = 2.0.ToScalar();
            return x.mul(s);
        }

        public static Tensor SafeStaticField(Tensor x) => x.mul(Held);

        public static Tensor SafeUsingLocal(Tensor x, Tensor y)
        {
            using var s = 2.0.ToScalar();
            return x.mul(s).add(y, Scalars.One);
        }
    }
}
