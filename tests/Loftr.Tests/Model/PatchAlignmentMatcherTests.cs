using Loftr.Evaluation;
using Loftr.Imaging;
using Loftr.Tests.Infrastructure;
using OpenCvSharp;
using Xunit.Abstractions;
using static Loftr.Tests.Infrastructure.GraffitiTruth;

namespace Loftr.Tests.Model;

/// <summary>
/// The patch alignment after the network (<see cref="MatchOptions.PatchAlignmentRadius"/>, <see cref="PatchAlignment"/>)
/// in the matcher, the batch and the padded evaluation, checked against the graffiti ground truth with the default model.
/// </summary>
[Collection(nameof(ProcessWide))]
public sealed class PatchAlignmentMatcherTests(ITestOutputHelper output)
{
    private static readonly string Graf1 = Image1, Graf3 = Image3;

    [Fact]
    public void AligningPatchesKeepsTheMatchesAndMovesTheirPointsCloserToTheGroundTruth()
    {
        using var matcher = LoftrMatcher.LoadDefault();
        var plain = matcher.Match(Graf1, Graf3, new MatchOptions { PatchAlignmentRadius = 0 });
        var aligned = matcher.Match(Graf1, Graf3, new MatchOptions { PatchAlignmentRadius = 12, PatchAlignmentMinCorrelation = double.NegativeInfinity });

        // The same matches; only the points of image 1 move, by at most 4 network pixels (the network sees the images at
        // their own size here, so 4 px).
        Assert.True(plain.Count > 300, $"{plain.Count} matches");
        Assert.Equal(plain.Keypoints0, aligned.Keypoints0);
        Assert.Equal(plain.Confidence, aligned.Confidence);
        Assert.Equal(plain.FineStd, aligned.FineStd);
        double[] shifts = plain.Keypoints1.Zip(aligned.Keypoints1, (a, b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y))).ToArray();
        Assert.True(shifts.Max() <= 4 + 1e-3, $"moved by up to {shifts.Max():F3} px");
        Assert.True(shifts.Count(s => s > 0) > plain.Count / 2, $"{shifts.Count(s => s > 0)} of {plain.Count} moved");

