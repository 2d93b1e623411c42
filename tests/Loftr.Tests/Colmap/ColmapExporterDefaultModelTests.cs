using System.Diagnostics;
using Loftr.Colmap;
using Loftr.Tests.Infrastructure;

namespace Loftr.Tests.Colmap;

/// <summary>
/// The real client with the model that ships: matches of the default model on two landmarks (the photos of
/// <see cref="ColmapExporterSiftTests"/>), through the exporter, then COLMAP's mapper. The mapper keeps COLMAP's
/// default initialisation (an initial pair needs 100 inliers, relaxed by halves to 50 when none qualifies; SIFT's test
/// lowers it to 30 for its few matches): with a
/// weak matcher, cross-landmark pairs verified with a few dozen chance inliers (18-29 here) would otherwise seed wrong
/// models.
/// </summary>
[Collection(nameof(ProcessWide))]
public class ColmapExporterDefaultModelTests
{
    [Fact]
    public void DefaultModelDatabaseReconstructsALandmarkWithColmapMapper()
    {
        var exe = ColmapTestSupport.Colmap();
        if (exe == null) return;
        using var tmp = ColmapTestSupport.Temp();
        string images = tmp["images"];
        ColmapTestSupport.CopyPhotos(images, "st_pauls_cathedral", "united_states_capitol");
        using var model = LoftrMatcher.LoadDefault();
        using var loftr = new LoftrPairMatcher(model, "default", new MatchOptions { MaxSize = 1024 }); // loftr colmap's defaults
        var sw = Stopwatch.StartNew();
        var result = ColmapExporter.Run(new ColmapExportOptions(images, tmp["db/database.db"], PairSelection.Exhaustive), loftr);
        Console.WriteLine($"default-model export: {sw.Elapsed.TotalSeconds:F1} s");
        foreach (var p in result.Pairs) Console.WriteLine($"  {p.Image0} {p.Image1}: raw {p.RawMatches}, matches {p.Matches}, inliers {p.Inliers}, {p.Config}");
        Assert.Equal(4, result.Images.Count);
        Assert.Equal(6, result.Pairs.Count);

        var mapped = ColmapMapper.Run(new ColmapMapperOptions(result.DatabasePath, images, tmp["sparse"])
        {
            ExtraArguments = ["--Mapper.min_model_size", "2"],
        });
        Assert.NotEmpty(mapped.Models);
        foreach (var m in mapped.Models)
        {
            var names = ColmapMapper.RegisteredImageNames(m.Path);
            Console.WriteLine($"model {Path.GetFileName(m.Path)}: {m.RegisteredImages} registered ({string.Join(", ", names)}), {m.Points} points, " +
                              $"{m.Observations} observations, reprojection error {m.MeanReprojectionError:F3} px");
            // No model joins two landmarks.
            Assert.Single(names.Select(n => n[..8]).Distinct());
        }
        // The largest model is the pair with the most verified inliers (a same-landmark pair), and only it.
        var strongest = result.Pairs.MaxBy(p => p.Inliers)!;
        Assert.Equal(strongest.Image0[..8], strongest.Image1[..8]);
        var best = mapped.Best!;
        Assert.Equal(new[] { strongest.Image0, strongest.Image1 }.Order(), ColmapMapper.RegisteredImageNames(best.Path).Order());
        Assert.True(best.Points >= 30, $"{best.Points} points");
        Assert.InRange(best.MeanReprojectionError, 0.0, 2.0);
    }
}
