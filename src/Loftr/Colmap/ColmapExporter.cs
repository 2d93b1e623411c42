using OpenCvSharp;

namespace Loftr.Colmap;

/// <summary>
/// Structure from motion with COLMAP: matches image pairs with an <see cref="IPairMatcher"/> (resumable through a
/// sidecar cache), merges the keypoints per image, verifies each pair geometrically and writes a COLMAP database
/// (cameras, images, keypoints, matches, two_view_geometries) ready for <c>colmap mapper</c>
/// (see <see cref="ColmapMapper"/>).
/// </summary>
public static class ColmapExporter
{
    /// <summary>Runs the export.</summary>
    /// <param name="options">Images, pairs, database and settings.</param>
    /// <param name="matcher">The matcher.</param>
    /// <param name="progress">Progress reports, one per item of each stage (optional).</param>
    /// <param name="cancellationToken">Cancels between pairs; matches already computed stay in the cache.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="IOException">The database exists and <see cref="ColmapExportOptions.Overwrite"/> is false.</exception>
    /// <exception cref="InvalidDataException">Fewer than two images, no pairs, an unreadable image or a bad pairs file.</exception>
    public static ColmapExportResult Run(ColmapExportOptions options, IPairMatcher matcher, IProgress<ColmapExportProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(matcher);
        options.Validate();
        if (File.Exists(options.DatabasePath) && !options.Overwrite)
            throw new IOException($"{options.DatabasePath}: the database already exists (set Overwrite, --overwrite on the command line, to rebuild it).");

        var names = ImageFolder.List(options.ImageDirectory);
        if (names.Count < 2) throw new InvalidDataException($"{options.ImageDirectory}: found {names.Count} image(s), need at least 2.");
        var pairs = options.Pairs.Resolve(names);
        if (pairs.Count == 0) throw new InvalidDataException("No image pairs to match.");

        var images = ReadImages(options, names, progress, cancellationToken);
        using var cache = MatchCache.Open(options.EffectiveCachePath);
        var raw = MatchPairs(options, matcher, cache, images, pairs, progress, cancellationToken);

        var merge = matcher.KeypointsArePerImage ? KeypointMergeOptions.Exact : options.Merge;
        var (keypoints, pairMatches) = Merge(merge, raw, cache, matcher.Identity, images, progress);
        var geometries = Verify(options, images, raw, keypoints, pairMatches, progress, cancellationToken);
        Write(options, images, keypoints, raw, pairMatches, geometries, progress);

        var exported = images.Values.OrderBy(i => i.Id).Select(i => new ColmapExportedImage(i.Id, i.Name, i.Camera.Width, i.Camera.Height,
            i.Camera.FocalX, i.Camera.HasPriorFocalLength, keypoints[i.Name].Length)).ToArray();
        var exportedPairs = raw.Select((r, k) => new ColmapExportedPair(r.Image0, r.Image1, r.Count, pairMatches[k].Length,
            geometries[k].Inliers.Length, geometries[k].Config, r.FromCache)).ToArray();
        return new ColmapExportResult(Path.GetFullPath(options.DatabasePath), Path.GetFullPath(options.EffectiveCachePath), exported, exportedPairs);
    }

    private sealed record ImageEntry(int Id, string Name, string Path, string Stamp, ColmapCamera Camera);

    private sealed record RawPair(string Image0, string Image1, string Stamp0, string Stamp1, int Count, bool FromCache);

    private static Dictionary<string, ImageEntry> ReadImages(ColmapExportOptions options, IReadOnlyList<string> names,
        IProgress<ColmapExportProgress>? progress, CancellationToken ct)
    {
        var result = new Dictionary<string, ImageEntry>(StringComparer.Ordinal);
        ColmapCamera? shared = null;
        for (int i = 0; i < names.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            string path = ImageFolder.Resolve(options.ImageDirectory, names[i]);
            var (w, h) = ImageSize(path);
            var camera = options.Cameras.SingleCamera && shared != null ? shared : options.Cameras.CameraFor(w, h, ExifInfo.Read(path));
            if (options.Cameras.SingleCamera)
            {
                shared ??= camera;
                if (shared.Width != w || shared.Height != h)
                    throw new InvalidDataException($"{path}: {w}x{h} differs from the shared camera's {shared.Width}x{shared.Height}; a single camera needs images of one size.");
            }
            result[names[i]] = new ImageEntry(i + 1, names[i], path, MatchCache.Stamp(path), camera);
            progress?.Report(new ColmapExportProgress(ColmapExportStage.ReadingImages, i + 1, names.Count, names[i]));
        }
        return result;
    }

    private static (int Width, int Height) ImageSize(string path)
    {
        // Decoded as the matchers decode it (OpenCV, EXIF orientation applied), so sizes and keypoints agree.
        using var m = Cv2.ImRead(path, ImreadModes.Grayscale);
        if (m.Empty()) throw new InvalidDataException($"{path}: not an image that OpenCV can decode.");
        return (m.Cols, m.Rows);
    }

