using Loftr.Imaging;
using OpenCvSharp;

namespace Loftr;

/// <summary>
/// Photometric refinement of matches after the network: for each match, the square patch of image 0 around its
/// point is aligned to image 1 by enhanced correlation coefficient maximisation (<see cref="EccAffine"/>: the
/// algorithm of OpenCV's <c>cv2.findTransformECC</c>, affine motion, invariant to brightness and contrast changes),
/// starting from the local affine map fitted (RANSAC) to the neighbouring matches and from the network's point in
/// image 1. The aligned patch centre becomes the new point in
/// image 1. A match keeps the network's point when the alignment fails, does not converge, or moves it further than
/// <see cref="PatchAlignmentSettings.MaxShift"/>.
/// </summary>
public static class PatchAlignment
{
    /// <summary>
    /// Refines the points of image 1. Both images are single-channel; coordinates are their pixels. Returns the refined
    /// points of image 1 (same order) with the correlation coefficient of each aligned patch.
    /// </summary>
    /// <param name="image0">Image 0 (gray; any depth, converted to float).</param>
    /// <param name="image1">Image 1.</param>
    /// <param name="keypoints0">Points in image 0.</param>
    /// <param name="keypoints1">Matching points in image 1 (the starting points).</param>
    /// <param name="settings">Patch radius, largest accepted shift, neighbours.</param>
    /// <exception cref="ArgumentException">The point lists differ in length or an image is not single-channel.</exception>
    public static PatchAlignmentResult Refine(Mat image0, Mat image1, IReadOnlyList<Point2> keypoints0,
        IReadOnlyList<Point2> keypoints1, PatchAlignmentSettings settings)
    {
        ArgumentNullException.ThrowIfNull(image0);
        ArgumentNullException.ThrowIfNull(image1);
        ArgumentNullException.ThrowIfNull(keypoints0);
        ArgumentNullException.ThrowIfNull(keypoints1);
        ArgumentNullException.ThrowIfNull(settings);
        if (keypoints0.Count != keypoints1.Count)
            throw new ArgumentException($"{keypoints0.Count} points in image 0 but {keypoints1.Count} in image 1.", nameof(keypoints1));
        if (image0.Channels() != 1 || image1.Channels() != 1) throw new ArgumentException("Patch alignment needs single-channel images.");
        settings.Validate();
        int n = keypoints0.Count;
        var refined = keypoints1.ToArray();
        var correlation = new float[n];
        Array.Fill(correlation, float.NaN);
        if (n == 0) return new PatchAlignmentResult(refined, correlation);

        // float copies only of images that are not float already (the matcher passes its float images)
        using var c0 = image0.Type() == MatType.CV_32FC1 ? null : AsFloat(image0);
        using var c1 = image1.Type() == MatType.CV_32FC1 ? null : AsFloat(image1);
        Mat f0 = c0 ?? image0, f1 = c1 ?? image1;
        var neighbours = new NeighbourGrid(keypoints0);
        // matches are independent: align them in parallel, each worker with its own buffers
        Parallel.For(0, n, () => new Worker(settings), (i, _, worker) =>
        {
            if (worker.Align(f0, f1, keypoints0[i], keypoints1[i], neighbours.Nearest(i, settings.Neighbours), keypoints0, keypoints1) is var (q, rho))
            {
                refined[i] = q;
                correlation[i] = (float)rho;
            }
            return worker;
        }, worker => worker.Dispose());
        return new PatchAlignmentResult(refined, correlation);
    }

    /// <summary>The buffers of one alignment thread.</summary>
    private sealed class Worker(PatchAlignmentSettings settings) : IDisposable
    {
        private readonly Mat _template = new();
        private readonly Mat _input = new();
        private readonly EccAffine _ecc = new();
        private readonly double[] _warp = new double[6];

