namespace Loftr.Colmap;

/// <summary>
/// Merges the per-pair points of a detector-free matcher into one keypoint set per image and turns each pair's
/// point matches into keypoint-index matches (see <see cref="KeypointMergeOptions"/>). Two passes over the pairs:
/// <see cref="AddVotes"/> for every pair, then <see cref="Finish"/>, then <see cref="Assign"/> for every pair.
/// Coordinates are pixels in any consistent convention.
/// </summary>
public sealed class KeypointMerger
{
    private readonly KeypointMergeOptions _options;
    private readonly double _cell;
    private readonly int _bin;
    private readonly Dictionary<string, ImageVotes> _votes = new(StringComparer.Ordinal);
    private Dictionary<string, KeypointIndex>? _final;

    /// <summary>Creates a merger.</summary>
    /// <param name="options">Cell size, error and keypoint limit.</param>
    public KeypointMerger(KeypointMergeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _cell = options.EffectiveCellSize;
        _bin = (int)Math.Floor(options.MaxError);
    }

    /// <summary>Pass 1: votes the points one image has in one pair (call for both sides of every pair).</summary>
    /// <param name="image">Image name.</param>
    /// <param name="points">Match points in that image.</param>
    /// <param name="scores">Match scores (vote weights), one per point.</param>
    public void AddVotes(string image, ReadOnlySpan<Point2> points, ReadOnlySpan<float> scores)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (_final != null) throw new InvalidOperationException("Votes are closed: Finish() was called.");
        if (points.Length != scores.Length) throw new ArgumentException($"{points.Length} points but {scores.Length} scores.");
        if (!_votes.TryGetValue(image, out var v)) _votes[image] = v = new ImageVotes();
        for (int i = 0; i < points.Length; i++)
        {
            var p = points[i];
            if (!float.IsFinite(p.X) || !float.IsFinite(p.Y)) continue;
            v.Vote(Key(p, _cell), Key(p, _bin), p, Math.Max(scores[i], 0f));
        }
    }

    /// <summary>Ends pass 1: picks the most voted bin of every cell as the keypoint and applies the keypoint limit.</summary>
    /// <returns>Keypoints per image (cell creation order).</returns>
    public IReadOnlyDictionary<string, Point2[]> Finish()
    {
        if (_final != null) throw new InvalidOperationException("Finish() was already called.");
        _final = new Dictionary<string, KeypointIndex>(StringComparer.Ordinal);
        var result = new Dictionary<string, Point2[]>(StringComparer.Ordinal);
        foreach (var (name, v) in _votes)
        {
            var kps = v.Winners(_options.MaxKeypointsPerImage);
            _final[name] = new KeypointIndex(kps, _options.MaxError);
            result[name] = kps;
        }
        _votes.Clear();
        return result;
    }

    /// <summary>
    /// Pass 2: assigns each match point to the nearest keypoint of its image within the max error and keeps one
    /// match per keypoint on either side (the best scored; ties keep the earlier match).
    /// </summary>
    /// <param name="image0">First image.</param>
    /// <param name="image1">Second image.</param>
    /// <param name="points0">Match points in image 0.</param>
    /// <param name="points1">Match points in image 1.</param>
    /// <param name="scores">Match scores.</param>
    /// <returns>Keypoint-index matches (image 0, image 1) in the order of the raw matches.</returns>
    public KeypointMatch[] Assign(string image0, string image1, ReadOnlySpan<Point2> points0, ReadOnlySpan<Point2> points1, ReadOnlySpan<float> scores)
    {
        if (_final == null) throw new InvalidOperationException("Call Finish() before Assign().");
        if (points0.Length != points1.Length || points0.Length != scores.Length)
            throw new ArgumentException($"Mismatched match arrays: {points0.Length}, {points1.Length}, {scores.Length}.");
        if (!_final.TryGetValue(image0, out var k0) || !_final.TryGetValue(image1, out var k1)) return [];
        var ids0 = new int[points0.Length];
        var ids1 = new int[points0.Length];
        for (int i = 0; i < points0.Length; i++)
        {
            ids0[i] = k0.Nearest(points0[i]);
            ids1[i] = k1.Nearest(points1[i]);
        }
        return UniqueMatches(ids0, ids1, scores);
    }

    /// <summary>
    /// Keeps the matches that are the best scored for their keypoint in image 0 and in image 1 (one-to-one),
    /// dropping unassigned (-1) ones.
    /// </summary>
    /// <param name="ids0">Keypoint of each match in image 0, or -1.</param>
    /// <param name="ids1">Keypoint of each match in image 1, or -1.</param>
    /// <param name="scores">Scores.</param>
    /// <returns>Kept matches, in input order.</returns>
    public static KeypointMatch[] UniqueMatches(ReadOnlySpan<int> ids0, ReadOnlySpan<int> ids1, ReadOnlySpan<float> scores)
    {
        var best0 = new Dictionary<int, int>();
        var best1 = new Dictionary<int, int>();
        for (int i = 0; i < ids0.Length; i++)
        {
            if (ids0[i] < 0 || ids1[i] < 0) continue;
            if (!best0.TryGetValue(ids0[i], out int b0) || scores[i] > scores[b0]) best0[ids0[i]] = i;
            if (!best1.TryGetValue(ids1[i], out int b1) || scores[i] > scores[b1]) best1[ids1[i]] = i;
        }
        var r = new List<KeypointMatch>();
        for (int i = 0; i < ids0.Length; i++)
            if (ids0[i] >= 0 && ids1[i] >= 0 && best0[ids0[i]] == i && best1[ids1[i]] == i) r.Add(new KeypointMatch(ids0[i], ids1[i]));
        return r.ToArray();
    }

    /// <summary>hloc's quantisation: round((x + 0.5) / size); the raw coordinates when size is 0.</summary>
    private static (long, long) Key(Point2 p, double size)
    {
        if (size <= 0) return (BitConverter.SingleToInt32Bits(p.X), BitConverter.SingleToInt32Bits(p.Y));
        return ((long)Math.Round((p.X + 0.5) / size, MidpointRounding.ToEven), (long)Math.Round((p.Y + 0.5) / size, MidpointRounding.ToEven));
    }

    private sealed class ImageVotes
    {
        private readonly Dictionary<(long, long), int> _cellIds = [];
        private readonly List<Dictionary<(long, long), Bin>> _cells = [];

        public void Vote((long, long) cell, (long, long) bin, Point2 p, float score)
        {
            if (!_cellIds.TryGetValue(cell, out int id))
            {
                id = _cells.Count;
                _cellIds[cell] = id;
                _cells.Add([]);
            }
            var bins = _cells[id];
            if (!bins.TryGetValue(bin, out var b)) bins[bin] = b = new Bin(bins.Count);
            b.Add(p, score);
        }

        /// <summary>The winning bin of each cell (score-weighted mean of its points), limited to the most voted cells.</summary>
        public Point2[] Winners(int limit)
        {
            var winners = new (Point2 Point, double Votes)[_cells.Count];
            for (int c = 0; c < _cells.Count; c++)
            {
                Bin? best = null;
                foreach (var b in _cells[c].Values)
                    if (best == null || b.Votes > best.Votes || (b.Votes == best.Votes && b.Order < best.Order)) best = b;
                winners[c] = (best!.Mean, best.Votes);
            }
            IEnumerable<int> keep = Enumerable.Range(0, winners.Length);
            if (limit > 0 && winners.Length > limit)
                keep = keep.OrderByDescending(i => winners[i].Votes).ThenBy(i => i).Take(limit).Order();
            return keep.Select(i => winners[i].Point).ToArray();
        }
    }

    private sealed class Bin(int order)
    {
        private double _sx, _sy, _w;
        private int _n;
        private Point2 _first;

        public int Order { get; } = order;
        public double Votes { get; private set; }

        public void Add(Point2 p, float score)
        {
            if (_n == 0) _first = p;
            _n++;
            Votes += score;
            // Weight the mean by score, falling back to equal weights when all scores are 0.
            double w = score > 0 ? score : 1e-12;
            _sx += w * p.X;
            _sy += w * p.Y;
            _w += w;
        }

        public Point2 Mean => _n == 1 ? _first : new Point2((float)(_sx / _w), (float)(_sy / _w));
    }

    /// <summary>Nearest-keypoint lookup within a radius (exact coordinates when the radius is 0).</summary>
    private sealed class KeypointIndex
    {
        private readonly Point2[] _points;
        private readonly double _radius;
        private readonly Dictionary<(long, long), List<int>> _grid = [];

        public KeypointIndex(Point2[] points, double radius)
        {
            _points = points;
            _radius = radius;
            for (int i = 0; i < points.Length; i++)
            {
                var k = Cell(points[i]);
                if (!_grid.TryGetValue(k, out var list)) _grid[k] = list = [];
                list.Add(i);
            }
        }

        public int Nearest(Point2 p)
        {
            if (!float.IsFinite(p.X) || !float.IsFinite(p.Y)) return -1;
            var (cx, cy) = Cell(p);
            if (_radius <= 0) return _grid.TryGetValue((cx, cy), out var exact) ? exact[0] : -1;
            int best = -1;
            double bestD = _radius * _radius;
            for (long dx = -1; dx <= 1; dx++)
                for (long dy = -1; dy <= 1; dy++)
                {
                    if (!_grid.TryGetValue((cx + dx, cy + dy), out var list)) continue;
                    foreach (int i in list)
                    {
                        double ex = _points[i].X - p.X, ey = _points[i].Y - p.Y, d = ex * ex + ey * ey;
                        if (d < bestD || (d == bestD && (best < 0 || i < best))) { bestD = d; best = i; }
                    }
                }
            return best;
        }

        private (long, long) Cell(Point2 p) => _radius <= 0
            ? (BitConverter.SingleToInt32Bits(p.X), BitConverter.SingleToInt32Bits(p.Y))
            : ((long)Math.Floor(p.X / _radius), (long)Math.Floor(p.Y / _radius));
    }
}
