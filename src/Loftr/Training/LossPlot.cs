using OpenCvSharp;

namespace Loftr.Training;

/// <summary>Draws the loss curves (training loss raw and smoothed, validation loss) as a PNG with OpenCV.</summary>
public static class LossPlot
{
    private const int Width = 1000, Height = 560, Left = 80, Right = 30, Top = 40, Bottom = 60;

    /// <summary>Writes the plot of <paramref name="log"/> to <paramref name="path"/>.</summary>
    public static void Save(TrainingLog log, string path)
    {
        ArgumentNullException.ThrowIfNull(log);
        using var img = new Mat(Height, Width, MatType.CV_8UC3, Scalar.All(255));
        var train = log.Train.Select(r => (X: (double)r.Step + 1, Y: r.Loss)).Where(p => double.IsFinite(p.Y)).ToList();
        var val = log.Validation.Select(r => (X: (double)r.Step, Y: r.Loss)).Where(p => double.IsFinite(p.Y)).ToList();
        var smooth = Smooth(train);
        var ys = smooth.Select(p => p.Y).Concat(val.Select(p => p.Y)).Concat(train.Select(p => p.Y)).OrderBy(y => y).ToList();
        double xMax = Math.Max(1, train.Concat(val).Select(p => p.X).DefaultIfEmpty(1).Max());
        double yMin = ys.Count == 0 ? 0 : Math.Min(0, ys[0]);
        double yMax = ys.Count == 0 ? 1 : ys[(int)Math.Min(ys.Count - 1, Math.Ceiling(ys.Count * 0.98))] * 1.1;
        if (val.Count > 0) yMax = Math.Max(yMax, val.Max(p => p.Y) * 1.05);
        if (yMax <= yMin) yMax = yMin + 1;

        Point Map(double x, double y) => new(
            Left + (int)Math.Round((Width - Left - Right) * x / xMax),
            Top + (int)Math.Round((Height - Top - Bottom) * (1 - (Math.Clamp(y, yMin, yMax) - yMin) / (yMax - yMin))));

        // axes and grid
        for (int k = 0; k <= 5; k++)
        {
            double y = yMin + (yMax - yMin) * k / 5;
            var p = Map(0, y);
            img.Line(new Point(Left, p.Y), new Point(Width - Right, p.Y), Scalar.All(225), 1);
            img.PutText(y.ToString("G3", System.Globalization.CultureInfo.InvariantCulture), new Point(8, p.Y + 5), HersheyFonts.HersheySimplex, 0.45, Scalar.All(60), 1, LineTypes.AntiAlias);
            double x = xMax * k / 5;
            var q = Map(x, yMin);
            img.Line(new Point(q.X, Top), new Point(q.X, Height - Bottom), Scalar.All(225), 1);
            img.PutText(((long)x).ToString(System.Globalization.CultureInfo.InvariantCulture), new Point(q.X - 12, Height - Bottom + 22), HersheyFonts.HersheySimplex, 0.45, Scalar.All(60), 1, LineTypes.AntiAlias);
        }
        img.Rectangle(new Point(Left, Top), new Point(Width - Right, Height - Bottom), Scalar.All(0), 1);
        img.PutText("step", new Point(Width / 2 - 15, Height - 15), HersheyFonts.HersheySimplex, 0.55, Scalar.All(0), 1, LineTypes.AntiAlias);
        img.PutText("LoFTR training loss", new Point(Left, 25), HersheyFonts.HersheySimplex, 0.6, Scalar.All(0), 1, LineTypes.AntiAlias);

        Polyline(img, train.Select(p => Map(p.X, p.Y)), new Scalar(235, 200, 170), 1);
        Polyline(img, smooth.Select(p => Map(p.X, p.Y)), new Scalar(180, 90, 20), 2);
        Polyline(img, val.Select(p => Map(p.X, p.Y)), new Scalar(30, 30, 220), 2);
        foreach (var p in val) img.Circle(Map(p.X, p.Y), 4, new Scalar(30, 30, 220), -1, LineTypes.AntiAlias);

        Legend(img, 0, new Scalar(235, 200, 170), "train loss");
        Legend(img, 1, new Scalar(180, 90, 20), "train loss (smoothed)");
        Legend(img, 2, new Scalar(30, 30, 220), "validation loss");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        Cv2.ImWrite(path, img);
    }

    private static void Legend(Mat img, int row, Scalar color, string text)
    {
        int y = Top + 20 + row * 22, x = Width - Right - 230;
        img.Line(new Point(x, y - 5), new Point(x + 30, y - 5), color, 2, LineTypes.AntiAlias);
        img.PutText(text, new Point(x + 38, y), HersheyFonts.HersheySimplex, 0.5, Scalar.All(0), 1, LineTypes.AntiAlias);
    }

    private static void Polyline(Mat img, IEnumerable<Point> pts, Scalar color, int thickness)
    {
        var list = pts.ToArray();
        if (list.Length > 1) img.Polylines([list], false, color, thickness, LineTypes.AntiAlias);
    }

    /// <summary>Exponential moving average with a window of about 2 % of the run (at least 5 steps).</summary>
    private static List<(double X, double Y)> Smooth(List<(double X, double Y)> pts)
    {
        var result = new List<(double, double)>(pts.Count);
        double alpha = 2.0 / (Math.Max(5, pts.Count / 50) + 1);
        double? ema = null;
        foreach (var (x, y) in pts)
        {
            ema = ema is null ? y : ema + alpha * (y - ema.Value);
            result.Add((x, ema.Value));
        }
        return result;
    }
}