        /// <summary>The aligned point in image 1 and the patches' correlation coefficient, or null when the alignment fails or is rejected.</summary>
        public (Point2, double)? Align(Mat f0, Mat f1, Point2 p0, Point2 p1, IReadOnlyList<int> neighbours, IReadOnlyList<Point2> kp0, IReadOnlyList<Point2> kp1)
        {
            int r = settings.Radius;
            int outer = r + (int)Math.Ceiling(settings.MaxShift) + 2;
            var (a00, a01, a10, a11) = LocalAffine(neighbours, kp0, kp1);
            Cv2.GetRectSubPix(f0, new Size(2 * r + 1, 2 * r + 1), new Point2f(p0.X, p0.Y), _template);
            Cv2.GetRectSubPix(f1, new Size(2 * outer + 1, 2 * outer + 1), new Point2f(p1.X, p1.Y), _input);
            if (settings.GaussianFilterSize > 1)
            {
                var k = new Size(settings.GaussianFilterSize, settings.GaussianFilterSize);
                Cv2.GaussianBlur(_template, _template, k, 0, 0);
                Cv2.GaussianBlur(_input, _input, k, 0, 0);
            }
            // template pixel (x, y) is p0 + (x - r, y - r) in image 0; the warp maps it to (outer, outer) + A (x - r, y - r)
            // in the crop of image 1 centred on p1 (single precision, as OpenCV's warp matrix)
            _warp[0] = (float)a00;
            _warp[1] = (float)a01;
            _warp[2] = (float)(outer - (a00 + a01) * r);
            _warp[3] = (float)a10;
            _warp[4] = (float)a11;
            _warp[5] = (float)(outer - (a10 + a11) * r);
            // flat patch, no overlap or uncorrelated patches: keep the network's point
            if (_ecc.Maximise(Pixels(_template), _template.Cols, Pixels(_input), _input.Cols, _warp, settings.Iterations, 1e-4) is not { } rho)
                return null;
            if (!(rho >= settings.MinCorrelation)) return null;
            double cx = _warp[0] * r + _warp[1] * r + _warp[2] - outer;
            double cy = _warp[3] * r + _warp[4] * r + _warp[5] - outer;
            if (!double.IsFinite(cx) || !double.IsFinite(cy) || cx * cx + cy * cy > settings.MaxShift * settings.MaxShift) return null;
            var q = new Point2((float)(p1.X + cx), (float)(p1.Y + cy));
            return q.X < 0 || q.Y < 0 || q.X > f1.Cols - 1 || q.Y > f1.Rows - 1 ? null : (q, rho);
        }

        public void Dispose()
        {
            _template.Dispose();
            _input.Dispose();
        }
    }

    /// <summary>The pixels of a continuous single-channel float image.</summary>
    private static unsafe ReadOnlySpan<float> Pixels(Mat m)
    {
        if (!m.IsContinuous() || m.Type() != MatType.CV_32FC1) throw new InvalidOperationException("Expected a continuous float image.");
        return new ReadOnlySpan<float>((void*)m.Data, m.Rows * m.Cols);
    }

    private static Mat AsFloat(Mat image)
    {
        var f = new Mat();
        image.ConvertTo(f, MatType.CV_32F);
        return f;
    }

    /// <summary>The linear part of the affine map fitted (RANSAC, 3 px) to the given matches; identity with fewer than three.</summary>
    private static (double, double, double, double) LocalAffine(IReadOnlyList<int> idx, IReadOnlyList<Point2> kp0, IReadOnlyList<Point2> kp1)
    {
        if (idx.Count < 3) return (1, 0, 0, 1);
        using var a = InputArray.Create(idx.Select(j => new Point2f(kp0[j].X, kp0[j].Y)).ToArray());
        using var b = InputArray.Create(idx.Select(j => new Point2f(kp1[j].X, kp1[j].Y)).ToArray());
        using var m = Cv2.EstimateAffine2D(a, b, null, RobustEstimationAlgorithms.RANSAC, 3);
        if (m is null || m.Empty()) return (1, 0, 0, 1);
        double a00 = m.At<double>(0, 0), a01 = m.At<double>(0, 1), a10 = m.At<double>(1, 0), a11 = m.At<double>(1, 1);
        double det = a00 * a11 - a01 * a10;
        // a degenerate or implausible local map (e.g. collinear neighbours) would start the alignment far off
        return double.IsFinite(det) && det > 0.05 && det < 20 ? (a00, a01, a10, a11) : (1, 0, 0, 1);
    }

    /// <summary>k-nearest neighbours (including the point itself) of points in image 0, bucketed on a uniform grid.</summary>
    private sealed class NeighbourGrid
    {
        private readonly IReadOnlyList<Point2> _points;
        private readonly Dictionary<(int, int), List<int>> _cells = new();
        private readonly double _cell;

        public NeighbourGrid(IReadOnlyList<Point2> points)
        {
            _points = points;
            float minX = points.Min(p => p.X), maxX = points.Max(p => p.X), minY = points.Min(p => p.Y), maxY = points.Max(p => p.Y);
            double area = Math.Max(1.0, (maxX - minX + 1.0) * (maxY - minY + 1.0));
            _cell = Math.Max(1.0, Math.Sqrt(area / points.Count) * 2);
            for (int i = 0; i < points.Count; i++)
            {
                var key = Key(points[i]);
                if (!_cells.TryGetValue(key, out var list)) _cells[key] = list = [];
                list.Add(i);
            }
        }

