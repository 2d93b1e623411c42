using Loftr.Cli.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests;

/// <summary>
/// <c>loftr colmap</c> at the command level (the export itself is tested in tests/Loftr.Tests/Colmap): three London Bridge
/// photos matched exhaustively with the golden random weights into a COLMAP database, read back with plain SQL; the rerun
/// takes every pair from the match cache; the input errors.
/// </summary>
public sealed class ColmapCommandTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string ThreePhotos()
    {
        string images = _dir.File("images");
        Directory.CreateDirectory(images);
        foreach (var f in Directory.GetFiles(Paths.Data("phototourism"), "london_bridge_*.jpg").Order(StringComparer.Ordinal).Take(3))
            File.Copy(f, Path.Combine(images, Path.GetFileName(f)));
        return images;
    }

    private static long Count(string db, string sql)
    {
        using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    [Fact]
    public void WritesADatabaseAndTheRerunUsesTheMatchCache()
    {
        string images = ThreePhotos();
        string db = _dir.File("out/database.db");
        Directory.CreateDirectory(_dir.File("out"));
        string[] command = ["colmap", "--images", images, "--database", db, "--weights", Paths.Weights, "--max-size", "320"];
        var r = CliRunner.RunOk(log, command);

        Assert.Contains("database: " + db, r.Out);
        Assert.Contains("images: 3, ", r.Out);
        Assert.Contains("pairs: 3 (3 matched, 0 cached)", r.Out);
        Assert.Contains("matching: 3 pairs (0 from the cache)", r.Out);
        Assert.True(File.Exists(db + ".matches.sqlite"));

        Assert.Equal(3, Count(db, "SELECT count(*) FROM cameras"));
        Assert.Equal(3, Count(db, "SELECT count(*) FROM images WHERE name LIKE 'london_bridge_%.jpg'"));
        Assert.Equal(3, Count(db, "SELECT count(*) FROM keypoints WHERE rows > 0 AND cols = 2 AND length(data) = rows * 8"));
        // Exhaustive: every pair has a matches row (pair_id = id1 * 2147483647 + id2) and a two-view geometry row.
        Assert.Equal(3, Count(db, "SELECT count(*) FROM matches WHERE pair_id IN (2147483649, 2147483650, 4294967297)"));
        Assert.Equal(3, Count(db, "SELECT count(*) FROM two_view_geometries"));
        Assert.True(Count(db, "SELECT sum(rows) FROM matches") > 0, "no putative matches were written");

        // Again: the database exists, so --overwrite is needed, and every pair comes from the cache.
        var again = CliRunner.Run(command);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains($"--database {db} already exists; add --overwrite", again.Err);
        var rebuilt = CliRunner.RunOk(log, [.. command, "--overwrite"]);
        Assert.Contains("pairs: 3 (0 matched, 3 cached)", rebuilt.Out);
        Assert.Equal(3, Count(db, "SELECT count(*) FROM two_view_geometries"));
    }

    [Fact]
    public void InputErrorsNameTheOption()
    {
        string images = ThreePhotos();
        string db = _dir.File("d.db");
        void Fails(string message, params string[] args)
        {
            var r = CliRunner.Run(args);
            log.WriteLine($"$ loftr {string.Join(' ', args)}\n{r}");
            Assert.Equal(2, r.ExitCode);
            Assert.StartsWith("error: ", r.Err);
            Assert.Contains(message, r.Err);
            Assert.DoesNotContain("   at ", r.Err);
        }
        Fails("--preset outdoor_ds gives the configuration of a released checkpoint, but no checkpoint was given", "colmap", "--images", images,
            "--database", db, "--preset", "outdoor_ds");
        Fails("--weights file not found: /no/w.ckpt", "colmap", "--images", images, "--database", db, "--weights", "/no/w.ckpt");
        Fails("--images folder not found: /no/images", "colmap", "--images", "/no/images", "--database", db, "--weights", Paths.Weights);
        Fails("give one of --pairs FILE, --exhaustive or --sequential K", "colmap", "--images", images, "--database", db, "--weights", Paths.Weights,
            "--exhaustive", "--sequential", "2");
        Fails("unknown --merge 'huge'; valid values: fine, medium, coarse, exact", "colmap", "--images", images, "--database", db, "--merge", "huge");
        Fails("unknown --camera-model 'fisheye'", "colmap", "--images", images, "--database", db, "--camera-model", "fisheye");
        Fails("--mapper-args needs --mapper DIR", "colmap", "--images", images, "--database", db, "--weights", Paths.Weights,
            "--mapper-args", "--Mapper.min_model_size 2");
        Fails("Pairs file not found: /no/pairs.txt", "colmap", "--images", images, "--database", db, "--weights", Paths.Weights, "--pairs", "/no/pairs.txt");
        Fails("Option '--database' is required", "colmap", "--images", images);
        Assert.False(File.Exists(db));
    }
}
