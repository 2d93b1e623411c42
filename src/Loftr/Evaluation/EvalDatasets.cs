namespace Loftr.Evaluation;

/// <summary>The frame the intrinsics of a pose dataset belong to, hence where keypoints are scored.</summary>
public enum IntrinsicsFrame
{
    /// <summary>K belongs to the stored image (MegaDepth, pairs files): keypoints are mapped back to stored pixels.</summary>
    Original,

    /// <summary>K belongs to the resized image (ScanNet: K for 640x480): keypoints stay in resized pixels.</summary>
    Resized,
}

/// <summary>One relative-pose evaluation pair.</summary>
/// <param name="Identifier">Unique identifier, also shown in tables (relative names, e.g. <c>scene0711_00/color/1680.jpg scene0711_00/color/1995.jpg</c>).</param>
/// <param name="Image0Path">Image 0 file.</param>
/// <param name="Image1Path">Image 1 file.</param>
/// <param name="K0">3x3 intrinsics of image 0 (frame given by the dataset's <see cref="PoseDataset.Frame"/>).</param>
/// <param name="K1">3x3 intrinsics of image 1.</param>
/// <param name="T0to1">4x4 ground-truth transform, X_cam1 = R X_cam0 + t.</param>
public sealed record PoseEvalPair(string Identifier, string Image0Path, string Image1Path, double[,] K0, double[,] K1, double[,] T0to1);

/// <summary>A relative-pose benchmark: pairs plus the protocol's image preparation and precision threshold.</summary>
/// <param name="Name">Dataset name shown in reports (e.g. <c>scannet</c>).</param>
/// <param name="Pairs">The pairs.</param>
/// <param name="Resize">Image preparation.</param>
/// <param name="Frame">Frame of the intrinsics.</param>
/// <param name="EpipolarThreshold">Epipolar precision threshold (5e-4 ScanNet, 1e-4 MegaDepth).</param>
public sealed record PoseDataset(string Name, IReadOnlyList<PoseEvalPair> Pairs, EvalResize Resize, IntrinsicsFrame Frame,
    double EpipolarThreshold = PoseMetrics.ScanNetEpipolarThreshold)
{
    /// <summary>The first <paramref name="count"/> pairs (all when null or larger).</summary>
    /// <param name="count">Maximum pair count.</param>
    /// <returns>A dataset with fewer pairs.</returns>
    public PoseDataset Take(int? count) => count is int n && n < Pairs.Count ? this with { Pairs = Pairs.Take(n).ToList() } : this;

    /// <summary>
    /// A "pairs with gt" text file (SuperGlue / LoFTR format, see <see cref="PairsWithGtReader"/>); names are resolved
    /// against <paramref name="imageRoot"/> (default: the file's folder) and K belongs to the stored images.
    /// </summary>
    /// <param name="pairsFile">The pairs file.</param>
    /// <param name="imageRoot">Folder the names are relative to.</param>
    /// <param name="resize">Image preparation (keypoints are mapped back to the stored frame).</param>
    /// <param name="epipolarThreshold">Precision threshold.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="NotSupportedException">A pair has a non-zero EXIF rotation.</exception>
    public static PoseDataset FromPairsFile(string pairsFile, string? imageRoot = null, EvalResize? resize = null,
        double epipolarThreshold = PoseMetrics.ScanNetEpipolarThreshold)
    {
        ArgumentNullException.ThrowIfNull(pairsFile);
        if (!File.Exists(pairsFile)) throw new FileNotFoundException($"Pairs file not found: {pairsFile}", pairsFile);
        string root = imageRoot ?? Path.GetDirectoryName(Path.GetFullPath(pairsFile))!;
        var pairs = new List<PoseEvalPair>();
        foreach (var p in PairsWithGtReader.Read(pairsFile))
        {
            if (p.Rotation0 != 0 || p.Rotation1 != 0)
                throw new NotSupportedException(
                    $"{pairsFile}:{p.LineNumber}: EXIF rotations ({p.Rotation0}, {p.Rotation1}) are not supported; rotate the images and K beforehand.");
            pairs.Add(new PoseEvalPair(p.Identifier, Path.Combine(root, p.Name0), Path.Combine(root, p.Name1), p.K0, p.K1, p.T0to1));
        }
        return new PoseDataset("pairs", pairs, resize ?? EvalResize.None, IntrinsicsFrame.Original, epipolarThreshold);
    }
}

/// <summary>One homography evaluation pair.</summary>
/// <param name="Identifier">Unique identifier (relative names).</param>
/// <param name="Image0Path">Image 0 file.</param>
/// <param name="Image1Path">Image 1 file.</param>
/// <param name="Homography">H from stored image 0 to stored image 1 (OpenCV pixel convention).</param>
public sealed record HomographyEvalPair(string Identifier, string Image0Path, string Image1Path, double[,] Homography)
{
    /// <summary>
    /// In-memory 8-bit gray images (synthetic pairs, see <see cref="PhotoHomographyPairs"/>), or null. When set, the
    /// runner takes the two images from here instead of reading the paths, and prepares them like read files (the
    /// dataset's resize, then the matcher); "stored image" then means these images.
    /// </summary>
    public EvalImagePair? Images { get; init; }
}

