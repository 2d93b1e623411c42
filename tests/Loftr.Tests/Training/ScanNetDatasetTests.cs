using System.IO.Compression;
using System.Text;
using Loftr.Training;
using OpenCvSharp;
using static TorchSharp.torch;

namespace Loftr.Tests.Training;

/// <summary>The ScanNet loader on a synthetic scene in the reference layout (fronto-parallel wall, sideways camera move).</summary>
public sealed class ScanNetDatasetTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"loftr-scannet-{Guid.NewGuid():N}");

    [Fact]
    public void PoseDepthAndIntrinsicsGiveTheExpectedGroundTruth()
    {
        string scene = Path.Combine(_root, "scene0007_01");
        foreach (var d in new[] { "color", "depth", "pose" }) Directory.CreateDirectory(Path.Combine(scene, d));
        var rng = new Random(3);
        for (int f = 0; f < 2; f++)
        {
            using var img = new Mat(968, 1296, MatType.CV_8UC3, Scalar.All(100));
            for (int s = 0; s < 50; s++) img.Circle(new Point(rng.Next(1296), rng.Next(968)), rng.Next(5, 40), Scalar.All(rng.Next(256)), -1);
            Cv2.ImWrite(Path.Combine(scene, "color", $"{f * 10}.jpg"), img);
            using var depth = new Mat(480, 640, MatType.CV_16UC1, Scalar.All(2000)); // a wall 2 m away
            Cv2.ImWrite(Path.Combine(scene, "depth", $"{f * 10}.png"), depth);
        }
        // camera 1 sits 0.1 m to the right of camera 0 (camera-to-world poses)
        File.WriteAllText(Path.Combine(scene, "pose", "0.txt"), "1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n");
        File.WriteAllText(Path.Combine(scene, "pose", "10.txt"), "1 0 0 0.1\n0 1 0 0\n0 0 1 0\n0 0 0 1\n");
        string index = Path.Combine(_root, "index.npz");
        WriteNpz(index, ("name", "<u2", [3, 4], [7, 1, 0, 10, 7, 1, 10, 0, 7, 1, 0, 10]), ("score", "<f8", [3], [0.9, 0.8, 0.1]));
        string intrinsics = Path.Combine(_root, "intrinsics.npz");
        WriteNpz(intrinsics, ("scene0007_01", "<f8", [3, 3], [320, 0, 320, 0, 320, 240, 0, 0, 1]));

        var data = ScanNetDataset.Open(_root, index, intrinsics, validationCount: 1);
        Assert.Equal(1, data.TrainCount);      // score 0.1 is below the reference's 0.4 and dropped
        Assert.Equal(1, data.ValidationCount);
        var sample = data.ValidationSample(0);
        Assert.Equal((640, 480), (sample.Image0.Width, sample.Image0.Height));
        Assert.Equal(2.0f, sample.Depth!.Depth0.Pixels[1000]);

        using var batch = PairSample.Collate([data.TrainSample(0), data.ValidationSample(0)]);
        double tx = batch.Depth!.T0to1[0, 0, 3].item<float>();
        Assert.Equal(0.1, Math.Abs(tx), 6);                    // X_cam1 = X_cam0 -+ (0.1, 0, 0)
        using var sup = CoarseGroundTruth.Compute(batch, TrainingPresets.Small);
        // 320 * 0.1 / 2 = 16 px = 2 cells: j = i -+ 2 in the same row
        var b = sup.BIds.data<long>().ToArray();
        var i = sup.IIds.data<long>().ToArray();
        var j = sup.JIds.data<long>().ToArray();
        Assert.Equal(2 * (80 * 60 - 2 * 60) - 1, i.Length);     // two columns leave the image, cell 0 is ignored
        for (int k = 0; k < i.Length; k++)
        {
            double expected = batch.Depth.T0to1[b[k], 0, 3].item<float>() > 0 ? 2 : -2;
            Assert.Equal(i[k] + (long)expected, j[k]);
        }
    }

    /// <summary>A minimal numpy .npz writer (version 1.0 headers, C order).</summary>
    private static void WriteNpz(string path, params (string Name, string Dtype, int[] Shape, double[] Values)[] arrays)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, dtype, shape, values) in arrays)
        {
            using var s = zip.CreateEntry(name + ".npy").Open();
            string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
            string header = $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shapeText}, }}";
            header = header.PadRight(((10 + header.Length + 1 + 63) / 64) * 64 - 10 - 1) + "\n";
            s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            s.Write(BitConverter.GetBytes((ushort)header.Length));
            s.Write(Encoding.ASCII.GetBytes(header));
            foreach (double v in values)
                s.Write(dtype == "<u2" ? BitConverter.GetBytes((ushort)v) : BitConverter.GetBytes(v));
        }
    }

    public void Dispose() => TrainingTestData.DeleteQuietly(_root);
}
