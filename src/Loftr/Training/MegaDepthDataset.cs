using Loftr.Evaluation;
using Loftr.Imaging;
using Loftr.IO;

namespace Loftr.Training;

/// <summary>
/// MegaDepth pairs with depth + pose supervision, in the layout the reference trains on (<c>src/datasets/megadepth.py</c>):
/// scene-info <c>.npz</c> files (<c>image_paths</c>, <c>depth_paths</c>, <c>intrinsics</c>, <c>poses</c>, <c>pair_infos</c>;
/// paths relative to the data root), depth maps as HDF5 files with a float dataset <c>depth</c>.
/// Each image is read gray, resized so that its long side is <see cref="LongSide"/> (Python rounding), floored to a
/// multiple of 8, zero-padded at the bottom right to a square, with the coarse validity mask of the unpadded part and
/// the scale (original / resized) that maps grid points back to the original pixels where K and the depth live. Depth
/// maps are zero-padded to <see cref="DepthPadTo"/> squared (2000, as the reference) so pairs stack into batches.
/// Training order, as the reference's <c>RandomConcatSampler</c>: every epoch draws <see cref="SamplesPerScene"/> pairs
/// from each scene (with replacement) and shuffles them; 0 visits every pair once per epoch in a seeded order.
/// </summary>
public sealed class MegaDepthDataset : ITrainingDataset
{
    private readonly string _root;
    private readonly MegaDepthPairInfo[][] _scenes;
    private readonly MegaDepthPairInfo[] _validation;
    private readonly long _seed;
    private readonly Lock _epochLock = new();
    private (long Epoch, MegaDepthPairInfo[] Order)? _epoch;

    private MegaDepthDataset(string root, MegaDepthPairInfo[][] scenes, MegaDepthPairInfo[] validation, long seed,
        int longSide, int samplesPerScene, int depthPadTo)
    {
        _root = root;
        _scenes = scenes;
        _validation = validation;
        _seed = seed;
        LongSide = longSide;
        SamplesPerScene = samplesPerScene;
        DepthPadTo = depthPadTo;
    }

    /// <summary>Long side of the network input before padding (the reference trains at 640 or 840).</summary>
    public int LongSide { get; }

    /// <summary>Pairs drawn from each scene per epoch (0: every pair once).</summary>
    public int SamplesPerScene { get; }

    /// <summary>Depth maps are zero-padded to this square size.</summary>
    public int DepthPadTo { get; }

    /// <summary>Total number of training pairs over all scenes.</summary>
    public int PairCount => _scenes.Sum(s => s.Length);

