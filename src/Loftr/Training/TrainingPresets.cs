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

    /// <summary>
    /// <see cref="Small"/> with a fine path twice as wide: the FPN's fine output has 64 channels
    /// (<see cref="BackboneConfig.FineOutputDim"/>) and the fine transformer d=64 with 4 heads of 16 (the reference's head
    /// width). Everything the coarse matches depend on is that of <see cref="Small"/>, so a trained small model can start
    /// it (recipe key <c>initPartial</c>), its fine path trained from scratch.
    /// </summary>
    public static LoftrConfig SmallFine64 { get; } = Small with
    {
        Backbone = Small.Backbone with { FineOutputDim = 64 },
        Fine = new TransformerConfig(64, 4, TransformerConfig.SelfCross(1)),
    };

    /// <summary>Names accepted by <see cref="FromName"/>: "small", "small-fine64" and the released presets.</summary>
    public static IReadOnlyList<string> Names { get; } = ["small", "small-fine64", .. LoftrConfig.PresetNames];

    /// <summary>The configuration named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static LoftrConfig FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (string.Equals(name, "small", StringComparison.OrdinalIgnoreCase)) return Small;
        if (string.Equals(name, "small-fine64", StringComparison.OrdinalIgnoreCase)) return SmallFine64;
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
