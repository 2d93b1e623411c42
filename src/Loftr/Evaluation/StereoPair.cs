namespace Loftr.Evaluation;

/// <summary>
/// A rectified stereo pair with the dense disparity ground truth of the left image (Middlebury layout):
/// left and right images plus a disparity PNG, value 0 = unknown.
/// </summary>
/// <param name="LeftPath">Left image.</param>
/// <param name="RightPath">Right image.</param>
/// <param name="DisparityPath">Disparity of the left image.</param>
/// <param name="DisparityScale">Disparity in pixels per stored unit (1 for OpenCV's <c>aloeGT.png</c> and full-size Middlebury 8-bit files).</param>
public sealed record StereoPair(string LeftPath, string RightPath, string DisparityPath, double DisparityScale = 1.0)
{
    /// <summary>
    /// Finds the pair in a folder. Recognised layouts: OpenCV's sample naming (<c>*L.*</c>, <c>*R.*</c>, <c>*GT.png</c>,
    /// e.g. aloeL.jpg / aloeR.jpg / aloeGT.png) and Middlebury 2005/2006 naming (view1.png, view5.png, disp1.png).
    /// </summary>
    /// <param name="folder">Folder with the three files.</param>
    /// <param name="disparityScale">Disparity per stored unit.</param>
    /// <returns>The pair.</returns>
    /// <exception cref="FileNotFoundException">No recognised layout (the message lists what is expected).</exception>
    public static StereoPair FromFolder(string folder, double disparityScale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Stereo folder not found: {folder}");
        string v1 = Path.Combine(folder, "view1.png"), v5 = Path.Combine(folder, "view5.png"), d1 = Path.Combine(folder, "disp1.png");
        if (File.Exists(v1) && File.Exists(v5) && File.Exists(d1)) return new StereoPair(v1, v5, d1, disparityScale);

        var files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToArray();
        foreach (var gt in files.Where(f => Path.GetFileNameWithoutExtension(f).EndsWith("GT", StringComparison.Ordinal)))
        {
            string stem = Path.GetFileNameWithoutExtension(gt)[..^2];
            string? l = files.FirstOrDefault(f => Path.GetFileNameWithoutExtension(f) == stem + "L");
            string? r = files.FirstOrDefault(f => Path.GetFileNameWithoutExtension(f) == stem + "R");
            if (l != null && r != null) return new StereoPair(l, r, gt, disparityScale);
        }
        throw new FileNotFoundException(
            $"{folder}: no stereo pair found (expected <name>L.*, <name>R.*, <name>GT.png or view1.png, view5.png, disp1.png).");
    }

    /// <summary>Loads the disparity map with <see cref="DisparityScale"/>.</summary>
    /// <returns>The map.</returns>
    public DisparityMap LoadDisparity() => DisparityMap.Load(DisparityPath, DisparityScale);
}
