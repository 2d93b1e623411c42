using OpenCvSharp;

namespace Loftr.Cli.Matching;

/// <summary>
/// Clockwise rotations of an image by multiples of 90 degrees (<c>cv2.rotate</c>) and the exact mapping of points
/// in the rotated image back to the unrotated one (OpenCV's pixel-centre convention, 0-based).
/// </summary>
public static class Rotation
{
    /// <summary>Rotates <paramref name="image"/> clockwise by <paramref name="degrees"/> (0 returns a clone).</summary>
    public static Mat Rotate(Mat image, int degrees)
    {
        var dst = new Mat();
        switch (degrees)
        {
            case 0: image.CopyTo(dst); break;
            case 90: Cv2.Rotate(image, dst, RotateFlags.Rotate90Clockwise); break;
            case 180: Cv2.Rotate(image, dst, RotateFlags.Rotate180); break;
            case 270: Cv2.Rotate(image, dst, RotateFlags.Rotate90Counterclockwise); break;
            default: dst.Dispose(); throw new ArgumentException($"Rotation must be 0, 90, 180 or 270 degrees, got {degrees}.");
        }
        return dst;
    }

    /// <summary>
    /// Maps a point of the image rotated clockwise by <paramref name="degrees"/> back to the original image of size
    /// <paramref name="original"/> (W x H): 90: (u, v) → (v, H-1-u); 180: (W-1-u, H-1-v); 270: (W-1-v, u).
    /// </summary>
    public static Point2 ToOriginal(Point2 p, int degrees, ImageSize original)
    {
        float w1 = original.Width - 1, h1 = original.Height - 1;
        return degrees switch
        {
            0 => p,
            90 => new Point2(p.Y, h1 - p.X),
            180 => new Point2(w1 - p.X, h1 - p.Y),
            270 => new Point2(w1 - p.Y, p.X),
            _ => throw new ArgumentException($"Rotation must be 0, 90, 180 or 270 degrees, got {degrees}."),
        };
    }

    /// <summary>The inverse of <see cref="ToOriginal"/>: a point of the original image in the rotated image.</summary>
    public static Point2 ToRotated(Point2 p, int degrees, ImageSize original)
    {
        float w1 = original.Width - 1, h1 = original.Height - 1;
        return degrees switch
        {
            0 => p,
            90 => new Point2(h1 - p.Y, p.X),
            180 => new Point2(w1 - p.X, h1 - p.Y),
            270 => new Point2(p.Y, w1 - p.X),
            _ => throw new ArgumentException($"Rotation must be 0, 90, 180 or 270 degrees, got {degrees}."),
        };
    }
}
