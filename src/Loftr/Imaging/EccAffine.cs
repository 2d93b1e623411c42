namespace Loftr.Imaging;

/// <summary>
/// Enhanced correlation coefficient maximisation with affine motion (Evangelidis and Psarakis, PAMI 2008), the
/// algorithm of OpenCV's <c>cv::findTransformECC(..., MOTION_AFFINE, criteria, noArray(), 1)</c> step for step
/// (image gradients by central differences, bilinear warp with zeros outside the input, the pixels whose nearest
/// input pixel lies outside left out of the means, norms and correlation, the same stopping rule and failures), written
/// for small patches: one object per thread reuses its buffers, and the Hessian is summed through row moments instead
/// of a six-image Jacobian. It differs from OpenCV only by precision: OpenCV keeps the Hessian and the warp in single
/// precision and samples on a 1/32-pixel grid. <c>EccAffineTests</c> checks it against OpenCV on real patches.
/// </summary>
internal sealed class EccAffine
{
    private float[] _gx = [], _gy = [];
    private float[] _warped = [], _warpedGx = [], _warpedGy = [];
    private bool[] _inside = [];

    /// <summary>
    /// Maximises the correlation between <paramref name="template"/> and <paramref name="input"/> warped by
    /// <paramref name="warp"/> (row-major 2x3, <c>m00 m01 m02 m10 m11 m12</c>, mapping template pixel (x, y) to input
    /// pixel (m00 x + m01 y + m02, m10 x + m11 y + m12)), which it updates. Returns the correlation coefficient before
    /// the last update (as OpenCV does), or null where OpenCV throws: a NaN correlation (a flat patch, no overlap) or a
    /// step that would decrease the correlation (uncorrelated patches).
    /// </summary>
    /// <param name="template">The template, <paramref name="templateWidth"/> pixels per row, row-major.</param>
    /// <param name="templateWidth">Template width.</param>
    /// <param name="input">The input image, <paramref name="inputWidth"/> pixels per row, row-major.</param>
    /// <param name="inputWidth">Input width.</param>
    /// <param name="warp">The starting warp, updated in place.</param>
    /// <param name="maxIterations">Largest number of iterations.</param>
    /// <param name="epsilon">The iterations stop when the correlation changes by less than this.</param>
    public double? Maximise(ReadOnlySpan<float> template, int templateWidth, ReadOnlySpan<float> input, int inputWidth, Span<double> warp,
        int maxIterations, double epsilon)
    {
        if (templateWidth < 1 || inputWidth < 1) throw new ArgumentException("Image widths must be positive.");
        int ws = templateWidth, hs = template.Length / ws, wd = inputWidth, hd = input.Length / wd;
        if (hs < 1 || hd < 1 || ws * hs != template.Length || wd * hd != input.Length || warp.Length != 6)
            throw new ArgumentException("Inconsistent image or warp sizes.");
        Ensure(ref _gx, wd * hd);
        Ensure(ref _gy, wd * hd);
        Ensure(ref _warped, ws * hs);
        Ensure(ref _warpedGx, ws * hs);
        Ensure(ref _warpedGy, ws * hs);
        Ensure(ref _inside, ws * hs);
        Gradients(input, wd, hd);

        Span<double> h = stackalloc double[36];
        Span<double> hInv = stackalloc double[36];
        Span<double> ip = stackalloc double[6];
        Span<double> tp = stackalloc double[6];
        Span<double> step = stackalloc double[6];
        double rho = -1, lastRho = -epsilon;
        for (int iteration = 1; iteration <= maxIterations && Math.Abs(rho - lastRho) >= epsilon; iteration++)
        {
            // Warp the input and its gradients back onto the template grid; mean and spread over the pixels inside.
            double m00 = warp[0], m01 = warp[1], m02 = warp[2], m10 = warp[3], m11 = warp[4], m12 = warp[5];
            int n = 0;
            double sumI = 0, sumII = 0, sumT = 0, sumTT = 0;
            for (int y = 0, p = 0; y < hs; y++)
                for (int x = 0; x < ws; x++, p++)
                {
                    double sx = m00 * x + m01 * y + m02, sy = m10 * x + m11 * y + m12;
                    Sample(input, wd, hd, sx, sy, out float v, out float gxv, out float gyv);
                    _warped[p] = v;
                    _warpedGx[p] = gxv;
                    _warpedGy[p] = gyv;
                    // the nearest input pixel decides (OpenCV warps an all-ones mask with INTER_NEAREST, halves rounded up)
                    double rx = Math.Floor(sx + 0.5), ry = Math.Floor(sy + 0.5);
                    bool inside = rx >= 0 && rx < wd && ry >= 0 && ry < hd;
                    _inside[p] = inside;
                    if (!inside) continue;
                    n++;
                    sumI += v;
                    sumII += (double)v * v;
                    sumT += template[p];
                    sumTT += (double)template[p] * template[p];
                }
            double imgMean = n > 0 ? sumI / n : 0, tmpMean = n > 0 ? sumT / n : 0;
            double imgNorm = Math.Sqrt(n * Math.Max(n > 0 ? sumII / n - imgMean * imgMean : 0, 0));
            double tmpNorm = Math.Sqrt(n * Math.Max(n > 0 ? sumTT / n - tmpMean * tmpMean : 0, 0));

            // Hessian J'J, projections J'i and J't and the correlation, with the Jacobian of pixel (x, y)
            // [gx x, gy x, gx y, gy y, gx, gy] (OpenCV's parameter order); sums over x per row, then weighted by y.
            h.Clear();
            ip.Clear();
            tp.Clear();
            double correlation = 0;
            for (int y = 0, p = 0; y < hs; y++)
            {
                double a2 = 0, a1 = 0, a0 = 0, b2 = 0, b1 = 0, b0 = 0, c2 = 0, c1 = 0, c0 = 0;
                double i1x = 0, i0x = 0, i1y = 0, i0y = 0, t1x = 0, t0x = 0, t1y = 0, t0y = 0;
                for (int x = 0; x < ws; x++, p++)
                {
                    double gx = _warpedGx[p], gy = _warpedGy[p];
                    // zero-mean inside; outside, the warped value stays and the template counts as zero (as in OpenCV)
                    double v = _inside[p] ? _warped[p] - imgMean : _warped[p];
                    double t = _inside[p] ? template[p] - tmpMean : 0;
                    double a = gx * gx, b = gx * gy, c = gy * gy;
                    a2 += a * x * x; a1 += a * x; a0 += a;
                    b2 += b * x * x; b1 += b * x; b0 += b;
                    c2 += c * x * x; c1 += c * x; c0 += c;
                    i1x += gx * v * x; i0x += gx * v; i1y += gy * v * x; i0y += gy * v;
                    t1x += gx * t * x; t0x += gx * t; t1y += gy * t * x; t0y += gy * t;
                    correlation += t * v;
                }
                double yy = (double)y * y;
                h[0] += a2; h[1] += b2; h[2] += y * a1; h[3] += y * b1; h[4] += a1; h[5] += b1;
                h[7] += c2; h[8] += y * b1; h[9] += y * c1; h[10] += b1; h[11] += c1;
                h[14] += yy * a0; h[15] += yy * b0; h[16] += y * a0; h[17] += y * b0;
                h[21] += yy * c0; h[22] += y * b0; h[23] += y * c0;
                h[28] += a0; h[29] += b0;
                h[35] += c0;
                ip[0] += i1x; ip[1] += i1y; ip[2] += y * i0x; ip[3] += y * i0y; ip[4] += i0x; ip[5] += i0y;
                tp[0] += t1x; tp[1] += t1y; tp[2] += y * t0x; tp[3] += y * t0y; tp[4] += t0x; tp[5] += t0y;
            }
            for (int r = 1; r < 6; r++)
                for (int c = 0; c < r; c++) h[r * 6 + c] = h[c * 6 + r];

            lastRho = rho;
            rho = correlation / (imgNorm * tmpNorm);
            if (!double.IsFinite(rho)) return null; // OpenCV stops on NaN; infinity (a zero norm) is no better

            Invert6(h, hInv); // a singular Hessian gives zeros, as cv::Mat::inv does
            // illumination factor lambda, then the step delta_p = H^-1 J'(lambda t - i)
            double ipHip = 0, tpHip = 0;
            for (int r = 0; r < 6; r++)
            {
                double hip = 0;
                for (int c = 0; c < 6; c++) hip += hInv[r * 6 + c] * ip[c];
                ipHip += ip[r] * hip;
                tpHip += tp[r] * hip;
            }
            double lambdaN = imgNorm * imgNorm - ipHip, lambdaD = correlation - tpHip;
            if (lambdaD <= 0) return null;
            double lambda = lambdaN / lambdaD;
            for (int r = 0; r < 6; r++)
            {
                double s = 0;
                for (int c = 0; c < 6; c++) s += hInv[r * 6 + c] * (lambda * tp[c] - ip[c]);
                step[r] = s;
            }
            warp[0] += step[0];
            warp[3] += step[1];
            warp[1] += step[2];
            warp[4] += step[3];
            warp[2] += step[4];
            warp[5] += step[5];
        }
        return rho;
    }

