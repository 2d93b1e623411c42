using Loftr.Cli.Matching;
using OpenCvSharp;

namespace Loftr.Cli.Output;

/// <summary>
/// Draws a pair side by side (image 0 left, image 1 right, canvas (w0 + w1) x max(h0, h1), black padding) with one
/// line per match coloured by confidence (turbo colormap, 0 blue → 1 red). With a model, inliers are drawn in colour
/// and outliers as thin translucent red lines underneath. A legend in the top-left corner gives the counts and the
/// colour scale.
/// </summary>
public static class MatchPlot
{
    /// <summary>Image extensions accepted by <c>--plot</c>.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg"];

    /// <summary>Checks the extension of a plot path (usage error otherwise).</summary>
    public static void CheckPath(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (!Extensions.Contains(ext))
            throw CliException.Usage($"--plot {path}: unsupported extension '{(ext.Length == 0 ? "(none)" : ext)}'; use .png or .jpg.");
    }

    /// <summary>Renders the plot and writes it atomically to <paramref name="path"/>.</summary>
    public static void Write(string path, string image0, string image1, PairMatches matches, string title)
    {
        using var canvas = Render(image0, image1, matches, title);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        Cv2.ImEncode(ext == ".png" ? ".png" : ".jpg", canvas, out byte[] bytes,
            ext == ".png" ? [new ImageEncodingParam(ImwriteFlags.PngCompression, 6)] : [new ImageEncodingParam(ImwriteFlags.JpegQuality, 92)]);
        AtomicFileWriter.WriteAllBytes(path, bytes);
    }

    /// <summary>Renders the plot (BGR, 8-bit).</summary>
    public static Mat Render(string image0, string image1, PairMatches m, string title)
    {
        using var a = ReadColor(image0);
        using var b = ReadColor(image1);
        int w = a.Cols + b.Cols, h = Math.Max(a.Rows, b.Rows);
        var canvas = new Mat(h, w, MatType.CV_8UC3, Scalar.All(0));
        using (var roi = new Mat(canvas, new Rect(0, 0, a.Cols, a.Rows))) a.CopyTo(roi);
        using (var roi = new Mat(canvas, new Rect(a.Cols, 0, b.Cols, b.Rows))) b.CopyTo(roi);

        var lut = Colormap();
        int offset = a.Cols;
        double scale = Math.Clamp(h / 700.0, 0.6, 3.0);
        int radius = Math.Max(1, (int)Math.Round(1.5 * scale));
        var inliers = m.Geometry?.Inliers;
        if (inliers is not null)
        {
            using var overlay = canvas.Clone();
            for (int i = 0; i < m.Count; i++)
                if (!inliers[i]) Line(overlay, m, i, offset, new Scalar(40, 40, 230), 1, 0);
            Cv2.AddWeighted(overlay, 0.4, canvas, 0.6, 0, canvas);
        }
        // Least confident first, so the most confident lines end up on top.
        foreach (int i in Enumerable.Range(0, m.Count).OrderBy(i => m.Confidence[i]))
        {
            if (inliers is not null && !inliers[i]) continue;
            Line(canvas, m, i, offset, lut[ColorIndex(m.Confidence[i])], 1, radius);
        }
        DrawLegend(canvas, m, title, lut, scale);
        return canvas;
    }

    private static void Line(Mat canvas, PairMatches m, int i, int offset, Scalar color, int thickness, int radius)
    {
        var p = new Point2d(m.Keypoints0[i].X, m.Keypoints0[i].Y);
        var q = new Point2d(m.Keypoints1[i].X + offset, m.Keypoints1[i].Y);
        Cv2.Line(canvas, ToPoint(p), ToPoint(q), color, thickness, LineTypes.AntiAlias);
        if (radius <= 0) return;
        Cv2.Circle(canvas, ToPoint(p), radius, color, -1, LineTypes.AntiAlias);
        Cv2.Circle(canvas, ToPoint(q), radius, color, -1, LineTypes.AntiAlias);
    }

    private static Point ToPoint(Point2d p) => new((int)Math.Round(p.X), (int)Math.Round(p.Y));

    private static int ColorIndex(float confidence) => (int)Math.Round(Math.Clamp(confidence, 0f, 1f) * 255);

    // Marker value for the legend entry of the inliers (drawn as a colour ramp, not a plain colour).
    private static readonly Scalar InlierSwatch = new(-1, -1, -1);

