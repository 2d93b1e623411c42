using Loftr.IO;

namespace Loftr.Evaluation;

/// <summary>
/// Reader of LoFTR's MegaDepth scene-info files (e.g. <c>megadepth_test_1500_scene_info/0015_0.1_0.3.npz</c>): object
/// arrays <c>image_paths</c> (relative to the data root; None for unused images), <c>intrinsics</c> (3x3 K of the stored
/// image), <c>poses</c> (4x4 world-to-camera), <c>pair_infos</c> (tuples <c>((idx0, idx1), overlap_score, central_matches)</c>).
/// T_0to1 = T1 inv(T0), as the reference. Pickled content is decoded by <see cref="Npz"/>'s restricted unpickler.
/// </summary>
public static class MegaDepthReader
{
    /// <summary>Reads the pairs of one scene-info file.</summary>
    /// <param name="sceneInfoNpz">The scene-info <c>.npz</c>.</param>
    /// <param name="dataRoot">Folder the image paths are relative to (e.g. <c>data/megadepth/test</c>).</param>
    /// <param name="minOverlapScore">Keep pairs with overlap score strictly above this (the test uses 0).</param>
    /// <returns>The pairs, identified by their two image paths.</returns>
    /// <exception cref="InvalidDataException">A missing array, a malformed pair or an index without image / K / pose.</exception>
    public static IReadOnlyList<PoseEvalPair> ReadScene(string sceneInfoNpz, string dataRoot, double minOverlapScore = 0.0)
    {
        ArgumentNullException.ThrowIfNull(dataRoot);
        return ReadPairInfos(sceneInfoNpz, minOverlapScore, requireDepth: false)
            .Select(p => new PoseEvalPair($"{p.Image0} {p.Image1}", Path.Combine(dataRoot, p.Image0), Path.Combine(dataRoot, p.Image1),
                p.K0, p.K1, p.T0to1))
            .ToList();
    }

    /// <summary>
    /// The pairs of one scene-info file with overlap score strictly above <paramref name="minOverlapScore"/>, with paths
    /// relative to the data root as stored, K of the stored images and T_0to1 = T1 inv(T0).
    /// </summary>
    /// <param name="sceneInfoNpz">The scene-info <c>.npz</c>.</param>
    /// <param name="minOverlapScore">Overlap filter.</param>
    /// <param name="requireDepth">Also read <c>depth_paths</c> (training); a pair whose depth path is None is an error.</param>
    /// <exception cref="InvalidDataException">A missing array, a malformed pair or an index without image / depth / K / pose.</exception>
    internal static IReadOnlyList<MegaDepthPairInfo> ReadPairInfos(string sceneInfoNpz, double minOverlapScore, bool requireDepth)
    {
        ArgumentNullException.ThrowIfNull(sceneInfoNpz);
        if (!File.Exists(sceneInfoNpz)) throw new FileNotFoundException($"MegaDepth scene info not found: {sceneInfoNpz}", sceneInfoNpz);
        var arrays = Npz.Load(sceneInfoNpz, allowObjectArrays: true);
        var paths = ScanNetReader.Require(arrays, "image_paths", sceneInfoNpz);
        var intrinsics = ScanNetReader.Require(arrays, "intrinsics", sceneInfoNpz);
        var poses = ScanNetReader.Require(arrays, "poses", sceneInfoNpz);
        var pairInfos = ScanNetReader.Require(arrays, "pair_infos", sceneInfoNpz);
        object?[]? depthPaths = null;
        if (requireDepth)
        {
            var d = ScanNetReader.Require(arrays, "depth_paths", sceneInfoNpz);
            depthPaths = d.Kind == 'O' ? d.AsObjects() : d.AsStrings();
        }

        var imagePaths = paths.Kind == 'O' ? paths.AsObjects() : paths.AsStrings();
        var result = new List<MegaDepthPairInfo>();
        foreach (var (idx0, idx1, overlap, n) in PairInfos(pairInfos, sceneInfoNpz))
        {
            if (!(overlap > minOverlapScore)) continue;
            string where = $"{sceneInfoNpz}: pair_infos[{n}]";
            string p0 = ImagePath(imagePaths, idx0, where, "image_paths"), p1 = ImagePath(imagePaths, idx1, where, "image_paths");
            string? d0 = depthPaths is null ? null : ImagePath(depthPaths, idx0, where, "depth_paths");
            string? d1 = depthPaths is null ? null : ImagePath(depthPaths, idx1, where, "depth_paths");
            var k0 = PerImageMatrix(intrinsics, idx0, 3, 3, "intrinsics", where);
            var k1 = PerImageMatrix(intrinsics, idx1, 3, 3, "intrinsics", where);
            var t0 = PerImageMatrix(poses, idx0, 4, 4, "poses", where);
            var t1 = PerImageMatrix(poses, idx1, 4, 4, "poses", where);
            var t0to1 = MatrixMath.Multiply(t1, Inverse4x4(t0, where));
            result.Add(new MegaDepthPairInfo(p0, p1, d0, d1, k0, k1, t0to1, overlap));
        }
        return result;
    }

