using Loftr.Evaluation;
using Spectre.Console;

namespace Loftr.Eval;

/// <summary>Renders <see cref="EvalTables"/> as Spectre.Console tables (the same cells as the Markdown output).</summary>
public static class EvalConsoleOutput
{
    /// <summary>Writes the summary and, unless <paramref name="quiet"/>, the per-pair tables.</summary>
    /// <param name="console">Target console.</param>
    /// <param name="document">The reports.</param>
    /// <param name="quiet">Summary only.</param>
    public static void Write(IAnsiConsole console, EvalReportDocument document, bool quiet)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(document);
        if (!quiet)
            foreach (var r in document.Reports) console.Write(ToSpectre(EvalTables.Pairs(r)));
        console.Write(ToSpectre(EvalTables.Summary(document.Reports) with { Title = document.Title ?? "" }));
        console.MarkupLine($"[grey]{Markup.Escape(document.Reports[0].Protocol)}[/]");
        foreach (var r in document.Reports) console.MarkupLine($"[grey]{Markup.Escape(r.Method)}: {Markup.Escape(r.MethodDescription)}[/]");
    }

    /// <summary>Converts a table.</summary>
    /// <param name="table">Cells.</param>
    /// <returns>A Spectre table.</returns>
    public static Table ToSpectre(EvalTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var t = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(table.Title));
        for (int c = 0; c < table.Columns.Count; c++)
        {
            var col = new TableColumn(Markup.Escape(table.Columns[c]));
            t.AddColumn(table.Alignments[c] == ColumnAlignment.Right ? col.RightAligned() : col.LeftAligned());
        }
        foreach (var row in table.Rows) t.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell)).ToArray());
        return t;
    }
}
