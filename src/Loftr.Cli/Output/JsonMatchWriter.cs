using System.Text.Json;
using Loftr.Cli.Matching;

namespace Loftr.Cli.Output;

/// <summary>
/// The JSON form of a pair's matches: <c>image0</c>, <c>image1</c>, <c>image_size0/1</c> [w, h], <c>rotation</c>
/// (clockwise degrees of image 1 the matches come from; null in union mode), <c>num_matches</c>,
/// <c>keypoints0/1</c> [[x, y], ...] in original pixels, <c>confidence</c>, and with --geometry a <c>geometry</c>
/// object: <c>model</c>, <c>threshold</c>, <c>matrix</c> (3x3 rows, or null when none was found),
/// <c>num_inliers</c>, <c>inliers</c> (one bool per match). Floats are written in round-trip precision.
/// </summary>
public static class JsonMatchWriter
{
    /// <summary>Format tag of the document.</summary>
    public const string FormatName = "loftr-matches";

    /// <summary>Writes one pair as a JSON document.</summary>
    public static void Write(Stream stream, PairRecord pair)
    {
        using var w = new Utf8JsonWriter(stream);
        WritePair(w, pair);
        w.Flush();
        stream.WriteByte((byte)'\n');
    }

    /// <summary>Writes several pairs as <c>{"format": ..., "pairs": [...]}</c>.</summary>
    public static void WriteMany(Stream stream, IEnumerable<PairRecord> pairs, IReadOnlyDictionary<string, string> meta)
    {
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteString("format", FormatName + "-batch");
        w.WriteNumber("version", 1);
        w.WriteStartObject("meta");
        foreach (var (k, v) in meta) w.WriteString(k, v);
        w.WriteEndObject();
        w.WriteStartArray("pairs");
        foreach (var p in pairs) WritePair(w, p, nested: true);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        stream.WriteByte((byte)'\n');
    }

    private static void WritePair(Utf8JsonWriter w, PairRecord pair, bool nested = false)
    {
        var m = pair.Matches;
        w.WriteStartObject();
        if (!nested)
        {
            w.WriteString("format", FormatName);
            w.WriteNumber("version", 1);
        }
        w.WriteString("image0", pair.Image0);
        w.WriteString("image1", pair.Image1);
        WriteSize(w, "image_size0", m.ImageSize0);
        WriteSize(w, "image_size1", m.ImageSize1);
        if (m.Rotation is int r) w.WriteNumber("rotation", r);
        else w.WriteNull("rotation");
        w.WriteNumber("num_matches", m.Count);
        WritePoints(w, "keypoints0", m.Keypoints0);
        WritePoints(w, "keypoints1", m.Keypoints1);
        w.WriteStartArray("confidence");
        foreach (float c in m.Confidence) w.WriteNumberValue(c);
        w.WriteEndArray();
        if (m.Geometry is { } g)
        {
            w.WriteStartObject("geometry");
            w.WriteString("model", g.Name);
            w.WriteNumber("threshold", g.Threshold);
            if (g.Matrix is { } mat)
            {
                w.WriteStartArray("matrix");
                for (int i = 0; i < 3; i++)
                {
                    w.WriteStartArray();
                    for (int j = 0; j < 3; j++) w.WriteNumberValue(mat[i, j]);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            else w.WriteNull("matrix");
            w.WriteNumber("num_inliers", g.InlierCount);
            w.WriteStartArray("inliers");
            foreach (bool b in g.Inliers) w.WriteBooleanValue(b);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteSize(Utf8JsonWriter w, string name, ImageSize s)
    {
        w.WriteStartArray(name);
        w.WriteNumberValue(s.Width);
        w.WriteNumberValue(s.Height);
        w.WriteEndArray();
    }

    private static void WritePoints(Utf8JsonWriter w, string name, Point2[] points)
    {
        w.WriteStartArray(name);
        foreach (var p in points)
        {
            w.WriteStartArray();
            w.WriteNumberValue(p.X);
            w.WriteNumberValue(p.Y);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }
}
