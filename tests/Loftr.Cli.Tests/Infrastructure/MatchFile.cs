using System.Globalization;
using System.Text.Json;
using Loftr.IO;

namespace Loftr.Cli.Tests.Infrastructure;

/// <summary>A matches file read back independently of the writers (JSON, CSV or NPZ).</summary>
public sealed record MatchFile(float[] Keypoints0, float[] Keypoints1, float[] Confidence, bool[]? Inliers, double[]? Matrix)
{
    /// <summary>Number of matches.</summary>
    public int Count => Confidence.Length;

    /// <summary>Reads a JSON file written by <c>loftr match --out x.json</c>.</summary>
    public static MatchFile ReadJson(string path) => FromJson(JsonDocument.Parse(File.ReadAllBytes(path)).RootElement);

    /// <summary>Reads one pair object of a JSON document.</summary>
    public static MatchFile FromJson(JsonElement root)
    {
        float[] Points(string name) => root.GetProperty(name).EnumerateArray()
            .SelectMany(p => p.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        var conf = root.GetProperty("confidence").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        bool[]? inliers = null;
        double[]? matrix = null;
        if (root.TryGetProperty("geometry", out var g))
        {
            inliers = g.GetProperty("inliers").EnumerateArray().Select(v => v.GetBoolean()).ToArray();
            var m = g.GetProperty("matrix");
            matrix = m.ValueKind == JsonValueKind.Null ? null : m.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        }
        Assert.Equal(conf.Length, root.GetProperty("num_matches").GetInt32());
        return new MatchFile(Points("keypoints0"), Points("keypoints1"), conf, inliers, matrix);
    }

    /// <summary>Reads a CSV file written by <c>loftr match --out x.csv</c> (header x0,y0,x1,y1,confidence[,inlier]).</summary>
    public static MatchFile ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        Assert.Equal(["x0", "y0", "x1", "y1", "confidence"], header.Take(5));
        bool withInliers = header.Length == 6;
        var rows = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
        float F(string s) => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
        return new MatchFile(
            rows.SelectMany(r => new[] { F(r[0]), F(r[1]) }).ToArray(),
            rows.SelectMany(r => new[] { F(r[2]), F(r[3]) }).ToArray(),
            rows.Select(r => F(r[4])).ToArray(),
            withInliers ? rows.Select(r => r[5] == "1").ToArray() : null,
            null);
    }

    /// <summary>Reads an NPZ file with the library's independent numpy reader.</summary>
    public static MatchFile ReadNpz(string path, string? model = null)
    {
        var arrays = Npz.Load(path);
        var kp0 = arrays["keypoints0"];
        int n = (int)arrays["confidence"].Length;
        Assert.Equal("<f4", kp0.Dtype);
        Assert.Equal(new long[] { n, 2 }, kp0.Shape);
        Assert.Equal(new long[] { n, 2 }, arrays["keypoints1"].Shape);
        Assert.Equal(new long[] { n }, arrays["confidence"].Shape);
        bool[]? inliers = null;
        double[]? matrix = null;
        if (model is not null)
        {
            Assert.Equal("|b1", arrays["inliers"].Dtype);
            Assert.Equal(new long[] { n }, arrays["inliers"].Shape);
            inliers = arrays["inliers"].AsBoolean();
            Assert.Equal("<f8", arrays[model].Dtype);
            Assert.Equal(new long[] { 3, 3 }, arrays[model].Shape);
            matrix = arrays[model].AsDouble();
        }
        else
        {
            Assert.Equal(["keypoints0", "keypoints1", "confidence"], arrays.Keys);
        }
        return new MatchFile(kp0.AsSingle(), arrays["keypoints1"].AsSingle(), arrays["confidence"].AsSingle(), inliers, matrix);
    }

    /// <summary>Asserts that two files hold exactly the same matches.</summary>
    public static void AssertSame(MatchFile expected, MatchFile actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Keypoints0, actual.Keypoints0);
        Assert.Equal(expected.Keypoints1, actual.Keypoints1);
        Assert.Equal(expected.Confidence, actual.Confidence);
    }
}
