using System.Diagnostics;
using Loftr.Colmap;
using Loftr.Tests.Golden;

namespace Loftr.Tests.Colmap;

/// <summary>
/// LoFTR matches (golden small_ot weights: random, so only database validity is meaningful) through the exporter,
/// and COLMAP itself reading the database back.
/// </summary>
public class ColmapExporterLoftrTests
{
    [Fact]
    public void LoftrDatabaseIsReadByColmap()
    {
        using var tmp = ColmapTestSupport.Temp();
        string images = tmp["images"];
        ColmapTestSupport.CopyPhotos(images, "london_bridge");
        using var fixture = new GoldenFixture("small_ot");
        using var loftr = LoftrPairMatcher.Load(Path.Combine(fixture.Directory, "weights.ckpt"),
            new MatchOptions { MaxSize = 320, Threshold = 0.0, MaxMatches = 600 }, GoldenModel.Config(fixture.Json));
        // A pairs file with the larger image id first in two of the three pairs (stored swapped by the writer).
        var names = ImageFolder.List(images);
        File.WriteAllLines(tmp["pairs.txt"], [$"{names[1]} {names[0]}", $"{names[3]} {names[1]}", $"{names[0]} {names[2]}"]);
        var sw = Stopwatch.StartNew();
        var result = ColmapExporter.Run(new ColmapExportOptions(images, tmp["database.db"], PairSelection.FromFile(tmp["pairs.txt"]))
        {
            Merge = KeypointMergeOptions.Medium,
            Verification = new GeometricVerificationOptions(MinInliers: 8),
        }, loftr);
        Console.WriteLine($"LoFTR export: {sw.Elapsed.TotalSeconds:F1} s");
        foreach (var p in result.Pairs) Console.WriteLine($"  {p.Image0} {p.Image1}: raw {p.RawMatches}, matches {p.Matches}, inliers {p.Inliers}, {p.Config}");
        Assert.Equal(3, result.Pairs.Count);
        Assert.Equal(names[1], result.Pairs[0].Image0);
        Assert.All(result.Pairs, p => Assert.InRange(p.RawMatches, 1, 600));
        Assert.All(result.Pairs, p => Assert.InRange(p.Matches, 1, p.RawMatches));
        Assert.True(result.Images.Sum(i => i.Keypoints) < result.Pairs.Sum(p => 2 * p.RawMatches), "merging should share keypoints across pairs");
        Assert.StartsWith("loftr|sha256:", loftr.Identity);

        using (var db = ColmapDatabase.Open(result.DatabasePath))
        {
            var cameras = db.ReadCameras().ToDictionary(c => c.CameraId, c => c.Camera);
            var imgs = db.ReadImages();
            Assert.Equal(result.Images.Select(i => i.Name), imgs.Select(i => i.Name));
            foreach (var img in imgs)
            {
                var cam = cameras[img.CameraId];
                var kps = db.ReadKeypoints(img.ImageId);
                Assert.Equal(result.Images.Single(i => i.ImageId == img.ImageId).Keypoints, kps.Length);
                Assert.All(kps, k => Assert.True(k.X >= 0 && k.Y >= 0 && k.X <= cam.Width && k.Y <= cam.Height, $"{img.Name}: keypoint {k} outside {cam.Width}x{cam.Height}"));
            }
            foreach (var p in result.Pairs)
                {
                    var (a, b) = (imgs.ToList().FindIndex(i => i.Name == p.Image0), imgs.ToList().FindIndex(i => i.Name == p.Image1));
                    int n0 = db.ReadKeypoints(imgs[a].ImageId).Length, n1 = db.ReadKeypoints(imgs[b].ImageId).Length;
                    var m = db.ReadMatches(imgs[a].ImageId, imgs[b].ImageId);
                    Assert.All(m, x => Assert.True(x.Index1 < n0 && x.Index2 < n1));
                    // One-to-one after merging.
                    Assert.Equal(m.Length, m.Select(x => x.Index1).Distinct().Count());
                    Assert.Equal(m.Length, m.Select(x => x.Index2).Distinct().Count());
                    Assert.Equal(p.Matches, m.Length);
                    var g = db.ReadTwoViewGeometry(imgs[a].ImageId, imgs[b].ImageId)!;
                    Assert.Equal(p.Inliers, g.Inliers.Length);
                    Assert.Subset(m.ToHashSet(), g.Inliers.ToHashSet());
                }
        }

        var exe = ColmapTestSupport.Colmap();
        if (exe == null) return;
        // COLMAP parses every table (blob sizes are CHECKed) when it merges our database into an empty one; what it
        // writes back must be what we wrote.
        ColmapTestSupport.RunColmap(exe, "database_creator", "--database_path", tmp["empty.db"]);
        ColmapTestSupport.RunColmap(exe, "database_merger", "--database_path1", result.DatabasePath, "--database_path2", tmp["empty.db"],
            "--merged_database_path", tmp["merged.db"]);
        AssertSameContent(result.DatabasePath, tmp["merged.db"]);
        // And the mapper runs on it (random weights: a model is not expected, an error is).
        var mapped = ColmapMapper.Run(new ColmapMapperOptions(result.DatabasePath, images, tmp["sparse"]));
        Console.WriteLine($"mapper on random-weight matches: {mapped.Models.Count} model(s)");
    }

    internal static void AssertSameContent(string expectedPath, string actualPath)
    {
        using var expected = ColmapDatabase.Open(expectedPath);
        using var actual = ColmapDatabase.Open(actualPath);
        var e = expected.ReadImages();
        var a = actual.ReadImages().ToDictionary(i => i.Name);
        Assert.Equal(e.Select(i => i.Name).Order(), a.Keys.Order());
        var eCams = expected.ReadCameras().ToDictionary(c => c.CameraId, c => c.Camera);
        var aCams = actual.ReadCameras().ToDictionary(c => c.CameraId, c => c.Camera);
        foreach (var img in e)
        {
            var other = a[img.Name];
            Assert.Equal(eCams[img.CameraId].Params, aCams[other.CameraId].Params);
            Assert.Equal(eCams[img.CameraId].Model, aCams[other.CameraId].Model);
            Assert.Equal(expected.ReadKeypoints(img.ImageId), actual.ReadKeypoints(other.ImageId));
        }
        for (int i = 0; i < e.Count; i++)
            for (int j = i + 1; j < e.Count; j++)
            {
                int ai = a[e[i].Name].ImageId, aj = a[e[j].Name].ImageId;
                Assert.Equal(expected.ReadMatches(e[i].ImageId, e[j].ImageId), actual.ReadMatches(ai, aj));
                var ge = expected.ReadTwoViewGeometry(e[i].ImageId, e[j].ImageId);
                var ga = actual.ReadTwoViewGeometry(ai, aj);
                Assert.Equal(ge is null, ga is null);
                if (ge is null) continue;
                Assert.Equal(ge.Config, ga!.Config);
                Assert.Equal(ge.Inliers, ga.Inliers);
                if (ge.F != null) Assert.Equal(ge.F.Cast<double>(), ga.F!.Cast<double>());
            }
    }
}
