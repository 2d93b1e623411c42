using Microsoft.Data.Sqlite;

namespace Loftr.Cli.Tests.Infrastructure;

/// <summary>A pair row of a results database, read with plain SQL (independent of the tool's store class).</summary>
public sealed record StoreRow(string Name0, string Name1, string Status, long? NumMatches, byte[]? Keypoints0, byte[]? Keypoints1, byte[]? Confidence,
    byte[]? Inliers, byte[]? Matrix, string? Error);

/// <summary>Reads results databases.</summary>
public static class StoreReader
{
    private static SqliteConnection Open(string path, bool readOnly)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        db.Open();
        return db;
    }

    /// <summary>Every pair row, by (name0, name1).</summary>
    public static List<StoreRow> Rows(string path, bool readOnly = false)
    {
        using var db = Open(path, readOnly);
        using var cmd = db.CreateCommand();
        cmd.CommandText = """
            SELECT p.name0, p.name1, p.status, p.num_matches, m.keypoints0, m.keypoints1, m.confidence, m.inliers, p.matrix, p.error
            FROM pairs p LEFT JOIN matches m ON m.pair_id = p.id ORDER BY p.name0, p.name1
            """;
        using var r = cmd.ExecuteReader();
        var rows = new List<StoreRow>();
        byte[]? B(int i) => r.IsDBNull(i) ? null : (byte[])r.GetValue(i);
        while (r.Read())
            rows.Add(new StoreRow(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3), B(4), B(5), B(6), B(7), B(8),
                r.IsDBNull(9) ? null : r.GetString(9)));
        return rows;
    }

    /// <summary>Number of finished pairs (0 when the file or table does not exist yet).</summary>
    public static int FinishedCount(string path)
    {
        if (!File.Exists(path)) return 0;
        try
        {
            using var db = Open(path, readOnly: true);
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM pairs WHERE status = 'ok'";
            return Convert.ToInt32(cmd.ExecuteScalar());
        }
        catch (SqliteException)
        {
            return 0; // schema not created yet, or locked
        }
    }

    /// <summary>SQLite's own consistency check ("ok" when fine).</summary>
    public static string IntegrityCheck(string path)
    {
        using var db = Open(path, readOnly: false); // read-write: rolls back a hot journal left by a killed writer
        using var cmd = db.CreateCommand();
        cmd.CommandText = "PRAGMA integrity_check";
        return (string)cmd.ExecuteScalar()!;
    }

    /// <summary>A scalar query.</summary>
    public static object? Scalar(string path, string sql)
    {
        using var db = Open(path, readOnly: true);
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
