using Loftr.Colmap;

namespace Loftr.Tests.Colmap;

public class KeypointMergerTests
{
    private static readonly float[] One = [1f];

    /// <summary>
    /// One 3-D point seen in images A, B, C, matched through the pairs AB, BC and AC; every pair localises it
    /// slightly differently (sub-pixel noise as from a detector-free matcher).
    /// </summary>
    private static (string, string, Point2[], Point2[], float[])[] ThreeViewTrack() =>
    [
        ("A", "B", [new(100.20f, 50.30f)], [new(200.10f, 80.40f)], [0.9f]),
        ("B", "C", [new(200.35f, 80.15f)], [new(300.40f, 20.20f)], [0.8f]),
        ("A", "C", [new(100.05f, 50.45f)], [new(300.25f, 20.35f)], [0.7f]),
    ];

    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 4)]
    [InlineData(8, 2)]
    public void SamePointInThreeImagesBecomesOneKeypointPerImageAndOneTrack(double cell, double maxError)
    {
        var merger = new KeypointMerger(new KeypointMergeOptions(cell, maxError));
        var pairs = ThreeViewTrack();
        foreach (var (a, b, p0, p1, s) in pairs)
        {
            merger.AddVotes(a, p0, s);
            merger.AddVotes(b, p1, s);
        }
        var kps = merger.Finish();
        Assert.Equal(["A", "B", "C"], kps.Keys.Order());
        foreach (var k in kps.Values) Assert.Single(k);
        // The keypoint stays within the max error of every observation.
        Assert.True(Distance(kps["A"][0], new Point2(100.2f, 50.3f)) <= maxError);
        Assert.True(Distance(kps["C"][0], new Point2(300.4f, 20.2f)) <= maxError);

        var edges = new List<(string, int, string, int)>();
        foreach (var (a, b, p0, p1, s) in pairs)
        {
            var m = Assert.Single(merger.Assign(a, b, p0, p1, s));
            edges.Add((a, m.Index1, b, m.Index2));
        }
        var tracks = Tracks(edges);
        var track = Assert.Single(tracks);
        Assert.Equal(["A:0", "B:0", "C:0"], track.Order());
    }

    [Fact]
    public void FinePresetSnapsToHlocGridAndAveragesTheWinningBin()
    {
        var merger = new KeypointMerger(KeypointMergeOptions.Fine);
        // Both points fall in the cell round((x + 0.5) / 1) = 11, 21: one keypoint, the score-weighted mean.
        merger.AddVotes("A", [new(10.3f, 20.3f), new(10.6f, 20.1f)], [1f, 3f]);
        var k = Assert.Single(merger.Finish()["A"]);
        Assert.Equal((10.3 * 1 + 10.6 * 3) / 4, k.X, 4);
        Assert.Equal((20.3 * 1 + 20.1 * 3) / 4, k.Y, 4);
    }

    [Fact]
    public void MostVotedBinWinsAndFarMatchesAreDropped()
    {
        // 8 px cells, 2 px bins: all three points lie in cell round((x + 0.5) / 8) = 2.
        var merger = new KeypointMerger(new KeypointMergeOptions(8, 2));
        var pts = new Point2[] { new(12.0f, 12.0f), new(12.2f, 12.1f), new(15.9f, 15.8f) };
        merger.AddVotes("A", pts, [0.5f, 0.5f, 0.6f]);
        merger.AddVotes("B", [new(1, 1), new(30, 30), new(60, 60)], [0.5f, 0.5f, 0.6f]);
        var kps = merger.Finish();
        // The bin holding two points (votes 1.0) beats the single point (0.6).
        var a = Assert.Single(kps["A"]);
        Assert.True(Distance(a, new Point2(12.1f, 12.05f)) < 0.01, $"keypoint {a}");
        // The third point is more than 2 px away from the winner: its match is dropped; the first two map to the same
        // keypoint, and only the better scored (first on a tie) survives the one-to-one filter.
        var m = merger.Assign("A", "B", pts, [new(1, 1), new(30, 30), new(60, 60)], [0.5f, 0.5f, 0.6f]);
        Assert.Equal([new KeypointMatch(0, 0)], m);
    }

    [Fact]
    public void ExactModeMergesOnlyIdenticalCoordinates()
    {
        var merger = new KeypointMerger(KeypointMergeOptions.Exact);
        merger.AddVotes("A", [new(5.25f, 7.5f), new(5.26f, 7.5f)], [1f, 1f]);
        merger.AddVotes("A", [new(5.25f, 7.5f)], One);
        var kps = merger.Finish()["A"];
        Assert.Equal([new Point2(5.25f, 7.5f), new Point2(5.26f, 7.5f)], kps);
    }

    [Fact]
    public void KeypointLimitKeepsTheMostVoted()
    {
        var merger = new KeypointMerger(new KeypointMergeOptions(1, 1, MaxKeypointsPerImage: 2));
        merger.AddVotes("A", [new(10, 10), new(20, 20), new(30, 30), new(20, 20)], [0.1f, 0.5f, 0.3f, 0.5f]);
        Assert.Equal([new Point2(20, 20), new Point2(30, 30)], merger.Finish()["A"]);
    }

    [Fact]
    public void UniqueMatchesDropsManyToOneOnBothSides()
    {
        int[] ids0 = [0, 0, 1, 2, -1, 3];
        int[] ids1 = [5, 6, 6, 7, 8, 7];
        float[] s = [0.9f, 0.5f, 0.8f, 0.4f, 1f, 0.6f];
        // 0->5 (best of kp0 0), 1->6 (best of kp1 6), 3->7 beats 2->7; the unassigned one is dropped.
        Assert.Equal([new KeypointMatch(0, 5), new KeypointMatch(1, 6), new KeypointMatch(3, 7)], KeypointMerger.UniqueMatches(ids0, ids1, s));
    }

    [Fact]
    public void PresetsByName()
    {
        Assert.Equal(KeypointMergeOptions.Coarse, KeypointMergeOptions.FromPresetName("COARSE"));
        Assert.Equal(8, KeypointMergeOptions.Coarse.EffectiveCellSize);
        Assert.Equal(4, KeypointMergeOptions.FromPresetName("medium").MaxError);
        Assert.Throws<ArgumentException>(() => KeypointMergeOptions.FromPresetName("dense"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeypointMerger(new KeypointMergeOptions(-1, 1)));
    }

    private static double Distance(Point2 a, Point2 b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    /// <summary>Connected components of (image, keypoint) observations, as COLMAP builds tracks.</summary>
    internal static List<List<string>> Tracks(IEnumerable<(string, int, string, int)> edges)
    {
        var parent = new Dictionary<string, string>();
        string Find(string x)
        {
            parent.TryAdd(x, x);
            while (parent[x] != x) x = parent[x] = parent[parent[x]];
            return x;
        }
        foreach (var (a, i, b, j) in edges) parent[Find($"{a}:{i}")] = Find($"{b}:{j}");
        return parent.Keys.GroupBy(Find).Select(g => g.ToList()).ToList();
    }
}
