using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Loftr.Colmap;

/// <summary>An image row of a COLMAP database.</summary>
/// <param name="ImageId">Image id (1-based).</param>
/// <param name="Name">Image path relative to COLMAP's <c>--image_path</c>, '/'-separated.</param>
/// <param name="CameraId">Camera id.</param>
public sealed record ColmapImage(int ImageId, string Name, int CameraId);

/// <summary>
/// Reads and writes COLMAP's SQLite database (the schema of COLMAP 3.8, which later releases still read): cameras,
/// images, keypoints, matches and two-view geometries with COLMAP's blob layouts (keypoints float32 rows x 2/4/6,
/// matches uint32 rows x 2, models float64 3x3 row-major, all little-endian) and pair-id convention
/// (<see cref="ColmapPairId"/>; pairs given with the larger id first are stored swapped).
/// Keypoints are in COLMAP's pixel convention: the centre of the top-left pixel is (0.5, 0.5).
/// </summary>
public sealed class ColmapDatabase : IDisposable
{
    /// <summary>The tables of the COLMAP 3.8 schema, as <c>colmap database_creator</c> creates them.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS cameras (camera_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, model INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, params BLOB, prior_focal_length INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS images (image_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name TEXT NOT NULL UNIQUE, camera_id INTEGER NOT NULL, prior_qw REAL, prior_qx REAL, prior_qy REAL, prior_qz REAL, prior_tx REAL, prior_ty REAL, prior_tz REAL, CONSTRAINT image_id_check CHECK(image_id >= 0 and image_id < 2147483647), FOREIGN KEY(camera_id) REFERENCES cameras(camera_id));
        CREATE UNIQUE INDEX IF NOT EXISTS index_name ON images(name);
        CREATE TABLE IF NOT EXISTS keypoints (image_id INTEGER PRIMARY KEY NOT NULL, rows INTEGER NOT NULL, cols INTEGER NOT NULL, data BLOB, FOREIGN KEY(image_id) REFERENCES images(image_id) ON DELETE CASCADE);
        CREATE TABLE IF NOT EXISTS descriptors (image_id INTEGER PRIMARY KEY NOT NULL, rows INTEGER NOT NULL, cols INTEGER NOT NULL, data BLOB, FOREIGN KEY(image_id) REFERENCES images(image_id) ON DELETE CASCADE);
        CREATE TABLE IF NOT EXISTS matches (pair_id INTEGER PRIMARY KEY NOT NULL, rows INTEGER NOT NULL, cols INTEGER NOT NULL, data BLOB);
        CREATE TABLE IF NOT EXISTS two_view_geometries (pair_id INTEGER PRIMARY KEY NOT NULL, rows INTEGER NOT NULL, cols INTEGER NOT NULL, data BLOB, config INTEGER NOT NULL, F BLOB, E BLOB, H BLOB, qvec BLOB, tvec BLOB);
        """;

    private static readonly string[] Tables = ["cameras", "images", "keypoints", "descriptors", "matches", "two_view_geometries"];

    private readonly SqliteConnection _connection;
    private SqliteTransaction? _transaction;
    private bool _disposed;

    private ColmapDatabase(string path, SqliteOpenMode mode)
    {
        Path = path;
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString();
        _connection = new SqliteConnection(cs);
        _connection.Open();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Creates a new, empty database with COLMAP's schema.</summary>
    /// <param name="path">Database file; must not exist yet.</param>
    /// <returns>The open database.</returns>
    /// <exception cref="IOException">The file already exists.</exception>
    public static ColmapDatabase Create(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path)) throw new IOException($"{path}: the COLMAP database already exists.");
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        var db = new ColmapDatabase(path, SqliteOpenMode.ReadWriteCreate);
        db.Execute(Schema);
        return db;
    }

    /// <summary>Opens an existing COLMAP database (read-only unless <paramref name="writable"/>).</summary>
    /// <param name="path">Database file.</param>
    /// <param name="writable">Open for writing.</param>
    /// <returns>The open database.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a COLMAP database.</exception>
    public static ColmapDatabase Open(string path, bool writable = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"COLMAP database not found: {path}", path);
        var db = new ColmapDatabase(path, writable ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadOnly);
        try
        {
            foreach (var t in Tables)
            {
                using var cmd = db.Command("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $t", ("$t", t));
                if (Convert.ToInt64(cmd.ExecuteScalar()) == 0)
                    throw new InvalidDataException($"{path}: not a COLMAP database (table '{t}' is missing).");
            }
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new InvalidDataException($"{path}: not a readable SQLite database ({e.Message}).", e);
        }
        catch
        {
            db.Dispose();
            throw;
        }
        return db;
    }

    /// <summary>Starts a transaction (much faster for many inserts); end it with <see cref="Commit"/>.</summary>
    public void BeginTransaction()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_transaction != null) throw new InvalidOperationException("A transaction is already open.");
        _transaction = _connection.BeginTransaction();
    }

    /// <summary>Commits the transaction opened by <see cref="BeginTransaction"/>.</summary>
    public void Commit()
    {
        if (_transaction == null) throw new InvalidOperationException("No open transaction.");
        _transaction.Commit();
        _transaction.Dispose();
        _transaction = null;
    }

    /// <summary>Inserts a camera.</summary>
    /// <param name="camera">The camera.</param>
    /// <returns>Its camera id.</returns>
    public int AddCamera(ColmapCamera camera)
    {
        ArgumentNullException.ThrowIfNull(camera);
        if (camera.Params.Length != ColmapCamera.ParamCount(camera.Model))
            throw new ArgumentException($"Camera model {camera.Model} takes {ColmapCamera.ParamCount(camera.Model)} parameters, got {camera.Params.Length}.", nameof(camera));
        using var cmd = Command("INSERT INTO cameras (model, width, height, params, prior_focal_length) VALUES ($m, $w, $h, $p, $f); SELECT last_insert_rowid();",
            ("$m", (int)camera.Model), ("$w", camera.Width), ("$h", camera.Height),
            ("$p", ToBytes<double>(camera.Params)), ("$f", camera.HasPriorFocalLength ? 1 : 0));
        return checked((int)Convert.ToInt64(cmd.ExecuteScalar()));
    }

    /// <summary>Inserts an image.</summary>
    /// <param name="name">Path relative to the image folder, '/'-separated.</param>
    /// <param name="cameraId">Its camera.</param>
    /// <returns>Its image id.</returns>
    public int AddImage(string name, int cameraId)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var cmd = Command("INSERT INTO images (name, camera_id) VALUES ($n, $c); SELECT last_insert_rowid();", ("$n", name), ("$c", cameraId));
        return checked((int)Convert.ToInt64(cmd.ExecuteScalar()));
    }

    /// <summary>Writes the keypoints of an image as a rows x 2 float32 blob (x, y in COLMAP pixels).</summary>
    /// <param name="imageId">Image id.</param>
    /// <param name="keypoints">Keypoints, COLMAP convention.</param>
    public void AddKeypoints(int imageId, ReadOnlySpan<Point2> keypoints)
    {
        var data = new float[keypoints.Length * 2];
        for (int i = 0; i < keypoints.Length; i++)
        {
            data[2 * i] = keypoints[i].X;
            data[2 * i + 1] = keypoints[i].Y;
        }
        AddKeypoints(imageId, data, 2);
    }

    /// <summary>
    /// Writes the keypoints of an image from raw rows: 2 columns (x, y), 4 (x, y, scale, orientation) or 6
    /// (x, y, a11, a12, a21, a22), row-major.
    /// </summary>
    /// <param name="imageId">Image id.</param>
    /// <param name="data">rows x cols values.</param>
    /// <param name="cols">2, 4 or 6.</param>
    public void AddKeypoints(int imageId, float[] data, int cols)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (cols is not (2 or 4 or 6)) throw new ArgumentOutOfRangeException(nameof(cols), $"COLMAP keypoints have 2, 4 or 6 columns, got {cols}.");
        if (data.Length % cols != 0) throw new ArgumentException($"{data.Length} values are not a whole number of {cols}-column rows.", nameof(data));
        using var cmd = Command("INSERT INTO keypoints (image_id, rows, cols, data) VALUES ($i, $r, $c, $d)",
            ("$i", imageId), ("$r", data.Length / cols), ("$c", cols), ("$d", ToBytes<float>(data)));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Writes the putative matches of a pair (swapping the columns when <paramref name="imageId1"/> is the larger id).</summary>
    /// <param name="imageId1">First image.</param>
    /// <param name="imageId2">Second image.</param>
    /// <param name="matches">Keypoint index in image 1, keypoint index in image 2.</param>
    public void AddMatches(int imageId1, int imageId2, ReadOnlySpan<KeypointMatch> matches)
    {
        long pairId = ColmapPairId.Encode(imageId1, imageId2);
        bool swap = ColmapPairId.IsSwapped(imageId1, imageId2);
        using var cmd = Command("INSERT INTO matches (pair_id, rows, cols, data) VALUES ($p, $r, 2, $d)",
            ("$p", pairId), ("$r", matches.Length), ("$d", MatchesToBytes(matches, swap)));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Writes the verified geometry of a pair (inverted when <paramref name="imageId1"/> is the larger id).</summary>
    /// <param name="imageId1">First image.</param>
    /// <param name="imageId2">Second image.</param>
    /// <param name="geometry">Geometry for (image 1, image 2) in the order given.</param>
    public void AddTwoViewGeometry(int imageId1, int imageId2, ColmapTwoViewGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        long pairId = ColmapPairId.Encode(imageId1, imageId2);
        if (ColmapPairId.IsSwapped(imageId1, imageId2)) geometry = geometry.Invert();
        bool verified = geometry.Config is not (TwoViewConfig.Undefined or TwoViewConfig.Degenerate);
        using var cmd = Command("INSERT INTO two_view_geometries (pair_id, rows, cols, data, config, F, E, H, qvec, tvec) VALUES ($p, $r, 2, $d, $c, $F, $E, $H, $q, $t)",
            ("$p", pairId), ("$r", geometry.Inliers.Length), ("$d", MatchesToBytes(geometry.Inliers, false)),
            ("$c", (int)geometry.Config), ("$F", MatrixBytes(geometry.F)), ("$E", MatrixBytes(geometry.E)), ("$H", MatrixBytes(geometry.H)),
            // COLMAP 3.8 leaves the relative pose at zero unless asked to compute it; so do we.
            ("$q", verified ? ToBytes<double>(new double[4]) : null), ("$t", verified ? ToBytes<double>(new double[3]) : null));
        cmd.ExecuteNonQuery();
    }

    /// <summary>All cameras, by id.</summary>
    /// <returns>(camera id, camera) rows.</returns>
    public IReadOnlyList<(int CameraId, ColmapCamera Camera)> ReadCameras()
    {
        var r = new List<(int, ColmapCamera)>();
        using var cmd = Command("SELECT camera_id, model, width, height, params, prior_focal_length FROM cameras ORDER BY camera_id");
        using var rd = cmd.ExecuteReader();
        while (rd.Read())
        {
            var model = (ColmapCameraModel)rd.GetInt32(1);
            r.Add((rd.GetInt32(0), new ColmapCamera(model, rd.GetInt32(2), rd.GetInt32(3), FromBytes<double>(Blob(rd, 4)), rd.GetInt32(5) != 0)));
        }
        return r;
    }

    /// <summary>All images, by id.</summary>
    /// <returns>Image rows.</returns>
    public IReadOnlyList<ColmapImage> ReadImages()
    {
        var r = new List<ColmapImage>();
        using var cmd = Command("SELECT image_id, name, camera_id FROM images ORDER BY image_id");
        using var rd = cmd.ExecuteReader();
        while (rd.Read()) r.Add(new ColmapImage(rd.GetInt32(0), rd.GetString(1), rd.GetInt32(2)));
        return r;
    }

    /// <summary>The keypoints of an image (first two columns, COLMAP convention); empty when it has none.</summary>
    /// <param name="imageId">Image id.</param>
    /// <returns>Keypoints.</returns>
    public Point2[] ReadKeypoints(int imageId)
    {
        using var cmd = Command("SELECT rows, cols, data FROM keypoints WHERE image_id = $i", ("$i", imageId));
        using var rd = cmd.ExecuteReader();
        if (!rd.Read()) return [];
        int rows = rd.GetInt32(0), cols = rd.GetInt32(1);
        var data = FromBytes<float>(Blob(rd, 2));
        if (data.Length != rows * cols) throw new InvalidDataException($"{Path}: keypoints of image {imageId} hold {data.Length} values, expected {rows}x{cols}.");
        var r = new Point2[rows];
        for (int i = 0; i < rows; i++) r[i] = new Point2(data[i * cols], data[i * cols + 1]);
        return r;
    }

    /// <summary>The putative matches of a pair, oriented as (image 1, image 2) given; empty when there are none.</summary>
    /// <param name="imageId1">First image.</param>
    /// <param name="imageId2">Second image.</param>
    /// <returns>Matches.</returns>
    public KeypointMatch[] ReadMatches(int imageId1, int imageId2)
    {
        using var cmd = Command("SELECT rows, cols, data FROM matches WHERE pair_id = $p", ("$p", ColmapPairId.Encode(imageId1, imageId2)));
        using var rd = cmd.ExecuteReader();
        if (!rd.Read()) return [];
        return BytesToMatches(rd.GetInt32(0), rd.GetInt32(1), Blob(rd, 2), ColmapPairId.IsSwapped(imageId1, imageId2));
    }

    /// <summary>The two-view geometry of a pair, oriented as (image 1, image 2) given; null when absent.</summary>
    /// <param name="imageId1">First image.</param>
    /// <param name="imageId2">Second image.</param>
    /// <returns>The geometry or null.</returns>
    public ColmapTwoViewGeometry? ReadTwoViewGeometry(int imageId1, int imageId2)
    {
        using var cmd = Command("SELECT rows, cols, data, config, F, E, H FROM two_view_geometries WHERE pair_id = $p", ("$p", ColmapPairId.Encode(imageId1, imageId2)));
        using var rd = cmd.ExecuteReader();
        if (!rd.Read()) return null;
        var g = new ColmapTwoViewGeometry((TwoViewConfig)rd.GetInt32(3), BytesToMatches(rd.GetInt32(0), rd.GetInt32(1), Blob(rd, 2), false),
            ToMatrix(Blob(rd, 4)), ToMatrix(Blob(rd, 5)), ToMatrix(Blob(rd, 6)));
        return ColmapPairId.IsSwapped(imageId1, imageId2) ? g.Invert() : g;
    }

    /// <summary>Number of rows of one of COLMAP's tables.</summary>
    /// <param name="table">cameras, images, keypoints, descriptors, matches or two_view_geometries.</param>
    /// <returns>Row count.</returns>
    public long CountRows(string table)
    {
        if (!Tables.Contains(table)) throw new ArgumentException($"Unknown COLMAP table '{table}'.", nameof(table));
        using var cmd = Command($"SELECT count(*) FROM {table}");
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    private void Execute(string sql)
    {
        using var cmd = Command(sql);
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = _transaction;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    private static byte[] Blob(SqliteDataReader rd, int col) => rd.IsDBNull(col) ? [] : (byte[])rd.GetValue(col);

    internal static byte[] ToBytes<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("COLMAP blobs are little-endian.");
        return MemoryMarshal.AsBytes(values).ToArray();
    }

    internal static T[] FromBytes<T>(byte[] bytes) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        if (bytes.Length % size != 0) throw new InvalidDataException($"A blob of {bytes.Length} bytes is not a whole number of {typeof(T).Name} values.");
        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }

    private static byte[] MatchesToBytes(ReadOnlySpan<KeypointMatch> matches, bool swap)
    {
        var data = new uint[matches.Length * 2];
        for (int i = 0; i < matches.Length; i++)
        {
            var (a, b) = swap ? (matches[i].Index2, matches[i].Index1) : (matches[i].Index1, matches[i].Index2);
            if (a < 0 || b < 0) throw new ArgumentException($"Match {i} has a negative keypoint index ({matches[i]}).", nameof(matches));
            data[2 * i] = (uint)a;
            data[2 * i + 1] = (uint)b;
        }
        return ToBytes<uint>(data);
    }

    private KeypointMatch[] BytesToMatches(int rows, int cols, byte[] blob, bool swap)
    {
        var data = FromBytes<uint>(blob);
        if (cols != 2 || data.Length != rows * 2) throw new InvalidDataException($"{Path}: a match blob holds {data.Length} values, expected {rows}x2.");
        var r = new KeypointMatch[rows];
        for (int i = 0; i < rows; i++)
            r[i] = swap ? new KeypointMatch((int)data[2 * i + 1], (int)data[2 * i]) : new KeypointMatch((int)data[2 * i], (int)data[2 * i + 1]);
        return r;
    }

    private static byte[]? MatrixBytes(double[,]? m)
    {
        if (m is null) return null;
        if (m.GetLength(0) != 3 || m.GetLength(1) != 3) throw new ArgumentException($"Expected a 3x3 model, got {m.GetLength(0)}x{m.GetLength(1)}.");
        var flat = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) flat[3 * i + j] = m[i, j];
        return ToBytes<double>(flat);
    }

    private double[,]? ToMatrix(byte[] blob)
    {
        if (blob.Length == 0) return null;
        var v = FromBytes<double>(blob);
        if (v.Length != 9) throw new InvalidDataException($"{Path}: a 3x3 model blob holds {v.Length} values.");
        var m = new double[3, 3];
        for (int i = 0; i < 9; i++) m[i / 3, i % 3] = v[i];
        return m;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _transaction?.Dispose();
        _connection.Dispose();
    }
}
