using Loftr.Colmap;
using Microsoft.Data.Sqlite;

namespace Loftr.Tests.Colmap;

public class ColmapDatabaseTests
{
    [Fact]
    public void PairIdFollowsColmapConvention()
    {
        Assert.Equal(1L * 2147483647 + 2, ColmapPairId.Encode(1, 2));
        Assert.Equal(ColmapPairId.Encode(3, 7), ColmapPairId.Encode(7, 3));
        Assert.Equal(3L * 2147483647 + 7, ColmapPairId.Encode(7, 3));
        Assert.Equal((3, 7), ColmapPairId.Decode(ColmapPairId.Encode(7, 3)));
        Assert.Equal((1, 2147483646), ColmapPairId.Decode(ColmapPairId.Encode(2147483646, 1)));
        Assert.True(ColmapPairId.IsSwapped(7, 3));
        Assert.False(ColmapPairId.IsSwapped(3, 7));
        Assert.Throws<ArgumentException>(() => ColmapPairId.Encode(4, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => ColmapPairId.Encode(0, 4));
    }

    [Fact]
    public void WritesColmapBlobLayouts()
    {
        using var tmp = ColmapTestSupport.Temp();
        string path = tmp["db.db"];
        using (var db = ColmapDatabase.Create(path))
        {
            db.BeginTransaction();
            int cam = db.AddCamera(ColmapCamera.Create(ColmapCameraModel.SimpleRadial, 640, 480, 768, false));
            int a = db.AddImage("a.jpg", cam), b = db.AddImage("sub/b.jpg", cam);
            db.AddKeypoints(a, [new Point2(1.5f, 2.5f), new Point2(3.25f, 4.75f)]);
            db.AddKeypoints(b, [new Point2(10, 20), new Point2(30, 40), new Point2(50, 60)]);
            // Given as (b, a): COLMAP stores (a, b), so the columns are swapped.
            db.AddMatches(b, a, [new KeypointMatch(2, 0), new KeypointMatch(0, 1)]);
            var f = new double[,] { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 10 } };
            var h = new double[,] { { 2, 0, 1 }, { 0, 2, 3 }, { 0, 0, 1 } };
            db.AddTwoViewGeometry(b, a, new ColmapTwoViewGeometry(TwoViewConfig.Uncalibrated, [new KeypointMatch(2, 0)], F: f, H: h));
            db.Commit();
            Assert.Equal((1, 2), (a, b));
        }

        using var conn = new SqliteConnection($"Data Source={path};Pooling=False");
        conn.Open();
        using (var cmd = new SqliteCommand("SELECT model, width, height, params, prior_focal_length FROM cameras", conn))
        using (var rd = cmd.ExecuteReader())
        {
            Assert.True(rd.Read());
            Assert.Equal(2, rd.GetInt32(0));
            Assert.Equal([768.0, 320.0, 240.0, 0.0], Doubles((byte[])rd[3]));
            Assert.Equal(0, rd.GetInt32(4));
        }
        using (var cmd = new SqliteCommand("SELECT rows, cols, data FROM keypoints WHERE image_id = 1", conn))
        using (var rd = cmd.ExecuteReader())
        {
            Assert.True(rd.Read());
            Assert.Equal((2, 2), (rd.GetInt32(0), rd.GetInt32(1)));
            var blob = (byte[])rd[2];
            Assert.Equal(16, blob.Length);
            Assert.Equal([1.5f, 2.5f, 3.25f, 4.75f], Enumerable.Range(0, 4).Select(i => BitConverter.ToSingle(blob, 4 * i)));
        }
        using (var cmd = new SqliteCommand("SELECT pair_id, rows, cols, data FROM matches", conn))
        using (var rd = cmd.ExecuteReader())
        {
            Assert.True(rd.Read());
            Assert.Equal(2147483647L + 2, rd.GetInt64(0));
            Assert.Equal((2, 2), (rd.GetInt32(1), rd.GetInt32(2)));
            var blob = (byte[])rd[3];
            Assert.Equal([0u, 2u, 1u, 0u], Enumerable.Range(0, 4).Select(i => BitConverter.ToUInt32(blob, 4 * i)));
        }
        using (var cmd = new SqliteCommand("SELECT rows, data, config, F, E, H, qvec, tvec FROM two_view_geometries", conn))
        using (var rd = cmd.ExecuteReader())
        {
            Assert.True(rd.Read());
            Assert.Equal(1, rd.GetInt32(0));
            Assert.Equal(3, rd.GetInt32(2));
            var blob = (byte[])rd[1];
            Assert.Equal([0u, 2u], Enumerable.Range(0, 2).Select(i => BitConverter.ToUInt32(blob, 4 * i)));
            // Stored for (a, b): F transposed, row-major float64; H inverted; no E.
            Assert.Equal([1.0, 4, 7, 2, 5, 8, 3, 6, 10], Doubles((byte[])rd[3]));
            Assert.True(rd.IsDBNull(4));
            var hInv = Doubles((byte[])rd[5]);
            Assert.Equal([0.5, 0, -0.5, 0, 0.5, -1.5, 0, 0, 1], hInv.Select(v => Math.Round(v, 12)));
            Assert.Equal(32, ((byte[])rd[6]).Length);
            Assert.Equal(24, ((byte[])rd[7]).Length);
        }
    }

