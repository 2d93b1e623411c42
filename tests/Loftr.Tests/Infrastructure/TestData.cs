namespace Loftr.Tests.Infrastructure;

/// <summary>
/// Locates test inputs. Files the suite always needs live in <c>tests/data</c> (committed); larger optional
/// inputs are read from the sibling <c>../shared</c> folder when it exists.
/// </summary>
public static class TestData
{
    private static readonly Lazy<string> RepoRoot = new(FindRepoRoot);

    /// <summary>The repository root (the folder holding <c>LoftrNet.slnx</c>).</summary>
    public static string Root => RepoRoot.Value;

    /// <summary>Absolute path of a file under <c>tests/data</c>; throws if it is missing.</summary>
    public static string Path(string relative)
    {
        string p = System.IO.Path.Combine(Root, "tests", "data", relative);
        if (!File.Exists(p) && !Directory.Exists(p))
            throw new FileNotFoundException($"Test data file missing: {p}");
        return p;
    }

    /// <summary>The shared data folder (<c>../shared</c> next to the clone), or null when it is absent.</summary>
    public static string? Shared(string relative)
    {
        string p = System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, "..", "shared", relative));
        return File.Exists(p) || Directory.Exists(p) ? p : null;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(System.IO.Path.Combine(dir.FullName, "LoftrNet.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (LoftrNet.slnx).");
    }
}
