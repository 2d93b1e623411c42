using Loftr.Imaging;
using OpenCvSharp;

namespace Loftr.Training;

/// <summary>
/// Makes a homography training pair from one photograph: view 0 is an axis-aligned crop (with the network's aspect
/// ratio, resized to the network size), view 1 a random perspective view of the same region (rotation, zoom,
/// independent corner shifts, translation) rendered from the photo, so both views show real content wherever they
/// overlap; the overlap is guaranteed by resampling. Each view then gets its own photometric change (brightness,
/// contrast, gamma, blur, noise). Everything is drawn from the given <see cref="TrainingRandom"/>: the same generator
/// state gives the same pair.
/// </summary>
public static class HomographyPairMaker
{
    private const int MaxTries = 50;

    /// <summary>Makes a pair of <paramref name="width"/> x <paramref name="height"/> views from <paramref name="photo"/> (8-bit gray).</summary>
    public static PairSample Make(Mat photo, int width, int height, HomographyAugmentation aug, TrainingRandom random, string name = "",
        int coarseResolution = 8)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(aug);
        ArgumentNullException.ThrowIfNull(random);
        if (photo.Empty() || photo.Type() != MatType.CV_8UC1) throw new ArgumentException($"{name}: expected a non-empty 8-bit gray image.");

        // 1. First view: a crop with the target aspect, resized so that it is exactly width x height.
        double fitW = Math.Min(photo.Cols, photo.Rows * (double)width / height);
        var (cMin, cMax) = aug.Crop;
        double cropW = fitW * random.Uniform(cMin, Math.Max(cMin, cMax) + 1e-12);
        double r = width / cropW;
        int sw = Math.Max(width, (int)Math.Round(photo.Cols * r)), sh = Math.Max(height, (int)Math.Round(photo.Rows * r));
        using var scaled = new Mat();
        Cv2.Resize(photo, scaled, new Size(sw, sh), 0, 0, r < 1 ? InterpolationFlags.Area : InterpolationFlags.Linear);
        double x0 = Math.Floor(random.Uniform(0, sw - width + 1));
        double y0 = Math.Floor(random.Uniform(0, sh - height + 1));

        // 2. Second view: a perturbed quadrilateral of the scaled photo.
        double[] h01 = [];
        double[] a1 = [];
        for (int attempt = 0; ; attempt++)
        {
            double damp = attempt < MaxTries ? 1.0 : 0.0; // give up on the perturbation rather than loop forever
            a1 = SampleView(width, height, x0, y0, aug, random, damp);
            h01 = Multiply(Invert(a1), [1, 0, x0, 0, 1, y0, 0, 0, 1]);
            if (damp == 0 || Overlap(h01, width, height, coarseResolution) >= aug.MinOverlap) break;
        }

