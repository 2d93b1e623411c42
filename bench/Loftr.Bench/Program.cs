using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Loftr;
using Loftr.Bench;
using Loftr.Imaging;
using Loftr.Model;
using TorchSharp;
using static TorchSharp.torch;

// loftr-bench: per-stage timings of the full LoFTR architecture on this machine, with its own measured peak.
// Usage: loftr-bench [--sizes 640x480,1280x960,1920x1080] [--runs 5] [--warmup 1] [--threads N]
//                    [--precision fp32,bf16] [--bf16-sizes 640x480] [--weights FILE --preset NAME --threshold T] [--out FILE.md]
//                    [--large 3840x2160|none] [--channels-last true] [--allocator bounded|tuned|default]
// --large: sizes run once in fp32 after the table, reported as completion, time and peak RSS. With --out the file is
// written before they start, saying they did not finish, and rewritten when they do, so a run killed for memory
// still leaves the table.
var opts = ArgsParser.Parse(args);
LoftrRuntime.SetThreads(opts.Threads);
string allocator = opts.Allocator switch
{
    "bounded" => LoftrRuntime.BoundAllocator() ? "bounded (LoftrRuntime.BoundAllocator, as the loftr tool)" : "glibc default (bounding unavailable)",
    "tuned" => LoftrRuntime.TuneAllocator() ? "tuned (LoftrRuntime.TuneAllocator: no mmap, no trim)" : "glibc default (tuning unavailable)",
    "default" => "glibc default",
    _ => throw new ArgumentException($"--allocator must be bounded, tuned or default, got '{opts.Allocator}'."),
};
string root = FindRoot();
string weights = opts.Weights ?? Path.Combine(root, "tests/data/golden/full_ds/weights.ckpt");
var config = LoftrConfig.FromPresetName(opts.Preset);
config = config with { CoarseMatching = config.CoarseMatching with { Threshold = opts.Threshold } };
var image0 = Path.Combine(root, "tests/data/images/scene0711_00_frame-001680.jpg");
var image1 = Path.Combine(root, "tests/data/images/scene0711_00_frame-001995.jpg");

