using System.Globalization;

namespace Loftr.Cli.Input;

/// <summary>
/// The <c>--resize</c> value: a long side ("640": aspect ratio kept), an exact size ("640x480"), or "none" for the
/// original size. Sides are then rounded to the network's multiple (8).
/// </summary>
/// <param name="LongSide">Long side in pixels, or null.</param>
/// <param name="Size">Exact width and height, or null.</param>
public sealed record ResizeSpec(int? LongSide, ImageSize? Size)
{
    /// <summary>The original size (rounded to the network multiple).</summary>
    public static ResizeSpec None { get; } = new(null, null);

    /// <summary>The default: long side 640, as the reference demos.</summary>
    public static ResizeSpec Default { get; } = new(640, null);

    /// <summary>Parses "640", "640x480" or "none"; returns false with a reason otherwise.</summary>
    public static bool TryParse(string text, out ResizeSpec spec, out string reason)
    {
        spec = None;
        reason = "";
        string t = text.Trim().ToLowerInvariant();
        if (t is "none" or "original" or "0")
            return true;
        var parts = t.Split('x');
        if (parts.Length > 2 || parts.Any(p => !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            reason = $"'{text}' is not a size: use a long side such as 640, WxH such as 640x480, or none";
            return false;
        }
        var v = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        if (v.Any(x => x <= 0 || x > 16384))
        {
            reason = $"'{text}': sides must be between 1 and 16384 pixels";
            return false;
        }
        spec = v.Length == 1 ? new ResizeSpec(v[0], null) : new ResizeSpec(null, new ImageSize(v[0], v[1]));
        return true;
    }

    /// <summary>The matching options for an image; with <paramref name="swap"/> an exact size is transposed (image rotated by 90 or 270).</summary>
    public MatchOptions ToOptions(bool swap = false) => new()
    {
        MaxSize = LongSide,
        Size = Size is { } s ? (swap ? new ImageSize(s.Height, s.Width) : s) : null,
    };

    /// <inheritdoc />
    public override string ToString() => LongSide is int l ? l.ToString(CultureInfo.InvariantCulture) : Size is { } s ? s.ToString() : "none";
}