    private static void Ensure<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[length];
    }

    /// <summary>Central differences (kernel [-0.5, 0, 0.5], mirrored borders: zero on the outermost rows and columns).</summary>
    private void Gradients(ReadOnlySpan<float> image, int w, int h)
    {
        for (int y = 0; y < h; y++)
        {
            int row = y * w, up = (y == 0 ? 1 : y - 1) * w, down = (y == h - 1 ? h - 2 : y + 1) * w;
            if (h == 1) up = down = row;
            for (int x = 0; x < w; x++)
            {
                int left = x == 0 ? 1 : x - 1, right = x == w - 1 ? w - 2 : x + 1;
                if (w == 1) left = right = 0;
                _gx[row + x] = 0.5f * image[row + right] - 0.5f * image[row + left];
                _gy[row + x] = 0.5f * image[down + x] - 0.5f * image[up + x];
            }
        }
    }

    /// <summary>Bilinear samples of the image and its gradients at (x, y); pixels outside the image count as zero.</summary>
    private void Sample(ReadOnlySpan<float> image, int w, int h, double x, double y, out float v, out float gx, out float gy)
    {
        double fx = Math.Floor(x), fy = Math.Floor(y);
        v = gx = gy = 0;
        if (!(fx >= -1 && fy >= -1 && fx <= w - 1 && fy <= h - 1)) return; // all four neighbours outside, or NaN
        int x0 = (int)fx, y0 = (int)fy;
        float ax = (float)(x - fx), ay = (float)(y - fy);
        for (int dy = 0; dy < 2; dy++)
        {
            int yy = y0 + dy;
            if (yy < 0 || yy >= h) continue;
            float wy = dy == 0 ? 1 - ay : ay;
            for (int dx = 0; dx < 2; dx++)
            {
                int xx = x0 + dx;
                if (xx < 0 || xx >= w) continue;
                float weight = wy * (dx == 0 ? 1 - ax : ax);
                int q = yy * w + xx;
                v += weight * image[q];
                gx += weight * _gx[q];
                gy += weight * _gy[q];
            }
        }
    }

    /// <summary>Inverts a 6x6 matrix by Gauss-Jordan elimination with partial pivoting; zeros when it is singular.</summary>
    private static void Invert6(ReadOnlySpan<double> m, Span<double> inverse)
    {
        Span<double> a = stackalloc double[36];
        m.CopyTo(a);
        inverse.Clear();
        for (int i = 0; i < 6; i++) inverse[i * 6 + i] = 1;
        double scale = 0;
        for (int i = 0; i < 36; i++) scale = Math.Max(scale, Math.Abs(a[i]));
        for (int col = 0; col < 6; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 6; r++)
                if (Math.Abs(a[r * 6 + col]) > Math.Abs(a[pivot * 6 + col])) pivot = r;
            double pv = a[pivot * 6 + col];
            if (!(Math.Abs(pv) > scale * 1e-15))
            {
                inverse.Clear();
                return;
            }
            if (pivot != col)
                for (int c = 0; c < 6; c++)
                {
                    (a[col * 6 + c], a[pivot * 6 + c]) = (a[pivot * 6 + c], a[col * 6 + c]);
                    (inverse[col * 6 + c], inverse[pivot * 6 + c]) = (inverse[pivot * 6 + c], inverse[col * 6 + c]);
                }
            for (int c = 0; c < 6; c++)
            {
                a[col * 6 + c] /= pv;
                inverse[col * 6 + c] /= pv;
            }
            for (int r = 0; r < 6; r++)
            {
                if (r == col) continue;
                double f = a[r * 6 + col];
                if (f == 0) continue;
                for (int c = 0; c < 6; c++)
                {
                    a[r * 6 + c] -= f * a[col * 6 + c];
                    inverse[r * 6 + c] -= f * inverse[col * 6 + c];
                }
            }
        }
    }
}
