using static TorchSharp.torch;

namespace Loftr.Training;

/// <summary>
/// Depth maps, intrinsics and relative poses of a batch of pairs (the ScanNet / MegaDepth supervision).
/// </summary>
/// <param name="Depth0">Depth of image 0 [N, Hd0, Wd0] (metres; 0 = unknown), at the resolution of the keypoints
/// (the input images, or the original images when the batch has scales).</param>
/// <param name="Depth1">Depth of image 1 [N, Hd1, Wd1].</param>
/// <param name="K0">Intrinsics of image 0 [N, 3, 3].</param>
/// <param name="K1">Intrinsics of image 1 [N, 3, 3].</param>
/// <param name="T0to1">Pose [N, 4, 4] (or [N, 3, 4]) mapping camera-0 points to camera 1.</param>
/// <param name="T1to0">The inverse pose [N, 4, 4].</param>
public sealed record DepthPose(Tensor Depth0, Tensor Depth1, Tensor K0, Tensor K1, Tensor T0to1, Tensor T1to0) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Depth0.Dispose();
        Depth1.Dispose();
        K0.Dispose();
        K1.Dispose();
        T0to1.Dispose();
        T1to0.Dispose();
    }
}

/// <summary>
/// A training batch: the image pairs as the network sees them and what supervises them, either
/// <see cref="DepthPose"/> (depth + pose + intrinsics, as the reference ScanNet / MegaDepth training) or
/// <see cref="Homography"/> (self-supervision from synthetic warps). Dispose it to free the tensors.
/// </summary>
public sealed class TrainingBatch : IDisposable
{
    /// <summary>Images 0 [N, 1, H0, W0], float32 in [0, 1].</summary>
    public required Tensor Image0 { get; init; }
    /// <summary>Images 1 [N, 1, H1, W1].</summary>
    public required Tensor Image1 { get; init; }
    /// <summary>Coarse validity masks of image 0 [N, H0/8, W0/8] (bool, true = valid), or null without padding.</summary>
    public Tensor? Mask0 { get; init; }
    /// <summary>Coarse validity masks of image 1, or null.</summary>
    public Tensor? Mask1 { get; init; }
    /// <summary>
    /// [N, 2] factors (w_original / w_input, h_original / h_input) of image 0 (the MegaDepth branch), or null when the
    /// supervision is in input pixels (the ScanNet branch).
    /// </summary>
    public Tensor? Scale0 { get; init; }
    /// <summary>[N, 2] factors of image 1, or null.</summary>
    public Tensor? Scale1 { get; init; }
    /// <summary>Depth / pose supervision, or null.</summary>
    public DepthPose? Depth { get; init; }
    /// <summary>
    /// [N, 3, 3] homographies mapping pixels of image 0 to pixels of image 1 (OpenCV convention: x right, y down,
    /// origin at the centre of the top-left pixel; original pixels when scales are given), or null.
    /// </summary>
    public Tensor? Homography { get; init; }
    /// <summary>Optional names of the pairs (for messages).</summary>
    public IReadOnlyList<string>? Names { get; init; }

    /// <summary>Number of pairs.</summary>
    public long Size => Image0.shape[0];

    /// <summary>Every tensor of the batch.</summary>
    internal IEnumerable<Tensor> Tensors
    {
        get
        {
            yield return Image0;
            yield return Image1;
            foreach (var t in new[] { Mask0, Mask1, Scale0, Scale1, Homography })
                if (t is not null) yield return t;
            if (Depth is not null)
                foreach (var t in new[] { Depth.Depth0, Depth.Depth1, Depth.K0, Depth.K1, Depth.T0to1, Depth.T1to0 })
                    yield return t;
        }
    }

    /// <summary>Checks shapes and that exactly one kind of supervision is present.</summary>
    /// <exception cref="ArgumentException">The batch is inconsistent; the message says how.</exception>
    public void Validate()
    {
        if (Image0.dim() != 4 || Image1.dim() != 4 || Image0.shape[1] != 1 || Image1.shape[1] != 1)
            throw new ArgumentException($"Images must be [N, 1, H, W]; got [{string.Join(", ", Image0.shape)}] and [{string.Join(", ", Image1.shape)}].");
        long n = Image0.shape[0];
        if (Image1.shape[0] != n) throw new ArgumentException("Image0 and Image1 have different batch sizes.");
        if ((Depth is null) == (Homography is null))
            throw new ArgumentException("A training batch needs exactly one supervision: depth + pose, or a homography.");
        if ((Mask0 is null) != (Mask1 is null)) throw new ArgumentException("Give both coarse masks or none.");
        if ((Scale0 is null) != (Scale1 is null)) throw new ArgumentException("Give both scales or none.");
        if (Homography is not null && (Homography.dim() != 3 || Homography.shape[0] != n || Homography.shape[1] != 3 || Homography.shape[2] != 3))
            throw new ArgumentException($"Homography must be [N, 3, 3]; got [{string.Join(", ", Homography.shape)}].");
        if (Depth is not null && (Depth.Depth0.dim() != 3 || Depth.Depth1.dim() != 3 || Depth.Depth0.shape[0] != n))
            throw new ArgumentException("Depth maps must be [N, H, W].");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}