        private (int, int) Key(Point2 p) => ((int)Math.Floor(p.X / _cell), (int)Math.Floor(p.Y / _cell));

        public List<int> Nearest(int i, int k)
        {
            var p = _points[i];
            var (cx, cy) = Key(p);
            var found = new List<(float D, int J)>();
            for (int ring = 0; ; ring++)
            {
                for (int gx = cx - ring; gx <= cx + ring; gx++)
                    for (int gy = cy - ring; gy <= cy + ring; gy++)
                    {
                        if (Math.Max(Math.Abs(gx - cx), Math.Abs(gy - cy)) != ring || !_cells.TryGetValue((gx, gy), out var list)) continue;
                        foreach (int j in list)
                        {
                            float dx = _points[j].X - p.X, dy = _points[j].Y - p.Y;
                            found.Add((dx * dx + dy * dy, j));
                        }
                    }
                // every point outside the rings searched so far is further than ring * cell
                if (found.Count >= Math.Min(k, _points.Count) && found.OrderBy(f => f.D).ElementAt(Math.Min(k, found.Count) - 1).D <= ring * _cell * (ring * _cell))
                    break;
                if (found.Count == _points.Count) break;
            }
            return found.OrderBy(f => f.D).ThenBy(f => f.J).Take(k).Select(f => f.J).ToList();
        }
    }
}

/// <summary>The points of image 1 after <see cref="PatchAlignment.Refine"/>.</summary>
/// <param name="Keypoints1">The refined points (the starting point where the alignment failed or was rejected).</param>
/// <param name="Correlation">
/// The correlation coefficient of each aligned patch pair (ECC's, in [-1, 1]; wrong matches score low), NaN for the
/// points that kept their starting position.
/// </param>
public sealed record PatchAlignmentResult(Point2[] Keypoints1, float[] Correlation)
{
    /// <summary>Number of points the alignment moved.</summary>
    public int Aligned => Correlation.Count(c => !float.IsNaN(c));
}

/// <summary>Settings of <see cref="PatchAlignment"/>; distances in pixels of the images aligned.</summary>
/// <param name="Radius">Patch half-size: patches are (2 Radius + 1)^2 pixels.</param>
/// <param name="MaxShift">Largest accepted move of a point from the network's estimate.</param>
/// <param name="Neighbours">Matches (the match itself included) to which the starting local affine map is fitted.</param>
/// <param name="MinCorrelation">Smallest accepted correlation coefficient of the aligned patches.</param>
/// <param name="Iterations">Largest number of ECC iterations per match.</param>
/// <param name="GaussianFilterSize">Gaussian smoothing (kernel side, odd) applied by ECC to both patches; 1: none.</param>
public sealed record PatchAlignmentSettings(int Radius, double MaxShift, int Neighbours = 12, double MinCorrelation = 0, int Iterations = 50,
    int GaussianFilterSize = 1)
{
    /// <summary>
    /// Settings for a radius given in network pixels, on images <paramref name="scale"/> times larger than the network's
    /// input: radius scaled and rounded, largest shift 4 network pixels (the half-width of the fine window).
    /// </summary>
    public static PatchAlignmentSettings ForNetworkPixels(double radius, double scale)
    {
        if (!(scale > 0) || !double.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be positive.");
        return new PatchAlignmentSettings(Math.Clamp((int)Math.Round(radius * scale), 2, 64), 4 * scale);
    }

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (Radius < 2 || Radius > 64) throw new ArgumentOutOfRangeException(nameof(Radius), Radius, "The patch radius must be in [2, 64] pixels.");
        if (!(MaxShift > 0) || !double.IsFinite(MaxShift)) throw new ArgumentOutOfRangeException(nameof(MaxShift), MaxShift, "The largest shift must be positive.");
        if (Neighbours < 3) throw new ArgumentOutOfRangeException(nameof(Neighbours), Neighbours, "At least 3 neighbours are needed for an affine map.");
        if (!(MinCorrelation >= -1 && MinCorrelation <= 1)) throw new ArgumentOutOfRangeException(nameof(MinCorrelation), MinCorrelation, "The correlation must be in [-1, 1].");
        if (Iterations < 1) throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "At least one iteration.");
        if (GaussianFilterSize < 1 || GaussianFilterSize % 2 == 0) throw new ArgumentOutOfRangeException(nameof(GaussianFilterSize), GaussianFilterSize, "The filter size must be odd and positive.");
    }
}
