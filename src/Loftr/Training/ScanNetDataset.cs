using Loftr.Imaging;
using Loftr.IO;
using OpenCvSharp;

namespace Loftr.Training;

/// <summary>
/// ScanNet pairs with depth + pose supervision, in the layout the reference trains on (<c>src/datasets/scannet.py</c>):
/// <c>ROOT/sceneXXXX_YY/color/N.jpg</c> (read gray, resized to 640x480), <c>depth/N.png</c> (uint16 millimetres, 640x480),
/// <c>pose/N.txt</c> (4x4 camera-to-world); an index <c>.npz</c> (or a folder of them) with <c>name</c> [P, 4] = (scene,
/// sub-scene, frame0, frame1) and optionally <c>score</c> (pairs with score ≤ 0.4 are dropped from training, as the
/// reference's MIN_OVERLAP_SCORE_TRAIN); an intrinsics <c>.npz</c> mapping scene names to the 3x3 K of the 640x480
/// depth camera. T_0to1 = world2cam1 · cam2world0. Training order: a seeded permutation per epoch.
/// </summary>
public sealed class ScanNetDataset : ITrainingDataset
{
    private const int Width = 640, Height = 480;
    private readonly string _root;
    private readonly (int Scene, int Sub, long Frame0, long Frame1)[] _train;
    private readonly (int Scene, int Sub, long Frame0, long Frame1)[] _validation;
    private readonly Dictionary<string, double[]> _intrinsics;
    private readonly long _seed;

    private ScanNetDataset(string root, (int, int, long, long)[] train, (int, int, long, long)[] validation,
        Dictionary<string, double[]> intrinsics, long seed)
    {
        _root = root;
        _train = train;
        _validation = validation;
        _intrinsics = intrinsics;
        _seed = seed;
    }