    /// <summary>
    /// Opens a MegaDepth training set.
    /// </summary>
    /// <param name="root">Data root the scene-info paths are relative to.</param>
    /// <param name="sceneInfo">Training scene infos: an <c>.npz</c>, a folder of them, or a list file of npz names.</param>
    /// <param name="validationSceneInfo">Validation scene infos (same forms); null: pairs held out of the training set.</param>
    /// <param name="longSide">Long side of the resized images (a positive multiple of 8).</param>
    /// <param name="seed">Seed of the split and the epoch orders.</param>
    /// <param name="validationCount">Pairs held out when there is no validation file (default 1 %, at least 1).</param>
    /// <param name="minOverlapScore">Training pairs need an overlap score above this (the reference's 0.0 for MegaDepth).</param>
    /// <param name="samplesPerScene">Pairs per scene per epoch (the reference's 200); 0: all pairs once.</param>
    /// <param name="depthPadTo">Square size depth maps are padded to (the reference's 2000).</param>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="FileNotFoundException">A scene-info file does not exist.</exception>
    /// <exception cref="InvalidDataException">A scene-info file lacks an array or is malformed.</exception>
    /// <exception cref="ArgumentException">No usable pair, or invalid sizes.</exception>
    public static MegaDepthDataset Open(string root, string sceneInfo, string? validationSceneInfo = null, int longSide = 640,
        long seed = 66, int? validationCount = null, double minOverlapScore = 0.0, int samplesPerScene = 200, int depthPadTo = 2000)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(sceneInfo);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"MegaDepth root not found: {root}");
        if (longSide <= 0 || longSide % 8 != 0) throw new ArgumentException($"The long side must be a positive multiple of 8, got {longSide}.");
        if (samplesPerScene < 0) throw new ArgumentException($"Samples per scene must be 0 or more, got {samplesPerScene}.");
        if (depthPadTo <= 0) throw new ArgumentException($"The depth padding size must be positive, got {depthPadTo}.");

        var scenes = MegaDepthReader.SceneFiles(sceneInfo)
            .Select(f => MegaDepthReader.ReadPairInfos(f, minOverlapScore, requireDepth: true).ToArray())
            .Where(s => s.Length > 0).ToArray();
        MegaDepthPairInfo[] validation;
        if (validationSceneInfo is not null)
        {
            validation = MegaDepthReader.SceneFiles(validationSceneInfo)
                .SelectMany(f => MegaDepthReader.ReadPairInfos(f, double.NegativeInfinity, requireDepth: true)).ToArray();
            if (validation.Length == 0) throw new ArgumentException($"{validationSceneInfo}: no validation pair.");
        }
        else
        {
            var all = scenes.SelectMany((s, i) => s.Select((p, j) => (Scene: i, Pair: j))).ToArray();
            if (all.Length < 2) throw new ArgumentException($"{sceneInfo}: {all.Length} pair(s); holding out validation pairs needs at least 2.");
            int n = Math.Clamp(validationCount ?? Math.Max(1, all.Length / 100), 1, all.Length - 1);
            var order = TrainingRandom.For(seed, "split", 0).Permutation(all.Length);
            var held = order.Take(n).Select(k => all[k]).ToHashSet();
            validation = order.Take(n).OrderBy(k => k).Select(k => scenes[all[k].Scene][all[k].Pair]).ToArray();
            scenes = scenes.Select((s, i) => s.Where((_, j) => !held.Contains((i, j))).ToArray()).Where(s => s.Length > 0).ToArray();
        }
        if (scenes.Length == 0) throw new ArgumentException($"{sceneInfo}: no training pair with overlap score above {minOverlapScore}.");
        return new MegaDepthDataset(root, scenes, validation, seed, longSide, samplesPerScene, depthPadTo);
    }

    /// <inheritdoc />
    public string Description =>
        $"MegaDepth depth + pose pairs, long side {LongSide} padded to a square, from {_root}: {_scenes.Length} scene(s), " +
        $"{PairCount} training pairs ({(SamplesPerScene > 0 ? $"{SamplesPerScene} per scene per epoch" : "all per epoch")}) / {_validation.Length} validation pairs";

    /// <inheritdoc />
    public int TrainCount => SamplesPerScene > 0 ? _scenes.Length * SamplesPerScene : PairCount;

    /// <inheritdoc />
    public int ValidationCount => _validation.Length;

    /// <inheritdoc />
    public PairSample TrainSample(long sampleIndex)
    {
        long epoch = sampleIndex / TrainCount;
        MegaDepthPairInfo[] order;
        lock (_epochLock)
        {
            if (_epoch is not { } e || e.Epoch != epoch) _epoch = (epoch, EpochOrder(epoch));
            order = _epoch.Value.Order;
        }
        return Load(order[sampleIndex % TrainCount]);
    }

    /// <inheritdoc />
    public PairSample ValidationSample(int index) => Load(_validation[index % _validation.Length]);

    /// <summary>The pairs of one epoch, in training order.</summary>
    private MegaDepthPairInfo[] EpochOrder(long epoch)
    {
        MegaDepthPairInfo[] drawn;
        if (SamplesPerScene == 0)
            drawn = _scenes.SelectMany(s => s).ToArray();
        else
        {
            drawn = new MegaDepthPairInfo[TrainCount];
            for (int s = 0; s < _scenes.Length; s++)
            {
                var rng = TrainingRandom.For(_seed, "scene-draw", epoch * 1_000_003 + s);
                for (int k = 0; k < SamplesPerScene; k++)
                    drawn[s * SamplesPerScene + k] = _scenes[s][(int)(rng.NextUInt64() % (ulong)_scenes[s].Length)];
            }
        }
        var perm = TrainingRandom.For(_seed, "epoch", epoch).Permutation(drawn.Length);
        return perm.Select(i => drawn[i]).ToArray();
    }

    private PairSample Load(MegaDepthPairInfo p)
    {
        var (image0, mask0, scale0) = ReadImage(Path.Combine(_root, p.Image0), LongSide);
        var (image1, mask1, scale1) = ReadImage(Path.Combine(_root, p.Image1), LongSide);
        var depth0 = Pad(Hdf5Depth.Read(Path.Combine(_root, p.Depth0!)), DepthPadTo, Path.Combine(_root, p.Depth0!));
        var depth1 = Pad(Hdf5Depth.Read(Path.Combine(_root, p.Depth1!)), DepthPadTo, Path.Combine(_root, p.Depth1!));
        return new PairSample
        {
            Image0 = image0,
            Image1 = image1,
            Depth = new DepthSample(depth0, depth1, p.K0.Cast<double>().ToArray(), p.K1.Cast<double>().ToArray(), p.T0to1.Cast<double>().ToArray()),
            Scale0 = scale0,
            Scale1 = scale1,
            Mask0 = mask0,
            Mask1 = mask1,
            Name = $"{p.Image0} {p.Image1}",
        };
    }

    /// <summary>
    /// The reference's <c>read_megadepth_gray</c> with padding: resized image padded to a square, the coarse (1/8) mask
    /// of its unpadded part and (w / w_new, h / h_new).
    /// </summary>
    internal static (GrayImage Image, bool[] CoarseMask, (double X, double Y) Scale) ReadImage(string path, int longSide)
    {
        using var mat = GrayImage.Read(path);
        int w = mat.Cols, h = mat.Rows;
        ImageSize size;
        try
        {
            size = EvalResize.LongSide(longSide, 8).TargetSize(new ImageSize(w, h));
        }
        catch (ArgumentException)
        {
            throw new InvalidDataException($"{path}: {w}x{h} is too elongated to resize to a long side of {longSide} in multiples of 8.");
        }
        int side = Math.Max(size.Width, size.Height);
        var padded = Pad(GrayImage.FromMat(mat, size.Width, size.Height), side, path);
        int c = side / 8;
        var mask = new bool[c * c];
        // F.interpolate(mode='nearest', scale_factor=1/8) picks pixel (8i, 8j) of the full-size mask.
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++) mask[i * c + j] = 8 * i < size.Height && 8 * j < size.Width;
        return (padded, mask, ((double)w / size.Width, (double)h / size.Height));
    }

    /// <summary>Zero-pads an image or depth map at the bottom right to <paramref name="side"/> squared.</summary>
    internal static GrayImage Pad(GrayImage map, int side, string path)
    {
        if (map.Width > side || map.Height > side)
            throw new InvalidDataException($"{path}: the map is {map.Width}x{map.Height}, larger than the padding size {side}; raise the depth padding.");
        var padded = new float[side * side];
        for (int y = 0; y < map.Height; y++)
            Array.Copy(map.Pixels, y * map.Width, padded, y * side, map.Width);
        return new GrayImage(padded, side, side);
    }
}
