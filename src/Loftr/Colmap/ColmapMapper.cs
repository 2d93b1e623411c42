using System.Globalization;
using System.Text.RegularExpressions;

namespace Loftr.Colmap;

/// <summary>Statistics of one sparse model, as printed by <c>colmap model_analyzer</c>.</summary>
/// <param name="Path">Model folder.</param>
/// <param name="Cameras">Cameras.</param>
/// <param name="Images">Images.</param>
/// <param name="RegisteredImages">Registered images.</param>
/// <param name="Points">3-D points.</param>
/// <param name="Observations">Observations.</param>
/// <param name="MeanTrackLength">Mean track length.</param>
/// <param name="MeanObservationsPerImage">Mean observations per image.</param>
/// <param name="MeanReprojectionError">Mean reprojection error in pixels.</param>
public sealed partial record ColmapModelStats(string Path, int Cameras, int Images, int RegisteredImages, int Points, long Observations,
    double MeanTrackLength, double MeanObservationsPerImage, double MeanReprojectionError)
{
    /// <summary>Parses <c>model_analyzer</c> output (COLMAP 3.8: "Registered images: 5", "Mean reprojection error: 0.61px", ...).</summary>
    /// <param name="path">The model folder analysed.</param>
    /// <param name="output">The command's output.</param>
    /// <returns>The statistics.</returns>
    /// <exception cref="InvalidDataException">A field is missing.</exception>
    public static ColmapModelStats Parse(string path, string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var fields = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in FieldRegex().Matches(output))
            fields[m.Groups["key"].Value.Trim()] = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        double Get(string key) => fields.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"colmap model_analyzer output for {path} lacks '{key}':\n{output}");
        return new ColmapModelStats(path, (int)Get("Cameras"), (int)Get("Images"), (int)Get("Registered images"), (int)Get("Points"),
            (long)Get("Observations"), Get("Mean track length"), Get("Mean observations per image"), Get("Mean reprojection error"));
    }

    [GeneratedRegex(@"(?<key>Cameras|Images|Registered images|Points|Observations|Mean track length|Mean observations per image|Mean reprojection error)\s*:\s*(?<value>[-+0-9.eE]+)", RegexOptions.IgnoreCase)]
    private static partial Regex FieldRegex();
}

/// <summary>Settings of <see cref="ColmapMapper.Run"/>.</summary>
/// <param name="DatabasePath">The database.</param>
/// <param name="ImageDirectory">The image folder (for point colours).</param>
/// <param name="OutputDirectory">Where COLMAP writes the models (0, 1, ...); created if missing.</param>
public sealed record ColmapMapperOptions(string DatabasePath, string ImageDirectory, string OutputDirectory)
{
    /// <summary>The colmap executable (name on PATH or path).</summary>
    public string Executable { get; init; } = "colmap";

    /// <summary>Extra mapper arguments, e.g. "--Mapper.init_min_tri_angle", "8".</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}

/// <summary>The models COLMAP's mapper produced, largest first.</summary>
/// <param name="Models">Model statistics, by registered images (descending).</param>
/// <param name="Log">The mapper's output.</param>
public sealed record ColmapMapperResult(IReadOnlyList<ColmapModelStats> Models, string Log)
{
    /// <summary>The model with the most registered images, or null when none was built.</summary>
    public ColmapModelStats? Best => Models.Count > 0 ? Models[0] : null;
}

/// <summary>Runs <c>colmap mapper</c> on a database and analyses the models with <c>colmap model_analyzer</c>.</summary>
public static class ColmapMapper
{
    /// <summary>Whether <c>colmap</c> is on PATH.</summary>
    public static bool IsAvailable => ColmapProcess.Find() != null;

