namespace Loftr.Training;

/// <summary>Model configurations meant for training on a small CPU.</summary>
public static class TrainingPresets
{
    /// <summary>
    /// A small LoFTR (the dimensions of the loss_ds golden fixture, ~0.56 M parameters): ResNet-FPN 32/[32, 48, 64],
    /// coarse transformer d=64, 4 heads, 2 x (self, cross), fine transformer d=32, 4 heads, self + cross, dual-softmax,
    /// corrected position encoding.
    /// </summary>
    public static LoftrConfig Small { get; } = new(
        new BackboneConfig(32, [32, 48, 64]),
        new TransformerConfig(64, 4, TransformerConfig.SelfCross(2)),
        new CoarseMatchingConfig(),
        new TransformerConfig(32, 4, TransformerConfig.SelfCross(1)));

    /// <summary>Names accepted by <see cref="FromName"/>: "small" and the released presets.</summary>
    public static IReadOnlyList<string> Names { get; } = ["small", .. LoftrConfig.PresetNames];

    /// <summary>The configuration named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static LoftrConfig FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (string.Equals(name, "small", StringComparison.OrdinalIgnoreCase)) return Small;
        try
        {
            return LoftrConfig.FromPresetName(name);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"Unknown preset '{name}'. Valid presets: {string.Join(", ", Names)}.", nameof(name));
        }
    }
}
