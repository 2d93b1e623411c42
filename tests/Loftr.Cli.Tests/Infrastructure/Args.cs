namespace Loftr.Cli.Tests.Infrastructure;

/// <summary>Common argument lists.</summary>
public static class Args
{
    /// <summary>The golden small model, one thread (fast and identical across in-process and child runs).</summary>
    public static string[] Model => ["--weights", Paths.Weights, "--threads", "1"];

    /// <summary>Model plus a small network size and a low threshold (enough random-weight matches, fast).</summary>
    public static string[] Fast => [.. Model, "--resize", "320", "--threshold", "0.05"];

    /// <summary>Concatenates argument lists.</summary>
    public static string[] Of(params object[] parts) =>
        parts.SelectMany(p => p switch { string s => [s], IEnumerable<string> e => e, _ => [p.ToString()!] }).ToArray();
}
