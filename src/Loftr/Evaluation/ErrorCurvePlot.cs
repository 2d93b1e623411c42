using System.Globalization;
using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>One cumulative error curve: the fraction of items (pairs or matches) with error at most x.</summary>
/// <param name="Label">Legend text (e.g. the method).</param>
/// <param name="Errors">Errors; +inf / NaN (failures) never count as solved.</param>
public sealed record ErrorCurve(string Label, IReadOnlyList<double> Errors)
{
    /// <summary>Fraction of errors at most <paramref name="x"/>.</summary>
    /// <param name="x">Error value.</param>
    /// <returns>A value in [0, 1]; 0 for an empty curve.</returns>
    public double FractionAtMost(double x) => Errors.Count == 0 ? 0 : (double)Errors.Count(e => e <= x) / Errors.Count;
}

/// <summary>
/// Plots cumulative error curves (x: error up to the largest AUC threshold, y: fraction below) as a PNG with OpenCV
/// drawing, one curve per method: the curves whose normalised areas are the AUCs of the tables.
/// </summary>
public static class ErrorCurvePlot
{
    private static readonly Scalar[] Palette =
    [
        new(180, 119, 31), new(14, 127, 255), new(44, 160, 44), new(40, 39, 214), new(189, 103, 148), new(75, 86, 140),
    ];

    /// <summary>The curves of reports of one task: pose error (deg), corner error (px) or per-match stereo error (px).</summary>
    /// <param name="reports">Reports (stereo curves need in-memory reports: per-match errors are not stored in JSON).</param>
    /// <returns>Axis label, x range, and one curve per report.</returns>
    public static (string XLabel, double MaxError, IReadOnlyList<ErrorCurve> Curves) FromReports(IReadOnlyList<EvalReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count == 0) throw new ArgumentException("No reports.", nameof(reports));
        return reports[0] switch
        {
            PoseReport => ("pose error max(t_err, R_err) [deg]", PoseMetrics.AucThresholds[^1],
                reports.Cast<PoseReport>().Select(r => new ErrorCurve(r.Method, r.Pairs.Select(p => p.PoseErrorDeg).ToArray())).ToList()),
            HomographyReport => ("mean corner error [px]", HomographyMetrics.AucThresholds[^1],
                reports.Cast<HomographyReport>().Select(r => new ErrorCurve(r.Method, r.Pairs.Select(p => p.CornerError).ToArray())).ToList()),
            StereoReport s => ("match error against disparity GT [px]", s.Thresholds.Max(),
                reports.Cast<StereoReport>().Select(r => new ErrorCurve(r.Method, r.Pairs.SelectMany(p => p.Errors).ToArray())).ToList()),
            _ => throw new ArgumentException($"Unknown report type {reports[0].GetType().Name}.", nameof(reports)),
        };
    }

    /// <summary>Plots the curves of reports and writes a PNG.</summary>
    /// <param name="path">Output file (.png).</param>
    /// <param name="title">Plot title.</param>
    /// <param name="reports">Reports of one task.</param>
    public static void Save(string path, string title, IReadOnlyList<EvalReport> reports)
    {
        var (xLabel, max, curves) = FromReports(reports);
        string yLabel = reports[0] is StereoReport ? "fraction of matches" : "fraction of pairs";
        using var img = Render(title, xLabel, yLabel, curves, max);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        if (!Cv2.ImWrite(path, img)) throw new IOException($"{path}: OpenCV could not write the plot (use a .png name).");
    }

    /// <summary>Draws the curves.</summary>
    /// <param name="title">Plot title.</param>
    /// <param name="xLabel">x-axis label.</param>
    /// <param name="yLabel">y-axis label.</param>
    /// <param name="curves">Curves (up to 6 distinct colours, then repeated).</param>
    /// <param name="maxError">Right end of the x axis.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <returns>A BGR image (caller disposes).</returns>
    public static Mat Render(string title, string xLabel, string yLabel, IReadOnlyList<ErrorCurve> curves, double maxError,
        int width = 800, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(curves);
        if (!(maxError > 0)) throw new ArgumentOutOfRangeException(nameof(maxError), "The x range must be positive.");
        const int left = 80, right = 30, top = 70, bottom = 70;
        var img = new Mat(height, width, MatType.CV_8UC3, Scalar.White);
        int pw = width - left - right, ph = height - top - bottom;
        Point Map(double x, double y) => new(left + (int)Math.Round(x / maxError * pw), top + ph - (int)Math.Round(y * ph));

        // Grid, ticks and labels.
        var grid = new Scalar(225, 225, 225);
        for (int k = 0; k <= 10; k++)
        {
            double y = k / 10.0;
            Cv2.Line(img, Map(0, y), Map(maxError, y), grid, 1);
            Text(img, y.ToString("0.0", CultureInfo.InvariantCulture), new Point(left - 40, Map(0, y).Y + 5), 0.45);
        }
        foreach (double x in Ticks(maxError))
        {
            Cv2.Line(img, Map(x, 0), Map(x, 1), grid, 1);
            Text(img, x.ToString("0.##", CultureInfo.InvariantCulture), new Point(Map(x, 0).X - 8, top + ph + 20), 0.45);
        }
        Cv2.Rectangle(img, new Point(left, top), new Point(left + pw, top + ph), Scalar.Black, 1);
        Text(img, title, new Point(left, 30), 0.65);
        Text(img, xLabel, new Point(left + pw / 2 - 4 * xLabel.Length, height - 20), 0.5);
        Text(img, yLabel, new Point(8, top - 14), 0.45);

        for (int c = 0; c < curves.Count; c++)
        {
            var color = Palette[c % Palette.Length];
            Cv2.Polylines(img, [StepPoints(curves[c], maxError, Map)], false, color, 2, LineTypes.AntiAlias);
            var at = new Point(left + pw - 220, top + 25 + 22 * c);
            Cv2.Line(img, at, new Point(at.X + 30, at.Y), color, 3);
            string legend = curves[c].Label + string.Create(CultureInfo.InvariantCulture,
                $"  ({100 * curves[c].FractionAtMost(maxError):0.#}% <= {maxError:0.##})");
            Text(img, legend, new Point(at.X + 38, at.Y + 5), 0.45);
        }
        return img;
    }

    private static Point[] StepPoints(ErrorCurve curve, double maxError, Func<double, double, Point> map)
    {
        var pts = new List<Point> { map(0, 0) };
        int n = curve.Errors.Count;
        if (n > 0)
        {
            var sorted = curve.Errors.Where(e => e <= maxError).Order().ToArray();
            for (int i = 0; i < sorted.Length; i++)
            {
                pts.Add(map(sorted[i], (double)i / n));
                pts.Add(map(sorted[i], (double)(i + 1) / n));
            }
            pts.Add(map(maxError, (double)sorted.Length / n));
        }
        else pts.Add(map(maxError, 0));
        return pts.ToArray();
    }

    private static IEnumerable<double> Ticks(double max)
    {
        double step = max <= 5 ? 1 : max <= 10 ? 2 : 5;
        for (double x = 0; x <= max + 1e-9; x += step) yield return x;
    }

    private static void Text(Mat img, string s, Point at, double scale) =>
        Cv2.PutText(img, s, at, HersheyFonts.HersheySimplex, scale, Scalar.Black, 1, LineTypes.AntiAlias);
}
