using System.Diagnostics;
using System.Globalization;
using System.Text;
using Loftr;
using Loftr.Bench;
using Loftr.Imaging;
using Loftr.Model;
using TorchSharp;
using static TorchSharp.torch;

// loftr-bench: per-stage timings of the full LoFTR architecture on this machine, with its own measured peak.
// Usage: loftr-bench [--sizes 640x480,1280x960,1920x1080] [--runs 5] [--warmup 1] [--threads N]
//                    [--precision fp32,bf16] [--weights FILE --preset NAME --threshold T] [--out FILE.md]
var opts = ArgsParser.Parse(args);
LoftrRuntime.SetThreads(opts.Threads);
bool tuned = opts.TuneAllocator && LoftrRuntime.TuneAllocator();
string root = FindRoot();
string weights = opts.Weights ?? Path.Combine(root, "tests/data/golden/full_ds/weights.ckpt");
var config = LoftrConfig.FromPresetName(opts.Preset);
config = config with { CoarseMatching = config.CoarseMatching with { Threshold = opts.Threshold } };
var image0 = Path.Combine(root, "tests/data/images/scene0711_00_frame-001680.jpg");
var image1 = Path.Combine(root, "tests/data/images/scene0711_00_frame-001995.jpg");

var report = new StringBuilder();
void Line(string s = "") { Console.WriteLine(s); report.AppendLine(s); }
Line($"# LoFTR benchmark ({DateTime.UtcNow:yyyy-MM-dd})");
Line();
Line($"Machine: {Environment.ProcessorCount} cores, {CpuName()}; torch threads {opts.Threads}; weights `{Path.GetFileName(weights)}` " +
     $"(preset {opts.Preset}, threshold {opts.Threshold}); channels-last convolutions {opts.ChannelsLast}; allocator tuned {tuned}; images: the ScanNet pair scene0711 frames 1680/1995 resized to each size; " +
     $"median of {opts.Runs} runs after {opts.Warmup} warm-up.");
Line();
var peak = Peak.Measure(opts.Threads);
Line("Machine peak measured in this run: " + string.Join("; ", peak.Select(p => $"{p.Key} {p.Value:F0} GFLOP/s")));
Line();
Line("| size | precision | backbone | coarse transformer | coarse matching | fine | total | matches | GFLOP | GFLOP/s | of fp32 conv peak | peak RSS |");
Line("|---|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var (w, h) in opts.Sizes)
{
    foreach (var precision in opts.Precisions)
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
        for (int i = 0; i < opts.Warmup + opts.Runs; i++)
        {
            using var mode = inference_mode();
            using var output = model.Forward(t0, t1);
            matches = output.Confidence.shape[0];
            if (i >= opts.Warmup) runs.Add(output.Timings);
        }
        double Med(Func<StageTimings, TimeSpan> f) => runs.Select(r => f(r).TotalSeconds).Order().ElementAt(runs.Count / 2);
        double l = h / 8.0 * (w / 8.0);
        double gmacs = (2 * Macs.Backbone(config, h, w) + Macs.Transformer(config.Coarse, l, l)
            + Macs.CoarseMatching(l, l, config.Coarse.DModel) + Macs.Fine(config, matches)) / 1e9;
        double total = Med(r => r.Total);
        double gflops = 2 * gmacs / total;
        Line($"| {w}x{h} | {precision} | {Med(r => r.Backbone):F3} s | {Med(r => r.CoarseTransformer):F3} s | {Med(r => r.CoarseMatching):F3} s | " +
             $"{Med(r => r.Fine):F3} s | **{total:F3} s** | {matches} | {2 * gmacs:F0} | {gflops:F0} | {gflops / peak["fp32 conv3x3 channels-last"]:P0} | {PeakRssMb():F0} MB |");
    }
}
if (opts.Out is not null)
{
    File.WriteAllText(opts.Out, report.ToString());
    Console.WriteLine($"written {opts.Out}");
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
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? "";
        string isa = string.Join("+", new[] { "avx2", "avx512f", "avx512_bf16", "amx_bf16" }.Where(f => flags.Split(' ').Contains(f)));
        return (line?.Split(':')[1].Trim() ?? "unknown CPU") + $" ({isa})";
    }
    catch (IOException) { return "unknown CPU"; }
}

static void ResetPeakRss()
{
    try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}

static double PeakRssMb()
{
    var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
    return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
}

internal sealed record BenchOptions(List<(int W, int H)> Sizes, int Runs, int Warmup, int Threads, List<Precision> Precisions,
    string? Weights, string Preset, double Threshold, string? Out, bool ChannelsLast = true, bool TuneAllocator = true);

internal static class ArgsParser
{
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions([(640, 480), (1280, 960), (1920, 1080)], 5, 1, Environment.ProcessorCount,
            [Precision.Float32, Precision.BFloat16], null, "indoor_ds", 0.017, null);
        for (int i = 0; i < args.Length; i++)
        {
            string v = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--sizes" => o with { Sizes = v.Split(',').Select(s => s.Split('x')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToList() },
                "--runs" => o with { Runs = int.Parse(v, CultureInfo.InvariantCulture) },
                "--warmup" => o with { Warmup = int.Parse(v, CultureInfo.InvariantCulture) },
                "--threads" => o with { Threads = int.Parse(v, CultureInfo.InvariantCulture) },
                "--precision" => o with { Precisions = v.Split(',').Select(p => p == "bf16" ? Precision.BFloat16 : Precision.Float32).ToList() },
                "--weights" => o with { Weights = v },
                "--preset" => o with { Preset = v },
                "--threshold" => o with { Threshold = double.Parse(v, CultureInfo.InvariantCulture) },
                "--out" => o with { Out = v },
                "--channels-last" => o with { ChannelsLast = bool.Parse(v) },
                "--tune-allocator" => o with { TuneAllocator = bool.Parse(v) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
            i++;
        }
        return o;
    }
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
