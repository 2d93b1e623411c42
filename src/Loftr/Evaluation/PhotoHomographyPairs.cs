using System.Globalization;
using Loftr.Imaging;
using Loftr.Training;
using OpenCvSharp;

namespace Loftr.Evaluation;

/// <summary>
/// A homography benchmark made from photographs: held-out photos (e.g. the <c>test</c> list of a
/// <see cref="HoldoutSplit"/>) turned into pairs with a known homography by the training pair maker
/// (<see cref="HomographyPairMaker"/>), at the evaluation size. Pair <c>k</c> is made from photo
/// <c>Photos[k / PairsPerPhoto]</c> with the generator <c>TrainingRandom.For(Seed, "eval-photos", k)</c>, so it
/// depends only on (seed, k) and the photo, never on the order of evaluation or on other pairs.
/// <para>
/// The two views come out of the pair maker as float gray images in [0, 1] (after their photometric changes); they are
/// converted to 8-bit gray with OpenCV's <c>ConvertTo(CV_8U, 255)</c> (round to nearest, saturate) and reach every
/// matcher as the 8-bit images of a file dataset do: LoFTR divides by 255, SIFT takes the 8-bit image. The result is
/// identical to writing the views to PNG files and evaluating them with the <c>homography-pair</c> dataset.
/// </para>
/// </summary>
public sealed class PhotoHomographyPairs
{
    /// <summary>Pairs made from each photo by default (30 test photos x 4 = 120 pairs).</summary>
    public const int DefaultPairsPerPhoto = 4;

    /// <summary>The default seed (the default recipe's).</summary>
    public const long DefaultSeed = 66;

    /// <summary>The default view width (the evaluation size, not the training size).</summary>
    public const int DefaultWidth = 640;

    /// <summary>The default view height.</summary>
    public const int DefaultHeight = 480;

    /// <summary>The <see cref="TrainingRandom"/> stream of the evaluation pairs (training uses <c>train</c> and <c>validation</c>).</summary>
    public const string RandomStream = "eval-photos";

    /// <summary>
    /// The fixed test augmentation used when no recipe is given: first view a crop of 60-100 % of the photo, second
    /// view rotated by up to ±30°, zoomed by a log-uniform factor in [0.6, 1.6], each corner shifted by up to 15 % and
    /// the whole view by up to 15 % of the view size, at least 30 % of the first view's 8-pixel cells inside the
    /// second; photometric changes on (brightness ±0.2, contrast ±35 %, gamma up to 1.5 / 1/1.5, Gaussian blur with
    /// probability 0.3 and sigma up to 1.5 px, Gaussian noise up to 0.04). These are the ranges of
    /// <c>recipes/default/recipe.json</c>, frozen here so that the benchmark does not move when a recipe changes.
    /// </summary>
    public static HomographyAugmentation TestAugmentation { get; } = new(
        CropFraction: (0.6, 1.0), MaxRotation: 30, MaxScale: 1.6, MaxPerspective: 0.15, MaxTranslation: 0.15, MinOverlap: 0.3,
        MaxBrightness: 0.2, MaxContrast: 0.35, MaxGamma: 0.5, BlurProbability: 0.3, MaxBlurSigma: 1.5, MaxNoise: 0.04, MinScale: 0.6);

    private readonly string[] _photos;