    private static Scalar[] Colormap()
    {
        using var ramp = new Mat(256, 1, MatType.CV_8UC1);
        for (int i = 0; i < 256; i++) ramp.Set(i, 0, (byte)i);
        using var colored = new Mat();
        Cv2.ApplyColorMap(ramp, colored, ColormapTypes.Turbo);
        var lut = new Scalar[256];
        for (int i = 0; i < 256; i++)
        {
            var c = colored.At<Vec3b>(i, 0);
            lut[i] = new Scalar(c.Item0, c.Item1, c.Item2);
        }
        return lut;
    }

    private static void DrawLegend(Mat canvas, PairMatches m, string title, Scalar[] lut, double scale)
    {
        var lines = new List<(string Text, Scalar? Swatch)> { (title, null), ($"{m.Count} matches", null) };
        if (m.Geometry is { } g)
        {
            string model = g.Matrix is null ? $"no {g.Name} found" : g.Name;
            lines.Add(($"{g.InlierCount} inliers ({model})", InlierSwatch));
            lines.Add(($"{m.Count - g.InlierCount} outliers", new Scalar(40, 40, 230)));
        }
        const HersheyFonts font = HersheyFonts.HersheySimplex;
        double fontScale = 0.5 * scale;
        int thickness = Math.Max(1, (int)Math.Round(scale));
        int lineHeight = (int)Math.Round(22 * scale);
        int pad = (int)Math.Round(8 * scale);
        int swatch = (int)Math.Round(14 * scale);
        int textWidth = lines.Max(l => Cv2.GetTextSize(l.Text, font, fontScale, thickness, out _).Width + (l.Swatch is null ? 0 : swatch + pad));
        int barWidth = Math.Max(textWidth, (int)Math.Round(160 * scale));
        int boxW = Math.Min(canvas.Cols, barWidth + 2 * pad);
        int boxH = Math.Min(canvas.Rows, lines.Count * lineHeight + 2 * lineHeight + 2 * pad);
        using (var roi = new Mat(canvas, new Rect(0, 0, boxW, boxH)))
        using (var dark = new Mat(roi.Size(), roi.Type(), Scalar.All(0)))
            Cv2.AddWeighted(roi, 0.35, dark, 0.65, 0, roi);

        int y = pad;
        foreach (var (text, color) in lines)
        {
            int x = pad;
            if (color is { } c)
            {
                int top = y + (lineHeight - swatch) / 2;
                if (c == InlierSwatch) // inliers are coloured by confidence: a small colour ramp
                    for (int k = 0; k < swatch; k++)
                        Cv2.Line(canvas, new Point(x + k, top), new Point(x + k, top + swatch - 1), lut[255 * k / Math.Max(1, swatch - 1)], 1);
                else
                    Cv2.Rectangle(canvas, new Rect(x, top, swatch, swatch), c, -1);
                x += swatch + pad;
            }
            Cv2.PutText(canvas, text, new Point(x, y + (int)(lineHeight * 0.75)), font, fontScale, Scalar.All(255), thickness, LineTypes.AntiAlias);
            y += lineHeight;
        }
        // Colour bar of the confidence scale.
        int barH = Math.Max(4, lineHeight / 2);
        for (int x = 0; x < barWidth; x++)
        {
            var c = lut[(int)Math.Round(255.0 * x / Math.Max(1, barWidth - 1))];
            Cv2.Line(canvas, new Point(pad + x, y + 2), new Point(pad + x, y + 2 + barH), c, 1);
        }
        y += barH + 2;
        Cv2.PutText(canvas, "conf 0", new Point(pad, y + (int)(lineHeight * 0.7)), font, fontScale * 0.8, Scalar.All(255), thickness, LineTypes.AntiAlias);
        var size1 = Cv2.GetTextSize("1", font, fontScale * 0.8, thickness, out _);
        Cv2.PutText(canvas, "1", new Point(pad + barWidth - size1.Width, y + (int)(lineHeight * 0.7)), font, fontScale * 0.8, Scalar.All(255),
            thickness, LineTypes.AntiAlias);
    }

    private static Mat ReadColor(string path)
    {
        var mat = Cv2.ImRead(path, ImreadModes.Color);
        if (mat.Empty())
        {
            mat.Dispose();
            throw new InvalidDataException($"{path}: not an image that OpenCV can decode.");
        }
        return mat;
    }
}
