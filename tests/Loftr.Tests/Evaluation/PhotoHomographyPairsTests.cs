using System.Globalization;
using System.Text.Json;
using Loftr.Evaluation;
using Loftr.Imaging;
using Loftr.Tests.Infrastructure;
using Loftr.Training;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Loftr.Tests.Evaluation;

/// <summary>
/// The held-out photo benchmark (<see cref="PhotoHomographyPairs"/>, <c>eval homography --dataset photos</c>):
/// determinism, the ground-truth homography, the split's test photos, the in-memory path against files, and SIFT end to
/// end (the command-line side is tests/Loftr.Cli.Tests/Eval/PhotoEvalCommandTests.cs). Small runs use the 8 photos of tests/data/phototourism at 320x240; the checks on the committed split need
/// ../shared/data/train_photos and are skipped (with a message) without it.
/// </summary>
public class PhotoHomographyPairsTests(ITestOutputHelper output)
{
    private static string Folder => TestData.Path("phototourism");

    private static string[] AllPhotos => Directory.GetFiles(Folder, "*.jpg").Select(Path.GetFileName).OfType<string>()
        .Order(StringComparer.Ordinal).ToArray();

    /// <summary>The test augmentation with every photometric change off (view changes unchanged).</summary>
    private static HomographyAugmentation NoPhotometric => PhotoHomographyPairs.TestAugmentation with
    {
        MaxBrightness = 0, MaxContrast = 0, MaxGamma = 0, BlurProbability = 0, MaxNoise = 0,
    };

    [Fact]
    public void SameSeedAndIndexGiveIdenticalPairsInAnyOrder()
    {
        var photos = AllPhotos[..3];
        var a = new PhotoHomographyPairs(Folder, photos, pairsPerPhoto: 2, seed: 5, width: 320, height: 240);
        var b = new PhotoHomographyPairs(Folder, photos, pairsPerPhoto: 2, seed: 5, width: 320, height: 240);
        Assert.Equal(6, a.Count);
        var late = b.Make(5); // made first: pair k must not depend on what was made before
        var early = b.Make(0);
        AssertSame(a.Make(0), early);
        AssertSame(a.Make(5), late);
        Assert.Equal(photos[2] + "#5", late.Name);

        // Another index or another seed: another homography and other pixels.
        var other = a.Make(1);
        Assert.Equal(a.PhotoOf(0), a.PhotoOf(1));
        Assert.NotEqual(early.Homography, other.Homography);
        Assert.False(early.Image1.Pixels.AsSpan().SequenceEqual(other.Image1.Pixels));
        var reseeded = new PhotoHomographyPairs(Folder, photos, pairsPerPhoto: 2, seed: 6, width: 320, height: 240).Make(0);
        Assert.NotEqual(early.Homography, reseeded.Homography);

        // The dataset carries exactly these pairs.
        var ds = a.ToDataset(maxPairs: 2);
        Assert.Equal(2, ds.Pairs.Count);
        Assert.Equal("photos", ds.Name);
        for (int k = 0; k < 2; k++)
        {
            var s = a.Make(k);
            var p = ds.Pairs[k];
            Assert.Equal(s.Name, p.Identifier);
            Assert.Equal(Path.Combine(Folder, a.PhotoOf(k)), p.Image0Path);
            for (int i = 0; i < 9; i++) Assert.Equal(s.Homography![i], p.Homography[i / 3, i % 3]);
            Assert.Equal(Gray8.From(s.Image0).Pixels, p.Images!.Image0.Pixels);
            Assert.Equal(Gray8.From(s.Image1).Pixels, p.Images.Image1.Pixels);
            Assert.Equal((320, 240), (p.Images.Image1.Width, p.Images.Image1.Height));
        }
    }

    private static void AssertSame(PairSample x, PairSample y)
    {
        Assert.Equal(x.Name, y.Name);
        Assert.Equal(x.Homography, y.Homography);
        Assert.Equal(x.Image0.Pixels, y.Image0.Pixels);
        Assert.Equal(x.Image1.Pixels, y.Image1.Pixels);
    }

    [Fact]
    public void GroundTruthHomographyMapsViewZeroOntoViewOne()
    {
        var pairs = new PhotoHomographyPairs(Folder, AllPhotos, pairsPerPhoto: 1, seed: 66, width: 320, height: 240, augmentation: NoPhotometric);
        for (int k = 0; k < pairs.Count; k++)
        {
            var s = pairs.Make(k);
            double diff = WarpDifference(s, s.Homography!, out double overlap);
            // A homography off by a 4-pixel shift in view 1 must do clearly worse: the comparison is sensitive.
            double[] shifted = [.. s.Homography!];
            for (int j = 0; j < 3; j++) shifted[j] += 4 * s.Homography![6 + j];
            double wrong = WarpDifference(s, shifted, out _);
            output.WriteLine($"{s.Name}: mean |warp(view0) - view1| = {diff:F4} over {overlap:P0} of view 1; shifted H: {wrong:F4}");
            Assert.True(overlap > 0.2, $"{s.Name}: overlap {overlap:P0}");
            Assert.True(diff < 0.01, $"{s.Name}: mean abs difference {diff:F4} in the overlap");
            Assert.True(wrong > 2 * diff, $"{s.Name}: shifted H {wrong:F4} vs GT {diff:F4}");
        }
    }

