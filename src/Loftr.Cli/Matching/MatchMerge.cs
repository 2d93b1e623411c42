namespace Loftr.Cli.Matching;

/// <summary>
/// Union of match sets without duplicates: the matches of the first set are all kept, in order; a match of a later
/// set is added unless an already kept match lies within <see cref="MatchSettings.DuplicateRadius"/> pixels of it in
/// BOTH images (Euclidean distance of keypoints 0 and of keypoints 1). Matches within one set are never
/// compared with each other.
/// </summary>
public static class MatchMerge
{
    /// <summary>Merges the sets in order; the result has no geometry and the rotation of the first set.</summary>
    public static PairMatches Union(IReadOnlyList<PairMatches> sets, double radius = MatchSettings.DuplicateRadius)
    {
        if (sets.Count == 0) throw new ArgumentException("Nothing to merge.");
        var kp0 = new List<Point2>();
        var kp1 = new List<Point2>();
        var conf = new List<float>();
        var grid = new Dictionary<(int, int), List<int>>();
        double r2 = radius * radius;
        foreach (var set in sets)
        {
            int start = kp0.Count;
            for (int i = 0; i < set.Count; i++)
            {
                if (IsDuplicate(set.Keypoints0[i], set.Keypoints1[i])) continue;
                kp0.Add(set.Keypoints0[i]);
                kp1.Add(set.Keypoints1[i]);
                conf.Add(set.Confidence[i]);
            }
            // Index this set only now: matches of one set are never duplicates of each other.
            for (int j = start; j < kp0.Count; j++)
            {
                var cell = Cell(kp0[j]);
                if (!grid.TryGetValue(cell, out var list)) grid[cell] = list = [];
                list.Add(j);
            }
        }
        return sets[0] with { Keypoints0 = kp0.ToArray(), Keypoints1 = kp1.ToArray(), Confidence = conf.ToArray(), Geometry = null };

        (int, int) Cell(Point2 p) => ((int)Math.Floor(p.X / radius), (int)Math.Floor(p.Y / radius));

        bool IsDuplicate(Point2 a, Point2 b)
        {
            var (cx, cy) = Cell(a);
            for (int dx = -1; dx <= 1; dx++)
            for (int dy = -1; dy <= 1; dy++)
            {
                if (!grid.TryGetValue((cx + dx, cy + dy), out var list)) continue;
                foreach (int j in list)
                    if (Dist2(kp0[j], a) <= r2 && Dist2(kp1[j], b) <= r2) return true;
            }
            return false;
        }
    }

    private static double Dist2(Point2 p, Point2 q)
    {
        double dx = p.X - q.X, dy = p.Y - q.Y;
        return dx * dx + dy * dy;
    }
}
