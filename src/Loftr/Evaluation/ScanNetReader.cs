using System.Globalization;
using Loftr.IO;

namespace Loftr.Evaluation;

/// <summary>
/// Reader of the ScanNet-1500 test set as LoFTR ships it: <c>test.npz</c> (<c>name</c> uint16 [N, 4] = scene id,
/// sub-scene id, frame0, frame1; <c>rel_pose</c> float32 [N, 12] = T_0to1 as 3x4 row-major), <c>intrinsics.npz</c>
/// (one 3x3 K per <c>sceneXXXX_XX</c>, for 640x480 images) and the frames
/// <c>&lt;root&gt;/sceneXXXX_XX/color/N.jpg</c>. Images are resized to 640x480 and K is used as stored.
/// </summary>
public static class ScanNetReader
{
    /// <summary>Reads the benchmark index.</summary>
    /// <param name="testNpz">The <c>test.npz</c> file.</param>
    /// <param name="intrinsicsNpz">The <c>intrinsics.npz</c> file.</param>
    /// <param name="imageRoot">Folder holding the <c>sceneXXXX_XX</c> folders (images are not opened here).</param>
    /// <returns>The dataset (<see cref="EvalResize.ScanNet"/>, K in the resized frame, precision threshold 5e-4).</returns>
    /// <exception cref="InvalidDataException">An array is missing, has the wrong shape, or a scene has no intrinsics.</exception>
    public static PoseDataset Read(string testNpz, string intrinsicsNpz, string imageRoot)
    {
        ArgumentNullException.ThrowIfNull(testNpz);
        ArgumentNullException.ThrowIfNull(intrinsicsNpz);
        ArgumentNullException.ThrowIfNull(imageRoot);
        if (!File.Exists(testNpz)) throw new FileNotFoundException($"ScanNet index not found: {testNpz}", testNpz);
        if (!File.Exists(intrinsicsNpz)) throw new FileNotFoundException($"ScanNet intrinsics not found: {intrinsicsNpz}", intrinsicsNpz);

        var test = Npz.Load(testNpz, allowObjectArrays: false);
        var names = Require(test, "name", testNpz);
        var relPose = Require(test, "rel_pose", testNpz);
        if (names.Shape.Length != 2 || names.Shape[1] != 4)
            throw new InvalidDataException($"{testNpz}: 'name' must be N x 4 (scene, sub-scene, frame0, frame1), got [{string.Join(", ", names.Shape)}].");
        long n = names.Shape[0];
        if (relPose.Shape.Length != 2 || relPose.Shape[0] != n || relPose.Shape[1] != 12)
            throw new InvalidDataException($"{testNpz}: 'rel_pose' must be {n} x 12 (3x4 row-major), got [{string.Join(", ", relPose.Shape)}].");
        var nameValues = names.AsInt64();
        var poseValues = relPose.AsDouble();

        var intrinsics = Npz.Load(intrinsicsNpz, allowObjectArrays: false);
        var pairs = new List<PoseEvalPair>((int)n);
        for (int i = 0; i < n; i++)
        {
            string scene = SceneName(nameValues[4 * i], nameValues[4 * i + 1]);
            string rel0 = $"{scene}/color/{nameValues[4 * i + 2].ToString(CultureInfo.InvariantCulture)}.jpg";
            string rel1 = $"{scene}/color/{nameValues[4 * i + 3].ToString(CultureInfo.InvariantCulture)}.jpg";
            if (!intrinsics.TryGetValue(scene, out var kArr))
                throw new InvalidDataException($"{intrinsicsNpz}: no intrinsics for {scene} (pair {i} of {testNpz}).");
            var k = Matrix(kArr, 3, 3, $"{intrinsicsNpz} ['{scene}']");
            var t = new double[4, 4];
            for (int j = 0; j < 12; j++) t[j / 4, j % 4] = poseValues[12 * i + j];
            t[3, 3] = 1;
            pairs.Add(new PoseEvalPair($"{rel0} {rel1}", Path.Combine(imageRoot, rel0), Path.Combine(imageRoot, rel1), k, (double[,])k.Clone(), t));
        }
        return new PoseDataset("scannet", pairs, EvalResize.ScanNet, IntrinsicsFrame.Resized, PoseMetrics.ScanNetEpipolarThreshold);
    }

    /// <summary>The ScanNet scene folder name: <c>scene{id:0000}_{sub:00}</c>.</summary>
    /// <param name="sceneId">Scene id.</param>
    /// <param name="subSceneId">Sub-scene (scan) id.</param>
    /// <returns>E.g. <c>scene0711_00</c>.</returns>
    public static string SceneName(long sceneId, long subSceneId) =>
        string.Create(CultureInfo.InvariantCulture, $"scene{sceneId:0000}_{subSceneId:00}");

    internal static NpyArray Require(Dictionary<string, NpyArray> arrays, string key, string file) =>
        arrays.TryGetValue(key, out var a) ? a
            : throw new InvalidDataException($"{file}: array '{key}' not found (present: {string.Join(", ", arrays.Keys)}).");

    internal static double[,] Matrix(NpyArray a, int rows, int cols, string what)
    {
        if (a.Length != rows * cols)
            throw new InvalidDataException($"{what}: expected {rows}x{cols} values, got shape [{string.Join(", ", a.Shape)}].");
        return ToMatrix(a.AsDouble(), 0, rows, cols);
    }

    internal static double[,] ToMatrix(double[] values, int offset, int rows, int cols)
    {
        var m = new double[rows, cols];
        for (int i = 0; i < rows * cols; i++) m[i / cols, i % cols] = values[offset + i];
        return m;
    }
}
