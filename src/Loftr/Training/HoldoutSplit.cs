using System.Text.Json;
using System.Text.Json.Serialization;

namespace Loftr.Training;

/// <summary>
/// A fixed list of photos held out of training, by file name: <see cref="Validation"/> photos are evaluated during
/// training, <see cref="Test"/> photos only by the final evaluation. Stored as JSON
/// (<c>{"validation": [...], "test": [...]}</c>) so that a split never changes with the seed or the folder listing.
/// </summary>
public sealed record HoldoutSplit
{
    /// <summary>File names (no folder) of the validation photos.</summary>
    [JsonPropertyName("validation")]
    public required IReadOnlyList<string> Validation { get; init; }

    /// <summary>File names (no folder) of the test photos.</summary>
    [JsonPropertyName("test")]
    public required IReadOnlyList<string> Test { get; init; }

    /// <summary>Reads a split file.</summary>
    /// <exception cref="InvalidDataException">The file is not a split (names the file and the problem).</exception>
    public static HoldoutSplit Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Split file not found: {path}", path);
        HoldoutSplit? split;
        try
        {
            split = JsonSerializer.Deserialize<HoldoutSplit>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a split file ({e.Message}).", e);
        }
        if (split is null || split.Validation.Count == 0)
            throw new InvalidDataException($"{path}: the split needs at least one validation photo.");
        var overlap = split.Validation.Intersect(split.Test, StringComparer.Ordinal).ToArray();
        if (overlap.Length > 0)
            throw new InvalidDataException($"{path}: {overlap[0]} is both a validation and a test photo.");
        return split;
    }

    /// <summary>Writes the split as indented JSON.</summary>
    public void Save(string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>
    /// Draws a split of the images in <paramref name="files"/>: <paramref name="validation"/> and
    /// <paramref name="test"/> names chosen by <paramref name="seed"/>, each list sorted.
    /// </summary>
    public static HoldoutSplit Draw(IReadOnlyList<string> files, int validation, int test, long seed)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (validation < 1 || test < 0 || validation + test >= files.Count)
            throw new ArgumentException($"Cannot hold out {validation} + {test} of {files.Count} photos and still train.");
        var names = files.Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        var order = TrainingRandom.For(seed, "holdout", 0).Permutation(names.Length);
        return new HoldoutSplit
        {
            Validation = order.Take(validation).Select(i => names[i]).Order(StringComparer.Ordinal).ToArray(),
            Test = order.Skip(validation).Take(test).Select(i => names[i]).Order(StringComparer.Ordinal).ToArray(),
        };
    }
}
