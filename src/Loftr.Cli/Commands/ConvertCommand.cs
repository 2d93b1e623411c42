using System.CommandLine;
using System.Globalization;
using Loftr.Cli.Matching;

namespace Loftr.Cli.Commands;

/// <summary>
/// <c>loftr convert IN OUT.safetensors</c>: rewrites a checkpoint (.ckpt or .safetensors) as a safetensors file with
/// its configuration in the metadata, optionally with another coarse threshold, sub-pixel estimate, sharpest
/// fraction or second fine pass (inference settings). Used to publish trained models.
/// </summary>
public static class ConvertCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var input = new Argument<string>("IN") { Description = "Checkpoint to read (.ckpt or .safetensors)." };
        var output = new Argument<string>("OUT") { Description = "safetensors file to write (replaced atomically)." };
        var preset = new Option<string?>("--preset") { Description = "Configuration of a released checkpoint (else embedded or inferred).", HelpName = "NAME" };
        var threshold = new Option<double?>("--threshold") { Description = "Coarse confidence threshold stored in the configuration.", HelpName = "X" };
        var refinement = MatchingOptions.RefinementOption("Sub-pixel estimate stored in the configuration: expectation (the reference) or local (around the heatmap's peak).");
        var sharpest = MatchingOptions.SharpestOption("Fraction (0, 1] of the sharpest matches kept, stored in the configuration.");
        var secondPass = MatchingOptions.SecondPassOption("Scale of the second fine pass stored in the configuration (1 = none).");
        var patchAlign = MatchingOptions.PatchAlignOption("Radius of the patch alignment stored in the configuration (network pixels, 0 = none).");
        var patchMinCorrelation = MatchingOptions.PatchMinCorrelationOption("Smallest correlation of an aligned match kept, stored in the configuration.");
        var command = new Command("convert", "Rewrite a checkpoint as .safetensors with its configuration embedded (loads anywhere without a preset).");
        command.Arguments.Add(input);
        command.Arguments.Add(output);
        command.Options.Add(preset);
        command.Options.Add(threshold);
        command.Options.Add(refinement);
        command.Options.Add(sharpest);
        command.Options.Add(secondPass);
        command.Options.Add(patchAlign);
        command.Options.Add(patchMinCorrelation);
        command.SetAction(p => Run(context, p.GetValue(input)!, p.GetValue(output)!, p.GetValue(preset), p.GetValue(threshold),
            MatchingOptions.ParseRefinement(p.GetValue(refinement)), p.GetValue(sharpest), p.GetValue(secondPass),
            p.GetValue(patchAlign), p.GetValue(patchMinCorrelation)));
        return command;
    }

    private static int Run(CliContext context, string input, string output, string? preset, double? threshold,
        FineRefinement? refinement, double? sharpest, double? secondPass, double? patchAlign,
        double? patchMinCorrelation)
    {
        if (Directory.Exists(input)) throw CliException.Usage($"{input} is a directory, not a checkpoint file.");
        if (!File.Exists(input)) throw CliException.Usage($"checkpoint file not found: {input}");
        if (!output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw CliException.Usage($"OUT must end with .safetensors, got {output}.");
        if (threshold is < 0 or > 1) throw CliException.Usage($"--threshold must be in [0, 1], got {threshold}.");
        var config = preset is null ? null : ModelLoader.PresetConfig(preset);
        using var model = LoftrCheckpoint.LoadModel(input, config);
        var stored = threshold is double t
            ? model.Config with { CoarseMatching = model.Config.CoarseMatching with { Threshold = t } }
            : model.Config;
        stored = stored with
        {
            Refinement = refinement ?? stored.Refinement,
            SharpestFraction = sharpest ?? stored.SharpestFraction,
            SecondPassScale = secondPass is double f ? (f == 1 ? null : f) : stored.SecondPassScale,
            PatchAlignmentRadius = patchAlign is double r ? (r == 0 ? null : r) : stored.PatchAlignmentRadius,
            PatchAlignmentMinCorrelation = patchMinCorrelation is double mc0 ? (double.IsNegativeInfinity(mc0) ? null : mc0) : stored.PatchAlignmentMinCorrelation,
        };
        var meta = new Dictionary<string, string>
        {
            ["source"] = Path.GetFileName(input),
            ["source_sha256"] = ModelLoader.Sha256(input),
        };
        LoftrCheckpoint.SaveSafeTensors(model, output, meta, stored);
        string dropped = stored.PatchAlignmentMinCorrelation is double mc
            ? string.Create(CultureInfo.InvariantCulture, $", matches correlating below {mc} dropped")
            : "";
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{output}: {new FileInfo(output).Length / 1e6:0.0} MB, coarse threshold {stored.CoarseMatching.Threshold}, " +
            $"refinement {stored.Refinement}, sharpest fraction {stored.SharpestFraction}, second fine pass {stored.SecondPassScale ?? 1}x, " +
            $"patch alignment radius {stored.PatchAlignmentRadius ?? 0}") + dropped);
        return ExitCodes.Ok;
    }
}