        var ePlain = Errors(plain);
        var eAligned = Errors(aligned);
        double mPlain = Median(ePlain.Where(e => e < 8)), mAligned = Median(eAligned.Where(e => e < 8));
        output.WriteLine($"{plain.Count} matches; median error within 8 px {mPlain:F3} -> {mAligned:F3} px; within 1 px " +
                         $"{ePlain.Count(e => e < 1)} -> {eAligned.Count(e => e < 1)}, within 0.5 px {ePlain.Count(e => e < 0.5)} -> {eAligned.Count(e => e < 0.5)}");
        Assert.True(mAligned < 0.6 * mPlain, $"aligned {mAligned:F3} px, network {mPlain:F3} px");
        Assert.True(eAligned.Count(e => e < 1) > 1.5 * ePlain.Count(e => e < 1));
    }

    [Fact]
    public void MatchesThatCorrelateBadlyOnceAlignedAreDroppedOnRequest()
    {
        using var matcher = LoftrMatcher.LoadDefault();
        var all = matcher.Match(Graf1, Graf3, new MatchOptions { PatchAlignmentRadius = 16, PatchAlignmentMinCorrelation = -1 });
        var kept = matcher.Match(Graf1, Graf3, new MatchOptions { PatchAlignmentRadius = 16, PatchAlignmentMinCorrelation = 0.7 });
        var none = matcher.Match(Graf1, Graf3, new MatchOptions { PatchAlignmentRadius = 16, PatchAlignmentMinCorrelation = double.NegativeInfinity });
        var unaligned = matcher.Match(Graf1, Graf3, new MatchOptions { PatchAlignmentRadius = 0, PatchAlignmentMinCorrelation = 0.7 });
        // -1 drops only the matches that could not be aligned; -infinity keeps every match
        Assert.True(all.Count < none.Count, $"{all.Count} aligned of {none.Count}");
        Assert.True(kept.Count < all.Count, $"{kept.Count} kept of {all.Count}");
        Assert.Equal(none.Count, unaligned.Count); // without the alignment there is no correlation to filter on
        // the kept matches are a subset, in order, with their aligned points
        var index = none.Keypoints0.Select((p, i) => (p, i)).ToDictionary(t => t.p, t => t.i);
        var idx = kept.Keypoints0.Select(p => index[p]).ToArray();
        Assert.Equal(idx.Order(), idx);
        Assert.Equal(idx.Select(i => none.Keypoints1[i]), kept.Keypoints1);
        var dropped = Enumerable.Range(0, none.Count).Except(idx).ToArray();
        var errors = Errors(none);
        double precisionKept = idx.Count(i => errors[i] < 3) / (double)idx.Length, precisionDropped = dropped.Count(i => errors[i] < 3) / (double)dropped.Length;
        output.WriteLine($"{none.Count} matches, {kept.Count} kept: within 3 px {precisionKept:P1} of the kept, {precisionDropped:P1} of the {dropped.Length} dropped");
        Assert.True(precisionKept > 0.8, $"{precisionKept:P1} of the kept within 3 px");
        Assert.True(precisionDropped < 0.2, $"{precisionDropped:P1} of the dropped within 3 px");
    }

    [Fact]
    public void BatchesAndThePaddedEvaluationAlignToo()
    {
        using var matcher = LoftrMatcher.LoadDefault();
        // the images' own size and one fine pass, so the batch (float images) and the file path (8-bit images, whose
        // enlarged copies for a second pass would be resized at 8 bits) give the network the same input
        var options = new MatchOptions { PatchAlignmentRadius = 12, SecondPassScale = 1, PatchAlignmentMinCorrelation = double.NegativeInfinity };
        var single = matcher.Match(Graf1, Graf3, options);
        var batch = matcher.MatchBatch([(GrayImage.Load(Graf1), GrayImage.Load(Graf3))], options);
        Assert.Equal(single.Keypoints0, batch[0].Keypoints0);
        Assert.Equal(single.Keypoints1, batch[0].Keypoints1);
        Assert.NotEqual(matcher.Match(Graf1, Graf3, options with { PatchAlignmentRadius = 0 }).Keypoints1, batch[0].Keypoints1);

        using var plain = new LoftrEvalMatcher(LoftrMatcher.LoadDefault(), weightsName: "default model", patchAlignment: 0);
        using var aligned = new LoftrEvalMatcher(LoftrMatcher.LoadDefault(), weightsName: "default model", patchAlignment: 12,
            patchMinCorrelation: double.NegativeInfinity);
        Assert.EndsWith(", patch alignment radius 12", aligned.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("patch alignment", plain.Description, StringComparison.Ordinal);
        using var graf1 = Cv2.ImRead(Graf1, ImreadModes.Grayscale);
        using var graf3 = Cv2.ImRead(Graf3, ImreadModes.Grayscale);
        var p = plain.Match(graf1, graf3, padToSquare: true);
        var a = aligned.Match(graf1, graf3, padToSquare: true);
        Assert.Equal(p.Points0, a.Points0);
        double mPlain = Median(Errors(p.Points0, p.Points1).Where(e => e < 8)), mAligned = Median(Errors(a.Points0, a.Points1).Where(e => e < 8));
        output.WriteLine($"padded evaluation: median error within 8 px {mPlain:F3} -> {mAligned:F3} px ({p.Points0.Length} matches)");
        Assert.True(mAligned < 0.6 * mPlain, $"aligned {mAligned:F3} px, network {mPlain:F3} px");
    }

    [Fact]
    public void ImagesMuchLargerThanTheNetworkInputAreAlignedOnShrunkCopies()
    {
        using var matcher = LoftrMatcher.LoadDefault();
        // 800x640 through a 320x256 network: 2.5 times the network size, aligned at 2x (640x512) and mapped back
        var plain = matcher.Match(Graf1, Graf3, new MatchOptions { MaxSize = 320, PatchAlignmentRadius = 0 });
        var aligned = matcher.Match(Graf1, Graf3, new MatchOptions { MaxSize = 320, PatchAlignmentRadius = 12, PatchAlignmentMinCorrelation = double.NegativeInfinity });
        Assert.True(plain.Count > 50, $"{plain.Count} matches");
        Assert.Equal(plain.Keypoints0, aligned.Keypoints0);
        double[] shifts = plain.Keypoints1.Zip(aligned.Keypoints1, (a, b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y))).ToArray();
        // at most 4 network pixels = 10 px here; unmoved points keep the network's position exactly
        Assert.True(shifts.Max() <= 10 + 1e-3, $"moved by up to {shifts.Max():F3} px");
        Assert.Contains(shifts, s => s == 0);
        double mPlain = Median(Errors(plain).Where(e => e < 16)), mAligned = Median(Errors(aligned).Where(e => e < 16));
        output.WriteLine($"320 px network: {plain.Count} matches, {shifts.Count(s => s > 0)} moved; median error within 16 px {mPlain:F3} -> {mAligned:F3} px");
        Assert.True(mAligned < 0.6 * mPlain, $"aligned {mAligned:F3} px, network {mPlain:F3} px");
    }

    [Fact]
    public void RadiiOutsideTwoToThirtyTwoAreRejected()
    {
        using var matcher = LoftrMatcher.LoadDefault();
        Assert.Throws<ArgumentException>(() => matcher.Match(Graf1, Graf3, new MatchOptions { PatchAlignmentRadius = 1 }));
        Assert.Throws<ArgumentException>(() => matcher.Match(Graf1, Graf3, new MatchOptions { PatchAlignmentRadius = 33 }));
        Assert.Throws<ArgumentException>(() => (matcher.Config with { PatchAlignmentRadius = -1 }).Validate());
        Assert.Throws<ArgumentException>(() => matcher.Match(Graf1, Graf3, new MatchOptions { PatchAlignmentMinCorrelation = 1.5 }));
        Assert.Throws<ArgumentException>(() => (matcher.Config with { PatchAlignmentMinCorrelation = -2 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoftrEvalMatcher(matcher, ownsMatcher: false, patchMinCorrelation: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoftrEvalMatcher(matcher, ownsMatcher: false, patchAlignment: 1.5));
        (matcher.Config with { PatchAlignmentRadius = 0 }).Validate();
    }

    [Fact]
    public void TheRadiusIsStoredInTheConfigurationButNotInTheArchitecture()
    {
        using var matcher = LoftrMatcher.LoadDefault();
        var config = matcher.Config with { PatchAlignmentRadius = 10, PatchAlignmentMinCorrelation = 0.5 };
        string json = LoftrCheckpoint.ConfigToJson(config);
        Assert.Contains("\"PatchAlignmentRadius\":10", json.Replace(" ", ""), StringComparison.Ordinal);
        Assert.Equal(10, LoftrCheckpoint.ConfigFromJson(json).PatchAlignmentRadius);
        Assert.Equal(0.5, LoftrCheckpoint.ConfigFromJson(json).PatchAlignmentMinCorrelation);
        Assert.DoesNotContain("PatchAlignment", LoftrCheckpoint.ConfigToJson(config with { PatchAlignmentRadius = null, PatchAlignmentMinCorrelation = null }),
            StringComparison.Ordinal);
        Assert.DoesNotContain("PatchAlignment", LoftrCheckpoint.ArchitectureToJson(config), StringComparison.Ordinal);
    }
}
