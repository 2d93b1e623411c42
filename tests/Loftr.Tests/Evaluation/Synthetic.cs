using OpenCvSharp;

namespace Loftr.Tests.Evaluation;

/// <summary>Synthetic geometry for metric tests.</summary>
internal static class Synthetic
{
    /// <summary>Rotation of <paramref name="deg"/> degrees about the (normalised) axis (Rodrigues formula).</summary>
    public static double[,] Rotation(double ax, double ay, double az, double deg)
    {
        double n = Math.Sqrt(ax * ax + ay * ay + az * az);
        ax /= n; ay /= n; az /= n;
        double th = deg * Math.PI / 180, c = Math.Cos(th), s = Math.Sin(th), C = 1 - c;
        return new double[,]
        {
            { c + ax * ax * C, ax * ay * C - az * s, ax * az * C + ay * s },
            { ay * ax * C + az * s, c + ay * ay * C, ay * az * C - ax * s },
            { az * ax * C - ay * s, az * ay * C + ax * s, c + az * az * C },
        };
    }

    public static double[,] Mul(double[,] a, double[,] b)
    {
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++) r[i, j] += a[i, k] * b[k, j];
        return r;
    }

    public static double[] Mul(double[,] a, double[] v) =>
    [
        a[0, 0] * v[0] + a[0, 1] * v[1] + a[0, 2] * v[2],
        a[1, 0] * v[0] + a[1, 1] * v[1] + a[1, 2] * v[2],
        a[2, 0] * v[0] + a[2, 1] * v[1] + a[2, 2] * v[2],
    ];

    public static double[,] Pose(double[,] r, double[] t)
    {
        var m = new double[4, 4];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++) m[i, j] = r[i, j];
            m[i, 3] = t[i];
        }
        m[3, 3] = 1;
        return m;
    }

    /// <summary>A 640x480 pinhole camera.</summary>
    public static double[,] K640 => new double[,] { { 520.0, 0, 319.5 }, { 0, 525.0, 239.5 }, { 0, 0, 1 } };

    /// <summary>
    /// Random 3-D points in front of camera 0, projected exactly into both cameras; only points visible in both
    /// 640x480 images are kept.
    /// </summary>
    public static (Point2d[] P0, Point2d[] P1) Correspondences(double[,] k0, double[,] k1, double[,] t0to1, int count, int seed)
    {
        var rng = new Random(seed);
        var p0 = new List<Point2d>();
        var p1 = new List<Point2d>();
        while (p0.Count < count)
        {
            double z = 2 + 4 * rng.NextDouble();
            double x = (rng.NextDouble() - 0.5) * z * 1.2;
            double y = (rng.NextDouble() - 0.5) * z * 0.9;
            double x1 = t0to1[0, 0] * x + t0to1[0, 1] * y + t0to1[0, 2] * z + t0to1[0, 3];
            double y1 = t0to1[1, 0] * x + t0to1[1, 1] * y + t0to1[1, 2] * z + t0to1[1, 3];
            double z1 = t0to1[2, 0] * x + t0to1[2, 1] * y + t0to1[2, 2] * z + t0to1[2, 3];
            if (z1 < 0.5) continue;
            var a = new Point2d(k0[0, 0] * x / z + k0[0, 2], k0[1, 1] * y / z + k0[1, 2]);
            var b = new Point2d(k1[0, 0] * x1 / z1 + k1[0, 2], k1[1, 1] * y1 / z1 + k1[1, 2]);
            if (a.X < 0 || a.X > 639 || a.Y < 0 || a.Y > 479 || b.X < 0 || b.X > 639 || b.Y < 0 || b.Y > 479) continue;
            p0.Add(a);
            p1.Add(b);
        }
        return (p0.ToArray(), p1.ToArray());
    }

    /// <summary>A moderate relative pose: 12 degrees about a tilted axis, 0.4 m mostly sideways.</summary>
    public static double[,] TypicalPose() => Pose(Rotation(0.2, 1, 0.1, 12), [-0.35, 0.05, 0.12]);
}