    [Fact]
    public void ReadsBackInEitherPairOrder()
    {
        using var tmp = ColmapTestSupport.Temp();
        using var db = ColmapDatabase.Create(tmp["db.db"]);
        int cam = db.AddCamera(ColmapCamera.Create(ColmapCameraModel.Pinhole, 100, 50, 120, true));
        int a = db.AddImage("a.png", cam), b = db.AddImage("b.png", cam);
        db.AddKeypoints(a, [new Point2(1, 2)]);
        db.AddKeypoints(b, [new Point2(3, 4), new Point2(5, 6)]);
        var e = new double[,] { { 0, -1, 0.5 }, { 1, 0, 0.2 }, { -0.5, -0.2, 0 } };
        var matches = new[] { new KeypointMatch(0, 1) };
        db.AddMatches(a, b, matches);
        db.AddTwoViewGeometry(a, b, new ColmapTwoViewGeometry(TwoViewConfig.Calibrated, matches, E: e));

        var (id, camera) = Assert.Single(db.ReadCameras());
        Assert.Equal(cam, id);
        Assert.Equal([120.0, 120, 50, 25], camera.Params);
        Assert.True(camera.HasPriorFocalLength);
        Assert.Equal(["a.png", "b.png"], db.ReadImages().Select(i => i.Name));
        Assert.Equal([new Point2(3, 4), new Point2(5, 6)], db.ReadKeypoints(b));
        Assert.Equal(matches, db.ReadMatches(a, b));
        Assert.Equal([new KeypointMatch(1, 0)], db.ReadMatches(b, a));
        var g = db.ReadTwoViewGeometry(b, a)!;
        Assert.Equal(TwoViewConfig.Calibrated, g.Config);
        Assert.Equal([new KeypointMatch(1, 0)], g.Inliers);
        Assert.Equal(e[0, 1], g.E![1, 0]);
        Assert.Null(g.F);
        Assert.Equal(1, db.CountRows("two_view_geometries"));
        Assert.Throws<ArgumentException>(() => db.CountRows("sqlite_master"));
    }

    [Fact]
    public void RejectsBadInput()
    {
        using var tmp = ColmapTestSupport.Temp();
        using (var db = ColmapDatabase.Create(tmp["db.db"]))
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => db.AddKeypoints(1, new float[6], 3));
            Assert.Throws<ArgumentException>(() => db.AddCamera(new ColmapCamera(ColmapCameraModel.Pinhole, 10, 10, [1, 2, 3], false)));
        }
        Assert.Throws<IOException>(() => ColmapDatabase.Create(tmp["db.db"]));
        File.WriteAllText(tmp["not.db"], "hello");
        Assert.Throws<InvalidDataException>(() => ColmapDatabase.Open(tmp["not.db"]));
        Assert.Throws<FileNotFoundException>(() => ColmapDatabase.Open(tmp["missing.db"]));
    }

    [Fact]
    public void SchemaMatchesColmapDatabaseCreator()
    {
        var exe = ColmapTestSupport.Colmap();
        if (exe == null) return;
        using var tmp = ColmapTestSupport.Temp();
        ColmapTestSupport.RunColmap(exe, "database_creator", "--database_path", tmp["colmap.db"]);
        using (ColmapDatabase.Create(tmp["ours.db"])) { }
        Assert.Equal(Columns(tmp["colmap.db"]), Columns(tmp["ours.db"]));
    }

    private static List<string> Columns(string path)
    {
        var r = new List<string>();
        using var conn = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        conn.Open();
        foreach (var table in new[] { "cameras", "images", "keypoints", "descriptors", "matches", "two_view_geometries" })
        {
            using var cmd = new SqliteCommand($"PRAGMA table_info({table})", conn);
            using var rd = cmd.ExecuteReader();
            while (rd.Read()) r.Add($"{table}.{rd.GetString(1)}:{rd.GetString(2)}:{rd.GetInt32(3)}:{rd.GetInt32(5)}");
        }
        return r;
    }

    private static double[] Doubles(byte[] blob) => Enumerable.Range(0, blob.Length / 8).Select(i => BitConverter.ToDouble(blob, 8 * i)).ToArray();
}
