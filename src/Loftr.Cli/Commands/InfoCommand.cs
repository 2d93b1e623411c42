using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Loftr.Cli.Commands;

/// <summary><c>loftr info FILE</c>: what a checkpoint is, without running the network.</summary>
public static class InfoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "Checkpoint (.ckpt or .safetensors)." };
        var json = new Option<bool>("--json") { Description = "Print the description as JSON." };
        var command = new Command("info", "Describe a checkpoint: variant, parameter count, keys, configuration (embedded or inferred), " +
            "temp_bug_fix guess. Nothing is run.");
        command.Arguments.Add(file);
        command.Options.Add(json);
        command.SetAction(p => Run(context, p.GetValue(file)!, p.GetValue(json)));
        return command;
    }

    private static int Run(CliContext context, string path, bool asJson)
    {
        if (Directory.Exists(path)) throw CliException.Usage($"{path} is a directory, not a checkpoint file.");
        if (!File.Exists(path)) throw CliException.Usage($"checkpoint file not found: {path}");
        var info = LoftrCheckpoint.Inspect(path);
        string variant = Variant(info.Config);
        if (asJson)
        {
            var doc = new Dictionary<string, object?>
            {
                ["path"] = path,
                ["bytes"] = new FileInfo(path).Length,
                ["variant"] = variant,
                ["tensors"] = info.TensorCount,
                ["parameters"] = info.ParameterCount,
                ["values"] = info.ValueCount,
                ["config_embedded"] = info.ConfigEmbedded,
                ["temp_bug_fix"] = info.Config.TempBugFix,
                ["config"] = JsonDocument.Parse(LoftrCheckpoint.ConfigToJson(info.Config)).RootElement,
                ["guesses"] = info.Guesses,
                ["keys"] = info.KeySummary,
                ["metadata"] = info.Metadata.Where(kv => kv.Key != LoftrCheckpoint.ConfigMetadataKey).ToDictionary(kv => kv.Key, kv => kv.Value),
            };
            context.Out.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        }

        var c = info.Config;
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
        table.AddRow("file", Markup.Escape($"{path} ({Bytes(new FileInfo(path).Length)})"));
        table.AddRow("variant", Markup.Escape(variant));
        table.AddRow("parameters", $"{info.ParameterCount:N0} learnable ({info.ValueCount:N0} values in {info.TensorCount} tensors)");
        table.AddRow("configuration", info.ConfigEmbedded ? "embedded in the file" : "inferred from the tensor shapes");
        table.AddRow("backbone", Markup.Escape($"ResNet-FPN {c.Backbone.CoarseResolution}/{c.Backbone.FineResolution}, initial dim {c.Backbone.InitialDim}, " +
            $"blocks [{string.Join(", ", c.Backbone.BlockDims)}]"));
        table.AddRow("coarse transformer", Markup.Escape($"d_model {c.Coarse.DModel}, {c.Coarse.NHead} heads, {c.Coarse.Layers.Count} layers ({c.Coarse.Attention})"));
        table.AddRow("fine transformer", Markup.Escape($"d_model {c.Fine.DModel}, {c.Fine.NHead} heads, {c.Fine.Layers.Count} layers ({c.Fine.Attention})"));
        table.AddRow("coarse matching", Markup.Escape($"{c.CoarseMatching.MatchType}, threshold {c.CoarseMatching.Threshold.ToString(CultureInfo.InvariantCulture)}, " +
            $"border {c.CoarseMatching.BorderRemove}"));
        table.AddRow("temp_bug_fix", (c.TempBugFix ? "true" : "false") + (info.ConfigEmbedded ? "" : " (guessed from the file name)"));
        table.AddRow("fine refinement", Markup.Escape((c.Refinement == FineRefinement.Expectation
            ? "whole-window expectation (the reference)" : "expectation around the heatmap's peak") +
            (c.SharpestFraction < 1 ? $", keeps the sharpest {(c.SharpestFraction * 100).ToString("0.##", CultureInfo.InvariantCulture)} % of the matches" : ", keeps every match") +
            (c.SecondPassScale is double s && s != 1 ? $", second fine pass at {s.ToString("0.##", CultureInfo.InvariantCulture)}x" : "") +
            (c.PatchAlignmentRadius is double pa && pa != 0 ? $", patch alignment radius {pa.ToString("0.##", CultureInfo.InvariantCulture)}" +
                (c.PatchAlignmentMinCorrelation is double mc ? $" (matches correlating below {mc.ToString("0.##", CultureInfo.InvariantCulture)} dropped)" : "") : "")));
        foreach (var g in info.Guesses) table.AddRow("guess", Markup.Escape(g));
        table.AddRow("keys", Markup.Escape(string.Join(", ", info.KeySummary.Select(kv => $"{kv.Key} ({kv.Value})"))));
        foreach (var (k, v) in info.Metadata.Where(kv => kv.Key != LoftrCheckpoint.ConfigMetadataKey).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            table.AddRow("metadata " + Markup.Escape(k), Markup.Escape(v.Length > 200 ? v[..200] + "…" : v));
        context.Rich.Write(table);
        return ExitCodes.Ok;
    }

    /// <summary>A human name of the architecture, with the released checkpoints it matches.</summary>
    public static string Variant(LoftrConfig c)
    {
        string kind = c.CoarseMatching.MatchType == CoarseMatchType.Sinkhorn ? "LoFTR-OT (optimal transport / Sinkhorn)" : "LoFTR-DS (dual-softmax)";
        var presets = LoftrConfig.PresetNames.Where(n => SameArchitecture(LoftrConfig.FromPresetName(n), c)).ToList();
        return presets.Count > 0
            ? $"{kind}, the architecture of the released {string.Join(" / ", presets)}"
            : $"{kind}, custom size (not a released architecture)";
    }

    private static bool SameArchitecture(LoftrConfig a, LoftrConfig b) =>
        a.Backbone == b.Backbone && a.Coarse == b.Coarse && a.Fine == b.Fine && a.CoarseMatching.MatchType == b.CoarseMatching.MatchType
        && a.TempBugFix == b.TempBugFix && a.FineConcatCoarseFeat == b.FineConcatCoarseFeat;

    private static string Bytes(long n) => n >= 1 << 20 ? $"{n / (double)(1 << 20):0.#} MiB" : n >= 1 << 10 ? $"{n / 1024.0:0.#} KiB" : $"{n} B";
}
