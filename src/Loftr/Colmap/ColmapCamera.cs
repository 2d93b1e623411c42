namespace Loftr.Colmap;

/// <summary>COLMAP camera models (the <c>model</c> column of the <c>cameras</c> table) that this exporter writes.</summary>
public enum ColmapCameraModel
{
    /// <summary>f, cx, cy.</summary>
    SimplePinhole = 0,
    /// <summary>fx, fy, cx, cy.</summary>
    Pinhole = 1,
    /// <summary>f, cx, cy, k (COLMAP's default for unknown cameras).</summary>
    SimpleRadial = 2,
    /// <summary>f, cx, cy, k1, k2.</summary>
    Radial = 3,
    /// <summary>fx, fy, cx, cy, k1, k2, p1, p2.</summary>
    OpenCV = 4,
}

/// <summary>
/// One row of COLMAP's <c>cameras</c> table. Parameters use COLMAP's pixel convention (the centre of the top-left
/// pixel is (0.5, 0.5), so the principal point of a centred camera is (w / 2, h / 2)).
/// </summary>
/// <param name="Model">Camera model.</param>
/// <param name="Width">Image width in pixels.</param>
/// <param name="Height">Image height in pixels.</param>
/// <param name="Params">Model parameters in COLMAP's order (see <see cref="ColmapCameraModel"/>).</param>
/// <param name="HasPriorFocalLength">Whether the focal length is trusted (from EXIF or given), COLMAP's
/// <c>prior_focal_length</c> flag.</param>
public sealed record ColmapCamera(ColmapCameraModel Model, int Width, int Height, double[] Params, bool HasPriorFocalLength)
{
    /// <summary>A camera with focal length <paramref name="focal"/>, principal point at the image centre and no distortion.</summary>
    /// <param name="model">Camera model.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="focal">Focal length in pixels.</param>
    /// <param name="hasPriorFocalLength">Whether the focal length is trusted.</param>
    /// <returns>The camera.</returns>
    public static ColmapCamera Create(ColmapCameraModel model, int width, int height, double focal, bool hasPriorFocalLength)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Camera size must be positive, got {width}x{height}.");
        if (!(focal > 0) || !double.IsFinite(focal)) throw new ArgumentOutOfRangeException(nameof(focal), $"Focal length must be positive, got {focal}.");
        double cx = width / 2.0, cy = height / 2.0;
        double[] p = model switch
        {
            ColmapCameraModel.SimplePinhole => [focal, cx, cy],
            ColmapCameraModel.Pinhole => [focal, focal, cx, cy],
            ColmapCameraModel.SimpleRadial => [focal, cx, cy, 0],
            ColmapCameraModel.Radial => [focal, cx, cy, 0, 0],
            ColmapCameraModel.OpenCV => [focal, focal, cx, cy, 0, 0, 0, 0],
            _ => throw new ArgumentOutOfRangeException(nameof(model), $"Unsupported camera model {model}."),
        };
        return new ColmapCamera(model, width, height, p, hasPriorFocalLength);
    }

    /// <summary>Number of parameters of a model.</summary>
    /// <param name="model">Camera model.</param>
    /// <returns>Parameter count.</returns>
    public static int ParamCount(ColmapCameraModel model) => model switch
    {
        ColmapCameraModel.SimplePinhole => 3,
        ColmapCameraModel.Pinhole => 4,
        ColmapCameraModel.SimpleRadial => 4,
        ColmapCameraModel.Radial => 5,
        ColmapCameraModel.OpenCV => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(model), $"Unsupported camera model {model}."),
    };

    /// <summary>Focal length in x (pixels).</summary>
    public double FocalX => Params[0];

    /// <summary>Focal length in y (pixels).</summary>
    public double FocalY => Model is ColmapCameraModel.Pinhole or ColmapCameraModel.OpenCV ? Params[1] : Params[0];

    /// <summary>Principal point (COLMAP convention).</summary>
    public (double X, double Y) PrincipalPoint => Model is ColmapCameraModel.Pinhole or ColmapCameraModel.OpenCV
        ? (Params[2], Params[3]) : (Params[1], Params[2]);

    /// <summary>
    /// The 3x3 intrinsic matrix for points in OpenCV's pixel convention (centre of the top-left pixel at (0, 0)):
    /// the principal point shifted by -0.5. Distortion is ignored.
    /// </summary>
    /// <returns>K.</returns>
    public double[,] OpenCvIntrinsics()
    {
        var (cx, cy) = PrincipalPoint;
        return new double[,] { { FocalX, 0, cx - 0.5 }, { 0, FocalY, cy - 0.5 }, { 0, 0, 1 } };
    }
}
