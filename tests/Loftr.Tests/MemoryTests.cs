using System.Diagnostics;
using Loftr.Imaging;
using Loftr.Tests.Golden;
using Xunit.Abstractions;

namespace Loftr.Tests;

/// <summary>Tests that measure the whole process; they run alone (no other test in parallel).</summary>
[CollectionDefinition(nameof(ProcessWide), DisableParallelization = true)]
public sealed class ProcessWide;

[Collection(nameof(ProcessWide))]
public sealed class MemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void MemoryStaysFlatOverAThousandInferences()
    {
        using var fixture = new GoldenFixture("small_ot");
        using var matcher = new LoftrMatcher(GoldenModel.Load(fixture));
        var rng = new Random(7);
        var a = new GrayImage(Enumerable.Range(0, 96 * 80).Select(_ => (float)rng.NextDouble()).ToArray(), 96, 80);
        var b = new GrayImage(Enumerable.Range(0, 96 * 80).Select(_ => (float)rng.NextDouble()).ToArray(), 96, 80);
        var options = new MatchOptions { Threshold = 0.0 };
        for (int i = 0; i < 300; i++) matcher.Match(a, b, options); // warm-up: allocator pools and caches fill up
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = Process.GetCurrentProcess().WorkingSet64;
        int total = 0;
        for (int i = 0; i < 1000; i++) total += matcher.Match(a, b, options).Count;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long after = Process.GetCurrentProcess().WorkingSet64;
        double growth = (after - before) / (double)before;
        output.WriteLine($"RSS before {before / 1048576.0:F1} MB, after 1000 inferences {after / 1048576.0:F1} MB ({growth:P1}); {total} matches");
        Assert.True(total > 0);
        Assert.True(growth < 0.05, $"RSS grew {growth:P1} over 1000 inferences");
    }
}
