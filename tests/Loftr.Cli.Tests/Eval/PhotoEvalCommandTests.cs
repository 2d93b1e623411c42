using System.Text.Json;
using Loftr.Cli.Tests.Infrastructure;
using Loftr.Eval;
using Loftr.Evaluation;
using Loftr.Training;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests.Eval;

/// <summary>
/// <c>loftr eval homography --dataset photos</c>: options, the recipe's split and augmentation, SIFT end to end on
/// synthetic pairs of tests/data/phototourism, and the committed split of ../shared/data/train_photos (skipped with a
/// message without it). The library side is tests/Loftr.Tests/Evaluation/PhotoHomographyPairsTests.cs.
/// </summary>
public class PhotoEvalCommandTests(ITestOutputHelper output)
{
    private static string Folder => Paths.Data("phototourism");

    private static string[] AllPhotos => Directory.GetFiles(Folder, "*.jpg").Select(Path.GetFileName).OfType<string>()
        .Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void RecipeAloneGivesTheSplitAndTheAugmentation()
    {
        var names = AllPhotos;
        using var dir = new TempDir();
        var split = new HoldoutSplit { Validation = [names[0], names[5]], Test = [names[2], names[6], names[7]] };
        split.Save(Path.Combine(dir.Path, "split.json"));
        // The command line: --recipe alone takes the recipe's split and augmentation.
        string recipePath = Path.Combine(dir.Path, "recipe.json");
        File.WriteAllText(recipePath, """{ "split": "split.json", "augmentation": { "maxRotation": 12, "minScale": 0.9, "maxScale": 1.2 } }""");
        var o = EvalCommandOptions.Parse(["homography", "--dataset", "photos", "--images", Folder, "--recipe", recipePath,
            "--pairs-per-photo", "2", "--seed", "7", "--size", "320x240"]);
        var fromCli = EvalDatasetFactory.PhotoPairs(o);
        Assert.Equal(split.Test, fromCli.Photos);
        Assert.Equal(TrainingRecipe.Load(recipePath).Augmentation.ToAugmentation(), fromCli.Augmentation);
        Assert.Equal((2, 7L, 320, 240), (fromCli.PairsPerPhoto, fromCli.Seed, fromCli.Width, fromCli.Height));
        Assert.Contains("augmentation of recipe.json (crop 0.6-1, rotation ±12°, scale 0.9-1.2", fromCli.Describe());

    }

    [Fact]
    public void CommittedSplitTestPhotosOfTheSharedTrainPhotos()
    {
        string? photos = Paths.Shared("data/train_photos");
        if (photos is null)
        {
            output.WriteLine("SKIPPED: ../shared/data/train_photos not present (the committed split's photos).");
            return;
        }
        var split = HoldoutSplit.Load(Path.Combine(Paths.Root, "recipes", "default", "split.json"));
        var o = EvalCommandOptions.Parse(["homography", "--dataset", "photos", "--images", photos,
            "--recipe", Path.Combine(Paths.Root, "recipes", "default", "recipe.json")]);
        var pairs = EvalDatasetFactory.PhotoPairs(o);
        Assert.Equal(30, split.Test.Count);
        Assert.Equal(120, pairs.Count);
        Assert.Equal((640, 480, 66L), (pairs.Width, pairs.Height, pairs.Seed));
        var used = Enumerable.Range(0, pairs.Count).Select(pairs.PhotoOf).Distinct().ToList();
        Assert.Equal(split.Test, used);
        var training = new HomographyFolderDataset(photos, 320, 240, split: split);
        Assert.Empty(training.TrainFiles.Select(Path.GetFileName).Intersect(used));
        Assert.Empty(training.ValidationFiles.Select(Path.GetFileName).Intersect(used));
        var s = pairs.Make(119);
        Assert.Equal((640, 480), (s.Image1.Width, s.Image1.Height));
    }

