using System.Diagnostics;

namespace Loftr.Cli.Matching;

/// <summary>Wall-clock time spent per stage (seconds), for the summary.</summary>
public sealed class StageTimes
{
    /// <summary>Loading the weights.</summary>
    public double Load { get; set; }
    /// <summary>Reading, rotating and resizing images, and the network.</summary>
    public double Inference { get; set; }
    /// <summary>Robust model fitting.</summary>
    public double Geometry { get; set; }
    /// <summary>Writing outputs (files, plot, database).</summary>
    public double Write { get; set; }

    /// <summary>Runs <paramref name="action"/> and returns its duration in seconds.</summary>
    public static double Time(Action action)
    {
        long t = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(t).TotalSeconds;
    }

    /// <summary>Runs <paramref name="func"/>, adds its duration through <paramref name="add"/>, returns its value.</summary>
    public static T Time<T>(Func<T> func, Action<double> add)
    {
        long t = Stopwatch.GetTimestamp();
        var r = func();
        add(Stopwatch.GetElapsedTime(t).TotalSeconds);
        return r;
    }
}
