using System.Text.Json;
using System.Text.Json.Serialization;

namespace Loftr.Training;

/// <summary>
/// A homography training run written down as a file, so that anyone can rerun it with one command
/// (<c>loftr train --recipe FILE --images DIR --out DIR</c>). Every value may be overridden on the command line.
/// Paths inside the recipe (<see cref="Split"/>) are relative to the recipe file.
/// </summary>
public sealed record TrainingRecipe
{
    /// <summary>Model preset (<see cref="TrainingPresets.Names"/>).</summary>
    public string Preset { get; init; } = "small";
    /// <summary>Network input size of the training pairs, "WxH".</summary>
    public string Size { get; init; } = "320x240";
    /// <summary>Pairs per step.</summary>
    public int Batch { get; init; } = 1;
    /// <summary>Optimizer steps.</summary>
    public long Steps { get; init; } = 1000;
    /// <summary>Peak learning rate.</summary>
    public double? Lr { get; init; }
    /// <summary>Linear warm-up steps.</summary>
    public long? Warmup { get; init; }
    /// <summary>MultiStep milestones (in <see cref="Interval"/> units).</summary>
    public long[]? Milestones { get; init; }
    /// <summary>MultiStep factor.</summary>
    public double Gamma { get; init; } = 0.5;
    /// <summary>"epoch" or "step".</summary>
    public string Interval { get; init; } = "epoch";
    /// <summary>AdamW weight decay.</summary>
    public double? WeightDecay { get; init; }
    /// <summary>Gradient-norm clipping (0 = off).</summary>
    public double Clip { get; init; } = 0.5;
    /// <summary>"fp32" or "bf16".</summary>
    public string Precision { get; init; } = "fp32";
    /// <summary>libtorch threads.</summary>
    public int Threads { get; init; } = 2;
    /// <summary>Seed of the data and the sampling.</summary>
    public long Seed { get; init; } = 66;
    /// <summary>Validation interval in steps.</summary>
    public int ValEvery { get; init; } = 100;
    /// <summary>Checkpoint interval in steps.</summary>
    public int CkptEvery { get; init; } = 500;
    /// <summary>Step checkpoints kept.</summary>
    public int Keep { get; init; } = 2;
    /// <summary>Held-out split file (relative to the recipe), see <see cref="HoldoutSplit"/>.</summary>
    public string? Split { get; init; }
    /// <summary>Weight of the fine (sub-pixel) loss in the total; the coarse loss has weight 1 (reference: 1).</summary>
    public double FineWeight { get; init; } = 1.0;
    /// <summary>With <c>--init</c>: copy only the tensors that fit this recipe's architecture (<see cref="TrainerOptions.InitPartial"/>).</summary>
    public bool InitPartial { get; init; }
    /// <summary>Modules not trained (<see cref="TrainerOptions.Freeze"/>), e.g. everything the coarse matches depend on.</summary>
    public string[] Freeze { get; init; } = [];
    /// <summary>View and photometric ranges.</summary>
    public RecipeAugmentation Augmentation { get; init; } = new();

    /// <summary>Full path of the recipe file this was read from (not serialised).</summary>
    [JsonIgnore]
    public string? SourcePath { get; init; }

    /// <summary>The split file's full path, or null.</summary>
    [JsonIgnore]
    public string? SplitPath => Split is null ? null
        : Path.GetFullPath(Split, Path.GetDirectoryName(SourcePath) ?? Directory.GetCurrentDirectory());

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
    };

    /// <summary>Reads a recipe file.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid recipe (names the file and the problem).</exception>
    public static TrainingRecipe Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Recipe not found: {path}", path);
        try
        {
            var recipe = JsonSerializer.Deserialize<TrainingRecipe>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path}: empty recipe.");
            return recipe with { SourcePath = Path.GetFullPath(path) };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid recipe ({e.Message}).", e);
        }
    }

    /// <summary>The recipe as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>The <see cref="HomographyAugmentation"/> ranges as they are written in a recipe.</summary>
public sealed record RecipeAugmentation
{
    /// <summary>Smallest first-view crop fraction.</summary>
    public double CropMin { get; init; } = 0.6;
    /// <summary>Largest first-view crop fraction.</summary>
    public double CropMax { get; init; } = 1.0;
    /// <summary>Largest rotation in degrees.</summary>
    public double MaxRotation { get; init; } = 25;
    /// <summary>Smallest zoom factor.</summary>
    public double MinScale { get; init; } = 1 / 1.3;
    /// <summary>Largest zoom factor.</summary>
    public double MaxScale { get; init; } = 1.3;
    /// <summary>Largest independent corner shift (fraction of the view size).</summary>
    public double MaxPerspective { get; init; } = 0.1;
    /// <summary>Largest shift (fraction of the view size).</summary>
    public double MaxTranslation { get; init; } = 0.15;
    /// <summary>Least fraction of coarse cells of view 0 that land in view 1.</summary>
    public double MinOverlap { get; init; } = 0.3;
    /// <summary>Largest brightness change.</summary>
    public double MaxBrightness { get; init; } = 0.15;
    /// <summary>Largest contrast change.</summary>
    public double MaxContrast { get; init; } = 0.3;
    /// <summary>Largest gamma change.</summary>
    public double MaxGamma { get; init; } = 0.4;
    /// <summary>Probability of blur.</summary>
    public double BlurProbability { get; init; } = 0.3;
    /// <summary>Largest blur sigma.</summary>
    public double MaxBlurSigma { get; init; } = 1.2;
    /// <summary>Largest noise standard deviation.</summary>
    public double MaxNoise { get; init; } = 0.03;

    /// <summary>The ranges as a <see cref="HomographyAugmentation"/>.</summary>
    public HomographyAugmentation ToAugmentation() => new(
        (CropMin, CropMax), MaxRotation, MaxScale, MaxPerspective, MaxTranslation, MinOverlap,
        MaxBrightness, MaxContrast, MaxGamma, BlurProbability, MaxBlurSigma, MaxNoise, MinScale);
}