    /// <summary>
    /// Opens a ScanNet training set. Without <paramref name="validationIndex"/>, <paramref name="validationCount"/> pairs
    /// (default 1 %, at least 1) are held out of the training index by the seed.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="ArgumentException">An index holds no usable pair.</exception>
    public static ScanNetDataset Open(string root, string index, string intrinsics, string? validationIndex = null,
        long seed = 66, int? validationCount = null, double minOverlapScore = 0.4)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"ScanNet root not found: {root}");
        var k = Npz.Load(intrinsics).ToDictionary(kv => kv.Key, kv => kv.Value.AsDouble(), StringComparer.Ordinal);
        var train = ReadIndex(index, minOverlapScore);
        (int, int, long, long)[] val;
        if (validationIndex is not null)
            val = ReadIndex(validationIndex, double.NegativeInfinity);
        else
        {
            int n = Math.Clamp(validationCount ?? Math.Max(1, train.Length / 100), 1, Math.Max(1, train.Length - 1));
            var order = TrainingRandom.For(seed, "split", 0).Permutation(train.Length);
            val = order.Take(n).Select(i => train[i]).ToArray();
            train = order.Skip(n).OrderBy(i => i).Select(i => train[i]).ToArray();
        }
        if (train.Length == 0) throw new ArgumentException($"{index}: no training pair left.");
        return new ScanNetDataset(root, train, val, k, seed);
    }

    private static (int, int, long, long)[] ReadIndex(string path, double minScore)
    {
        var files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*.npz").OrderBy(f => f, StringComparer.Ordinal).ToArray()
            : File.Exists(path) ? [path] : throw new FileNotFoundException($"ScanNet index not found: {path}", path);
        var pairs = new List<(int, int, long, long)>();
        foreach (var f in files)
        {
            var npz = Npz.Load(f, allowObjectArrays: false);
            if (!npz.TryGetValue("name", out var names) || names.Shape.Length != 2 || names.Shape[1] != 4)
                throw new ArgumentException($"{f}: expected an array 'name' of shape [P, 4] (scene, sub-scene, frame0, frame1).");
            var v = names.AsInt64();
            double[]? score = npz.TryGetValue("score", out var s) ? s.AsDouble() : null;
            for (int i = 0; i < names.Shape[0]; i++)
                if (score is null || score[i] > minScore)
                    pairs.Add(((int)v[i * 4], (int)v[i * 4 + 1], v[i * 4 + 2], v[i * 4 + 3]));
        }
        return pairs.ToArray();
    }

    /// <inheritdoc />
    public string Description => $"ScanNet depth + pose pairs 640x480 from {_root}: {_train.Length} training / {_validation.Length} validation pairs";

    /// <inheritdoc />
    public int TrainCount => _train.Length;

    /// <inheritdoc />
    public int ValidationCount => _validation.Length;

    /// <inheritdoc />
    public PairSample TrainSample(long sampleIndex)
    {
        long epoch = sampleIndex / _train.Length;
        var order = TrainingRandom.For(_seed, "epoch", epoch).Permutation(_train.Length);
        return Load(_train[order[sampleIndex % _train.Length]]);
    }

    /// <inheritdoc />
    public PairSample ValidationSample(int index) => Load(_validation[index % _validation.Length]);

    private PairSample Load((int Scene, int Sub, long Frame0, long Frame1) p)
    {
        string scene = $"scene{p.Scene:D4}_{p.Sub:D2}";
        string dir = Path.Combine(_root, scene);
        if (!_intrinsics.TryGetValue(scene, out var k) || k.Length != 9)
            throw new InvalidDataException($"The intrinsics file has no 3x3 entry for {scene}.");
        var world2cam0 = MatrixInverse4(ReadPose(Path.Combine(dir, "pose", $"{p.Frame0}.txt")));
        var world2cam1 = MatrixInverse4(ReadPose(Path.Combine(dir, "pose", $"{p.Frame1}.txt")));
        var t01 = Multiply4(world2cam1, MatrixInverse4(world2cam0));
        return new PairSample
        {
            Image0 = GrayImage.FromMat(GrayImage.Read(Path.Combine(dir, "color", $"{p.Frame0}.jpg")), Width, Height),
            Image1 = GrayImage.FromMat(GrayImage.Read(Path.Combine(dir, "color", $"{p.Frame1}.jpg")), Width, Height),
            Depth = new DepthSample(ReadDepth(Path.Combine(dir, "depth", $"{p.Frame0}.png")), ReadDepth(Path.Combine(dir, "depth", $"{p.Frame1}.png")),
                k, k, t01),
            Name = $"{scene}:{p.Frame0}-{p.Frame1}",
        };
    }

    /// <summary>A uint16 millimetre depth PNG as metres.</summary>
    internal static GrayImage ReadDepth(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Depth map not found: {path}", path);
        using var m = Cv2.ImRead(path, ImreadModes.Unchanged);
        if (m.Empty() || m.Channels() != 1) throw new InvalidDataException($"{path}: not a single-channel depth image.");
        using var f = new Mat();
        m.ConvertTo(f, MatType.CV_32FC1, m.Depth() == MatType.CV_32F ? 1.0 : 1.0 / 1000);
        var px = new float[f.Rows * f.Cols];
        System.Runtime.InteropServices.Marshal.Copy(f.Data, px, 0, px.Length);
        return new GrayImage(px, f.Cols, f.Rows);
    }

    /// <summary>A 4x4 whitespace-separated matrix.</summary>
    internal static double[] ReadPose(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Pose file not found: {path}", path);
        var v = File.ReadAllText(path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (v.Length != 16) throw new InvalidDataException($"{path}: expected 16 numbers (a 4x4 matrix), found {v.Length}.");
        return v;
    }

    internal static double[] Multiply4(double[] a, double[] b)
    {
        var c = new double[16];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                for (int k = 0; k < 4; k++) c[i * 4 + j] += a[i * 4 + k] * b[k * 4 + j];
        return c;
    }

    /// <summary>Inverse of a rigid 4x4 transform [R t; 0 1] (R^T, -R^T t).</summary>
    internal static double[] MatrixInverse4(double[] m)
    {
        var r = new double[16];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++) r[i * 4 + j] = m[j * 4 + i];
            r[i * 4 + 3] = -(m[0 * 4 + i] * m[3] + m[1 * 4 + i] * m[7] + m[2 * 4 + i] * m[11]);
        }
        r[15] = 1;
        return r;
    }
}
