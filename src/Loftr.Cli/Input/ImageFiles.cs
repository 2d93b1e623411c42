namespace Loftr.Cli.Input;

/// <summary>Checks image paths before any work is done: the file exists, is not empty and has a supported extension.</summary>
public static class ImageFiles
{
    /// <summary>Extensions OpenCV's <c>imread</c> decodes (lower case, with the dot).</summary>
    public static IReadOnlyList<string> Extensions { get; } =
        [".png", ".jpg", ".jpeg", ".jpe", ".bmp", ".dib", ".tif", ".tiff", ".webp", ".pgm", ".pbm", ".ppm", ".pnm", ".pxm", ".pfm",
         ".jp2", ".sr", ".ras", ".exr", ".hdr", ".pic"];

    /// <summary>Throws a usage error naming the file when it cannot be an image we can read.</summary>
    public static void Check(string path, string role)
    {
        if (Directory.Exists(path))
            throw CliException.Usage($"{role} {path} is a directory, not an image file.");
        if (!File.Exists(path))
            throw CliException.Usage($"{role} not found: {path}");
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (!Extensions.Contains(ext))
            throw CliException.Usage($"{role} {path}: unsupported image extension '{(ext.Length == 0 ? "(none)" : ext)}' " +
                $"(supported: {string.Join(' ', Extensions)}).");
        if (new FileInfo(path).Length == 0)
            throw CliException.Usage($"{role} {path}: the file is empty (0 bytes).");
    }
}