var report = new StringBuilder();
void Line(string s = "") { Console.WriteLine(s); report.AppendLine(s); }
string loadAtStart = LoadAverage();
Line($"# LoFTR benchmark ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
Line();
Line($"Machine: {CpuName()}, {Environment.ProcessorCount} logical CPUs; {CpuFeatures()}; {MemoryTotal()}. " +
     $"libtorch {TorchVersion()}, torch threads {opts.Threads}.");
Line();
Line($"Setup: weights `{Path.GetFileName(weights)}` (preset {opts.Preset}, threshold {opts.Threshold}; random weights give " +
     "representative timings, the match count only sizes the fine stage); channels-last convolutions " +
     $"{opts.ChannelsLast}; allocator {allocator}; images: the ScanNet pair scene0711 frames 1680/1995 resized to each " +
     $"size; per-stage medians of {opts.Runs} runs after {opts.Warmup} warm-up (the total is the median of the run totals). " +
     "GFLOP counts convolutions, linear layers and matrix products (2 per multiply-add; above " +
     "`CoarseMatching.MaxDenseElements`, from 1280x960 on, the chunked dual-softmax computes its similarity product twice, " +
     "counted once)." +
     (opts.Bf16Sizes is { } bf ? $" bfloat16 rows only at {string.Join(", ", bf.Select(x => $"{x.W}x{x.H}"))} (--bf16-sizes)." : ""));
Line();
var peak = Peak.Measure(opts.Threads);
Line("Machine peak measured in this run (same threads): " + string.Join("; ", peak.Select(p => $"{p.Key} {p.Value:F0} GFLOP/s")) + ".");
Line();
Line("| size | precision | backbone | coarse transformer | coarse matching | fine | total | matches | GFLOP | GFLOP/s | of fp32 conv / GEMM peak | peak RSS |");
Line("|---|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var (w, h) in opts.Sizes)
{
    foreach (var precision in opts.Precisions)
    {
        if (precision == Precision.BFloat16 && opts.Bf16Sizes is { } only && !only.Contains((w, h))) continue;
        var r = Run(w, h, precision, opts.Warmup, opts.Runs);
        double total = r.Median(t => t.Total);
        double gflops = r.Gflop / total;
        Line($"| {w}x{h} | {precision} | {r.Median(t => t.Backbone):F3} s | {r.Median(t => t.CoarseTransformer):F3} s | " +
             $"{r.Median(t => t.CoarseMatching):F3} s | {r.Median(t => t.Fine):F3} s | **{total:F3} s** | {r.Matches} | {r.Gflop:F0} | " +
             $"{gflops:F0} | {gflops / peak["fp32 conv3x3 channels-last"]:P0} / {gflops / peak["fp32 GEMM 2048"]:P0} | {r.PeakRssMb:F0} MB |");
    }
}
Line();
var body = report.ToString();
var largeLines = opts.Large.Select(s => $"- {s.W}x{s.H}, float32, one run without warm-up: did not finish (the process stopped; " +
                                        "most likely out of memory).").ToList();
void Write(string loadAtEnd)
{
    if (opts.Out is null) return;
    var text = new StringBuilder(body);
    if (largeLines.Count > 0) text.AppendLine("Large inputs (completion and peak memory):").AppendLine().AppendLine(string.Join("\n", largeLines)).AppendLine();
    text.AppendLine($"Load average (1/5/15 min) at start {loadAtStart}, at end {loadAtEnd}.");
    File.WriteAllText(opts.Out, text.ToString());
}
Write("(not reached)");
for (int k = 0; k < opts.Large.Count; k++)
{
    var (w, h) = opts.Large[k];
    try
    {
        var r = Run(w, h, Precision.Float32, 0, 1);
        var t = r.Timings[0];
        largeLines[k] = $"- {w}x{h}, float32, one run without warm-up: completed in {t.Total.TotalSeconds:F1} s (backbone " +
                        $"{t.Backbone.TotalSeconds:F1} s, coarse transformer {t.CoarseTransformer.TotalSeconds:F1} s, coarse matching " +
                        $"{t.CoarseMatching.TotalSeconds:F1} s, fine {t.Fine.TotalSeconds:F1} s), {r.Matches} matches, peak RSS {r.PeakRssMb:F0} MB.";
    }
    catch (Exception e) when (e is ExternalException or OutOfMemoryException or InvalidOperationException)
    {
        largeLines[k] = $"- {w}x{h}, float32: failed ({e.GetType().Name}: {e.Message.Split('\n')[0]}).";
    }
    Console.WriteLine(largeLines[k]);
    Write("(not reached)");
}
string loadAtEnd = LoadAverage();
Console.WriteLine($"Load average (1/5/15 min) at start {loadAtStart}, at end {loadAtEnd}.");
Write(loadAtEnd);
if (opts.Out is not null) Console.WriteLine($"written {opts.Out}");

RunResult Run(int w, int h, Precision precision, int warmup, int count)
{
    using var model = LoftrCheckpoint.LoadModel(weights, config);
    model.SetPrecision(precision);
    model.ChannelsLast = opts.ChannelsLast;
    var g0 = GrayImage.FromMat(GrayImage.Read(image0), w, h);
    var g1 = GrayImage.FromMat(GrayImage.Read(image1), w, h);
    using var t0 = tensor(g0.Pixels).view(1, 1, h, w);
    using var t1 = tensor(g1.Pixels).view(1, 1, h, w);
    ResetPeakRss();
    var runs = new List<StageTimings>();
    long matches = 0;
    for (int i = 0; i < warmup + count; i++)
    {
        using var mode = inference_mode();
        using var trace = RssTrace.StartIfRequested();
        long startTicks = System.Diagnostics.Stopwatch.GetTimestamp();
        using var output = model.Forward(t0, t1);
        trace?.Report(startTicks, output.Timings, $"{w}x{h} {precision} run {i}");
        matches = output.Confidence.shape[0];
        if (i >= warmup) runs.Add(output.Timings);
    }
    double l = h / 8.0 * (w / 8.0);
    double gmacs = (2 * Macs.Backbone(config, h, w) + Macs.Transformer(config.Coarse, l, l)
        + Macs.CoarseMatching(l, l, config.Coarse.DModel) + Macs.Fine(config, matches)) / 1e9;
    return new RunResult(runs, matches, 2 * gmacs, PeakRssMb());
}

static string FindRoot()
{
    var d = new DirectoryInfo(AppContext.BaseDirectory);
    while (d != null && !File.Exists(Path.Combine(d.FullName, "LoftrNet.slnx"))) d = d.Parent;
    return d?.FullName ?? Directory.GetCurrentDirectory();
}

static string CpuName()
{
    try
    {
        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line?.Split(':')[1].Trim() ?? "unknown CPU";
    }
    catch (IOException) { return "unknown CPU"; }
}

// The instruction sets that decide the fp32 and bf16 speed, present or not (AMX and AVX512-BF16 make bf16 fast).
static string CpuFeatures()
{
    try
    {
        var flags = (File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? "")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        string F(string flag, string name) => $"{name} {(flags.Contains(flag) ? "yes" : "no")}";
        return string.Join(", ", F("avx2", "AVX2"), F("fma", "FMA"), F("avx512f", "AVX-512F"), F("avx512_vnni", "AVX512-VNNI"),
            F("avx512_bf16", "AVX512-BF16"), F("amx_bf16", "AMX-BF16"), F("amx_tile", "AMX tiles"), F("hypervisor", "virtual machine"));
    }
    catch (IOException) { return "CPU flags unknown"; }
}

static string MemoryTotal()
{
    try
    {
        var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return line is null ? "memory unknown"
            : $"{double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / (1024 * 1024):F0} GB RAM";
    }
    catch (IOException) { return "memory unknown"; }
}

static string LoadAverage()
{
    try { return string.Join("/", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
    catch (IOException) { return "unknown"; }
}

// TorchSharp's version and the libtorch package it was built against (from the deps file next to the program).
static string TorchVersion()
{
    string sharp = typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "?";
    string libtorch = "?";
    try
    {
        foreach (var deps in Directory.EnumerateFiles(AppContext.BaseDirectory, "*.deps.json"))
        {
            var m = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(deps), "\"libtorch-cpu-[a-z0-9-]+/([0-9.]+)\"");
            if (m.Success) libtorch = m.Groups[1].Value;
        }
    }
    catch (IOException) { }
    return $"{libtorch} (TorchSharp {sharp})";
}

// Peak RSS per row: return the freed heap to the kernel first (the tuned allocator keeps it), then reset VmHWM.
static void ResetPeakRss()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    LoftrRuntime.ReleaseFreeMemory();
    try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}

static double PeakRssMb()
{
    var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
    return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
}

internal sealed record RunResult(List<StageTimings> Timings, long Matches, double Gflop, double PeakRssMb)
{
    public double Median(Func<StageTimings, TimeSpan> f) => Timings.Select(r => f(r).TotalSeconds).Order().ElementAt(Timings.Count / 2);
}

internal sealed record BenchOptions(List<(int W, int H)> Sizes, int Runs, int Warmup, int Threads, List<Precision> Precisions,
    string? Weights, string Preset, double Threshold, string? Out, List<(int W, int H)> Large, bool ChannelsLast = true, string Allocator = "bounded",
    List<(int W, int H)>? Bf16Sizes = null);

internal static class ArgsParser
{
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions([(640, 480), (1280, 960), (1920, 1080)], 5, 1, Environment.ProcessorCount,
            [Precision.Float32, Precision.BFloat16], null, "indoor_ds", 0.017, null, [(3840, 2160)]);
        for (int i = 0; i < args.Length; i++)
        {
            string v = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--sizes" => o with { Sizes = Sizes(v) },
                "--bf16-sizes" => o with { Bf16Sizes = Sizes(v) },
                "--large" => o with { Large = v == "none" ? [] : Sizes(v) },
                "--runs" => o with { Runs = int.Parse(v, CultureInfo.InvariantCulture) },
                "--warmup" => o with { Warmup = int.Parse(v, CultureInfo.InvariantCulture) },
                "--threads" => o with { Threads = int.Parse(v, CultureInfo.InvariantCulture) },
                "--precision" => o with { Precisions = v.Split(',').Select(p => p == "bf16" ? Precision.BFloat16 : Precision.Float32).ToList() },
                "--weights" => o with { Weights = v },
                "--preset" => o with { Preset = v },
                "--threshold" => o with { Threshold = double.Parse(v, CultureInfo.InvariantCulture) },
                "--out" => o with { Out = v },
                "--channels-last" => o with { ChannelsLast = bool.Parse(v) },
                "--allocator" => o with { Allocator = v },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
            i++;
        }
        return o;
    }

    private static List<(int W, int H)> Sizes(string v) =>
        v.Split(',').Select(s => s.Split('x')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
}

internal static class Peak
{
    public static Dictionary<string, double> Measure(int threads)
    {
        var result = new Dictionary<string, double>();
        using var mode = inference_mode();
        foreach (var (dt, name) in new[] { (ScalarType.Float32, "fp32"), (ScalarType.BFloat16, "bf16") })
        {
            using var scope = NewDisposeScope();
            var a = randn(2048, 2048).to(dt);
            var b = randn(2048, 2048).to(dt);
            result[$"{name} GEMM 2048"] = 2.0 * 2048 * 2048 * 2048 / Time(() => a.matmul(b).Dispose()) / 1e9;
            var x = randn(2, 128, 120, 160).to(dt).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            var wgt = randn(128, 128, 3, 3).to(dt).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            result[$"{name} conv3x3 channels-last"] = 2.0 * 128 * 128 * 9 * 120 * 160 * 2 / Time(() => nn.functional.conv2d(x, wgt, padding: [1, 1]).Dispose()) / 1e9;
        }
        return result;
    }

    private static double Time(Action a)
    {
        a();
        var times = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            a();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        return times.Order().ElementAt(2);
    }
}

/// <summary>
/// Diagnostics (environment variable LOFTR_BENCH_RSS_TRACE=1): samples the resident set every millisecond during one
/// forward pass and prints the largest value seen in each stage to stderr.
/// </summary>
internal sealed class RssTrace : IDisposable
{
    private readonly List<(long Ticks, long Kb)> _samples = [];
    private readonly Thread _thread;
    private volatile bool _stop;

    private RssTrace()
    {
        _thread = new Thread(() =>
        {
            long page = Environment.SystemPageSize / 1024;
            while (!_stop)
            {
                var fields = File.ReadAllText("/proc/self/statm").Split(' ');
                long kb = long.Parse(fields[1], CultureInfo.InvariantCulture) * page;
                lock (_samples) _samples.Add((System.Diagnostics.Stopwatch.GetTimestamp(), kb));
                Thread.Sleep(1);
            }
        }) { IsBackground = true };
        _thread.Start();
    }

    public static RssTrace? StartIfRequested() => Environment.GetEnvironmentVariable("LOFTR_BENCH_RSS_TRACE") == "1" ? new RssTrace() : null;

    public void Report(long startTicks, StageTimings t, string label)
    {
        _stop = true;
        _thread.Join();
        var bounds = new[] { t.Backbone, t.Backbone + t.CoarseTransformer, t.Backbone + t.CoarseTransformer + t.CoarseMatching, t.Total }
            .Select(ts => startTicks + (long)(ts.TotalSeconds * System.Diagnostics.Stopwatch.Frequency)).ToArray();
        string[] names = ["backbone", "coarse transformer", "coarse matching", "fine"];
        var parts = new List<string>();
        long from = startTicks;
        for (int k = 0; k < 4; k++)
        {
            long to = bounds[k];
            var inStage = _samples.Where(x => x.Ticks >= from && x.Ticks < to).Select(x => x.Kb).DefaultIfEmpty(0).Max();
            parts.Add($"{names[k]} {inStage / 1024} MB");
            from = to;
        }
        Console.Error.WriteLine($"RSS trace {label}: " + string.Join(", ", parts));
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
