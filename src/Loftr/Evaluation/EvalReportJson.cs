using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Loftr.Evaluation;

/// <summary>The content of a JSON evaluation report: a title and the reports (one per method).</summary>
/// <param name="Title">Title (e.g. "SIFT on 14 ScanNet pairs").</param>
/// <param name="Reports">The reports, each tagged with its task.</param>
public sealed record EvalReportDocument(string? Title, IReadOnlyList<EvalReport> Reports);

/// <summary>
/// Writes and reads JSON reports (camelCase, indented; failed estimates are written as <c>"Infinity"</c>, undefined
/// values as <c>"NaN"</c>).
/// </summary>
public static class EvalReportJson
{
    /// <summary>The serializer options used for reports.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serialises a document.</summary>
    /// <param name="document">The reports.</param>
    /// <returns>JSON text (ends with a newline).</returns>
    public static string Serialize(EvalReportDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return JsonSerializer.Serialize(document, Options) + "\n";
    }

    /// <summary>Writes a document to a file (creating the folder).</summary>
    /// <param name="path">Output file.</param>
    /// <param name="document">The reports.</param>
    public static void Write(string path, EvalReportDocument document)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, Serialize(document));
    }

    /// <summary>Reads a document written by <see cref="Write"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The reports.</returns>
    /// <exception cref="InvalidDataException">The file is not a report.</exception>
    public static EvalReportDocument Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return JsonSerializer.Deserialize<EvalReportDocument>(File.ReadAllText(path), Options)
                   ?? throw new InvalidDataException($"{path}: empty report.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not an evaluation report ({e.Message}).", e);
        }
    }
}
