using Microsoft.Data.Sqlite;

namespace Loftr.Colmap;

/// <summary>
/// A sidecar SQLite file holding each pair's raw matches, so an interrupted or repeated export skips the pairs
/// already matched. Entries are keyed by matcher identity and image names and are reused only while both image
/// files keep their size and modification time.
/// </summary>
public sealed class MatchCache : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS pair_matches (
            matcher TEXT NOT NULL, image0 TEXT NOT NULL, image1 TEXT NOT NULL,
            stamp0 TEXT NOT NULL, stamp1 TEXT NOT NULL,
            rows INTEGER NOT NULL, keypoints0 BLOB, keypoints1 BLOB, scores BLOB,
            PRIMARY KEY (matcher, image0, image1));
        """;

    private readonly SqliteConnection _connection;
    private bool _disposed;

    private MatchCache(string path)
    {
        Path = path;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        _connection.Open();
        try
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode=WAL; " + Schema;
            cmd.ExecuteNonQuery();
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new InvalidDataException($"{path}: cannot use this file as a match cache ({e.Message}).", e);
        }
    }

    /// <summary>The cache file.</summary>
    public string Path { get; }

    /// <summary>Opens or creates a cache file.</summary>
    /// <param name="path">Cache file.</param>
    /// <returns>The cache.</returns>
    public static MatchCache Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        return new MatchCache(path);
    }

    /// <summary>A stamp of a file's content version: its size and last write time.</summary>
    /// <param name="path">File.</param>
    /// <returns>The stamp.</returns>
    public static string Stamp(string path)
    {
        var fi = new FileInfo(path);
        return $"{fi.Length}:{fi.LastWriteTimeUtc.Ticks}";
    }

    /// <summary>The cached matches of a pair, or null when absent or stale.</summary>
    /// <param name="matcher">Matcher identity.</param>
    /// <param name="image0">Image 0 name.</param>
    /// <param name="image1">Image 1 name.</param>
    /// <param name="stamp0">Current stamp of image 0.</param>
    /// <param name="stamp1">Current stamp of image 1.</param>
    /// <returns>The matches or null.</returns>
    public PairMatches? TryGet(string matcher, string image0, string image1, string stamp0, string stamp1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT stamp0, stamp1, rows, keypoints0, keypoints1, scores FROM pair_matches WHERE matcher = $m AND image0 = $a AND image1 = $b";
        cmd.Parameters.AddWithValue("$m", matcher);
        cmd.Parameters.AddWithValue("$a", image0);
        cmd.Parameters.AddWithValue("$b", image1);
        using var rd = cmd.ExecuteReader();
        if (!rd.Read() || rd.GetString(0) != stamp0 || rd.GetString(1) != stamp1) return null;
        int rows = rd.GetInt32(2);
        var k0 = ToPoints(Blob(rd, 3));
        var k1 = ToPoints(Blob(rd, 4));
        var s = ColmapDatabase.FromBytes<float>(Blob(rd, 5));
        if (k0.Length != rows || k1.Length != rows || s.Length != rows)
            throw new InvalidDataException($"{Path}: the cached matches of {image0} / {image1} are corrupt (delete the cache file).");
        return new PairMatches(k0, k1, s);
    }

    /// <summary>Stores (or replaces) the matches of a pair; committed at once.</summary>
    /// <param name="matcher">Matcher identity.</param>
    /// <param name="image0">Image 0 name.</param>
    /// <param name="image1">Image 1 name.</param>
    /// <param name="stamp0">Stamp of image 0.</param>
    /// <param name="stamp1">Stamp of image 1.</param>
    /// <param name="matches">The matches.</param>
    public void Put(string matcher, string image0, string image1, string stamp0, string stamp1, PairMatches matches)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(matches);
        matches.Validate();
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = """
            INSERT OR REPLACE INTO pair_matches (matcher, image0, image1, stamp0, stamp1, rows, keypoints0, keypoints1, scores)
            VALUES ($m, $a, $b, $s0, $s1, $r, $k0, $k1, $s)
            """;
        cmd.Parameters.AddWithValue("$m", matcher);
        cmd.Parameters.AddWithValue("$a", image0);
        cmd.Parameters.AddWithValue("$b", image1);
        cmd.Parameters.AddWithValue("$s0", stamp0);
        cmd.Parameters.AddWithValue("$s1", stamp1);
        cmd.Parameters.AddWithValue("$r", matches.Count);
        cmd.Parameters.AddWithValue("$k0", ColmapDatabase.ToBytes<Point2>(matches.Keypoints0));
        cmd.Parameters.AddWithValue("$k1", ColmapDatabase.ToBytes<Point2>(matches.Keypoints1));
        cmd.Parameters.AddWithValue("$s", ColmapDatabase.ToBytes<float>(matches.Scores));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Number of cached pairs (all matchers).</summary>
    /// <returns>Row count.</returns>
    public long Count()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM pair_matches";
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    private static byte[] Blob(SqliteDataReader rd, int col) => rd.IsDBNull(col) ? [] : (byte[])rd.GetValue(col);

    private static Point2[] ToPoints(byte[] blob) => ColmapDatabase.FromBytes<Point2>(blob);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _connection.Dispose();
    }
}
