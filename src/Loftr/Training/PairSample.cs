using Loftr.Imaging;
using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>Depth and camera geometry of one pair (row-major matrices).</summary>
/// <param name="Depth0">Depth map of image 0 (metres, 0 = unknown).</param>
/// <param name="Depth1">Depth map of image 1.</param>
/// <param name="K0">3x3 intrinsics of image 0 (9 values).</param>
/// <param name="K1">3x3 intrinsics of image 1.</param>
/// <param name="T0to1">4x4 pose (16 values) mapping camera-0 points to camera 1.</param>
public sealed record DepthSample(GrayImage Depth0, GrayImage Depth1, double[] K0, double[] K1, double[] T0to1);

/// <summary>
/// One training pair as plain arrays (made on loader threads, turned into tensors by <see cref="PairSample.Collate"/>):
/// the two images and either a homography or depth + pose.
/// </summary>
public sealed class PairSample
{
    /// <summary>Image 0 as the network sees it.</summary>
    public required GrayImage Image0 { get; init; }
    /// <summary>Image 1.</summary>
    public required GrayImage Image1 { get; init; }
    /// <summary>3x3 homography (9 values, row-major) mapping pixels of image 0 to image 1, or null.</summary>
    public double[]? Homography { get; init; }
    /// <summary>Depth supervision, or null.</summary>
    public DepthSample? Depth { get; init; }
    /// <summary>(w_original / w_input, h_original / h_input) of image 0 when the supervision is in original pixels.</summary>
    public (double X, double Y)? Scale0 { get; init; }
    /// <summary>Scale of image 1.</summary>
    public (double X, double Y)? Scale1 { get; init; }
    /// <summary>Coarse validity mask of image 0 (row-major, H/8 x W/8) when the image is zero-padded, or null.</summary>
    public bool[]? Mask0 { get; init; }
    /// <summary>Coarse validity mask of image 1, or null.</summary>
    public bool[]? Mask1 { get; init; }
    /// <summary>A name for messages.</summary>
    public string Name { get; init; } = "";

    /// <summary>Stacks samples of equal sizes and supervision kind into a batch.</summary>
    /// <exception cref="ArgumentException">The samples differ in size or kind.</exception>
    public static TrainingBatch Collate(IReadOnlyList<PairSample> samples, int coarseResolution = 8)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) throw new ArgumentException("A batch needs at least one sample.");
        var first = samples[0];
        foreach (var s in samples)
        {
            if (s.Image0.Width != first.Image0.Width || s.Image0.Height != first.Image0.Height
                || s.Image1.Width != first.Image1.Width || s.Image1.Height != first.Image1.Height)
                throw new ArgumentException($"Samples of one batch must have equal image sizes ({s.Name} differs from {first.Name}).");
            if ((s.Homography is null) != (first.Homography is null) || (s.Depth is null) != (first.Depth is null)
                || (s.Mask0 is null) != (first.Mask0 is null) || (s.Scale0 is null) != (first.Scale0 is null))
                throw new ArgumentException($"Samples of one batch must have the same kind of supervision ({s.Name} differs from {first.Name}).");
        }
        using var scope = NewDisposeScope();
        Tensor Images(Func<PairSample, GrayImage> get) =>
            stack(samples.Select(s => tensor(get(s).Pixels, [1, get(s).Height, get(s).Width])).ToArray(), 0);
        Tensor Matrices(Func<PairSample, double[]> get, long rows, long cols) =>
            stack(samples.Select(s => tensor(get(s).Select(v => (float)v).ToArray(), [rows, cols])).ToArray(), 0);
        Tensor? Masks(Func<PairSample, bool[]?> get, GrayImage image) => get(first) is null ? null
            : stack(samples.Select(s => tensor(get(s)!, [image.Height / coarseResolution, image.Width / coarseResolution])).ToArray(), 0);
        Tensor? Scales(Func<PairSample, (double X, double Y)?> get) => get(first) is null ? null
            : tensor(samples.SelectMany(s => new[] { (float)get(s)!.Value.X, (float)get(s)!.Value.Y }).ToArray(), [samples.Count, 2]);

        DepthPose? depth = null;
        if (first.Depth is not null)
        {
            var t01 = Matrices(s => s.Depth!.T0to1, 4, 4);
            depth = new DepthPose(
                stack(samples.Select(s => tensor(s.Depth!.Depth0.Pixels, [s.Depth.Depth0.Height, s.Depth.Depth0.Width])).ToArray(), 0),
                stack(samples.Select(s => tensor(s.Depth!.Depth1.Pixels, [s.Depth.Depth1.Height, s.Depth.Depth1.Width])).ToArray(), 0),
                Matrices(s => s.Depth!.K0, 3, 3), Matrices(s => s.Depth!.K1, 3, 3), t01, t01.inverse());
        }
        var batch = new TrainingBatch
        {
            Image0 = Images(s => s.Image0),
            Image1 = Images(s => s.Image1),
            Homography = first.Homography is null ? null
                : stack(samples.Select(s => tensor(s.Homography!, [3, 3], dtype: ScalarType.Float64)).ToArray(), 0),
            Depth = depth,
            Mask0 = Masks(s => s.Mask0, first.Image0),
            Mask1 = Masks(s => s.Mask1, first.Image1),
            Scale0 = Scales(s => s.Scale0),
            Scale1 = Scales(s => s.Scale1),
            Names = samples.Select(s => s.Name).ToArray(),
        };
        foreach (var t in batch.Tensors) t.DetachFromDisposeScope();
        return batch;
    }
}