        using var view0 = new Mat(scaled, new Rect((int)x0, (int)y0, width, height));
        using var view1 = new Mat();
        using var a1Mat = Mat.FromPixelData(3, 3, MatType.CV_64FC1, a1);
        Cv2.WarpPerspective(scaled, view1, a1Mat, new Size(width, height),
            InterpolationFlags.Linear | InterpolationFlags.WarpInverseMap, BorderTypes.Constant, Scalar.All(0));
        return new PairSample
        {
            Image0 = Photometric(view0, aug, random),
            Image1 = Photometric(view1, aug, random),
            Homography = h01,
            Name = name,
        };
    }

    /// <summary>A 3x3 map from second-view pixels to scaled-photo pixels.</summary>
    private static double[] SampleView(int w, int h, double x0, double y0, HomographyAugmentation aug, TrainingRandom rnd, double damp)
    {
        double cx = x0 + (w - 1) / 2.0, cy = y0 + (h - 1) / 2.0;
        double angle = rnd.Uniform(-aug.MaxRotation, aug.MaxRotation) * damp * Math.PI / 180;
        var (sMin, sMax) = aug.ScaleRange;
        double scale = Math.Exp(rnd.Uniform(Math.Log(sMin), Math.Log(sMax)) * damp);
        double tx = rnd.Uniform(-aug.MaxTranslation, aug.MaxTranslation) * w * damp;
        double ty = rnd.Uniform(-aug.MaxTranslation, aug.MaxTranslation) * h * damp;
        (double X, double Y)[] corners = [(0, 0), (w - 1, 0), (w - 1, h - 1), (0, h - 1)];
        var src = new Point2f[4];
        var dst = new Point2f[4];
        double cos = Math.Cos(angle), sin = Math.Sin(angle);
        for (int k = 0; k < 4; k++)
        {
            double dx = corners[k].X - (w - 1) / 2.0, dy = corners[k].Y - (h - 1) / 2.0;
            double px = rnd.Uniform(-aug.MaxPerspective, aug.MaxPerspective) * w * damp;
            double py = rnd.Uniform(-aug.MaxPerspective, aug.MaxPerspective) * h * damp;
            // zooming in on the view = a smaller quadrilateral in the photo
            double qx = cx + tx + (cos * dx - sin * dy) / scale + px;
            double qy = cy + ty + (sin * dx + cos * dy) / scale + py;
            src[k] = new Point2f((float)corners[k].X, (float)corners[k].Y);
            dst[k] = new Point2f((float)qx, (float)qy);
        }
        using var m = Cv2.GetPerspectiveTransform(src, dst);
        var a = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) a[i * 3 + j] = m.At<double>(i, j);
        return a;
    }

    /// <summary>Fraction of the coarse grid points of view 0 that land inside view 1 (in front of it).</summary>
    internal static double Overlap(double[] h, int w, int hgt, int res)
    {
        int inside = 0, total = 0;
        for (int y = 0; y < hgt; y += res)
            for (int x = 0; x < w; x += res)
            {
                total++;
                double z = h[6] * x + h[7] * y + h[8];
                if (z <= 1e-8) continue;
                double u = (h[0] * x + h[1] * y + h[2]) / z, v = (h[3] * x + h[4] * y + h[5]) / z;
                if (u >= 0 && u <= w - 1 && v >= 0 && v <= hgt - 1) inside++;
            }
        return (double)inside / total;
    }

    /// <summary>Brightness, contrast, gamma, blur and noise on an 8-bit view; returns intensities in [0, 1].</summary>
    private static GrayImage Photometric(Mat view8, HomographyAugmentation aug, TrainingRandom rnd)
    {
        using var f = new Mat();
        view8.ConvertTo(f, MatType.CV_32FC1, 1.0 / 255);
        double brightness = rnd.Uniform(-aug.MaxBrightness, aug.MaxBrightness);
        double contrast = rnd.Uniform(1 - aug.MaxContrast, 1 + aug.MaxContrast);
        double g = rnd.Uniform(-aug.MaxGamma, aug.MaxGamma);
        double gamma = g >= 0 ? 1 + g : 1 / (1 - g);
        bool blur = rnd.Chance(aug.BlurProbability);
        double sigma = rnd.Uniform(0.3, Math.Max(0.3, aug.MaxBlurSigma));
        double noise = rnd.Uniform(0, aug.MaxNoise);
        if (blur && aug.MaxBlurSigma > 0) Cv2.GaussianBlur(f, f, new Size(0, 0), sigma);
        int cols = f.Cols, rows = f.Rows, n = rows * cols;
        var px = new float[n];
        using (var copy = f.IsContinuous() ? null : f.Clone())
            System.Runtime.InteropServices.Marshal.Copy((copy ?? f).Data, px, 0, n);
        double mean = 0;
        foreach (float v in px) mean += v;
        mean /= n;
        for (int i = 0; i < n; i++)
        {
            double v = (px[i] - mean) * contrast + mean + brightness;
            v = Math.Pow(Math.Clamp(v, 0, 1), gamma);
            if (noise > 0) v += noise * rnd.Normal();
            px[i] = (float)Math.Clamp(v, 0, 1);
        }
        return new GrayImage(px, cols, rows);
    }

    internal static double[] Multiply(double[] a, double[] b)
    {
        var c = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                c[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
        return c;
    }

    internal static double[] Invert(double[] m)
    {
        double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5], g = m[6], h = m[7], i = m[8];
        double A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
        double det = a * A + b * B + c * C;
        if (Math.Abs(det) < 1e-15) throw new ArgumentException("Singular homography.");
        return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det,
                B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
                C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
    }
}
