using System.Diagnostics;

namespace Loftr.Training;

/// <summary>Writes a progress line (step, loss, learning rate, speed, ETA) at most every few seconds.</summary>
internal sealed class ProgressReporter(TextWriter output, long firstStep, long totalSteps, double intervalSeconds)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _lastPrint = double.NegativeInfinity;
    private double _emaLoss = double.NaN;

    public void Report(long done, TrainRecord r)
    {
        _emaLoss = double.IsNaN(_emaLoss) ? r.Loss : 0.9 * _emaLoss + 0.1 * r.Loss;
        double t = _clock.Elapsed.TotalSeconds;
        if (t - _lastPrint < intervalSeconds && done != totalSteps && done != firstStep + 1) return;
        _lastPrint = t;
        double rate = (done - firstStep) / Math.Max(t, 1e-9);
        double eta = rate > 0 ? (totalSteps - done) / rate : double.NaN;
        output.WriteLine($"step {done}/{totalSteps} ({100.0 * done / totalSteps:F1}%) loss {r.Loss:F4} (c {r.LossCoarse:F4} f {r.LossFine:F4}, avg {_emaLoss:F4}) " +
            $"lr {r.LearningRate:G3} |g| {r.GradNorm:G3} gt {r.GroundTruthMatches} pred {r.PredictedMatches} | {rate:F2} steps/s ETA {Format(eta)}");
    }

    private static string Format(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds)) return "?";
        var ts = TimeSpan.FromSeconds(seconds);
        return ts.TotalHours >= 1 ? $"{(int)ts.TotalHours}h{ts.Minutes:D2}m" : ts.TotalMinutes >= 1 ? $"{ts.Minutes}m{ts.Seconds:D2}s" : $"{ts.Seconds}s";
    }
}
