using Loftr.Training;
using OpenCvSharp;

namespace Loftr.Tests.Training;

/// <summary>Small synthetic inputs for trainer tests.</summary>
internal static class TrainingTestData
{
    /// <summary>
    /// The small preset with the window budget of tiny images: 96x64 inputs have 96 coarse cells, so 20 % gives 19
    /// training windows; the ground-truth pad minimum must stay below that.
    /// </summary>
    public static LoftrConfig TinyConfig { get; } = TrainingPresets.Small with
    {
        CoarseMatching = TrainingPresets.Small.CoarseMatching with { TrainPadNumGtMin = 8, Threshold = 0.05 },
    };

    /// <summary>A temporary folder with <paramref name="count"/> textured 8-bit photos (blobs, lines and noise).</summary>
    public static string PhotoFolder(int count, int width = 200, int height = 150, int seed = 1)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"loftr-train-photos-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var rng = new Random(seed);
        for (int k = 0; k < count; k++)
        {
            using var img = new Mat(height, width, MatType.CV_8UC1, Scalar.All(rng.Next(60, 200)));
            for (int s = 0; s < 40; s++)
            {
                var c = new Point(rng.Next(width), rng.Next(height));
                var color = Scalar.All(rng.Next(256));
                if (s % 3 == 0) img.Circle(c, rng.Next(3, 25), color, -1);
                else if (s % 3 == 1) img.Line(c, new Point(rng.Next(width), rng.Next(height)), color, rng.Next(1, 4));
                else img.Rectangle(new Rect(c.X, c.Y, rng.Next(4, 30), rng.Next(4, 30)), color, -1);
            }
            using var noise = new Mat(height, width, MatType.CV_8UC1);
            Cv2.Randu(noise, Scalar.All(0), Scalar.All(30));
            Cv2.Add(img, noise, img);
            Cv2.ImWrite(Path.Combine(dir, $"photo_{k:D2}.png"), img);
        }
        return dir;
    }

    public static void DeleteQuietly(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