    private static List<RawPair> MatchPairs(ColmapExportOptions options, IPairMatcher matcher, MatchCache cache,
        Dictionary<string, ImageEntry> images, IReadOnlyList<(string Image0, string Image1)> pairs,
        IProgress<ColmapExportProgress>? progress, CancellationToken ct)
    {
        var result = new List<RawPair>(pairs.Count);
        for (int k = 0; k < pairs.Count; k++)
        {
            ct.ThrowIfCancellationRequested();
            var (a, b) = pairs[k];
            var ia = images[a];
            var ib = images[b];
            var cached = cache.TryGet(matcher.Identity, a, b, ia.Stamp, ib.Stamp);
            PairMatches m;
            if (cached != null) m = cached;
            else
            {
                m = matcher.Match(ia.Path, ib.Path) ?? throw new InvalidOperationException($"The matcher returned nothing for {a} / {b}.");
                m.Validate();
                cache.Put(matcher.Identity, a, b, ia.Stamp, ib.Stamp, m);
            }
            result.Add(new RawPair(a, b, ia.Stamp, ib.Stamp, m.Count, cached != null));
            progress?.Report(new ColmapExportProgress(ColmapExportStage.Matching, k + 1, pairs.Count, $"{a} {b}", cached != null));
        }
        return result;
    }

    private static PairMatches Load(MatchCache cache, string identity, RawPair p) =>
        cache.TryGet(identity, p.Image0, p.Image1, p.Stamp0, p.Stamp1)
        ?? throw new InvalidOperationException($"{cache.Path}: the matches of {p.Image0} / {p.Image1} vanished from the cache.");

    private static (Dictionary<string, Point2[]> Keypoints, List<KeypointMatch[]> Matches) Merge(KeypointMergeOptions merge, List<RawPair> raw,
        MatchCache cache, string identity, Dictionary<string, ImageEntry> images, IProgress<ColmapExportProgress>? progress)
    {
        var merger = new KeypointMerger(merge);
        int total = 2 * raw.Count, done = 0;
        foreach (var p in raw)
        {
            var m = Load(cache, identity, p);
            merger.AddVotes(p.Image0, m.Keypoints0, m.Scores);
            merger.AddVotes(p.Image1, m.Keypoints1, m.Scores);
            progress?.Report(new ColmapExportProgress(ColmapExportStage.Merging, ++done, total, $"{p.Image0} {p.Image1}"));
        }
        var finished = merger.Finish();
        var keypoints = images.Keys.ToDictionary(n => n, n => finished.TryGetValue(n, out var k) ? k : [], StringComparer.Ordinal);
        var matches = new List<KeypointMatch[]>(raw.Count);
        foreach (var p in raw)
        {
            var m = Load(cache, identity, p);
            matches.Add(merger.Assign(p.Image0, p.Image1, m.Keypoints0, m.Keypoints1, m.Scores));
            progress?.Report(new ColmapExportProgress(ColmapExportStage.Merging, ++done, total, $"{p.Image0} {p.Image1}"));
        }
        return (keypoints, matches);
    }

    private static List<ColmapTwoViewGeometry> Verify(ColmapExportOptions options, Dictionary<string, ImageEntry> images, List<RawPair> raw,
        Dictionary<string, Point2[]> keypoints, List<KeypointMatch[]> matches, IProgress<ColmapExportProgress>? progress, CancellationToken ct)
    {
        var result = new List<ColmapTwoViewGeometry>(raw.Count);
        for (int k = 0; k < raw.Count; k++)
        {
            ct.ThrowIfCancellationRequested();
            var p = raw[k];
            result.Add(GeometricVerification.Verify(keypoints[p.Image0], keypoints[p.Image1], matches[k],
                images[p.Image0].Camera, images[p.Image1].Camera, options.Verification));
            progress?.Report(new ColmapExportProgress(ColmapExportStage.Verifying, k + 1, raw.Count, $"{p.Image0} {p.Image1}"));
        }
        return result;
    }

    private static void Write(ColmapExportOptions options, Dictionary<string, ImageEntry> images, Dictionary<string, Point2[]> keypoints,
        List<RawPair> raw, List<KeypointMatch[]> matches, List<ColmapTwoViewGeometry> geometries, IProgress<ColmapExportProgress>? progress)
    {
        string full = Path.GetFullPath(options.DatabasePath);
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
        try
        {
            using (var db = ColmapDatabase.Create(tmp))
            {
                db.BeginTransaction();
                var ordered = images.Values.OrderBy(i => i.Id).ToArray();
                var cameraIds = new Dictionary<ColmapCamera, int>(ReferenceEqualityComparer.Instance);
                foreach (var img in ordered)
                {
                    if (!cameraIds.TryGetValue(img.Camera, out int cameraId)) cameraIds[img.Camera] = cameraId = db.AddCamera(img.Camera);
                    int id = db.AddImage(img.Name, cameraId);
                    if (id != img.Id) throw new InvalidOperationException($"COLMAP assigned image id {id} to {img.Name}, expected {img.Id}.");
                    db.AddKeypoints(id, Array.ConvertAll(keypoints[img.Name], ToColmapPixels));
                }
                for (int k = 0; k < raw.Count; k++)
                {
                    int id0 = images[raw[k].Image0].Id, id1 = images[raw[k].Image1].Id;
                    db.AddMatches(id0, id1, matches[k]);
                    db.AddTwoViewGeometry(id0, id1, geometries[k]);
                    progress?.Report(new ColmapExportProgress(ColmapExportStage.Writing, k + 1, raw.Count, $"{raw[k].Image0} {raw[k].Image1}"));
                }
                db.Commit();
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>OpenCV pixel coordinates (top-left pixel centre at 0) to COLMAP's (at 0.5).</summary>
    /// <param name="p">OpenCV point.</param>
    /// <returns>COLMAP point.</returns>
    public static Point2 ToColmapPixels(Point2 p) => new(p.X + 0.5f, p.Y + 0.5f);
}