    /// <summary>
    /// Reads a MegaDepth benchmark: one scene-info <c>.npz</c>, a folder of them (ordinal order), or a list file
    /// (e.g. <c>megadepth_test_1500.txt</c>: one npz name per line, resolved next to the list).
    /// </summary>
    /// <param name="sceneInfo">An <c>.npz</c>, a folder or a <c>.txt</c> list.</param>
    /// <param name="dataRoot">Folder the image paths are relative to.</param>
    /// <param name="resize">Image preparation (default <see cref="EvalResize.MegaDepth"/>: long side 840, /8, padded).</param>
    /// <param name="minOverlapScore">Overlap filter (0 for the test).</param>
    /// <returns>The dataset (K of the stored images, precision threshold 1e-4).</returns>
    public static PoseDataset Read(string sceneInfo, string dataRoot, EvalResize? resize = null, double minOverlapScore = 0.0)
    {
        ArgumentNullException.ThrowIfNull(sceneInfo);
        var pairs = new List<PoseEvalPair>();
        foreach (var npz in SceneFiles(sceneInfo)) pairs.AddRange(ReadScene(npz, dataRoot, minOverlapScore));
        return new PoseDataset("megadepth", pairs, resize ?? EvalResize.MegaDepth, IntrinsicsFrame.Original, PoseMetrics.MegaDepthEpipolarThreshold);
    }

    /// <summary>The scene-info files named by <paramref name="sceneInfo"/> (see <see cref="Read"/>).</summary>
    /// <param name="sceneInfo">An <c>.npz</c>, a folder or a list file.</param>
    /// <returns>Existing <c>.npz</c> paths.</returns>
    public static IReadOnlyList<string> SceneFiles(string sceneInfo)
    {
        if (Directory.Exists(sceneInfo))
        {
            var files = Directory.GetFiles(sceneInfo, "*.npz").Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new FileNotFoundException($"{sceneInfo}: no .npz scene-info files in this folder.");
            return files;
        }
        if (!File.Exists(sceneInfo)) throw new FileNotFoundException($"MegaDepth scene info not found: {sceneInfo}", sceneInfo);
        if (sceneInfo.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) return [sceneInfo];
        string dir = Path.GetDirectoryName(Path.GetFullPath(sceneInfo))!;
        var list = new List<string>();
        foreach (var raw in File.ReadAllLines(sceneInfo))
        {
            string name = raw.Trim();
            if (name.Length == 0 || name.StartsWith('#')) continue;
            if (!name.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) name += ".npz";
            string p = Path.Combine(dir, name);
            if (!File.Exists(p)) throw new FileNotFoundException($"{sceneInfo}: listed scene info {name} not found at {p}", p);
            list.Add(p);
        }
        return list;
    }

    private static IEnumerable<(int Idx0, int Idx1, double Overlap, int N)> PairInfos(NpyArray infos, string file)
    {
        if (infos.Kind != 'O')
            throw new InvalidDataException($"{file}: 'pair_infos' must be an object array of ((idx0, idx1), overlap, central_matches), got dtype {infos.Dtype}.");
        var items = infos.AsObjects();
        // Either one tuple per element (shape [N]) or numpy's 2-D split of the tuples (shape [N, 3]).
        int stride = infos.Shape.Length == 2 ? (int)infos.Shape[1] : 1;
        int count = infos.Shape.Length == 0 ? 0 : (int)infos.Shape[0];
        for (int n = 0; n < count; n++)
        {
            IReadOnlyList<object?> fields = stride == 1
                ? Sequence(items[n]) ?? throw new InvalidDataException($"{file}: pair_infos[{n}] is not a tuple.")
                : items.Skip(n * stride).Take(stride).ToArray();
            if (fields.Count < 2) throw new InvalidDataException($"{file}: pair_infos[{n}] has {fields.Count} fields, expected ((idx0, idx1), overlap, ...).");
            var idx = Indices(fields[0]) ?? throw new InvalidDataException($"{file}: pair_infos[{n}][0] is not a pair of image indices.");
            double overlap = Number(fields[1]) ?? throw new InvalidDataException($"{file}: pair_infos[{n}][1] (overlap score) is not a number.");
            yield return (idx.Item1, idx.Item2, overlap, n);
        }
    }

