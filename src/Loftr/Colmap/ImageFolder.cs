namespace Loftr.Colmap;

/// <summary>Lists the images of a folder as COLMAP names them: paths relative to the folder, '/'-separated.</summary>
public static class ImageFolder
{
    /// <summary>File extensions taken as images (case-insensitive).</summary>
    public static IReadOnlySet<string> Extensions { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm",
    };

    /// <summary>The images under <paramref name="directory"/> (recursively), sorted by name (ordinal).</summary>
    /// <param name="directory">Image folder.</param>
    /// <returns>Relative names.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static IReadOnlyList<string> List(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Image folder not found: {directory}");
        string root = Path.GetFullPath(directory);
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f)))
            .Select(f => ToName(Path.GetRelativePath(root, f)))
            .Where(n => !n.Split('/').Any(part => part.StartsWith('.')))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The absolute path of an image name.</summary>
    /// <param name="directory">Image folder.</param>
    /// <param name="name">Relative name.</param>
    /// <returns>Full path.</returns>
    public static string Resolve(string directory, string name) =>
        Path.GetFullPath(Path.Combine(directory, name.Replace('/', Path.DirectorySeparatorChar)));

    internal static string ToName(string relative) => relative.Replace(Path.DirectorySeparatorChar, '/');
}
