using Loftr.Imaging;

namespace Loftr.Training;

/// <summary>
/// Homography self-supervision from any folder of photographs (no depth, no poses): each sample is a random pair of
/// views of one photo made by <see cref="HomographyPairMaker"/>. The photos are split once (by the seed) into training
/// and held-out validation photos; each epoch visits the training photos in a new seeded order. Deterministic:
/// sample k depends only on (seed, k).
/// </summary>
public sealed class HomographyFolderDataset : ITrainingDataset
{
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"];
    private readonly string[] _train;
    private readonly string[] _validation;
    private readonly long _seed;
    private readonly Lock _permLock = new();
    private (long Epoch, int[] Order)? _permutation;

    /// <summary>Lists the photos of <paramref name="folder"/> and splits them.</summary>
    /// <param name="folder">Folder of images (not recursive); files that are not images are ignored.</param>
    /// <param name="width">Network input width (a multiple of the coarse resolution).</param>
    /// <param name="height">Network input height.</param>
    /// <param name="seed">Seed of the split, the epoch orders and every random view.</param>
    /// <param name="augmentation">View and photometric ranges (null: defaults).</param>
    /// <param name="validationCount">Photos held out for validation (null: 5 %, at least 1); ignored with a split.</param>
    /// <param name="split">
    /// A fixed held-out split by file name: its validation photos are the validation set, its test photos are used by
    /// neither training nor validation. Null: a seeded split of <paramref name="validationCount"/> photos.
    /// </param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentException">Fewer than two images, an invalid size, or a split naming missing photos.</exception>
    public HomographyFolderDataset(string folder, int width, int height, long seed = 66,
        HomographyAugmentation? augmentation = null, int? validationCount = null, HoldoutSplit? split = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Image folder not found: {folder}");
        if (width <= 0 || height <= 0 || width % 8 != 0 || height % 8 != 0)
            throw new ArgumentException($"The training size must be positive multiples of 8, got {width}x{height}.");
        var files = Directory.EnumerateFiles(folder)
            .Where(IsImageFile)
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length < 2)
            throw new ArgumentException($"{folder}: found {files.Length} image(s) ({string.Join(", ", Extensions)}); homography training needs at least 2 (training + validation).");
        if (split is not null)
        {
            var byName = files.ToDictionary(f => Path.GetFileName(f), StringComparer.Ordinal);
            string Find(string name) => byName.TryGetValue(name, out var f)
                ? f : throw new ArgumentException($"{folder}: the held-out split names '{name}', which is not in the folder.");
            _validation = split.Validation.Select(Find).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            var held = split.Validation.Concat(split.Test).Select(Find).ToHashSet(StringComparer.Ordinal);
            _train = files.Where(f => !held.Contains(f)).ToArray();
            if (_train.Length == 0) throw new ArgumentException($"{folder}: the held-out split leaves no training photo.");
        }
        else
        {
            int nVal = Math.Clamp(validationCount ?? Math.Max(1, files.Length / 20), 1, files.Length - 1);
            var order = TrainingRandom.For(seed, "split", 0).Permutation(files.Length);
            _validation = order.Take(nVal).Select(i => files[i]).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            _train = order.Skip(nVal).Select(i => files[i]).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        }
        _seed = seed;
        Folder = folder;
        Width = width;
        Height = height;
        Augmentation = augmentation ?? new HomographyAugmentation();
    }

    /// <summary>True when the file name has an image extension this dataset reads.</summary>
    public static bool IsImageFile(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>The image folder.</summary>
    public string Folder { get; }
    /// <summary>View width.</summary>
    public int Width { get; }
    /// <summary>View height.</summary>
    public int Height { get; }
    /// <summary>The random view and photometric ranges.</summary>
    public HomographyAugmentation Augmentation { get; }
    /// <summary>Training photos.</summary>
    public IReadOnlyList<string> TrainFiles => _train;
    /// <summary>Held-out validation photos.</summary>
    public IReadOnlyList<string> ValidationFiles => _validation;

    /// <inheritdoc />
    public string Description => $"homography pairs {Width}x{Height} from {Folder}: {_train.Length} training / {_validation.Length} validation photos";

    /// <inheritdoc />
    public int TrainCount => _train.Length;

    /// <inheritdoc />
    public int ValidationCount => _validation.Length;

    /// <inheritdoc />
    public PairSample TrainSample(long sampleIndex)
    {
        if (sampleIndex < 0) throw new ArgumentOutOfRangeException(nameof(sampleIndex));
        long epoch = sampleIndex / _train.Length;
        var order = EpochOrder(epoch);
        string file = _train[order[sampleIndex % _train.Length]];
        return Make(file, TrainingRandom.For(_seed, "train", sampleIndex));
    }

    /// <inheritdoc />
    public PairSample ValidationSample(int index)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index));
        return Make(_validation[index % _validation.Length], TrainingRandom.For(_seed, "validation", index));
    }

    private int[] EpochOrder(long epoch)
    {
        lock (_permLock)
        {
            if (_permutation is { } p && p.Epoch == epoch) return p.Order;
            var order = TrainingRandom.For(_seed, "epoch", epoch).Permutation(_train.Length);
            _permutation = (epoch, order);
            return order;
        }
    }

    private PairSample Make(string file, TrainingRandom random)
    {
        using var photo = GrayImage.Read(file);
        return HomographyPairMaker.Make(photo, Width, Height, Augmentation, random, Path.GetFileName(file));
    }
}
