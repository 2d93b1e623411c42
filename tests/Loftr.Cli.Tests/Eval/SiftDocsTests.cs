using System.Text;
using System.Text.RegularExpressions;
using Loftr.Cli.Tests.Infrastructure;
using Loftr.Eval;
using Loftr.Evaluation;
using Xunit.Abstractions;

namespace Loftr.Cli.Tests.Eval;

/// <summary>
/// The committed SIFT tables (docs/eval/sift_*.md + .json) must be what <c>loftr eval</c> prints today: every <c>run</c>
/// line of scripts/eval-sift.sh (<c>run</c> is the loftr tool) is executed again on tests/data/eval (identical copies of
/// shared/data/eval) and the Markdown is compared cell by cell, timing columns excepted, and the JSON numbers to 1e-9.
/// The held-out photo line ($PHOTOS, 120 SIFT pairs at 640x480, about a minute) needs ../shared/data/train_photos and is
/// skipped with a message without it.
/// </summary>
public partial class SiftDocsTests(ITestOutputHelper output)
{
    [Fact]
    public void CommittedSiftTablesMatchARegeneratedRun()
    {
        var commands = ScriptCommands(Path.Combine(Paths.Root, "scripts", "eval-sift.sh"));
        Assert.Equal(4, commands.Count);
        using var dir = new TempDir();
        string? photos = Paths.Shared("data/train_photos");
        foreach (var script in commands)
        {
            if (photos is null && script.Any(a => a.Contains("$PHOTOS", StringComparison.Ordinal)))
            {
                output.WriteLine($"SKIPPED {script[^1]}: ../shared/data/train_photos not present.");
                continue;
            }
            string Resolve(string a)
            {
                a = a.Replace("$DATA", Paths.Data("eval"), StringComparison.Ordinal).Replace("$OUT", dir.Path, StringComparison.Ordinal)
                    .Replace("$PHOTOS", photos ?? "", StringComparison.Ordinal);
                // The script runs from the repository root: its relative paths (recipes/...) are relative to it.
                return a.StartsWith("recipes/", StringComparison.Ordinal) ? Path.Combine(Paths.Root, a) : a;
            }
            var args = script.Select(Resolve).ToArray();
            Assert.Equal("eval", args[0]);
            var options = EvalCommandOptions.Parse(args[1..]);
            CliRunner.RunOk(output, args);

            string name = Path.GetFileName(options.MarkdownPath!);
            string committedMd = Path.Combine(Paths.Root, "docs", "eval", name);
            string committedJson = Path.Combine(Paths.Root, "docs", "eval", Path.GetFileName(options.JsonPath!));
            Assert.True(File.Exists(committedMd), $"{committedMd} is missing: run scripts/eval-sift.sh");
            string fresh = File.ReadAllText(options.MarkdownPath!);
            output.WriteLine(fresh);
            Assert.Equal(MaskTiming(File.ReadAllText(committedMd)), MaskTiming(fresh));
            CompareJson(EvalReportJson.Read(committedJson), EvalReportJson.Read(options.JsonPath!), name);
        }
    }

    [Fact]
    public void TimingMaskOnlyTouchesTimingColumns()
    {
        string md = "| method | AUC | ms/pair |\n|---|---:|---:|\n| sift | 4.94 | 310.7 |\n\ntext 310.7\n| pair | match ms |\n|---|---:|\n| a | 12.5 |\n";
        Assert.Equal("| method | AUC | ms/pair |\n|---|---:|---:|\n| sift | 4.94 | * |\n\ntext 310.7\n| pair | match ms |\n|---|---:|\n| a | * |\n", MaskTiming(md));
    }

    /// <summary>The argument lists of the script's <c>run ...</c> lines (double quotes and $VARS kept as text).</summary>
    private static List<string[]> ScriptCommands(string script)
    {
        var result = new List<string[]>();
        foreach (var line in File.ReadAllLines(script))
        {
            if (!line.StartsWith("run ", StringComparison.Ordinal)) continue;
            var args = Tokens().Matches(line[4..]).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToArray();
            result.Add(args);
        }
        return result;
    }

    [GeneratedRegex("\"([^\"]*)\"|(\\S+)")]
    private static partial Regex Tokens();