/// <summary>
/// A homography benchmark. Metrics are computed in the resized frame: the ground truth is rescaled with
/// <see cref="HomographyMetrics.RescaleHomography"/> and corner errors use the resized image 0 (HPatches protocol).
/// </summary>
/// <param name="Name">Dataset name shown in reports.</param>
/// <param name="Pairs">The pairs.</param>
/// <param name="Resize">Image preparation.</param>
public sealed record HomographyDataset(string Name, IReadOnlyList<HomographyEvalPair> Pairs, EvalResize Resize)
{
    /// <summary>How the pairs were made, shown before the protocol settings in reports (synthetic datasets), or null.</summary>
    public string? Description { get; init; }

    /// <summary>The first <paramref name="count"/> pairs (all when null or larger).</summary>
    /// <param name="count">Maximum pair count.</param>
    /// <returns>A dataset with fewer pairs.</returns>
    public HomographyDataset Take(int? count) => count is int n && n < Pairs.Count ? this with { Pairs = Pairs.Take(n).ToList() } : this;

    /// <summary>HPatches (see <see cref="HPatchesReader"/>): pairs (1, k) of every kept sequence, short side 480 by default.</summary>
    /// <param name="root">The <c>hpatches-sequences-release</c> folder.</param>
    /// <param name="resize">Image preparation (default <see cref="EvalResize.HPatches"/>).</param>
    /// <param name="includeExcluded">Also use the 8 sequences the protocol excludes.</param>
    /// <returns>The dataset.</returns>
    public static HomographyDataset FromHPatches(string root, EvalResize? resize = null, bool includeExcluded = false)
    {
        var pairs = HPatchesReader.EnumeratePairs(root, includeExcluded)
            .Select(p => new HomographyEvalPair($"{p.Sequence}/1.ppm {p.Sequence}/{p.Index}.ppm", p.Image0Path, p.Image1Path, p.Homography))
            .ToList();
        return new HomographyDataset("hpatches", pairs, resize ?? EvalResize.HPatches);
    }

    /// <summary>One pair with a homography file (plain text or OpenCV FileStorage, see <see cref="HomographyFile.Read"/>).</summary>
    /// <param name="image0">Image 0.</param>
    /// <param name="image1">Image 1.</param>
    /// <param name="homographyFile">H from image 0 to image 1.</param>
    /// <param name="resize">Image preparation (default none).</param>
    /// <returns>The dataset.</returns>
    public static HomographyDataset FromHomographyPair(string image0, string image1, string homographyFile, EvalResize? resize = null)
    {
        ArgumentNullException.ThrowIfNull(image0);
        ArgumentNullException.ThrowIfNull(image1);
        ArgumentNullException.ThrowIfNull(homographyFile);
        if (!File.Exists(homographyFile)) throw new FileNotFoundException($"Homography file not found: {homographyFile}", homographyFile);
        var h = HomographyFile.Read(homographyFile);
        var pair = new HomographyEvalPair($"{Path.GetFileName(image0)} {Path.GetFileName(image1)}", image0, image1, h);
        return new HomographyDataset("homography-pair", [pair], resize ?? EvalResize.None);
    }
}

/// <summary>
/// A rectified-stereo benchmark (Middlebury layout, see <see cref="StereoPair"/>). Matches are scored in the stored
/// frame of the left image, where the disparity map lives.
/// </summary>
/// <param name="Name">Dataset name shown in reports.</param>
/// <param name="Pairs">The pairs.</param>
/// <param name="Resize">Image preparation (keypoints are mapped back to the stored frame).</param>
public sealed record StereoDataset(string Name, IReadOnlyList<StereoPair> Pairs, EvalResize Resize)
{
    /// <summary>The pair of one folder (<see cref="StereoPair.FromFolder"/>), or of every sub-folder holding one when the folder itself does not.</summary>
    /// <param name="folder">A pair folder or a folder of pair folders.</param>
    /// <param name="resize">Image preparation (default none).</param>
    /// <param name="disparityScale">Disparity per stored unit.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="FileNotFoundException">No pair found.</exception>
    public static StereoDataset FromFolder(string folder, EvalResize? resize = null, double disparityScale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Stereo folder not found: {folder}");
        var pairs = new List<StereoPair>();
        try
        {
            pairs.Add(StereoPair.FromFolder(folder, disparityScale));
        }
        catch (FileNotFoundException)
        {
            foreach (var sub in Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
            {
                try { pairs.Add(StereoPair.FromFolder(sub, disparityScale)); }
                catch (FileNotFoundException) { }
            }
            if (pairs.Count == 0)
                throw new FileNotFoundException(
                    $"{folder}: no stereo pair found here or in its sub-folders (expected <name>L.*, <name>R.*, <name>GT.png or view1.png, view5.png, disp1.png).");
        }
        return new StereoDataset("stereo", pairs, resize ?? EvalResize.None);
    }

    /// <summary>An identifier for a pair: the folder name and the two image names.</summary>
    /// <param name="pair">The pair.</param>
    /// <returns>E.g. <c>stereo/aloeL.jpg aloeR.jpg</c>.</returns>
    public static string Identifier(StereoPair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        string dir = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(pair.LeftPath))) ?? "";
        return $"{dir}/{Path.GetFileName(pair.LeftPath)} {Path.GetFileName(pair.RightPath)}";
    }
}
