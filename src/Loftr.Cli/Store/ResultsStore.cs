using System.Runtime.InteropServices;
using Loftr.Cli.Matching;
using Microsoft.Data.Sqlite;

namespace Loftr.Cli.Store;

/// <summary>
/// The SQLite results store of <c>loftr pairs</c>. Tables: <c>meta</c> (key/value: format, schema version, weights
/// SHA-256, options), <c>runs</c> (one row per invocation), <c>pairs</c> (one row per pair: status 'ok' or 'failed',
/// sizes, match and inlier counts, rotation, model matrix) and <c>matches</c> (per finished pair: little-endian
/// float32 blobs keypoints0/keypoints1 [N,2] and confidence [N], inliers as N bytes 0/1). Each pair is written in
/// ONE transaction (pair row + matches), so an interrupted run (Ctrl-C, kill -9, power loss) leaves a consistent
/// file in which every pair is either complete or absent.
/// </summary>
public sealed class ResultsStore : IDisposable
{
    /// <summary>Value of the meta key <c>format</c>.</summary>
    public const string FormatName = "loftr-pairs";

    /// <summary>Schema version.</summary>
    public const int SchemaVersion = 1;

    private readonly SqliteConnection _db;

    private ResultsStore(SqliteConnection db, string path)
    {
        _db = db;
        Path = path;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating when <paramref name="create"/>) a store; usage error when the file is not a store.</summary>
    public static ResultsStore Open(string path, bool create)
    {
        if (!create && !File.Exists(path)) throw CliException.Usage($"results database not found: {path}");
        if (Directory.Exists(path)) throw CliException.Usage($"{path} is a directory; --out needs a database file name such as results.db.");
        bool existed = File.Exists(path) && new FileInfo(path).Length > 0;
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = 30,
        };
        if (create) Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var db = new SqliteConnection(builder.ToString());
        var store = new ResultsStore(db, path);
        try
        {
            db.Open();
            if (existed) store.CheckFormat();
            if (create) store.CreateSchema();
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 or 11) // SQLITE_NOTADB, SQLITE_CORRUPT
        {
            store.Dispose();
            throw CliException.Usage($"{path} is not a loftr results database ({e.Message.TrimEnd('.')}).");
        }
        catch
        {
            store.Dispose();
            throw;
        }
        return store;
    }

    /// <summary>Deletes a store file and its SQLite side files.</summary>
    public static void Delete(string path)
    {
        foreach (var suffix in new[] { "", "-journal", "-wal", "-shm" })
            if (File.Exists(path + suffix)) File.Delete(path + suffix);
    }

    private void CheckFormat()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'";
        bool hasMeta = Convert.ToInt64(cmd.ExecuteScalar()) > 0;
        string? format = hasMeta ? GetMeta("format") : null;
        if (format != FormatName)
            throw CliException.Usage($"{Path} is an SQLite database but not a loftr results database (no '{FormatName}' meta table).");
        if (GetMeta("schema_version") is { } v && v != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw CliException.Usage($"{Path} has schema version {v}; this loftr reads version {SchemaVersion}.");
    }

    private void CreateSchema()
    {
        Execute("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS runs (
                id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
                pairs_done INTEGER NOT NULL DEFAULT 0, pairs_failed INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS pairs (
                id INTEGER PRIMARY KEY, name0 TEXT NOT NULL, name1 TEXT NOT NULL, status TEXT NOT NULL, error TEXT,
                width0 INTEGER, height0 INTEGER, width1 INTEGER, height1 INTEGER, num_matches INTEGER, rotation INTEGER,
                model TEXT, threshold REAL, matrix BLOB, num_inliers INTEGER, seconds REAL, run_id INTEGER,
                UNIQUE (name0, name1));
            CREATE TABLE IF NOT EXISTS matches (
                pair_id INTEGER PRIMARY KEY REFERENCES pairs (id), keypoints0 BLOB NOT NULL, keypoints1 BLOB NOT NULL,
                confidence BLOB NOT NULL, inliers BLOB);
            """);
        if (GetMeta("format") is null)
        {
            using var tx = _db.BeginTransaction();
            SetMeta("format", FormatName);
            SetMeta("schema_version", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
            tx.Commit();
        }
    }

    /// <summary>A meta value, or null.</summary>
    public string? GetMeta(string key)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>All meta entries.</summary>
    public IReadOnlyDictionary<string, string> Meta()
    {
        var r = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT key, value FROM meta";
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) r[reader.GetString(0)] = reader.GetString(1);
        return r;
    }

    /// <summary>Sets meta entries in one transaction.</summary>
    public void SetMeta(IReadOnlyDictionary<string, string> values)
    {
        using var tx = _db.BeginTransaction();
        foreach (var (k, v) in values) SetMeta(k, v);
        tx.Commit();
    }

    private void SetMeta(string key, string value)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Pairs already finished (status 'ok'); failed pairs are retried by a new run.</summary>
    public HashSet<(string, string)> FinishedPairs()
    {
        var r = new HashSet<(string, string)>();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT name0, name1 FROM pairs WHERE status = 'ok'";
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) r.Add((reader.GetString(0), reader.GetString(1)));
        return r;
    }

    /// <summary>Starts a run row; returns its id.</summary>
    public long StartRun()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "INSERT INTO runs (started, status) VALUES ($t, 'running'); SELECT last_insert_rowid();";
        cmd.Parameters.AddWithValue("$t", DateTime.UtcNow.ToString("O"));
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    /// <summary>Closes a run row with its final status.</summary>
    public void FinishRun(long runId, string status)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "UPDATE runs SET finished = $t, status = $s WHERE id = $id";
        cmd.Parameters.AddWithValue("$t", DateTime.UtcNow.ToString("O"));
        cmd.Parameters.AddWithValue("$s", status);
        cmd.Parameters.AddWithValue("$id", runId);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Stores a finished pair (replacing an earlier row of the same pair) in one transaction.</summary>
    public void SavePair(long runId, string name0, string name1, PairMatches m, double seconds)
    {
        using var tx = _db.BeginTransaction();
        DeletePair(name0, name1);
        using (var cmd = _db.CreateCommand())
        {
            cmd.CommandText = """
                INSERT INTO pairs (name0, name1, status, width0, height0, width1, height1, num_matches, rotation, model, threshold,
                                   matrix, num_inliers, seconds, run_id)
                VALUES ($n0, $n1, 'ok', $w0, $h0, $w1, $h1, $n, $rot, $model, $thr, $matrix, $inl, $sec, $run);
                SELECT last_insert_rowid();
                """;
            cmd.Parameters.AddWithValue("$n0", name0);
            cmd.Parameters.AddWithValue("$n1", name1);
            cmd.Parameters.AddWithValue("$w0", m.ImageSize0.Width);
            cmd.Parameters.AddWithValue("$h0", m.ImageSize0.Height);
            cmd.Parameters.AddWithValue("$w1", m.ImageSize1.Width);
            cmd.Parameters.AddWithValue("$h1", m.ImageSize1.Height);
            cmd.Parameters.AddWithValue("$n", m.Count);
            cmd.Parameters.AddWithValue("$rot", (object?)m.Rotation ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$model", (object?)m.Geometry?.Name ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$thr", (object?)m.Geometry?.Threshold ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$matrix", m.Geometry?.Matrix is { } mat ? MatrixBytes(mat) : DBNull.Value);
            cmd.Parameters.AddWithValue("$inl", (object?)m.Geometry?.InlierCount ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$sec", seconds);
            cmd.Parameters.AddWithValue("$run", runId);
            long id = Convert.ToInt64(cmd.ExecuteScalar());
            using var mc = _db.CreateCommand();
            mc.CommandText = "INSERT INTO matches (pair_id, keypoints0, keypoints1, confidence, inliers) VALUES ($id, $k0, $k1, $c, $i)";
            mc.Parameters.AddWithValue("$id", id);
            mc.Parameters.AddWithValue("$k0", PointBytes(m.Keypoints0));
            mc.Parameters.AddWithValue("$k1", PointBytes(m.Keypoints1));
            mc.Parameters.AddWithValue("$c", MemoryMarshal.AsBytes(m.Confidence.AsSpan()).ToArray());
            mc.Parameters.AddWithValue("$i", m.Geometry is { } g ? g.Inliers.Select(b => b ? (byte)1 : (byte)0).ToArray() : DBNull.Value);
            mc.ExecuteNonQuery();
        }
        CountInRun(runId, "pairs_done");
        tx.Commit();
    }

    /// <summary>Stores a failed pair with its error (retried by the next run).</summary>
    public void SaveFailure(long runId, string name0, string name1, string error, double seconds)
    {
        using var tx = _db.BeginTransaction();
        DeletePair(name0, name1);
        using (var cmd = _db.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO pairs (name0, name1, status, error, seconds, run_id) VALUES ($n0, $n1, 'failed', $e, $sec, $run)";
            cmd.Parameters.AddWithValue("$n0", name0);
            cmd.Parameters.AddWithValue("$n1", name1);
            cmd.Parameters.AddWithValue("$e", error);
            cmd.Parameters.AddWithValue("$sec", seconds);
            cmd.Parameters.AddWithValue("$run", runId);
            cmd.ExecuteNonQuery();
        }
        CountInRun(runId, "pairs_failed");
        tx.Commit();
    }

    private void CountInRun(long runId, string column)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = $"UPDATE runs SET {column} = {column} + 1 WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", runId);
        cmd.ExecuteNonQuery();
    }

    private void DeletePair(string name0, string name1)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = """
            DELETE FROM matches WHERE pair_id IN (SELECT id FROM pairs WHERE name0 = $n0 AND name1 = $n1);
            DELETE FROM pairs WHERE name0 = $n0 AND name1 = $n1;
            """;
        cmd.Parameters.AddWithValue("$n0", name0);
        cmd.Parameters.AddWithValue("$n1", name1);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Every pair row in insertion order, with its matches.</summary>
    public IEnumerable<StoredPair> ReadPairs()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = """
            SELECT p.id, p.name0, p.name1, p.status, p.error, p.width0, p.height0, p.width1, p.height1, p.rotation, p.model,
                   p.threshold, p.matrix, p.seconds, m.keypoints0, m.keypoints1, m.confidence, m.inliers
            FROM pairs p LEFT JOIN matches m ON m.pair_id = p.id ORDER BY p.id
            """;
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            long id = r.GetInt64(0);
            string n0 = r.GetString(1), n1 = r.GetString(2);
            double seconds = r.IsDBNull(13) ? 0 : r.GetDouble(13);
            if (r.GetString(3) != "ok")
            {
                yield return new StoredPair(id, n0, n1, null, r.IsDBNull(4) ? "failed" : r.GetString(4), seconds);
                continue;
            }
            var conf = MemoryMarshal.Cast<byte, float>(Blob(r, 16)).ToArray();
            GeometryResult? geometry = null;
            if (!r.IsDBNull(10))
            {
                var inliers = Blob(r, 17).Select(b => b != 0).ToArray();
                double[,]? matrix = r.IsDBNull(12) ? null : ToMatrix(Blob(r, 12));
                geometry = new GeometryResult(GeometryResult.ParseKind(r.GetString(10)), r.GetDouble(11), matrix, inliers);
            }
            var m = new PairMatches
            {
                ImageSize0 = new ImageSize(r.GetInt32(5), r.GetInt32(6)),
                ImageSize1 = new ImageSize(r.GetInt32(7), r.GetInt32(8)),
                Keypoints0 = ToPoints(Blob(r, 14)),
                Keypoints1 = ToPoints(Blob(r, 15)),
                Confidence = conf,
                Rotation = r.IsDBNull(9) ? null : r.GetInt32(9),
                Geometry = geometry,
            };
            yield return new StoredPair(id, n0, n1, m, null, seconds);
        }
    }

    private static byte[] Blob(SqliteDataReader r, int i) => r.IsDBNull(i) ? [] : (byte[])r.GetValue(i);

    private static byte[] PointBytes(Point2[] points) => MemoryMarshal.AsBytes(points.AsSpan()).ToArray();

    private static Point2[] ToPoints(byte[] bytes) => MemoryMarshal.Cast<byte, Point2>(bytes).ToArray();

    private static byte[] MatrixBytes(double[,] m)
    {
        var v = new double[9];
        for (int i = 0; i < 9; i++) v[i] = m[i / 3, i % 3];
        return MemoryMarshal.AsBytes(v.AsSpan()).ToArray();
    }

    private static double[,] ToMatrix(byte[] bytes)
    {
        var v = MemoryMarshal.Cast<byte, double>(bytes);
        var m = new double[3, 3];
        for (int i = 0; i < 9; i++) m[i / 3, i % 3] = v[i];
        return m;
    }

    private void Execute(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Closes the database.</summary>
    public void Dispose() => _db.Dispose();
}
