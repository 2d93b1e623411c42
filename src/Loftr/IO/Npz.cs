namespace Loftr.IO;

/// <summary>Reads numpy <c>.npz</c> archives (zip files of <c>.npy</c> entries, stored or deflate-compressed).</summary>
public static class Npz
{
    /// <summary>Reads every array of an <c>.npz</c> file.</summary>
    /// <param name="path">The archive.</param>
    /// <param name="allowObjectArrays">Whether object ('|O') arrays are decoded; see <see cref="Npy.Load"/>.</param>
    /// <returns>Array name (the entry name without ".npy") → array, in archive order.</returns>
    /// <exception cref="CheckpointFormatException">The archive or an entry is malformed or truncated.</exception>
    public static Dictionary<string, NpyArray> Load(string path, bool allowObjectArrays = true)
    {
        using var zip = ZipReader.Open(path);
        var result = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var e in zip.Entries)
        {
            if (e.Name.EndsWith('/')) continue;
            string key = e.Name.EndsWith(".npy", StringComparison.Ordinal) ? e.Name[..^4] : e.Name;
            var arr = Npy.Parse(zip.ReadAll(e), $"{path} (entry '{e.Name}')", allowObjectArrays);
            if (!result.TryAdd(key, arr))
                throw new CheckpointFormatException(path, $"the archive holds two arrays named '{key}'");
        }
        return result;
    }
}
