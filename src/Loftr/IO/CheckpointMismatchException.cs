namespace Loftr.IO;

/// <summary>
/// Thrown by <see cref="StateDictIO.LoadInto"/> when a state dict does not match a module exactly: keys missing from
/// the checkpoint, keys the model does not have, or tensors whose shapes differ. Nothing has been copied into the
/// module when this is thrown.
/// </summary>
public sealed class CheckpointMismatchException : Exception
{
    /// <summary>Creates the exception; the message lists (up to a limit) every problem.</summary>
    /// <param name="sourceName">The checkpoint file (or other source) that was being loaded.</param>
    /// <param name="missingKeys">Model keys that the checkpoint lacks.</param>
    /// <param name="unexpectedKeys">Checkpoint keys the model does not have.</param>
    /// <param name="shapeMismatches">Lines of the form "key: checkpoint [a, b] vs model [c, d]".</param>
    public CheckpointMismatchException(string sourceName, IReadOnlyList<string> missingKeys,
        IReadOnlyList<string> unexpectedKeys, IReadOnlyList<string> shapeMismatches)
        : base(BuildMessage(sourceName, missingKeys, unexpectedKeys, shapeMismatches))
    {
        SourceName = sourceName;
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>The checkpoint file (or other source) that was being loaded.</summary>
    public string SourceName { get; }

    /// <summary>Model state-dict keys (parameters and buffers) that the checkpoint does not contain.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Checkpoint keys that the model does not have.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Shape mismatches, each "key: checkpoint [a, b] vs model [c, d]".</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    /// <summary>At most this many entries of each list are spelled out in the message.</summary>
    public const int MaxListedPerKind = 20;

    private static string BuildMessage(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> shapes)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(source).Append(": the state dict does not match the model (");
        sb.Append(missing.Count).Append(" missing, ").Append(unexpected.Count).Append(" unexpected, ");
        sb.Append(shapes.Count).Append(" shape mismatches); nothing was loaded.");
        Append(sb, "missing keys (in the model, not in the checkpoint)", missing);
        Append(sb, "unexpected keys (in the checkpoint, not in the model)", unexpected);
        Append(sb, "shape mismatches", shapes);
        return sb.ToString();
    }

    private static void Append(System.Text.StringBuilder sb, string title, IReadOnlyList<string> items)
    {
        if (items.Count == 0) return;
        sb.Append('\n').Append(title).Append(':');
        for (int i = 0; i < items.Count && i < MaxListedPerKind; i++) sb.Append("\n  ").Append(items[i]);
        if (items.Count > MaxListedPerKind) sb.Append("\n  ... and ").Append(items.Count - MaxListedPerKind).Append(" more");
    }
}
