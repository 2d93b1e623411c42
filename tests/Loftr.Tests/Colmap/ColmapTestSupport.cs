using Loftr.Colmap;
using Loftr.Tests.Infrastructure;
using OpenCvSharp;

namespace Loftr.Tests.Colmap;

/// <summary>Shared helpers of the COLMAP tests: temp folders, the colmap executable, synthetic two-view scenes.</summary>
internal static class ColmapTestSupport
{
    /// <summary>The colmap executable, or null (then the caller prints SKIPPED and returns).</summary>
    public static string? Colmap()
    {
        var exe = ColmapProcess.Find();
        if (exe == null) Console.WriteLine("SKIPPED: colmap is not on PATH (scripts/setup.sh installs it).");
        return exe;
    }

    /// <summary>A fresh temporary folder, deleted on dispose.</summary>
    public static TempDir Temp() => new();

    /// <summary>Copies the named committed phototourism photos into <paramref name="dir"/>.</summary>
    public static void CopyPhotos(string dir, params string[] prefixes)
    {
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(TestData.Path("phototourism"), "*.jpg"))
            if (prefixes.Any(p => Path.GetFileName(f).StartsWith(p, StringComparison.Ordinal)))
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
    }

    /// <summary>Runs a colmap command and asserts it succeeded.</summary>
    public static string RunColmap(string exe, string command, params string[] args)
    {
        var r = ColmapProcess.Run(exe, command, args);
        Assert.True(r.ExitCode == 0, $"colmap {command} exited with {r.ExitCode}:\n{r.Output}");
        return r.Output;
    }

    /// <summary>
    /// A synthetic scene seen by two cameras (OpenCV pixel convention): points in front of both, camera 1 rotated
    /// about y and translated. Returns the projections and the intrinsics used.
    /// </summary>
    public static (Point2[] P0, Point2[] P1, double Focal) TwoViewScene(int n, int seed, int width = 1000, int height = 800, double focal = 900)
    {
        var rng = new Random(seed);
        double angle = 12 * Math.PI / 180, c = Math.Cos(angle), s = Math.Sin(angle);
        double[] t = [-1.0, 0.1, 0.2];
        var p0 = new List<Point2>();
        var p1 = new List<Point2>();
        double cx = width / 2.0 - 0.5, cy = height / 2.0 - 0.5;
        while (p0.Count < n)
        {
            double x = rng.NextDouble() * 8 - 4, y = rng.NextDouble() * 6 - 3, z = 6 + rng.NextDouble() * 6;
            // X1 = R X0 + t, R = rotation about y.
            double x1 = c * x + s * z + t[0], y1 = y + t[1], z1 = -s * x + c * z + t[2];
            var a = new Point2((float)(focal * x / z + cx), (float)(focal * y / z + cy));
            var b = new Point2((float)(focal * x1 / z1 + cx), (float)(focal * y1 / z1 + cy));
            if (a.X < 0 || a.Y < 0 || a.X > width - 1 || a.Y > height - 1 || b.X < 0 || b.Y < 0 || b.X > width - 1 || b.Y > height - 1 || z1 <= 0) continue;
            p0.Add(a);
            p1.Add(b);
        }
        return (p0.ToArray(), p1.ToArray(), focal);
    }

    /// <summary>|x1^T F x0| / |(F x0)_xy|: distance of x1 to the epipolar line of x0.</summary>
    public static double EpipolarDistance(double[,] f, Point2 x0, Point2 x1)
    {
        double l0 = f[0, 0] * x0.X + f[0, 1] * x0.Y + f[0, 2];
        double l1 = f[1, 0] * x0.X + f[1, 1] * x0.Y + f[1, 2];
        double l2 = f[2, 0] * x0.X + f[2, 1] * x0.Y + f[2, 2];
        return Math.Abs(x1.X * l0 + x1.Y * l1 + l2) / Math.Sqrt(l0 * l0 + l1 * l1);
    }

    /// <summary>Writes a small gray JPEG with OpenCV.</summary>
    public static byte[] PlainJpeg(int width, int height)
    {
        using var m = new Mat(height, width, MatType.CV_8UC1, Scalar.All(0));
        Cv2.Randu(m, Scalar.All(0), Scalar.All(255));
        Cv2.GaussianBlur(m, m, new Size(5, 5), 1.5);
        return m.ImEncode(".jpg");
    }
}

/// <summary>A temporary folder removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "loftr-colmap-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
