namespace Loftr.Cli.Tests.Infrastructure;

/// <summary>Test inputs under tests/data and scratch folders.</summary>
public static class Paths
{
    private static readonly Lazy<string> RepoRoot = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "LoftrNet.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (LoftrNet.slnx).");
    });

    /// <summary>The repository root.</summary>
    public static string Root => RepoRoot.Value;

    /// <summary>The shared data folder (<c>../shared</c> next to the clone), or null when it is absent.</summary>
    public static string? Shared(string relative)
    {
        string p = Path.GetFullPath(Path.Combine(Root, "..", "shared", relative));
        return File.Exists(p) || Directory.Exists(p) ? p : null;
    }

    /// <summary>A file under tests/data (must exist).</summary>
    public static string Data(string relative)
    {
        string p = Path.Combine(Root, "tests", "data", relative);
        if (!File.Exists(p) && !Directory.Exists(p)) throw new FileNotFoundException($"Test data missing: {p}");
        return p;
    }

    /// <summary>The small random-weight golden checkpoint (fast; arbitrary but deterministic matches).</summary>
    public static string Weights => Data("golden/small_ot/weights.ckpt");

    /// <summary>Demo pair: a box and a scene containing it.</summary>
    public static string Box => Data("demo/box.png");

    /// <summary>Demo pair: the scene.</summary>
    public static string BoxInScene => Data("demo/box_in_scene.png");

    /// <summary>Graffiti 1 (homography pair).</summary>
    public static string Graf1 => Data("eval/homography/graf1.png");

    /// <summary>Graffiti 3.</summary>
    public static string Graf3 => Data("eval/homography/graf3.png");

    /// <summary>The built CLI assembly (same configuration as the tests), for child-process runs.</summary>
    public static string CliDll
    {
        get
        {
            string testProject = Path.Combine(Root, "tests", "Loftr.Cli.Tests");
            string relative = Path.GetRelativePath(testProject, AppContext.BaseDirectory);
            string dll = Path.Combine(Root, "src", "Loftr.Cli", relative, "Loftr.Cli.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"The CLI is not built: {dll}");
            return dll;
        }
    }
}

/// <summary>A scratch folder deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates the folder.</summary>
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "loftr-cli-tests", Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Deletes the folder.</summary>
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