    /// <summary>Checks the inputs; no image is read until a pair is made.</summary>
    /// <param name="folder">Folder of the photos.</param>
    /// <param name="photos">File names (no folder) of the photos to use, in this order.</param>
    /// <param name="pairsPerPhoto">Pairs made from each photo.</param>
    /// <param name="seed">Seed of every random choice.</param>
    /// <param name="width">View width in pixels (the size the matchers see unless the dataset is resized).</param>
    /// <param name="height">View height in pixels.</param>
    /// <param name="augmentation">View and photometric ranges (null: <see cref="TestAugmentation"/>).</param>
    /// <param name="augmentationName">How the augmentation is named in reports (e.g. the recipe file); null: "test augmentation" or "custom".</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A named photo is not in the folder.</exception>
    /// <exception cref="ArgumentException">No photos, a name with a folder, a repeated name, or a non-positive count or size.</exception>
    public PhotoHomographyPairs(string folder, IReadOnlyList<string> photos, int pairsPerPhoto = DefaultPairsPerPhoto, long seed = DefaultSeed,
        int width = DefaultWidth, int height = DefaultHeight, HomographyAugmentation? augmentation = null, string? augmentationName = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(photos);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Photo folder not found: {folder}");
        if (photos.Count == 0) throw new ArgumentException("The list of photos is empty.", nameof(photos));
        if (pairsPerPhoto <= 0) throw new ArgumentException($"Pairs per photo must be positive, got {pairsPerPhoto}.", nameof(pairsPerPhoto));
        if (width <= 0 || height <= 0) throw new ArgumentException($"The view size must be positive, got {width}x{height}.");
        if ((long)photos.Count * pairsPerPhoto > int.MaxValue) throw new ArgumentException("Too many pairs.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in photos)
        {
            if (string.IsNullOrEmpty(name) || name != Path.GetFileName(name))
                throw new ArgumentException($"Photo names are file names without a folder, got '{name}'.", nameof(photos));
            if (!seen.Add(name)) throw new ArgumentException($"The photo '{name}' is listed twice.", nameof(photos));
            string path = Path.Combine(folder, name);
            if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: the photo '{name}' is not in the folder.", path);
        }
        Folder = folder;
        _photos = [.. photos];
        PairsPerPhoto = pairsPerPhoto;
        Seed = seed;
        Width = width;
        Height = height;
        Augmentation = augmentation ?? TestAugmentation;
        AugmentationName = augmentationName ?? (augmentation is null || augmentation == TestAugmentation ? "test augmentation" : "custom augmentation");
    }

    /// <summary>The pairs of the <see cref="HoldoutSplit.Test"/> photos of a split.</summary>
    /// <param name="folder">Folder of the photos (e.g. <c>shared/data/train_photos</c>).</param>
    /// <param name="split">The held-out split.</param>
    /// <param name="pairsPerPhoto">Pairs made from each test photo.</param>
    /// <param name="seed">Seed.</param>
    /// <param name="width">View width.</param>
    /// <param name="height">View height.</param>
    /// <param name="augmentation">Ranges (null: <see cref="TestAugmentation"/>).</param>
    /// <param name="augmentationName">Name of the ranges in reports.</param>
    /// <returns>The pairs.</returns>
    /// <exception cref="ArgumentException">The split has no test photo.</exception>
    public static PhotoHomographyPairs FromSplit(string folder, HoldoutSplit split, int pairsPerPhoto = DefaultPairsPerPhoto, long seed = DefaultSeed,
        int width = DefaultWidth, int height = DefaultHeight, HomographyAugmentation? augmentation = null, string? augmentationName = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (split.Test.Count == 0) throw new ArgumentException("The split has no test photo.", nameof(split));
        return new PhotoHomographyPairs(folder, split.Test, pairsPerPhoto, seed, width, height, augmentation, augmentationName);
    }

    /// <summary>The photo folder.</summary>
    public string Folder { get; }

    /// <summary>The photo file names, in pair order.</summary>
    public IReadOnlyList<string> Photos => _photos;

    /// <summary>Pairs per photo.</summary>
    public int PairsPerPhoto { get; }

    /// <summary>Seed of every random choice.</summary>
    public long Seed { get; }

    /// <summary>View width.</summary>
    public int Width { get; }

    /// <summary>View height.</summary>
    public int Height { get; }

    /// <summary>View and photometric ranges.</summary>
    public HomographyAugmentation Augmentation { get; }

    /// <summary>Name of the ranges in reports.</summary>
    public string AugmentationName { get; }

    /// <summary>Number of pairs: photos x pairs per photo.</summary>
    public int Count => _photos.Length * PairsPerPhoto;

    /// <summary>The file name of the photo pair <paramref name="index"/> is made from.</summary>
    /// <param name="index">Pair index in [0, <see cref="Count"/>).</param>
    /// <returns>The file name.</returns>
    public string PhotoOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _photos[index / PairsPerPhoto];
    }

    /// <summary>The identifier of pair <paramref name="index"/> in reports: <c>photo.jpg#k</c>.</summary>
    /// <param name="index">Pair index.</param>
    /// <returns>The identifier.</returns>
    public string Identifier(int index) => PhotoOf(index) + "#" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Makes pair <paramref name="index"/>: the two float views and the homography from view-0 to view-1 pixels.</summary>
    /// <param name="index">Pair index in [0, <see cref="Count"/>).</param>
    /// <returns>The pair (named by <see cref="Identifier"/>).</returns>
    public PairSample Make(int index)
    {
        string name = PhotoOf(index);
        using var photo = GrayImage.Read(Path.Combine(Folder, name));
        return HomographyPairMaker.Make(photo, Width, Height, Augmentation, TrainingRandom.For(Seed, RandomStream, index), Identifier(index));
    }