    /// <summary>
    /// Runs the incremental mapper, then <c>model_analyzer</c> on each model. When no model could be built (COLMAP
    /// reports "failed to create sparse model"), the result has no models; other failures throw.
    /// </summary>
    /// <param name="options">Database, images, output and extra arguments.</param>
    /// <param name="onLine">Receives the mapper's output lines (optional).</param>
    /// <param name="cancellationToken">Kills COLMAP when cancelled.</param>
    /// <returns>The models.</returns>
    /// <exception cref="FileNotFoundException">COLMAP or the database is missing.</exception>
    /// <exception cref="InvalidOperationException">COLMAP failed.</exception>
    public static ColmapMapperResult Run(ColmapMapperOptions options, Action<string>? onLine = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(options.DatabasePath)) throw new FileNotFoundException($"COLMAP database not found: {options.DatabasePath}", options.DatabasePath);
        if (!Directory.Exists(options.ImageDirectory)) throw new DirectoryNotFoundException($"Image folder not found: {options.ImageDirectory}");
        string exe = ColmapProcess.Find(options.Executable)
            ?? throw new FileNotFoundException($"'{options.Executable}' is not on PATH. Install COLMAP (Debian: apt-get install colmap).", options.Executable);
        Directory.CreateDirectory(options.OutputDirectory);
        string[] args =
        [
            "--database_path", options.DatabasePath, "--image_path", options.ImageDirectory, "--output_path", options.OutputDirectory,
            .. options.ExtraArguments,
        ];
        var run = ColmapProcess.Run(exe, "mapper", args, onLine, cancellationToken);
        if (run.ExitCode != 0)
        {
            if (run.Output.Contains("failed to create sparse model", StringComparison.OrdinalIgnoreCase) && !HasModels(options.OutputDirectory))
                return new ColmapMapperResult([], run.Output);
            throw new InvalidOperationException($"colmap mapper failed with exit code {run.ExitCode}:\n{Tail(run.Output)}");
        }
        var models = new List<ColmapModelStats>();
        foreach (var dir in ModelDirectories(options.OutputDirectory))
            models.Add(Analyze(dir, exe, cancellationToken));
        return new ColmapMapperResult(models.OrderByDescending(m => m.RegisteredImages).ThenByDescending(m => m.Points).ToArray(), run.Output);
    }

    /// <summary>Runs <c>colmap model_analyzer</c> on a model folder.</summary>
    /// <param name="modelDirectory">A folder with cameras/images/points3D files.</param>
    /// <param name="executable">The colmap executable.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The statistics.</returns>
    public static ColmapModelStats Analyze(string modelDirectory, string executable = "colmap", CancellationToken cancellationToken = default)
    {
        string exe = ColmapProcess.Find(executable) ?? throw new FileNotFoundException($"'{executable}' is not on PATH.", executable);
        var run = ColmapProcess.Run(exe, "model_analyzer", ["--path", modelDirectory], null, cancellationToken);
        if (run.ExitCode != 0) throw new InvalidOperationException($"colmap model_analyzer failed on {modelDirectory} (exit code {run.ExitCode}):\n{Tail(run.Output)}");
        return ColmapModelStats.Parse(modelDirectory, run.Output);
    }

    /// <summary>
    /// The names of the images registered in a model (<c>colmap model_converter</c> to text, then images.txt).
    /// </summary>
    /// <param name="modelDirectory">A model folder.</param>
    /// <param name="executable">The colmap executable.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>Image names, sorted.</returns>
    public static IReadOnlyList<string> RegisteredImageNames(string modelDirectory, string executable = "colmap", CancellationToken cancellationToken = default)
    {
        string exe = ColmapProcess.Find(executable) ?? throw new FileNotFoundException($"'{executable}' is not on PATH.", executable);
        string txt = Path.Combine(Path.GetTempPath(), "loftr-colmap-model-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(txt);
        try
        {
            var run = ColmapProcess.Run(exe, "model_converter", ["--input_path", modelDirectory, "--output_path", txt, "--output_type", "TXT"], null, cancellationToken);
            if (run.ExitCode != 0) throw new InvalidOperationException($"colmap model_converter failed on {modelDirectory} (exit code {run.ExitCode}):\n{Tail(run.Output)}");
            // images.txt: comment lines, then two lines per image, the first "IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME".
            var lines = File.ReadAllLines(Path.Combine(txt, "images.txt")).Where(l => !l.StartsWith('#')).ToArray();
            var names = new List<string>();
            for (int i = 0; i < lines.Length; i += 2)
            {
                var parts = lines[i].Split(' ', 10, StringSplitOptions.None);
                if (parts.Length == 10) names.Add(parts[9]);
            }
            return names.Order(StringComparer.Ordinal).ToArray();
        }
        finally
        {
            try { Directory.Delete(txt, recursive: true); } catch (IOException) { }
        }
    }

    private static bool HasModels(string dir) => ModelDirectories(dir).Any();

    private static IEnumerable<string> ModelDirectories(string dir) => Directory.Exists(dir)
        ? Directory.EnumerateDirectories(dir)
            .Where(d => File.Exists(Path.Combine(d, "cameras.bin")) || File.Exists(Path.Combine(d, "cameras.txt")))
            .Order(StringComparer.Ordinal)
        : [];

    private static string Tail(string s, int lines = 30)
    {
        var all = s.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}