    /// <summary>Mean |view0 warped by H - view1| over the pixels of view 1 that H covers well inside view 0.</summary>
    private static double WarpDifference(PairSample s, double[] h, out double overlap)
    {
        int w = s.Image0.Width, hgt = s.Image0.Height;
        using var v0 = Mat.FromPixelData(hgt, w, MatType.CV_32FC1, s.Image0.Pixels);
        using var v1 = Mat.FromPixelData(hgt, w, MatType.CV_32FC1, s.Image1.Pixels);
        using var hm = Mat.FromPixelData(3, 3, MatType.CV_64FC1, h);
        using var warped = new Mat();
        Cv2.WarpPerspective(v0, warped, hm, new Size(w, hgt), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
        using var ones = new Mat(hgt, w, MatType.CV_8UC1, Scalar.All(255));
        using var valid = new Mat();
        Cv2.WarpPerspective(ones, valid, hm, new Size(w, hgt), InterpolationFlags.Nearest, BorderTypes.Constant, Scalar.All(0));
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(7, 7));
        Cv2.Erode(valid, valid, kernel);
        using var absDiff = new Mat();
        Cv2.Absdiff(warped, v1, absDiff);
        int n = Cv2.CountNonZero(valid);
        overlap = (double)n / (w * hgt);
        return n == 0 ? double.NaN : Cv2.Mean(absDiff, valid).Val0;
    }

    [Fact]
    public void OnlyTheSplitsTestPhotosAreUsedAndNoTrainingPhoto()
    {
        var names = AllPhotos;
        using var dir = new TempFolder();
        var split = new HoldoutSplit { Validation = [names[0], names[5]], Test = [names[2], names[6], names[7]] };
        string splitPath = Path.Combine(dir.Path, "split.json");
        split.Save(splitPath);

        var pairs = PhotoHomographyPairs.FromSplit(Folder, HoldoutSplit.Load(splitPath), pairsPerPhoto: 3, width: 320, height: 240);
        Assert.Equal(9, pairs.Count);
        var used = Enumerable.Range(0, pairs.Count).Select(pairs.PhotoOf).ToList();
        Assert.Equal(split.Test, used.Distinct());
        Assert.All(Enumerable.Range(0, 3), j => Assert.Equal(names[2], used[j]));
        var training = new HomographyFolderDataset(Folder, 320, 240, split: split);
        Assert.Empty(training.TrainFiles.Select(Path.GetFileName).Intersect(used));
        Assert.Empty(training.ValidationFiles.Select(Path.GetFileName).Intersect(used));
        var ds = pairs.ToDataset(maxPairs: 4);
        Assert.All(ds.Pairs, p => Assert.Contains(Path.GetFileName(p.Image0Path), split.Test));

        // A photo the split names but the folder lacks is an error naming it.
        var missing = new HoldoutSplit { Validation = [names[0]], Test = ["absent.jpg"] };
        var ex = Assert.Throws<FileNotFoundException>(() => PhotoHomographyPairs.FromSplit(Folder, missing));
        Assert.Contains("absent.jpg", ex.Message);
    }

    [Fact]
    public void InMemoryViewsEvaluateLikeTheSameViewsSavedAsFiles()
    {
        var pairs = new PhotoHomographyPairs(Folder, AllPhotos[..1], pairsPerPhoto: 1, width: 320, height: 240);
        var ds = pairs.ToDataset();
        var p = ds.Pairs[0];
        using var dir = new TempFolder();
        string f0 = Path.Combine(dir.Path, "v0.png"), f1 = Path.Combine(dir.Path, "v1.png"), hf = Path.Combine(dir.Path, "H.txt");
        using (var m0 = p.Images!.Image0.ToMat()) Cv2.ImWrite(f0, m0);
        using (var m1 = p.Images.Image1.ToMat()) Cv2.ImWrite(f1, m1);
        File.WriteAllText(hf, string.Join('\n', Enumerable.Range(0, 3).Select(i =>
            string.Join(' ', Enumerable.Range(0, 3).Select(j => p.Homography[i, j].ToString("R", CultureInfo.InvariantCulture))))));

        using (var mem = EvalImage.FromGray8(p.Images.Image1, EvalResize.None))
        using (var file = EvalImage.Load(f1, EvalResize.None))
        {
            using var d = new Mat();
            Cv2.Absdiff(mem.Gray, file.Gray, d);
            Assert.Equal(0, Cv2.CountNonZero(d));
        }
        using var sift = new SiftEvalMatcher();
        var a = new EvalRunner(sift).Run(ds).Pairs.Single();
        var b = new EvalRunner(sift).Run(HomographyDataset.FromHomographyPair(f0, f1, hf)).Pairs.Single();
        output.WriteLine($"in memory: {a.Matches} matches, {a.CornerError:F3} px; files: {b.Matches} matches, {b.CornerError:F3} px");
        Assert.Equal((a.Matches, a.Inliers, a.CornerError, a.Precision), (b.Matches, b.Inliers, b.CornerError, b.Precision));
    }

    [Fact]
    public void InvalidInputsAreRejected()
    {
        Assert.Throws<DirectoryNotFoundException>(() => new PhotoHomographyPairs("/nonexistent/photos", ["a.jpg"]));
        Assert.Throws<ArgumentException>(() => new PhotoHomographyPairs(Folder, []));
        Assert.Throws<ArgumentException>(() => new PhotoHomographyPairs(Folder, [AllPhotos[0], AllPhotos[0]]));
        Assert.Throws<ArgumentException>(() => new PhotoHomographyPairs(Folder, ["../" + AllPhotos[0]]));
        Assert.Throws<ArgumentException>(() => new PhotoHomographyPairs(Folder, AllPhotos, pairsPerPhoto: 0));
    }
}
