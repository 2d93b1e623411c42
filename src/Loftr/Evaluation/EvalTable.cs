using System.Text;

namespace Loftr.Evaluation;

/// <summary>How a table column is aligned.</summary>
public enum ColumnAlignment
{
    /// <summary>Text.</summary>
    Left,

    /// <summary>Numbers.</summary>
    Right,
}

/// <summary>
/// A plain table (formatted cells) built from reports by <see cref="EvalTables"/>; rendered as Markdown here and as
/// a console table by the command-line front end, so both show identical numbers.
/// </summary>
/// <param name="Title">Caption.</param>
/// <param name="Columns">Column headers.</param>
/// <param name="Alignments">Alignment per column.</param>
/// <param name="Rows">Cells, one array per row, as many cells as columns.</param>
public sealed record EvalTable(string Title, IReadOnlyList<string> Columns, IReadOnlyList<ColumnAlignment> Alignments, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    /// <summary>GitHub-flavoured Markdown (pipes in cells escaped), ending with a newline.</summary>
    /// <returns>The table text, without the title.</returns>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", Columns.Select(Escape)).AppendLine(" |");
        sb.Append('|').AppendJoin("|", Alignments.Select(a => a == ColumnAlignment.Right ? "---:" : "---")).AppendLine("|");
        foreach (var row in Rows)
        {
            if (row.Count != Columns.Count)
                throw new InvalidOperationException($"Table '{Title}': a row has {row.Count} cells for {Columns.Count} columns.");
            sb.Append("| ").AppendJoin(" | ", row.Select(Escape)).AppendLine(" |");
        }
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);
}
