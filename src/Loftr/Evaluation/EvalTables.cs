using System.Globalization;
using System.Text;

namespace Loftr.Evaluation;

/// <summary>
/// Builds the result tables of reports: one summary row per method and one row per pair. Percentages have two
/// decimals, angles and pixel errors two decimals, failed estimates read <c>fail</c>. Timing columns are the only
/// ones whose header contains <c>ms</c>.
/// </summary>
public static class EvalTables
{
    /// <summary>One row per report (all reports must be of the same task).</summary>
    /// <param name="reports">Reports, e.g. SIFT and LoFTR on one dataset.</param>
    /// <returns>The summary table.</returns>
    public static EvalTable Summary(IReadOnlyList<EvalReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count == 0) throw new ArgumentException("No reports.", nameof(reports));
        if (reports.Any(r => r.GetType() != reports[0].GetType()))
            throw new ArgumentException("A summary table needs reports of one task.", nameof(reports));
        return reports[0] switch
        {
            PoseReport p => new EvalTable($"Relative pose on {p.Dataset}",
                ["method", "pairs", "AUC@5°", "AUC@10°", "AUC@20°", $"prec@{Sci(p.EpipolarThreshold)}", "matches/pair", "ms/pair"],
                Align(1, 7),
                reports.Cast<PoseReport>().Select(r => Row(r.Method, I(r.PairCount), Pct(r.Auc5), Pct(r.Auc10), Pct(r.Auc20), Pct(r.Precision),
                    F1(r.MeanMatches), F1(r.MeanMatchMilliseconds))).ToList()),
            HomographyReport h => new EvalTable($"Homography on {h.Dataset}",
                ["method", "pairs", "AUC@3px", "AUC@5px", "AUC@10px", $"prec@{F(h.PrecisionThreshold)}px", "matches/pair", "ms/pair"],
                Align(1, 7),
                reports.Cast<HomographyReport>().Select(r => Row(r.Method, I(r.PairCount), Pct(r.Auc3), Pct(r.Auc5), Pct(r.Auc10), Pct(r.Precision),
                    F1(r.MeanMatches), F1(r.MeanMatchMilliseconds))).ToList()),
            StereoReport s => new EvalTable($"Stereo disparity accuracy on {s.Dataset}",
                ["method", "pairs", .. s.Thresholds.Select(t => $"<{F(t)}px"), "median err (px)", "evaluated", "matches/pair", "ms/pair"],
                Align(1, s.Thresholds.Count + 5),
                reports.Cast<StereoReport>().Select(r => Row([r.Method, I(r.PairCount), .. r.FractionWithin.Select(Pct), Err(r.MedianError),
                    I(r.EvaluatedCount), F1(r.MeanMatches), F1(r.MeanMatchMilliseconds)])).ToList()),
            _ => throw new ArgumentException($"Unknown report type {reports[0].GetType().Name}.", nameof(reports)),
        };
    }

    /// <summary>One row per pair of a report.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The per-pair table.</returns>
    public static EvalTable Pairs(EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ids = report switch
        {
            PoseReport p => p.Pairs.Select(r => r.Identifier),
            HomographyReport h => h.Pairs.Select(r => r.Identifier),
            StereoReport s => s.Pairs.Select(r => r.Identifier),
            _ => [],
        };
        string prefix = CommonFolder(ids.ToList());
        string Name(string id) => string.Join(' ', id.Split(' ').Select(n => n.StartsWith(prefix, StringComparison.Ordinal) ? n[prefix.Length..] : n));
        string suffix = prefix.Length > 0 ? $" (names under {prefix})" : "";
        return report switch
        {
            PoseReport p => new EvalTable($"{p.Method}: per pair{suffix}",
                ["pair", "matches", "inliers", "t_err (°)", "R_err (°)", $"prec@{Sci(p.EpipolarThreshold)}", "match ms"],
                Align(1, 6),
                p.Pairs.Select(r => Row(Name(r.Identifier), I(r.Matches), I(r.Inliers), Err(r.TranslationErrorDeg), Err(r.RotationErrorDeg),
                    Pct(r.Precision), F1(r.MatchMilliseconds))).ToList()),
            HomographyReport h => new EvalTable($"{h.Method}: per pair{suffix}",
                ["pair", "matches", "inliers", "corner err (px)", $"prec@{F(h.PrecisionThreshold)}px", "match ms"],
                Align(1, 5),
                h.Pairs.Select(r => Row(Name(r.Identifier), I(r.Matches), I(r.Inliers), Err(r.CornerError), Pct(r.Precision), F1(r.MatchMilliseconds))).ToList()),
            StereoReport s => new EvalTable($"{s.Method}: per pair{suffix}",
                ["pair", "matches", "evaluated", .. s.Thresholds.Select(t => $"<{F(t)}px"), "median err (px)", "match ms"],
                Align(1, s.Thresholds.Count + 4),
                s.Pairs.Select(r => Row([Name(r.Identifier), I(r.Matches), I(r.Evaluated), .. r.FractionWithin.Select(Pct), Err(r.MedianError),
                    F1(r.MatchMilliseconds)])).ToList()),
            _ => throw new ArgumentException($"Unknown report type {report.GetType().Name}.", nameof(report)),
        };
    }

    /// <summary>
    /// A Markdown document: title, optional generator line, dataset and protocol, the summary table, the method
    /// descriptions and one per-pair table per method.
    /// </summary>
    /// <param name="document">The reports (same task and dataset).</param>
    /// <param name="generatedBy">Command that produced the document (shown as code), or null.</param>
    /// <returns>Markdown text.</returns>
    public static string Markdown(EvalReportDocument document, string? generatedBy = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        var reports = document.Reports;
        var summary = Summary(reports);
        var sb = new StringBuilder();
        sb.Append("# ").AppendLine(document.Title ?? summary.Title).AppendLine();
        if (generatedBy is not null) sb.Append("Generated by `").Append(generatedBy).AppendLine("`.").AppendLine();
        sb.Append("Task: ").Append(reports[0].Task).Append(". Dataset: ").Append(reports[0].Dataset)
            .Append(" (").Append(PairCountText(reports[0].PairCount)).AppendLine(").").AppendLine();
        sb.Append("Protocol: ").Append(reports[0].Protocol).AppendLine(".").AppendLine();
        sb.AppendLine("## Summary").AppendLine();
        sb.Append(summary.ToMarkdown()).AppendLine();
        foreach (var r in reports) sb.Append("- ").Append(r.Method).Append(": ").AppendLine(r.MethodDescription);
        sb.AppendLine();
        sb.AppendLine(reports[0] is StereoReport
            ? "Fractions of evaluated matches in percent; `ms` = matching time only (images and metrics excluded)."
            : "AUC and precision in percent; `fail` = no model estimated (error +inf); `ms` = matching time only (images and metrics excluded).");
        foreach (var r in reports)
        {
            var t = Pairs(r);
            sb.AppendLine().Append("## ").AppendLine(t.Title).AppendLine().Append(t.ToMarkdown());
        }
        return sb.ToString();
    }

    /// <summary>The leading folders (ending with '/') shared by every image name of the identifiers; empty when none.</summary>
    private static string CommonFolder(IReadOnlyList<string> identifiers)
    {
        var names = identifiers.SelectMany(id => id.Split(' ')).ToList();
        if (names.Count == 0) return "";
        var first = names[0].Split('/');
        int common = first.Length - 1; // never strip the file name
        foreach (var n in names.Skip(1))
        {
            var parts = n.Split('/');
            int k = 0;
            while (k < common && k < parts.Length - 1 && parts[k] == first[k]) k++;
            common = k;
        }
        return common == 0 ? "" : string.Join('/', first.Take(common)) + "/";
    }

    private static IReadOnlyList<string> Row(params string[] cells) => cells;

    private static ColumnAlignment[] Align(int leftCount, int rightCount) =>
        [.. Enumerable.Repeat(ColumnAlignment.Left, leftCount), .. Enumerable.Repeat(ColumnAlignment.Right, rightCount)];

    /// <summary>"1 pair", "14 pairs".</summary>
    /// <param name="count">Number of pairs.</param>
    /// <returns>The count with its noun.</returns>
    public static string PairCountText(int count) => count == 1 ? "1 pair" : $"{I(count)} pairs";

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
    private static string F1(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
    private static string Pct(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
    private static string Sci(double v) => v.ToString("0e+00", CultureInfo.InvariantCulture);

    private static string Err(double v) => double.IsPositiveInfinity(v) ? "fail" : double.IsNaN(v) ? "nan" : v.ToString("F2", CultureInfo.InvariantCulture);
}