    /// <summary>
    /// Makes the pairs (all, or the first <paramref name="maxPairs"/>) and wraps them as a <see cref="HomographyDataset"/>
    /// named <c>photos</c>: each <see cref="HomographyEvalPair"/> carries its two views as 8-bit gray images
    /// (<see cref="HomographyEvalPair.Images"/>, about 2 x width x height bytes per pair) and the ground-truth H;
    /// both image paths are the source photo.
    /// </summary>
    /// <param name="resize">Image preparation of the views (default none: the views already have the evaluation size).</param>
    /// <param name="maxPairs">Only the first pairs (null: all).</param>
    /// <returns>The dataset.</returns>
    public HomographyDataset ToDataset(EvalResize? resize = null, int? maxPairs = null)
    {
        int n = maxPairs is int m ? Math.Clamp(m, 0, Count) : Count;
        var pairs = new List<HomographyEvalPair>(n);
        for (int k = 0; k < n; k++)
        {
            var s = Make(k);
            string path = Path.Combine(Folder, PhotoOf(k));
            var h = new double[3, 3];
            for (int i = 0; i < 9; i++) h[i / 3, i % 3] = s.Homography![i];
            pairs.Add(new HomographyEvalPair(s.Name, path, path, h) { Images = new EvalImagePair(Gray8.From(s.Image0), Gray8.From(s.Image1)) });
        }
        return new HomographyDataset("photos", pairs, resize ?? EvalResize.None) { Description = Describe() };
    }

    /// <summary>How the pairs are made, in words (shown in the report's protocol line).</summary>
    /// <returns>A one-line description.</returns>
    public string Describe()
    {
        var a = Augmentation;
        var (c0, c1) = a.Crop;
        var (s0, s1) = a.ScaleRange;
        bool photometric = a.MaxBrightness > 0 || a.MaxContrast > 0 || a.MaxGamma > 0 || (a.BlurProbability > 0 && a.MaxBlurSigma > 0) || a.MaxNoise > 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"synthetic homographies {Width}x{Height} from {_photos.Length} photos x {PairsPerPhoto}, seed {Seed}, {AugmentationName} " +
            $"(crop {c0:0.##}-{c1:0.##}, rotation ±{a.MaxRotation:0.##}°, scale {s0:0.###}-{s1:0.###}, perspective {a.MaxPerspective:0.###}, " +
            $"translation {a.MaxTranslation:0.###}, overlap >= {a.MinOverlap:0.##}, photometric {(photometric ? "on" : "off")})");
    }
}

/// <summary>An 8-bit grayscale image in managed memory (row-major, <see cref="Width"/> x <see cref="Height"/>).</summary>
/// <param name="Pixels">Intensities 0-255.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public sealed record Gray8(byte[] Pixels, int Width, int Height)
{
    /// <summary>Converts a [0, 1] float image as <c>ConvertTo(CV_8U, 255)</c> does: round to nearest, saturate to 0-255.</summary>
    /// <param name="image">The float image.</param>
    /// <returns>The 8-bit image.</returns>
    public static Gray8 From(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var f = Mat.FromPixelData(image.Height, image.Width, MatType.CV_32FC1, image.Pixels);
        using var b = new Mat();
        f.ConvertTo(b, MatType.CV_8UC1, 255);
        var px = new byte[image.Width * image.Height];
        System.Runtime.InteropServices.Marshal.Copy(b.Data, px, 0, px.Length);
        return new Gray8(px, image.Width, image.Height);
    }

    /// <summary>A new 8-bit single-channel <see cref="Mat"/> holding a copy of the pixels (caller disposes).</summary>
    /// <returns>The image.</returns>
    public Mat ToMat()
    {
        if (Pixels.Length != (long)Width * Height) throw new InvalidOperationException($"{Pixels.Length} pixels for {Width}x{Height}.");
        using var view = Mat.FromPixelData(Height, Width, MatType.CV_8UC1, Pixels);
        return view.Clone();
    }
}

/// <summary>The two in-memory images of an evaluation pair.</summary>
/// <param name="Image0">Image 0.</param>
/// <param name="Image1">Image 1.</param>
public sealed record EvalImagePair(Gray8 Image0, Gray8 Image1);
