using Loftr.Tests.Infrastructure;
using Loftr.Training;

namespace Loftr.Tests.Training;

/// <summary>The committed default recipe and held-out split, and the split/recipe readers.</summary>
public sealed class RecipeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("loftr-recipe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string DefaultRecipe => Path.Combine(TestData.Root, "recipes", "default", "recipe.json");

    [Fact]
    public void DefaultRecipeReadsWithTheRequiredAugmentation()
    {
        var recipe = TrainingRecipe.Load(DefaultRecipe);
        var aug = recipe.Augmentation.ToAugmentation();
        Assert.True(aug.MaxRotation >= 30);
        Assert.Equal((0.6, 1.6), aug.ScaleRange);
        Assert.True(aug.MaxPerspective >= 0.15);
        Assert.True(aug.MaxBrightness > 0 && aug.MaxContrast > 0 && aug.MaxGamma > 0 && aug.MaxNoise > 0 && aug.BlurProbability > 0);
        Assert.Equal("step", recipe.Interval);
        Assert.All(recipe.Milestones!, m => Assert.InRange(m, 1, recipe.Steps));
        Assert.Equal(Path.Combine(TestData.Root, "recipes", "default", "split.json"), recipe.SplitPath);
        _ = TrainingPresets.FromName(recipe.Preset);
    }

    [Fact]
    public void FineTuningStagesKeepThePresetAndSplit()
    {
        string dir = Path.Combine(TestData.Root, "recipes", "default");
        var stage1 = TrainingRecipe.Load(DefaultRecipe);
        Assert.Equal(1.0, stage1.FineWeight); // the reference weight when a recipe does not say
        foreach (var stage in new[] { "stage2-640.json", "stage3-640.json", "stage4-640.json", "stage5-640.json", "stage6-640.json" })
        {
            var recipe = TrainingRecipe.Load(Path.Combine(dir, stage));
            Assert.Equal(stage1.Preset, recipe.Preset); // the architecture of the shipped model (DefaultModelTests)
            Assert.Equal("640x480", recipe.Size);
            Assert.Equal(stage == "stage5-640.json" ? 3.0 : 1.0, recipe.FineWeight);
            Assert.Equal(stage == "stage6-640.json" ? 7 : 0, recipe.Freeze.Length); // stage 6 trains the fine path only (TrainerTests)
            Assert.All(recipe.Milestones!, m => Assert.InRange(m, 1, recipe.Steps));
            Assert.Equal(Path.Combine(dir, "split.json"), recipe.SplitPath);
        }
    }

    [Fact]
    public void DefaultSplitHoldsOutDisjointValidationAndTestPhotos()
    {
        var split = HoldoutSplit.Load(Path.Combine(TestData.Root, "recipes", "default", "split.json"));
        Assert.Equal(20, split.Validation.Count);
        Assert.Equal(30, split.Test.Count);
        Assert.Empty(split.Validation.Intersect(split.Test));
        Assert.Equal(split.Validation.Count, split.Validation.Distinct().Count());
        Assert.All(split.Validation.Concat(split.Test), n => Assert.Matches(@"^\d{4}_.+\.jpg$", n));
    }

    [Fact]
    public void DatasetWithASplitNeverTrainsOnHeldOutPhotos()
    {
        string folder = TrainingTestData.PhotoFolder(8);
        var names = Directory.EnumerateFiles(folder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        var split = HoldoutSplit.Draw(names, validation: 2, test: 3, seed: 4);
        var data = new HomographyFolderDataset(folder, 96, 64, seed: 1, split: split);
        Assert.Equal(split.Validation, data.ValidationFiles.Select(Path.GetFileName));
        Assert.Equal(names.Length - 5, data.TrainCount);
        var held = split.Validation.Concat(split.Test).ToHashSet();
        Assert.DoesNotContain(data.TrainFiles, f => held.Contains(Path.GetFileName(f)));
        // the same seed draws the same split; another seed another one
        Assert.Equal(split, HoldoutSplit.Draw(names, 2, 3, 4), new SplitComparer());
        Assert.NotEqual(split, HoldoutSplit.Draw(names, 2, 3, 5), new SplitComparer());
    }

    [Fact]
    public void SplitNamingAMissingPhotoIsAnError()
    {
        string folder = TrainingTestData.PhotoFolder(4);
        var split = new HoldoutSplit { Validation = ["nope.jpg"], Test = [] };
        var e = Assert.Throws<ArgumentException>(() => new HomographyFolderDataset(folder, 96, 64, split: split));
        Assert.Contains("nope.jpg", e.Message);
    }

    [Fact]
    public void BadSplitAndRecipeFilesNameTheFile()
    {
        string split = Path.Combine(_dir, "split.json");
        File.WriteAllText(split, """{"validation": ["a.jpg"], "test": ["a.jpg"]}""");
        Assert.Contains("a.jpg is both", Assert.Throws<InvalidDataException>(() => HoldoutSplit.Load(split)).Message);
        string recipe = Path.Combine(_dir, "recipe.json");
        File.WriteAllText(recipe, """{"preset": "small", "stepz": 10}""");
        var e = Assert.Throws<InvalidDataException>(() => TrainingRecipe.Load(recipe));
        Assert.Contains(recipe, e.Message);
        Assert.Contains("stepz", e.Message);
    }

    private sealed class SplitComparer : IEqualityComparer<HoldoutSplit>
    {
        public bool Equals(HoldoutSplit? x, HoldoutSplit? y) =>
            x is not null && y is not null && x.Validation.SequenceEqual(y.Validation) && x.Test.SequenceEqual(y.Test);
        public int GetHashCode(HoldoutSplit obj) => obj.Validation.Count;
    }
}
