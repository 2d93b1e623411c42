using System.Diagnostics;
using Loftr.Colmap;

namespace Loftr.Tests.Colmap;

/// <summary>
/// The real client: OpenCV SIFT matches of two landmarks pushed through the exporter, then COLMAP's mapper.
/// </summary>
public class ColmapExporterSiftTests
{
    [Fact]
    public void SiftDatabaseReconstructsLandmarksWithColmapMapper()
    {
        var exe = ColmapTestSupport.Colmap();
        if (exe == null) return;
        using var tmp = ColmapTestSupport.Temp();
        string images = tmp["images"];
        ColmapTestSupport.CopyPhotos(images, "st_pauls_cathedral", "united_states_capitol");
        using var sift = new SiftPairMatcher();
        var sw = Stopwatch.StartNew();
        var progress = new List<ColmapExportProgress>();
        var result = ColmapExporter.Run(new ColmapExportOptions(images, tmp["db/database.db"], PairSelection.Exhaustive), sift,
            new SyncProgress(progress.Add));
        Console.WriteLine($"SIFT export: {sw.Elapsed.TotalSeconds:F1} s");
        foreach (var p in result.Pairs) Console.WriteLine($"  {p.Image0} {p.Image1}: raw {p.RawMatches}, matches {p.Matches}, inliers {p.Inliers}, {p.Config}");

        Assert.Equal(4, result.Images.Count);
        Assert.Equal(6, result.Pairs.Count);
        Assert.All(result.Images, i => Assert.False(i.FocalFromExif));
        Assert.All(result.Images, i => Assert.Equal(1.2 * Math.Max(i.Width, i.Height), i.FocalLength, 9));
        // Same landmark: verified with many inliers; different landmarks: (almost) nothing survives.
        foreach (var p in result.Pairs)
        {
            bool same = p.Image0[..8] == p.Image1[..8];
            if (same) Assert.True(p.Inliers >= 30, $"{p.Image0} / {p.Image1}: {p.Inliers} inliers");
            else Assert.True(p.Inliers < 20, $"{p.Image0} / {p.Image1}: {p.Inliers} inliers across landmarks");
        }
        Assert.Equal(6, progress.Count(p => p.Stage == ColmapExportStage.Matching));
        Assert.Equal([ColmapExportStage.ReadingImages, ColmapExportStage.Matching, ColmapExportStage.Merging, ColmapExportStage.Verifying, ColmapExportStage.Writing],
            progress.Select(p => p.Stage).Distinct());

        // SIFT keypoints are per image: merged exactly, so every written keypoint is a SIFT location (+0.5, COLMAP pixels).
        using (var db = ColmapDatabase.Open(result.DatabasePath))
        {
            Assert.Equal(4, db.CountRows("images"));
            Assert.Equal(4, db.CountRows("cameras"));
            Assert.Equal(6, db.CountRows("two_view_geometries"));
            foreach (var img in db.ReadImages())
                Assert.Equal(result.Images.Single(i => i.Name == img.Name).Keypoints, db.ReadKeypoints(img.ImageId).Length);
        }

        var mapped = ColmapMapper.Run(new ColmapMapperOptions(result.DatabasePath, images, tmp["sparse"])
        {
            // Few SIFT inliers on these Internet photos (COLMAP's default needs 100 to initialise), and two photos per
            // landmark (COLMAP keeps models of at least min(10, 0.8 * images) = 3 images by default).
            ExtraArguments = ["--Mapper.init_min_num_inliers", "30", "--Mapper.min_model_size", "2"],
        });
        Assert.NotEmpty(mapped.Models);
        foreach (var m in mapped.Models)
        {
            var names = ColmapMapper.RegisteredImageNames(m.Path);
            Console.WriteLine($"model {Path.GetFileName(m.Path)}: {m.RegisteredImages} registered ({string.Join(", ", names)}), {m.Points} points, " +
                              $"{m.Observations} observations, mean track {m.MeanTrackLength:F2}, reprojection error {m.MeanReprojectionError:F3} px");
            Assert.Equal(m.RegisteredImages, names.Count);
        }
        var best = mapped.Best!;
        var registered = ColmapMapper.RegisteredImageNames(best.Path);
        // Both photos of one landmark are registered together, and only those.
        Assert.Equal(2, best.RegisteredImages);
        Assert.Equal(registered[0][..8], registered[1][..8]);
        Assert.True(best.Points >= 15, $"{best.Points} points");
        Assert.InRange(best.MeanReprojectionError, 0.0, 2.0);
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    internal sealed class SyncProgress(Action<ColmapExportProgress> report) : IProgress<ColmapExportProgress>
    {
        public void Report(ColmapExportProgress value) => report(value);
    }
}
