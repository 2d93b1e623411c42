using System.Text.Json;
using Loftr.Cli.Matching;
using Loftr.Cli.Tests.Infrastructure;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests;

/// <summary>--rotations (best / union) and --symmetric, end to end on the box pair.</summary>
public sealed class TestTimeOptionsTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private MatchFile Match(string name, string image0, string image1, params string[] more)
    {
        string json = _dir.File(name + ".json");
        CliRunner.RunOk(log, Args.Of("match", image0, image1, Args.Fast, more, "--out", json));
        return MatchFile.ReadJson(json);
    }

    private static int? RotationOf(string json) =>
        JsonDocument.Parse(File.ReadAllBytes(json)).RootElement.GetProperty("rotation") is { ValueKind: JsonValueKind.Number } r ? r.GetInt32() : null;

    [Fact]
    public void RotatedKeypointsMapBackExactlyToTheUnrotatedImage()
    {
        // scene_ccw is the scene rotated 90° counter-clockwise; --rotations 90 rotates it clockwise back to the scene itself,
        // so the network sees exactly the plain pair, and the keypoints must come back in scene_ccw's own coordinates.
        string rotatedPath = _dir.File("scene_ccw.png");
        using (var scene = Cv2.ImRead(Paths.BoxInScene, ImreadModes.Unchanged))
        using (var ccw = new Mat())
        {
            Cv2.Rotate(scene, ccw, RotateFlags.Rotate90Counterclockwise);
            Cv2.ImWrite(rotatedPath, ccw);
        }
        var plain = Match("plain", Paths.Box, Paths.BoxInScene);
        var rotated = Match("rot90", Paths.Box, rotatedPath, "--rotations", "90");
        Assert.Equal(90, RotationOf(_dir.File("rot90.json")));
        Assert.Equal(plain.Count, rotated.Count);
        Assert.Equal(plain.Keypoints0, rotated.Keypoints0);
        Assert.Equal(plain.Confidence, rotated.Confidence);
        var rotatedSize = new ImageSize(384, 512);
        for (int i = 0; i < plain.Count; i++)
        {
            // A point (x, y) of the scene is (y, 511 - x) in scene_ccw.
            var expected = Rotation.ToOriginal(new Point2(plain.Keypoints1[2 * i], plain.Keypoints1[2 * i + 1]), 90, rotatedSize);
            Assert.Equal(plain.Keypoints1[2 * i + 1], expected.X);
            Assert.Equal(511 - plain.Keypoints1[2 * i], expected.Y);
            Assert.Equal(expected.X, rotated.Keypoints1[2 * i]);
            Assert.Equal(expected.Y, rotated.Keypoints1[2 * i + 1]);
        }
    }

    [Fact]
    public void BestRotationIsTheOneWithTheMostMatchesAndUnionMergesThem()
    {
        var r0 = Match("r0", Paths.Box, Paths.BoxInScene, "--rotations", "0");
        var r180 = Match("r180", Paths.Box, Paths.BoxInScene, "--rotations", "180");
        var best = Match("best", Paths.Box, Paths.BoxInScene, "--rotations", "0,180");
        var union = Match("union", Paths.Box, Paths.BoxInScene, "--rotations", "0,180", "--rotation-mode", "union");
        log.WriteLine($"0°: {r0.Count}, 180°: {r180.Count}, best: {best.Count}, union: {union.Count}");
        var winner = r180.Count > r0.Count ? r180 : r0;
        MatchFile.AssertSame(winner, best);
        Assert.Equal(r180.Count > r0.Count ? 180 : 0, RotationOf(_dir.File("best.json")));
        Assert.Null(RotationOf(_dir.File("union.json")));
        // Union: all 0° matches first, then the 180° matches that are not within 2 px (in both images) of a 0° match.
        int added = Enumerable.Range(0, r180.Count).Count(j => !Enumerable.Range(0, r0.Count).Any(i => Near(r0, i, r180, j)));
        Assert.Equal(r0.Count + added, union.Count);
        Assert.Equal(r0.Confidence, union.Confidence.Take(r0.Count));
    }

    [Fact]
    public void SymmetricIsTheUnionOfBothDirectionsWithoutDuplicates()
    {
        var forward = Match("fw", Paths.Box, Paths.BoxInScene);
        var backward = Match("bw", Paths.BoxInScene, Paths.Box);
        var symmetric = Match("sym", Paths.Box, Paths.BoxInScene, "--symmetric");
        // The backward run's keypoints, swapped into the forward orientation.
        var swapped = backward with { Keypoints0 = backward.Keypoints1, Keypoints1 = backward.Keypoints0 };
        var kept = Enumerable.Range(0, swapped.Count).Where(j => !Enumerable.Range(0, forward.Count).Any(i => Near(forward, i, swapped, j))).ToList();
        log.WriteLine($"forward {forward.Count}, backward {backward.Count}, symmetric {symmetric.Count}, backward kept {kept.Count}");
        Assert.True(kept.Count < swapped.Count, "expected some duplicates between the two directions");
        Assert.Equal(forward.Count + kept.Count, symmetric.Count);
        Assert.Equal(forward.Keypoints0, symmetric.Keypoints0.Take(2 * forward.Count));
        Assert.Equal(kept.SelectMany(j => new[] { swapped.Keypoints0[2 * j], swapped.Keypoints0[2 * j + 1] }), symmetric.Keypoints0.Skip(2 * forward.Count));
        Assert.Equal(kept.Select(j => swapped.Confidence[j]), symmetric.Confidence.Skip(forward.Count));
    }

    private static bool Near(MatchFile a, int i, MatchFile b, int j)
    {
        static double D(float[] p, int i, float[] q, int j) => Math.Sqrt(Math.Pow(p[2 * i] - q[2 * j], 2) + Math.Pow(p[2 * i + 1] - q[2 * j + 1], 2));
        return D(a.Keypoints0, i, b.Keypoints0, j) <= 2 && D(a.Keypoints1, i, b.Keypoints1, j) <= 2;
    }
}
