using System.Globalization;
using System.Text;

namespace Loftr.Cli.Output;

/// <summary>
/// CSV form of matches: a header <c>x0,y0,x1,y1,confidence</c> (plus <c>inlier</c> 0/1 with --geometry), one row
/// per match, floats in round-trip precision, invariant culture. With several pairs, two leading columns
/// <c>image0,image1</c> name the pair. The robust model itself is not in CSV (use JSON or NPZ).
/// </summary>
public static class CsvMatchWriter
{
    /// <summary>Writes the pairs' matches.</summary>
    public static void Write(Stream stream, IEnumerable<PairRecord> pairs, bool withNames)
    {
        using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        bool? withInliers = null;
        foreach (var pair in pairs)
        {
            var m = pair.Matches;
            if (withInliers is null)
            {
                withInliers = m.Geometry is not null;
                w.WriteLine((withNames ? "image0,image1," : "") + "x0,y0,x1,y1,confidence" + (withInliers.Value ? ",inlier" : ""));
            }
            string prefix = withNames ? Quote(pair.Image0) + "," + Quote(pair.Image1) + "," : "";
            for (int i = 0; i < m.Count; i++)
            {
                w.Write(prefix);
                w.Write(F(m.Keypoints0[i].X)); w.Write(',');
                w.Write(F(m.Keypoints0[i].Y)); w.Write(',');
                w.Write(F(m.Keypoints1[i].X)); w.Write(',');
                w.Write(F(m.Keypoints1[i].Y)); w.Write(',');
                w.Write(F(m.Confidence[i]));
                if (withInliers == true) w.Write(m.Geometry?.Inliers[i] == true ? ",1" : ",0");
                w.WriteLine();
            }
        }
        if (withInliers is null) w.WriteLine((withNames ? "image0,image1," : "") + "x0,y0,x1,y1,confidence");
    }

    private static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";
}