    [Fact]
    public void SiftEndToEndThroughTheCommand()
    {
        var names = AllPhotos;
        using var dir = new TempDir();
        new HoldoutSplit { Validation = [names[0]], Test = [names[1], names[4], names[6]] }.Save(Path.Combine(dir.Path, "split.json"));
        // Only a small translation (up to 3 % of the view) and no photometric change: SIFT must be sub-pixel.
        var easy = new RecipeAugmentation
        {
            CropMin = 1, CropMax = 1, MaxRotation = 0, MinScale = 1, MaxScale = 1, MaxPerspective = 0, MaxTranslation = 0.03, MinOverlap = 0,
            MaxBrightness = 0, MaxContrast = 0, MaxGamma = 0, BlurProbability = 0, MaxBlurSigma = 0, MaxNoise = 0,
        };
        File.WriteAllText(Path.Combine(dir.Path, "easy.json"), JsonSerializer.Serialize(new { split = "split.json", augmentation = easy },
            new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));

        string[] Args(string option, string file, string json) =>
            ["homography", "--dataset", "photos", "--images", Folder, option, file, "--pairs-per-photo", "2", "--size", "320x240", "--seed", "66",
             "--method", "sift", "--json", json, "--markdown", Path.ChangeExtension(json, ".md"), "--quiet"];

        // Easy pairs: every corner within a pixel.
        CliRunner.RunOk(output, ["eval", .. Args("--recipe", Path.Combine(dir.Path, "easy.json"), Path.Combine(dir.Path, "easy-out.json"))]);
        var easyReport = (HomographyReport)EvalReportJson.Read(Path.Combine(dir.Path, "easy-out.json")).Reports.Single();
        Assert.Equal("photos", easyReport.Dataset);
        Assert.Equal(6, easyReport.PairCount);
        Assert.All(easyReport.Pairs, p => Assert.True(p.CornerError < 1, $"{p.Identifier}: corner error {p.CornerError:F3} px"));
        Assert.True(easyReport.Auc3 > 0.7, $"AUC@3 {easyReport.Auc3:F3}");
        Assert.Contains("seed 66, augmentation of easy.json", easyReport.Protocol);
        Assert.Contains("photometric off", easyReport.Protocol);

        // The fixed test augmentation: harder, still finite and ordered.
        string json = Path.Combine(dir.Path, "test.json");
        CliRunner.RunOk(output, ["eval", .. Args("--split", Path.Combine(dir.Path, "split.json"), json)]);
        var r = (HomographyReport)EvalReportJson.Read(json).Reports.Single();
        Assert.Equal(6, r.PairCount);
        Assert.All(new[] { r.Auc3, r.Auc5, r.Auc10, r.Precision }, v => Assert.InRange(v, 0.0, 1.0));
        Assert.True(r.Auc3 <= r.Auc5 && r.Auc5 <= r.Auc10);
        Assert.True(r.Auc10 > 0.2, $"AUC@10 {r.Auc10:F3}: SIFT should solve some of the test pairs");
        Assert.True(r.MeanMatches > 20);
        Assert.Contains("test augmentation (crop 0.6-1, rotation ±30°, scale 0.6-1.6, perspective 0.15", r.Protocol);
        Assert.Contains("photometric on", r.Protocol);
        Assert.Equal([names[1] + "#0", names[1] + "#1", names[4] + "#2"], r.Pairs.Take(3).Select(p => p.Identifier));
        string md = File.ReadAllText(Path.ChangeExtension(json, ".md"));
        Assert.Contains("Dataset: photos (6 pairs)", md);
        Assert.Contains("| pair | matches | inliers | corner err (px) |", md);
    }

    [Theory]
    [InlineData(new[] { "homography", "--dataset", "photos", "--split", "s.json" }, "--dataset photos needs --images")]
    [InlineData(new[] { "homography", "--dataset", "photos", "--images", "d" }, "needs --split FILE")]
    [InlineData(new[] { "homography", "--dataset", "photos", "--images", "d", "--split", "s", "--size", "640" }, "--size must be WxH")]
    [InlineData(new[] { "homography", "--dataset", "photos", "--images", "d", "--split", "s", "--pairs-per-photo", "0" }, "--pairs-per-photo must be positive")]
    [InlineData(new[] { "homography", "--dataset", "photos", "--images", "d", "--split", "s", "--seed", "x" }, "--seed: 'x' is not an integer")]
    [InlineData(new[] { "pose", "--dataset", "photos", "--images", "d", "--split", "s" }, "Dataset 'photos' does not fit task 'pose'")]
    public void PhotoOptionsAreChecked(string[] args, string message)
    {
        var ex = Assert.Throws<EvalUsageException>(() => EvalCommandOptions.Parse(args));
        Assert.Contains(message, ex.Message);
    }


    [Fact]
    public void MissingSplitFileIsAnError()
    {
        var r = CliRunner.Run("eval", "homography", "--dataset", "photos", "--images", Folder, "--split", "/nonexistent/split.json");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("Split file not found", r.Err + r.Out);
    }
}
