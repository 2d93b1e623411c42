using Loftr.Imaging;
using Loftr.Model;
using Loftr.Tests.Shared;
using Loftr.Tests.Training;
using Loftr.Training;
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

/// <summary>
/// Matching and training passes while another thread forces garbage collections and runs finalizers: a Scalar that
/// nothing keeps alive is then freed during native calls. Before the library held its scalars about one match in ten
/// and one training pass in five failed here ("Expected false to be true ... toDouble", "Unknown scalar type").
/// </summary>
[Collection(nameof(ProcessWide))]
public sealed class ScalarLifetimeStressTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);

    [Fact]
    public void MatchingGivesTheSameResultWhileAnotherThreadCollectsGarbage()
    {
        using var oneThread = new OneLibtorchThread();
        using var matcher = LoftrMatcher.LoadDefault();
        var options = new MatchOptions { MaxSize = 160 };
        var image0 = GrayImage.Load(Infrastructure.TestData.Path("images/london_bridge_19481797_2295892421.jpg"));
        var image1 = GrayImage.Load(Infrastructure.TestData.Path("images/london_bridge_78916675_4568141288.jpg"));
        var reference = matcher.Match(image0, image1, options);
        Assert.True(reference.Count > 0);
        RepeatWhileCollecting(() =>
        {
            var result = matcher.Match(image0, image1, options);
            bool same = result.Keypoints0.SequenceEqual(reference.Keypoints0) && result.Keypoints1.SequenceEqual(reference.Keypoints1)
                && result.Confidence.SequenceEqual(reference.Confidence);
            return same ? null : $"different matches ({result.Count} instead of {reference.Count})";
        });
    }

    [Fact]
    public void TrainingPassesGiveTheSameLossAndGradientsWhileAnotherThreadCollectsGarbage()
    {
        using var oneThread = new OneLibtorchThread();
        string photos = TrainingTestData.PhotoFolder(3);
        try
        {
            var config = TrainingTestData.TinyConfig;
            var data = new HomographyFolderDataset(photos, 96, 64, seed: 9, validationCount: 1);
            PairSample[] samples = [data.TrainSample(0), data.TrainSample(1)];
            manual_seed(5);
            using var model = new LoftrModel(config);
            model.train();
            var loss = new LoftrLoss(new LoftrLossConfig(), config.CoarseMatching);

            // Forward (batch norms in training mode, ground truth, sampled windows, losses) and backward; the batch-norm
            // running statistics change from pass to pass, the loss and the gradients do not.
            (float Loss, float Gradients) Pass()
            {
                using var scope = NewDisposeScope();
                using var batch = PairSample.Collate(samples, config.Backbone.CoarseResolution);
                var random = CoarseTrainingSampler.FromRandom(TrainingRandom.For(5, "sampler", 0));
                using var result = TrainingForward.Run(model, batch, loss, random);
                result.Loss.Loss.backward();
                var gradients = stack(model.parameters().Where(p => p.grad is not null).Select(p => p.grad!.abs().sum()).ToArray()).sum();
                float values = gradients.item<float>();
                model.zero_grad();
                return ((float)result.Loss.Total, values);
            }

            var reference = Pass();
            RepeatWhileCollecting(() =>
            {
                var pass = Pass();
                return pass == reference ? null : $"loss {pass.Loss} and gradient sum {pass.Gradients} instead of {reference.Loss} and {reference.Gradients}";
            });
        }
        finally
        {
            TrainingTestData.DeleteQuietly(photos);
        }
    }

    /// <summary>
    /// Runs <paramref name="run"/> (null = the expected result, else what differed) for <see cref="Duration"/> while
    /// another thread collects garbage; fails on any difference or libtorch error.
    /// </summary>
    private void RepeatWhileCollecting(Func<string?> run)
    {
        var failures = new List<string>();
        int runs = 0, collections = 0;
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                collections++;
            }
        });
        collector.Start();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < Duration)
            {
                runs++;
                try
                {
                    if (run() is { } difference) failures.Add($"run {runs}: {difference}");
                }
                catch (System.Runtime.InteropServices.ExternalException e)
                {
                    failures.Add($"run {runs}: {e.Message.Split('\n')[0]}");
                }
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
        output.WriteLine($"{runs} runs, {collections} collections, {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }

    /// <summary>
    /// One libtorch thread for the reference and every repetition (libtorch's workers would compete with the collecting
    /// thread for the cores, and another thread count changes float reductions in the last bits).
    /// </summary>
    private sealed class OneLibtorchThread : IDisposable
    {
        private readonly int _threads = get_num_threads();

        public OneLibtorchThread() => set_num_threads(1);

        public void Dispose() => set_num_threads(_threads);
    }
}