    private static IReadOnlyList<object?>? Sequence(object? v) => v switch
    {
        object?[] t => t,
        List<object?> l => l,
        NpyArray { Kind: 'O' } a => a.AsObjects(),
        _ => null,
    };

    private static (int, int)? Indices(object? v)
    {
        if (v is NpyArray { Kind: 'i' or 'u' } a && a.Length == 2)
        {
            var x = a.AsInt64();
            return ((int)x[0], (int)x[1]);
        }
        var s = Sequence(v);
        if (s is { Count: 2 } && s[0] is long i0 && s[1] is long i1) return ((int)i0, (int)i1);
        return null;
    }

    private static double? Number(object? v) => v switch
    {
        double d => d,
        long l => l,
        NpyArray { Length: 1, Kind: 'f' or 'i' or 'u' } a => a.AsDouble()[0],
        _ => null,
    };

    private static string ImagePath(object?[] paths, int idx, string where, string name)
    {
        if (idx < 0 || idx >= paths.Length) throw new InvalidDataException($"{where}: image index {idx} is outside {name} (length {paths.Length}).");
        return paths[idx] as string is { Length: > 0 } s ? s : throw new InvalidDataException($"{where}: {name}[{idx}] is empty.");
    }

    private static double[,] PerImageMatrix(NpyArray array, int idx, int rows, int cols, string name, string where)
    {
        int count = array.Shape.Length == 0 ? 0 : (int)array.Shape[0];
        if (idx < 0 || idx >= count) throw new InvalidDataException($"{where}: image index {idx} is outside {name} (length {count}).");
        if (array.Kind == 'O')
        {
            var item = array.AsObjects()[idx];
            if (item is NpyArray m && m.Length == rows * cols) return ScanNetReader.ToMatrix(m.AsDouble(), 0, rows, cols);
            throw new InvalidDataException($"{where}: {name}[{idx}] is {(item is null ? "None" : "not a " + rows + "x" + cols + " array")}.");
        }
        if (array.Length != (long)count * rows * cols)
            throw new InvalidDataException($"{where}: {name} must hold {rows}x{cols} per image, got shape [{string.Join(", ", array.Shape)}].");
        return ScanNetReader.ToMatrix(array.AsDouble(), idx * rows * cols, rows, cols);
    }

    private static double[,] Inverse4x4(double[,] t, string where)
    {
        // General inverse, as np.linalg.inv in the reference.
        using var m = MatrixMath.ToMat(t);
        using var inv = new OpenCvSharp.Mat();
        double ok = OpenCvSharp.Cv2.Invert(m, inv, OpenCvSharp.DecompTypes.LU);
        if (ok == 0) throw new InvalidDataException($"{where}: a camera pose is singular.");
        return MatrixMath.ToArray(inv);
    }
}

/// <summary>One pair of a MegaDepth scene-info file (paths relative to the data root, as stored).</summary>
/// <param name="Image0">Image path of image 0.</param>
/// <param name="Image1">Image path of image 1.</param>
/// <param name="Depth0">Depth (HDF5) path of image 0, when read.</param>
/// <param name="Depth1">Depth path of image 1, when read.</param>
/// <param name="K0">3x3 intrinsics of the stored image 0.</param>
/// <param name="K1">3x3 intrinsics of the stored image 1.</param>
/// <param name="T0to1">4x4 relative pose T1 inv(T0).</param>
/// <param name="Overlap">The pair's overlap score.</param>
internal sealed record MegaDepthPairInfo(string Image0, string Image1, string? Depth0, string? Depth1, double[,] K0, double[,] K1,
    double[,] T0to1, double Overlap);
