namespace Loftr.Evaluation;

/// <summary>One HPatches pair (1, k) of a sequence.</summary>
/// <param name="Sequence">Sequence folder name, e.g. <c>i_ajuntament</c>.</param>
/// <param name="Index">k, the index of the second image (2..6).</param>
/// <param name="Image0Path">Path of <c>1.ppm</c>.</param>
/// <param name="Image1Path">Path of <c>k.ppm</c>.</param>
/// <param name="Homography">H_1_k, mapping image-1 pixels to image-k pixels (original resolution).</param>
public sealed record HPatchesPair(string Sequence, int Index, string Image0Path, string Image1Path, double[,] Homography)
{
    /// <summary>True for an illumination sequence (<c>i_*</c>), false for a viewpoint sequence (<c>v_*</c>).</summary>
    public bool IsIllumination => Sequence.StartsWith("i_", StringComparison.Ordinal);
}

/// <summary>
/// Enumerates the HPatches sequences release (<c>hpatches-sequences-release/</c>): folders <c>i_*</c> and <c>v_*</c>
/// holding <c>1.ppm</c>..<c>6.ppm</c> and the plain-text homographies <c>H_1_2</c>..<c>H_1_6</c>.
/// </summary>
public static class HPatchesReader
{
    /// <summary>Sequence folder names under <paramref name="root"/> (<c>i_*</c> / <c>v_*</c>), ordinal order.</summary>
    /// <param name="root">The release folder.</param>
    /// <param name="includeExcluded">Also list <see cref="HPatchesProtocol.ExcludedSequences"/>.</param>
    /// <returns>Sequence names.</returns>
    public static IReadOnlyList<string> Sequences(string root, bool includeExcluded = false)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"HPatches folder not found: {root}");
        return Directory.GetDirectories(root)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => n.StartsWith("i_", StringComparison.Ordinal) || n.StartsWith("v_", StringComparison.Ordinal))
            .Where(n => includeExcluded || !HPatchesProtocol.ExcludedSequences.Contains(n))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The pairs (1, k), k = 2..6, of every sequence, reading each H_1_k. Missing images or homographies raise
    /// <see cref="FileNotFoundException"/> naming the file.
    /// </summary>
    /// <param name="root">The release folder.</param>
    /// <param name="includeExcluded">Also enumerate <see cref="HPatchesProtocol.ExcludedSequences"/>.</param>
    /// <returns>Pairs, sequence by sequence.</returns>
    public static IEnumerable<HPatchesPair> EnumeratePairs(string root, bool includeExcluded = false)
    {
        foreach (var seq in Sequences(root, includeExcluded))
        {
            string dir = Path.Combine(root, seq);
            string im0 = Path.Combine(dir, "1.ppm");
            if (!File.Exists(im0)) throw new FileNotFoundException($"HPatches image missing: {im0}", im0);
            for (int k = 2; k <= 6; k++)
            {
                string im1 = Path.Combine(dir, $"{k}.ppm");
                string hPath = Path.Combine(dir, $"H_1_{k}");
                if (!File.Exists(im1)) throw new FileNotFoundException($"HPatches image missing: {im1}", im1);
                if (!File.Exists(hPath)) throw new FileNotFoundException($"HPatches homography missing: {hPath}", hPath);
                yield return new HPatchesPair(seq, k, im0, im1, HomographyFile.ReadText(hPath));
            }
        }
    }
}
