using Loftr.Tests.Infrastructure;
using Loftr.Training;
using Xunit.Abstractions;

namespace Loftr.Tests.Training;

/// <summary>
/// The 200-step homography run of docs/training.md on shared/data/train_photos (about 5 minutes on 2 cores, so it only
/// runs when LOFTR_LONG_TESTS=1 and ../shared exists).
/// </summary>
[Collection(nameof(ProcessWide))]
public sealed class HomographyRunTests(ITestOutputHelper output)
{
    [Fact]
    public void TwoHundredStepsOnTrainPhotosLowerTheValidationLoss()
    {
        string? photos = TestData.Shared("data/train_photos");
        if (photos is null || Environment.GetEnvironmentVariable("LOFTR_LONG_TESTS") != "1")
        {
            output.WriteLine("SKIPPED: needs ../shared/data/train_photos and LOFTR_LONG_TESTS=1");
            return;
        }
        string dir = Path.Combine(Path.GetTempPath(), $"loftr-run200-{Guid.NewGuid():N}");
        try
        {
            var data = new HomographyFolderDataset(photos, 320, 240, seed: 66, validationCount: 16);
            var options = new TrainerOptions
            {
                OutputDirectory = dir, Steps = 200, BatchSize = 2, LearningRate = 5e-4, WarmupSteps = 20,
                ValidationEvery = 25, CheckpointEvery = 100, Threads = 1, ProgressSeconds = 30,
            };
            var log = new StringWriter();
            using var trainer = new LoftrTrainer(TrainingPresets.Small, data, options, log);
            var summary = trainer.Run();
            output.WriteLine(log.ToString());
            var val = summary.Log.Validation;
            Assert.True(summary.Completed);
            Assert.True(val[^1].Loss < val[0].Loss - 0.5, $"validation loss {val[0].Loss:F3} -> {val[^1].Loss:F3}");
            Assert.True(val[^1].LossCoarse < val[0].LossCoarse, "coarse validation loss did not decrease");
        }
        finally
        {
            TrainingTestData.DeleteQuietly(dir);
        }
    }
}
