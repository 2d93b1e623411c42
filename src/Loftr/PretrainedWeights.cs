using System.Security.Cryptography;
using Loftr.IO;

namespace Loftr;

/// <summary>A released LoFTR checkpoint that can be downloaded from the public mirrors (needs internet access).</summary>
/// <param name="Name">Short name (<c>outdoor_ds</c>, <c>indoor_ds</c>, <c>indoor_ds_new</c>).</param>
/// <param name="FileName">File name on the mirrors.</param>
/// <param name="Preset">The configuration the checkpoint was trained with.</param>
/// <param name="Sha256">SHA-256 of the file as published by users of the mirror, or null when not known.</param>
public sealed record PretrainedCheckpoint(string Name, string FileName, string Preset, string? Sha256);

/// <summary>
/// Downloads the released checkpoints from the mirrors that kornia uses, into a cache folder, atomically, verifying the
/// SHA-256 where it is known and that the file is a loadable LoFTR checkpoint. The <c>*_ot</c> checkpoints are only on
/// the authors' Google Drive: download them by hand and pass the file with its preset.
/// </summary>
public static class PretrainedWeights
{
    /// <summary>Mirrors tried in order; each serves <c>{base}/{FileName}</c>.</summary>
    public static IReadOnlyList<string> DefaultMirrors { get; } =
    [
        "https://huggingface.co/kornia/loftr/resolve/main",
        "http://cmp.felk.cvut.cz/~mishkdmy/models",
    ];

    /// <summary>The checkpoints served by the mirrors.</summary>
    public static IReadOnlyList<PretrainedCheckpoint> Known { get; } =
    [
        new("outdoor_ds", "loftr_outdoor.ckpt", "outdoor_ds", "21f5bec5968178e8bc8b7633441836fe5de4f47d861dd2cd7dc38e271b0479ec"),
        new("indoor_ds", "loftr_indoor.ckpt", "indoor_ds", null),
        new("indoor_ds_new", "loftr_indoor_ds_new.ckpt", "indoor_ds_new", "be9ff88b323ec27889114719f668ae41aff7034b56a4c4acbd46b8b180b87ed3"),
    ];

    /// <summary>The default cache folder: <c>$LOFTR_HOME</c>, else <c>~/.cache/loftr-dotnet</c>.</summary>
    public static string DefaultCacheDirectory =>
        Environment.GetEnvironmentVariable("LOFTR_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "loftr-dotnet");

    /// <summary>Looks a checkpoint up by short name or file name.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static PretrainedCheckpoint Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Known.FirstOrDefault(k => k.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || k.FileName.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException(
                $"Unknown pretrained checkpoint '{name}'. Downloadable: {string.Join(", ", Known.Select(k => k.Name))}. " +
                "indoor_ot and outdoor_ot are only on the authors' Google Drive (see README).", nameof(name));
    }

    /// <summary>
    /// Returns the local path of a checkpoint, downloading it first when it is not in <paramref name="cacheDirectory"/>.
    /// </summary>
    /// <param name="name">Short name or file name (see <see cref="Known"/>).</param>
    /// <param name="cacheDirectory">Where to keep files (default <see cref="DefaultCacheDirectory"/>).</param>
    /// <param name="mirrors">Base URLs tried in order (default <see cref="DefaultMirrors"/>).</param>
    /// <param name="http">The client to use (default a new one).</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <exception cref="HttpRequestException">No mirror delivered a valid file; the message lists each failure.</exception>
    public static async Task<string> GetAsync(string name, string? cacheDirectory = null, IReadOnlyList<string>? mirrors = null,
        HttpClient? http = null, CancellationToken cancellationToken = default)
    {
        var entry = Find(name);
        string dir = cacheDirectory ?? DefaultCacheDirectory;
        Directory.CreateDirectory(dir);
        string target = Path.Combine(dir, entry.FileName);
        if (File.Exists(target)) return target;

        var failures = new List<string>();
        using var ownClient = http is null ? new HttpClient { Timeout = TimeSpan.FromMinutes(30) } : null;
        var client = http ?? ownClient!;
        foreach (var mirror in mirrors ?? DefaultMirrors)
        {
            string url = $"{mirror.TrimEnd('/')}/{entry.FileName}";
            string temp = Path.Combine(dir, $".{entry.FileName}.{Guid.NewGuid():N}.part");
            try
            {
                using (var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false))
                {
                    response.EnsureSuccessStatusCode();
                    await using var file = File.Create(temp);
                    await response.Content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                }
                Verify(temp, entry, url);
                File.Move(temp, target, overwrite: true);
                return target;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or CheckpointFormatException or TaskCanceledException)
            {
                if (cancellationToken.IsCancellationRequested) throw;
                failures.Add($"{url}: {e.Message}");
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }
        throw new HttpRequestException($"Could not download {entry.FileName}:\n  " + string.Join("\n  ", failures));
    }

    private static void Verify(string path, PretrainedCheckpoint entry, string url)
    {
        if (entry.Sha256 is not null)
        {
            using var stream = File.OpenRead(path);
            string actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!actual.Equals(entry.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"SHA-256 {actual} does not match the published {entry.Sha256}");
        }
        var info = LoftrCheckpoint.Inspect(path);
        var expected = LoftrConfig.FromPresetName(entry.Preset);
        if (!info.Config.Backbone.Equals(expected.Backbone) || info.Config.Coarse.DModel != expected.Coarse.DModel
            || info.Config.CoarseMatching.MatchType != expected.CoarseMatching.MatchType)
            throw new InvalidDataException($"{url} is not a {entry.Preset} checkpoint (inferred backbone {string.Join("/", info.Config.Backbone.BlockDims)})");
    }
}