    /// <summary>Replaces the cells of columns whose header contains "ms" by "*".</summary>
    internal static string MaskTiming(string markdown)
    {
        var sb = new StringBuilder();
        int[] timing = [];
        foreach (var line in markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (!line.StartsWith('|'))
            {
                timing = [];
                sb.Append(line).Append('\n');
                continue;
            }
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (timing.Length == 0 && !cells[0].StartsWith("---", StringComparison.Ordinal) && cells.Any(c => c.Contains("ms", StringComparison.Ordinal)))
            {
                timing = cells.Select((c, i) => (c, i)).Where(t => t.c.Contains("ms", StringComparison.Ordinal)).Select(t => t.i).ToArray();
                sb.Append(line).Append('\n');
                continue;
            }
            if (timing.Length > 0 && !cells[0].StartsWith("---", StringComparison.Ordinal))
                foreach (int i in timing) cells[i] = "*";
            sb.Append(timing.Length > 0 && !cells[0].StartsWith("---", StringComparison.Ordinal) ? "| " + string.Join(" | ", cells) + " |" : line).Append('\n');
        }
        return sb.ToString()[..^1];
    }

    private static void CompareJson(EvalReportDocument committed, EvalReportDocument fresh, string name)
    {
        Assert.Equal(committed.Title, fresh.Title);
        Assert.Equal(committed.Reports.Count, fresh.Reports.Count);
        for (int k = 0; k < committed.Reports.Count; k++)
        {
            var a = Values(committed.Reports[k]);
            var b = Values(fresh.Reports[k]);
            Assert.Equal(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++)
            {
                Assert.True(a[i].Key == b[i].Key, $"{name}: field {a[i].Key} vs {b[i].Key}");
                bool same = a[i].Value.Equals(b[i].Value) || Math.Abs(a[i].Value - b[i].Value) <= 1e-9 * Math.Max(1, Math.Abs(a[i].Value));
                Assert.True(same, $"{name}: {a[i].Key} committed {a[i].Value}, regenerated {b[i].Value}");
            }
        }
    }

    /// <summary>Every number of a report except timings, with a name, in a fixed order.</summary>
    private static List<KeyValuePair<string, double>> Values(EvalReport r)
    {
        var v = new List<KeyValuePair<string, double>>();
        void Add(string k, double x) => v.Add(new(k, x));
        Add("pairCount", r.PairCount);
        Add("meanMatches", r.MeanMatches);
        switch (r)
        {
            case PoseReport p:
                Add("auc5", p.Auc5); Add("auc10", p.Auc10); Add("auc20", p.Auc20); Add("precision", p.Precision);
                foreach (var q in p.Pairs)
                {
                    Add(q.Identifier + " matches", q.Matches); Add(q.Identifier + " inliers", q.Inliers);
                    Add(q.Identifier + " t", q.TranslationErrorDeg); Add(q.Identifier + " R", q.RotationErrorDeg); Add(q.Identifier + " prec", q.Precision);
                }
                break;
            case HomographyReport h:
                Add("auc3", h.Auc3); Add("auc5", h.Auc5); Add("auc10", h.Auc10); Add("precision", h.Precision);
                foreach (var q in h.Pairs)
                {
                    Add(q.Identifier + " matches", q.Matches); Add(q.Identifier + " inliers", q.Inliers);
                    Add(q.Identifier + " corner", q.CornerError); Add(q.Identifier + " prec", q.Precision);
                }
                break;
            case StereoReport s:
                for (int i = 0; i < s.FractionWithin.Count; i++) Add($"within {s.Thresholds[i]}", s.FractionWithin[i]);
                Add("evaluated", s.EvaluatedCount); Add("median", s.MedianError);
                foreach (var q in s.Pairs)
                {
                    Add(q.Identifier + " matches", q.Matches); Add(q.Identifier + " evaluated", q.Evaluated); Add(q.Identifier + " median", q.MedianError);
                    for (int i = 0; i < q.FractionWithin.Count; i++) Add($"{q.Identifier} within {i}", q.FractionWithin[i]);
                }
                break;
        }
        return v;
    }
}
