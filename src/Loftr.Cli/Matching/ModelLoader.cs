using System.Security.Cryptography;

namespace Loftr.Cli.Matching;

/// <summary>Resolves <c>--weights</c> and <c>--preset</c> to a loaded matcher, with clear messages for what is missing.</summary>
public static class ModelLoader
{
    /// <summary>The message shown when no weights are given and this build carries no default model.</summary>
    public static string NoWeightsMessage =>
        "no weights given, and this build of loftr carries no default model (models/loftr-default.safetensors was absent " +
        "when it was built). Pass a checkpoint with --weights FILE " +
        "(.ckpt or .safetensors); for a released LoFTR checkpoint add its preset, e.g. " +
        "--weights outdoor_ds.ckpt --preset outdoor_ds (presets: " + string.Join(", ", LoftrConfig.PresetNames) + ").";

    /// <summary>
    /// Checks the options without loading anything (usage errors: missing weights, unknown preset, missing file) and
    /// returns the weights file to use: <paramref name="weights"/>, or the default model when none is given.
    /// </summary>
    public static string Check(string? weights, string? preset)
    {
        if (weights is null)
        {
            if (preset is not null)
                throw CliException.Usage($"--preset {preset} gives the configuration of a released checkpoint, but no checkpoint was " +
                    $"given: pass the file with --weights (e.g. --weights {preset}.ckpt --preset {preset}); " +
                    "without --weights and --preset the default model is used.");
            if (!DefaultModel.IsAvailable) throw CliException.Usage(NoWeightsMessage);
            return DefaultModel.WeightsPath;
        }
        if (preset is not null) _ = PresetConfig(preset);
        if (Directory.Exists(weights)) throw CliException.Usage($"--weights {weights} is a directory, not a checkpoint file.");
        if (!File.Exists(weights)) throw CliException.Usage($"weights file not found: {weights}");
        return weights;
    }

    /// <summary>The configuration of a preset name (usage error listing the valid names otherwise).</summary>
    public static LoftrConfig PresetConfig(string preset)
    {
        try
        {
            return LoftrConfig.FromPresetName(preset);
        }
        catch (ArgumentException)
        {
            throw CliException.Usage($"unknown --preset '{preset}'; valid presets: {string.Join(", ", LoftrConfig.PresetNames)}.");
        }
    }

    /// <summary>Loads the matcher (configuration from the preset, else from the file: embedded or inferred).</summary>
    public static LoftrMatcher Load(string? weights, string? preset, int? threads = null)
    {
        string path = Check(weights, preset);
        if (threads is int n) TorchSharp.torch.set_num_threads(n);
        return LoftrMatcher.Load(path, preset is null ? null : PresetConfig(preset));
    }

    /// <summary>SHA-256 of a file, lower-case hex.</summary>
    public static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }
}
