using Loftr.Evaluation;
using Loftr.Imaging;
using Loftr.Tests.Infrastructure;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Loftr.Tests.Imaging;

/// <summary>
/// <see cref="EccAffine"/> against OpenCV's <c>findTransformECC</c> (affine motion) on the same patches of the graffiti pair
/// (graf1 -> graf3: a strong viewpoint change), started from the ground-truth local affine map moved off by up to 2 px.
/// </summary>
public sealed class EccAffineTests(ITestOutputHelper output)
{
    private const int Radius = 16, Outer = 22;

    private sealed record Case(Mat Template, Mat Input, double[] Warp);

    /// <summary>Template patches of graf1 on a grid, input crops of graf3 around the true point moved off, and the starting warps.</summary>
    private static List<Case> GraffitiCases()
    {
        using var g0 = Cv2.ImRead(TestData.Path("eval/homography/graf1.png"), ImreadModes.Grayscale);
        using var g1 = Cv2.ImRead(TestData.Path("eval/homography/graf3.png"), ImreadModes.Grayscale);
        using var f0 = new Mat();
        using var f1 = new Mat();
        g0.ConvertTo(f0, MatType.CV_32F);
        g1.ConvertTo(f1, MatType.CV_32F);
        var h = HomographyFile.Read(TestData.Path("eval/homography/graf_H1to3.txt"));
        var cases = new List<Case>();
        int i = 0, rows0 = g0.Rows, cols0 = g0.Cols, rows1 = g1.Rows, cols1 = g1.Cols;
        for (int y = 60; y < rows0 - 60; y += 24)
            for (int x = 60; x < cols0 - 60; x += 24, i++)
            {
                double w = h[2, 0] * x + h[2, 1] * y + h[2, 2];
                double u = (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / w, v = (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / w;
                if (u < 40 || v < 40 || u > cols1 - 40 || v > rows1 - 40) continue;
                // the homography's derivative at (x, y): the true local affine map
                double a00 = (h[0, 0] - u * h[2, 0]) / w, a01 = (h[0, 1] - u * h[2, 1]) / w;
                double a10 = (h[1, 0] - v * h[2, 0]) / w, a11 = (h[1, 1] - v * h[2, 1]) / w;
                double cx = u + 2 * Math.Sin(1.7 * i), cy = v + 2 * Math.Cos(2.3 * i); // where the crop is centred
                var template = new Mat();
                var input = new Mat();
                Cv2.GetRectSubPix(f0, new Size(2 * Radius + 1, 2 * Radius + 1), new Point2f(x, y), template);
                Cv2.GetRectSubPix(f1, new Size(2 * Outer + 1, 2 * Outer + 1), new Point2f((float)cx, (float)cy), input);
                // start: the true linear part, centred on the crop's centre (the true point is up to 2 px away)
                cases.Add(new Case(template, input, [(float)a00, (float)a01, (float)(Outer - (a00 + a01) * Radius),
                    (float)a10, (float)a11, (float)(Outer - (a10 + a11) * Radius)]));
            }
        return cases;
    }

    private static float[] Pixels(Mat m)
    {
        m.GetArray(out float[] pixels);
        return pixels;
    }

    private static (double X, double Y) Centre(double[] w) => (w[0] * Radius + w[1] * Radius + w[2], w[3] * Radius + w[4] * Radius + w[5]);

    [Fact]
    public void AgreesWithOpenCvFindTransformEcc()
    {
        var cases = GraffitiCases();
        var ecc = new EccAffine();
        var criteria = new TermCriteria(CriteriaTypes.Count | CriteriaTypes.Eps, 50, 1e-4);
        var distances = new List<double>();
        var rhoDifferences = new List<double>();
        int bothFailed = 0, onlyOneFailed = 0;
        foreach (var c in cases)
        {
            using var cvWarp = new Mat(2, 3, MatType.CV_32F);
            for (int k = 0; k < 6; k++) cvWarp.Set(k / 3, k % 3, (float)c.Warp[k]);
            double? cvRho;
            try
            {
                cvRho = Cv2.FindTransformECC(c.Template, c.Input, cvWarp, MotionTypes.Affine, criteria, null, 1);
            }
            catch (OpenCVException)
            {
                cvRho = null;
            }
            var ours = (double[])c.Warp.Clone();
            double? rho = ecc.Maximise(Pixels(c.Template), c.Template.Cols, Pixels(c.Input), c.Input.Cols, ours, 50, 1e-4);
            c.Template.Dispose();
            c.Input.Dispose();
            if (cvRho is null || rho is null)
            {
                if (cvRho is null && rho is null) bothFailed++;
                else onlyOneFailed++;
                continue;
            }
            var cv = Centre([.. Enumerable.Range(0, 6).Select(k => (double)cvWarp.At<float>(k / 3, k % 3))]);
            var (x, y) = Centre(ours);
            distances.Add(Math.Sqrt((x - cv.X) * (x - cv.X) + (y - cv.Y) * (y - cv.Y)));
            rhoDifferences.Add(Math.Abs(rho.Value - cvRho.Value));
        }
        distances.Sort();
        rhoDifferences.Sort();
        double Quantile(List<double> v, double q) => v[(int)(q * (v.Count - 1))];
        output.WriteLine($"{cases.Count} patches: {distances.Count} aligned by both, {bothFailed} failed in both, {onlyOneFailed} in one only; " +
                         $"centre difference median {Quantile(distances, 0.5):F4} px, 90 % {Quantile(distances, 0.9):F4}, 99 % {Quantile(distances, 0.99):F4}, " +
                         $"max {distances[^1]:F3}; correlation difference median {Quantile(rhoDifferences, 0.5):E1}, 90 % {Quantile(rhoDifferences, 0.9):E1}");
        Assert.True(distances.Count > 300, $"{distances.Count} patches aligned by both");
        Assert.True(onlyOneFailed <= distances.Count / 50, $"{onlyOneFailed} patches failed in one implementation only");
        // The same algorithm: OpenCV's single-precision Hessian and 1/32-pixel warp grid against double precision and
        // exact coordinates leave thousandths of a pixel, more where the iterations stop without converging.
        Assert.True(Quantile(distances, 0.5) < 0.005, $"median centre difference {Quantile(distances, 0.5)} px");
        Assert.True(Quantile(distances, 0.9) < 0.05, $"90 % centre difference {Quantile(distances, 0.9)} px");
        Assert.True(Quantile(rhoDifferences, 0.5) < 1e-4, $"median correlation difference {Quantile(rhoDifferences, 0.5)}");
    }

    [Fact]
    public void RecoversAKnownAffineWarp()
    {
        // a smooth texture sampled exactly: template(x, y) = I(x, y), input(u, v) = I(A^-1 (u, v)), so that input(A (x, y)) = template(x, y)
        static double Texture(double x, double y) =>
            128 + 40 * Math.Sin(0.45 * x + 0.2 * y) + 35 * Math.Sin(0.3 * y - 0.15 * x + 1) + 25 * Math.Sin(0.23 * x + 0.37 * y + 2);
        double[] truth = [1.05, 0.04, 4.3, -0.03, 0.97, 5.6]; // template (x, y) -> input (u, v)
        double det = truth[0] * truth[4] - truth[1] * truth[3];
        var template = new float[33 * 33];
        var input = new float[45 * 45];
        for (int y = 0; y < 33; y++)
            for (int x = 0; x < 33; x++) template[y * 33 + x] = (float)Texture(x, y);
        for (int v = 0; v < 45; v++)
            for (int u = 0; u < 45; u++)
            {
                double du = u - truth[2], dv = v - truth[5];
                input[v * 45 + u] = (float)Texture((truth[4] * du - truth[1] * dv) / det, (-truth[3] * du + truth[0] * dv) / det);
            }
        double[] warp = [1, 0, 6, 0, 1, 6]; // the identity, 1.4 px off at the centre
        double? rho = new EccAffine().Maximise(template, 33, input, 45, warp, 100, 1e-8);
        var (x0, y0) = Centre(warp);
        var (tx, ty) = Centre(truth);
        output.WriteLine($"rho {rho}, warp {string.Join(", ", warp.Select(v => v.ToString("F4")))}; centre off by ({x0 - tx:F4}, {y0 - ty:F4}) px");
        Assert.NotNull(rho);
        Assert.True(rho > 0.999, $"rho {rho}");
        // measured: linear part within 1e-3, centre within 0.01 px (bilinear interpolation of the input is the only error)
        for (int k = 0; k < 6; k++) Assert.True(Math.Abs(warp[k] - truth[k]) < (k % 3 == 2 ? 0.05 : 0.003), $"parameter {k}: {warp[k]} vs {truth[k]}");
        Assert.True(Math.Abs(x0 - tx) < 0.02 && Math.Abs(y0 - ty) < 0.02, $"centre ({x0:F4}, {y0:F4}) vs ({tx:F4}, {ty:F4})");
    }

    [Fact]
    public void PixelsWhoseNearestInputPixelIsHalfAPixelOutsideAreLeftOutAsInOpenCv()
    {
        // template column 8 lands on input x = 12.5 of a 13-pixel-wide input: OpenCV rounds the half up (outside);
        // rounding it to even would count the column in, and the first step would differ
        var rng = new Random(5);
        var input = Enumerable.Range(0, 13 * 13).Select(_ => (float)rng.Next(256)).ToArray();
        var template = Enumerable.Range(0, 9 * 9).Select(_ => (float)rng.Next(256)).ToArray();
        for (int i = 0; i < template.Length; i++) template[i] = 0.7f * template[i] + 0.3f * input[(i / 9 + 2) * 13 + i % 9 + 4];
        double[] warp = [1, 0, 4.5, 0, 1, 2];
        double? rho = new EccAffine().Maximise(template, 9, input, 13, warp, 1, 1e-4);
        using var t = Mat.FromPixelData(9, 9, MatType.CV_32F, template);
        using var im = Mat.FromPixelData(13, 13, MatType.CV_32F, input);
        using var cvWarp = Mat.FromPixelData(2, 3, MatType.CV_32F, new float[] { 1, 0, 4.5f, 0, 1, 2 });
        double cvRho = Cv2.FindTransformECC(t, im, cvWarp, MotionTypes.Affine, new TermCriteria(CriteriaTypes.Count | CriteriaTypes.Eps, 1, 1e-4), null, 1);
        output.WriteLine($"rho {rho} (OpenCV {cvRho}); warp {string.Join(", ", warp.Select(v => v.ToString("F5")))} " +
                         $"(OpenCV {string.Join(", ", Enumerable.Range(0, 6).Select(k => cvWarp.At<float>(k / 3, k % 3).ToString("F5")))})");
        Assert.NotNull(rho);
        Assert.Equal(cvRho, rho.Value, 4);
        for (int k = 0; k < 6; k++) Assert.Equal(cvWarp.At<float>(k / 3, k % 3), warp[k], 3);
    }

    [Fact]
    public void FailsOnAFlatPatch()
    {
        var flat = Enumerable.Repeat(100f, 33 * 33).ToArray();
        var input = Enumerable.Range(0, 45 * 45).Select(i => (float)(i % 7)).ToArray();
        double[] warp = [1, 0, 6, 0, 1, 6];
        Assert.Null(new EccAffine().Maximise(flat, 33, input, 45, warp, 50, 1e-4));
    }
}
