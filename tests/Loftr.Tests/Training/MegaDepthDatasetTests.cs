using System.IO.Compression;
using Loftr.Evaluation;
using Loftr.Tests.Evaluation;
using Loftr.Tests.Infrastructure;
using Loftr.Training;
using OpenCvSharp;
using PureHDF;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Loftr.Tests.Training;

/// <summary>
/// The MegaDepth training loader on a synthetic scene in the reference layout: a tilted textured plane seen by two
/// cameras (different sizes, intrinsics and poses), so the depth + pose ground truth must agree with the plane's
/// homography H = K1 (R + t nᵀ / d) K0⁻¹. Depth maps are HDF5 files with a float32 dataset "depth", as MegaDepth's.
/// </summary>
[Collection(nameof(ProcessWide))]
public sealed class MegaDepthDatasetTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"loftr-megadepth-{Guid.NewGuid():N}");

    // Camera 0 sees the 1296x968 ScanNet frame; camera 1 is 1000x750 with another K, rotated 6° about y and moved.
    private static readonly double[,] K0 = { { 1163.0, 0, 653.5 }, { 0, 1165.0, 481.6 }, { 0, 0, 1 } };
    private static readonly double[,] K1 = { { 820.0, 0, 497.0 }, { 0, 818.0, 372.0 }, { 0, 0, 1 } };
    private static readonly double[] PlaneNormal = Normalize([0.15, -0.1, 1.0]); // n·X = d in camera 0
    private const double PlaneDistance = 4.0;
    private static readonly double[,] T0to1 = RigidTransform(yawDeg: 6, t: [-0.35, 0.05, 0.2]);

    private static double[] Normalize(double[] v)
    {
        double n = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / n).ToArray();
    }

    private static double[,] RigidTransform(double yawDeg, double[] t)
    {
        double a = yawDeg * Math.PI / 180, c = Math.Cos(a), s = Math.Sin(a);
        return new double[,] { { c, 0, s, t[0] }, { 0, 1, 0, t[1] }, { -s, 0, c, t[2] }, { 0, 0, 0, 1 } };
    }

    /// <summary>The plane-induced homography from camera-0 pixels to camera-1 pixels.</summary>
    private static double[,] PlaneHomography()
    {
        var rt = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) rt[i, j] = T0to1[i, j] + T0to1[i, 3] * PlaneNormal[j] / PlaneDistance;
        return MatrixMath.Multiply(MatrixMath.Multiply(K1, rt), MatrixMath.Inverse3x3(K0));
    }

    /// <summary>Depth (z) of the plane at every pixel of a camera whose frame sees the plane as n·X = d.</summary>
    private static float[] PlaneDepth(double[,] k, double[] n, double d, int width, int height)
    {
        var kinv = MatrixMath.Inverse3x3(k);
        var depth = new float[width * height];
        for (int v = 0; v < height; v++)
            for (int u = 0; u < width; u++)
            {
                double den = 0;
                for (int i = 0; i < 3; i++) den += n[i] * (kinv[i, 0] * u + kinv[i, 1] * v + kinv[i, 2]);
                depth[v * width + u] = (float)(d / den);
            }
        return depth;
    }

    private static void WriteDepth(string path, float[] depth, int width, int height, bool chunked)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var file = new H5File
        {
            ["depth"] = chunked
                ? new H5Dataset(depth, chunks: [128, 128], fileDims: [(ulong)height, (ulong)width])
                : new H5Dataset(depth, fileDims: [(ulong)height, (ulong)width]),
        };
        file.Write(path);
    }

    /// <summary>Writes the scene: images, HDF5 depths and a scene-info npz with one pair (0, 1) and a reversed pair.</summary>
    private string WriteScene()
    {
        string images = Directory.CreateDirectory(Path.Combine(_root, "Undistorted_SfM", "0042", "images")).FullName;
        using var img0 = Cv2.ImRead(TestData.Path("images/scene0711_00_frame-001680.jpg"), ImreadModes.Grayscale);
        Assert.Equal((1296, 968), (img0.Cols, img0.Rows));
        Cv2.ImWrite(Path.Combine(images, "a.jpg"), img0);
        var h = PlaneHomography();
        using var hm = Mat.FromPixelData(3, 3, MatType.CV_64FC1, h.Cast<double>().ToArray());
        using var img1 = new Mat();
        Cv2.WarpPerspective(img0, img1, hm, new OpenCvSharp.Size(1000, 750));
        Cv2.ImWrite(Path.Combine(images, "b.jpg"), img1);

        // Plane in camera 1: n1 = R n, d1 = d + n1·t.
        var n1 = new double[3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) n1[i] += T0to1[i, j] * PlaneNormal[j];
        double d1 = PlaneDistance + n1[0] * T0to1[0, 3] + n1[1] * T0to1[1, 3] + n1[2] * T0to1[2, 3];
        WriteDepth(Path.Combine(_root, "depths", "a.h5"), PlaneDepth(K0, PlaneNormal, PlaneDistance, 1296, 968), 1296, 968, chunked: false);
        WriteDepth(Path.Combine(_root, "depths", "b.h5"), PlaneDepth(K1, n1, d1, 1000, 750), 1000, 750, chunked: true);

        // World = camera 0 rotated and shifted: poses are world-to-camera, T_0to1 = T1 inv(T0).
        var pose0 = RigidTransform(yawDeg: -20, t: [1.0, 0.2, -0.5]);
        var pose1 = MatrixMath.Multiply(T0to1, pose0);
        string npz = Path.Combine(_root, "0042_0.3_0.5.npz");
        var entries = new Dictionary<string, byte[]>
        {
            ["image_paths"] = MegaDepthReaderTests.ObjectNpy(2, q => q.Str("Undistorted_SfM/0042/images/a.jpg").Str("Undistorted_SfM/0042/images/b.jpg")),
            ["depth_paths"] = MegaDepthReaderTests.ObjectNpy(2, q => q.Str("depths/a.h5").Str("depths/b.h5")),
            ["intrinsics"] = MegaDepthReaderTests.ObjectNpy(2, q =>
            {
                MegaDepthReaderTests.NdArray(q, "f8", [3, 3], MegaDepthReaderTests.Doubles(K0));
                MegaDepthReaderTests.NdArray(q, "f8", [3, 3], MegaDepthReaderTests.Doubles(K1));
            }),
            ["poses"] = MegaDepthReaderTests.ObjectNpy(2, q =>
            {
                MegaDepthReaderTests.NdArray(q, "f8", [4, 4], MegaDepthReaderTests.Doubles(pose0));
                MegaDepthReaderTests.NdArray(q, "f8", [4, 4], MegaDepthReaderTests.Doubles(pose1));
            }),
            ["pair_infos"] = MegaDepthReaderTests.ObjectNpy(2, q =>
            {
                foreach (var (a, b) in new[] { (0L, 1L), (1L, 0L) })
                {
                    q.Int(a).Int(b).Tuple2().Float(0.5);
                    MegaDepthReaderTests.NdArray(q, "f4", [1, 4], new byte[16]);
                    q.Tuple3();
                }
            }),
        };
        using var z = ZipFile.Open(npz, ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            using var s = z.CreateEntry(name + ".npy").Open();
            s.Write(bytes);
        }
        return npz;
    }

    [Fact]
    public void ImagesArePaddedSquaresWithMasksScalesAndPaddedDepth()
    {
        string npz = WriteScene();
        var data = MegaDepthDataset.Open(_root, npz, validationSceneInfo: npz, longSide: 640, samplesPerScene: 3);
        Assert.Equal(3, data.TrainCount);
        Assert.Equal(2, data.ValidationCount);
        var s = data.ValidationSample(0);
        // 1296x968 -> 640 x round(478.0) = 478 -> floored to 472; padded to 640x640. 1000x750 -> 640x480.
        Assert.Equal((640, 640), (s.Image0.Width, s.Image0.Height));
        Assert.Equal((640, 640), (s.Image1.Width, s.Image1.Height));
        Assert.Equal(1296.0 / 640, s.Scale0!.Value.X, 12);
        Assert.Equal(968.0 / 472, s.Scale0.Value.Y, 12);
        Assert.Equal((1000.0 / 640, 750.0 / 480), s.Scale1!.Value);
        Assert.Equal(80 * 59, s.Mask0!.Count(m => m));                 // 472 / 8 = 59 rows of 80 cells
        Assert.Equal(80 * 60, s.Mask1!.Count(m => m));
        Assert.True(s.Mask0![58 * 80 + 79] && !s.Mask0[59 * 80]);
        Assert.All(s.Image0.Pixels.Skip(472 * 640), p => Assert.Equal(0f, p)); // zero padding below the image
        Assert.True(s.Image0.Pixels.Take(472 * 640).Average() > 0.1);
        Assert.Equal((2000, 2000), (s.Depth!.Depth0.Width, s.Depth.Depth0.Height));
        float expected = PlaneDepth(K0, PlaneNormal, PlaneDistance, 1296, 968)[500 * 1296 + 700];
        Assert.Equal(expected, s.Depth.Depth0.Pixels[500 * 2000 + 700]);
        Assert.Equal(0f, s.Depth!.Depth0.Pixels[500 * 2000 + 1500]);     // padding right of the 1296-wide map
        // T_0to1 recovered from the world-to-camera poses
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) Assert.Equal(T0to1[i, j], s.Depth.T0to1[i * 4 + j], 9);

        // The epoch draws 3 pairs from the single scene; the same index always gives the same pair.
        Assert.Equal(data.TrainSample(2).Name, data.TrainSample(2).Name);
        Assert.Contains(data.TrainSample(0).Name, new[] { s.Name, data.ValidationSample(1).Name });
    }

    [Fact]
    public void DepthAndPoseGroundTruthAgreesWithThePlaneHomography()
    {
        string npz = WriteScene();
        var data = MegaDepthDataset.Open(_root, npz, validationSceneInfo: npz, longSide: 640);
        var sample = data.ValidationSample(0);
        using var batch = PairSample.Collate([sample]);
        using var sup = CoarseGroundTruth.Compute(batch, TrainingPresets.Small);
        var i = sup.IIds.data<long>().ToArray();
        var j = sup.JIds.data<long>().ToArray();

        // Independent expectation: cell corners 8 (x, y) of the unpadded image 0, in original pixels, through H.
        var h = PlaneHomography();
        var (s0, s1) = (sample.Scale0!.Value, sample.Scale1!.Value);
        (double X, double Y) Warp(long cell)
        {
            double u = cell % 80 * 8 * s0.X, v = cell / 80 * 8 * s0.Y;
            double w = h[2, 0] * u + h[2, 1] * v + h[2, 2];
            return ((h[0, 0] * u + h[0, 1] * v + h[0, 2]) / w / s1.X / 8, (h[1, 0] * u + h[1, 1] * v + h[1, 2]) / w / s1.Y / 8);
        }
        int exact = 0;
        for (int k = 0; k < i.Length; k++)
        {
            var (cx, cy) = Warp(i[k]);
            long jx = j[k] % 80, jy = j[k] / 80;
            Assert.True(Math.Abs(cx - jx) <= 0.5 + 1e-3 && Math.Abs(cy - jy) <= 0.5 + 1e-3,
                $"GT pair {i[k]} -> {j[k]} but the homography puts cell {i[k]} at ({cx:F3}, {cy:F3})");
            if (Math.Round(cx) == jx && Math.Round(cy) == jy) exact++;
            Assert.True(sample.Mask0![i[k]] && sample.Mask1![j[k]], "a ground-truth match in the padding");
        }
        int inside = Enumerable.Range(1, 80 * 59 - 1).Count(c =>
        {
            var (x, y) = Warp(c);
            return x >= 0.5 && x < 79.5 && y >= 0.5 && y < 59.5;
        });
        output.WriteLine($"{i.Length} ground-truth matches ({exact} round exactly as H); {inside} image-0 cells land inside image 1");
        Assert.True(exact >= i.Length - 2, $"{i.Length - exact} matches differ from H's rounding");
        // Mutual matches: with a zoom of about 0.86 some cells share a target; most must survive.
        Assert.True(i.Length > 0.6 * inside, $"{i.Length} matches for {inside} covisible cells");
    }

    [Fact]
    public void TwoTrainingStepsRunOnTheScene()
    {
        string npz = WriteScene();
        var data = MegaDepthDataset.Open(_root, npz, validationSceneInfo: npz, longSide: 128, samplesPerScene: 2);
        string outDir = Path.Combine(_root, "run");
        var options = new TrainerOptions
        {
            OutputDirectory = outDir,
            Steps = 2,
            BatchSize = 2,
            LearningRate = 1e-3,
            WarmupSteps = 1,
            CheckpointEvery = 2,
            ValidationEvery = 2,
            ProgressSeconds = 1e9,
            Threads = 1,
        };
        var writer = new StringWriter();
        using (var trainer = new LoftrTrainer(TrainingTestData.TinyConfig, data, options, writer)) trainer.Run();
        output.WriteLine(writer.ToString());
        var rows = File.ReadAllLines(Path.Combine(outDir, "train_log.csv"));
        Assert.Equal(3, rows.Length);
        int lossColumn = Array.IndexOf(rows[0].Split(','), "loss");
        Assert.True(lossColumn >= 0, rows[0]);
        Assert.All(rows.Skip(1), r => Assert.True(double.IsFinite(double.Parse(r.Split(',')[lossColumn], System.Globalization.CultureInfo.InvariantCulture)), r));
        Assert.True(File.Exists(Path.Combine(outDir, "model.ckpt")));
    }

    /// <summary>Files written by h5py (the HDF5 C library), as MegaDepth's depth maps were: see tests/data/hdf5/README.md.</summary>
    [Theory]
    [InlineData("depth_contiguous.h5")]
    [InlineData("depth_gzip_chunked.h5")]
    [InlineData("depth_float64.h5")]
    [InlineData("depth_float16.h5")]
    public void ReadsDepthWrittenByH5py(string name)
    {
        var depth = Loftr.IO.Hdf5Depth.Read(TestData.Path("hdf5/" + name));
        Assert.Equal((5, 6), (depth.Width, depth.Height));
        for (int r = 0; r < 6; r++)
            for (int c = 0; c < 5; c++)
                Assert.Equal(r == 2 && c == 3 ? 0f : 1.5f + 0.25f * (5 * r + c), depth.Pixels[r * 5 + c]);
    }

    [Fact]
    public void BadDepthFilesAreReportedWithTheirPath()
    {
        Directory.CreateDirectory(_root);
        string notH5 = Path.Combine(_root, "not.h5");
        File.WriteAllText(notH5, "this is not HDF5");
        Assert.Contains("not.h5: not a readable HDF5 depth file", Assert.Throws<InvalidDataException>(() => Loftr.IO.Hdf5Depth.Read(notH5)).Message);

        string other = Path.Combine(_root, "other.h5");
        new H5File { ["disparity"] = new H5Dataset(new float[6], fileDims: [2, 3]) }.Write(other);
        Assert.Contains("other.h5: the HDF5 file has no dataset 'depth'", Assert.Throws<InvalidDataException>(() => Loftr.IO.Hdf5Depth.Read(other)).Message);

        string ints = Path.Combine(_root, "ints.h5");
        new H5File { ["depth"] = new H5Dataset(new int[6], fileDims: [2, 3]) }.Write(ints);
        Assert.Contains("expected floating point depths", Assert.Throws<InvalidDataException>(() => Loftr.IO.Hdf5Depth.Read(ints)).Message);

        string flat = Path.Combine(_root, "flat.h5");
        new H5File { ["depth"] = new H5Dataset(new float[6]) }.Write(flat);
        Assert.Contains("expected a non-empty 2-D depth map", Assert.Throws<InvalidDataException>(() => Loftr.IO.Hdf5Depth.Read(flat)).Message);

        Assert.Throws<FileNotFoundException>(() => Loftr.IO.Hdf5Depth.Read(Path.Combine(_root, "missing.h5")));
    }

    public void Dispose() => TrainingTestData.DeleteQuietly(_root);
}
