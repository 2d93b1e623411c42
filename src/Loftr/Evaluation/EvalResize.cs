using System.Globalization;

namespace Loftr.Evaluation;

/// <summary>How <see cref="EvalResize"/> chooses the size of an evaluation image.</summary>
public enum EvalResizeMode
{
    /// <summary>Keep the stored size.</summary>
    None,

    /// <summary>Resize to a fixed width and height (ScanNet: 640x480).</summary>
    Exact,

    /// <summary>Scale so that the longer side has <see cref="EvalResize.Side"/> pixels (MegaDepth: 840).</summary>
    LongSide,

    /// <summary>Scale so that the shorter side has <see cref="EvalResize.Side"/> pixels (HPatches: 480).</summary>
    ShortSide,
}

/// <summary>
/// The image preparation of an evaluation protocol: the size the matcher sees (then floored to a multiple of
/// <see cref="DivisibleBy"/>), and whether the resized image is zero-padded at the bottom right to a square (the
/// reference MegaDepth test, with padding masks for LoFTR). Resizing is <c>cv2.resize</c> (bilinear) of the 8-bit
/// grayscale image; sizes follow the reference (<c>int(round(w * scale))</c> with round half to even, then
/// <c>w // df * df</c>).
/// </summary>
/// <param name="Mode">Resize rule.</param>
/// <param name="Width">Target width for <see cref="EvalResizeMode.Exact"/>.</param>
/// <param name="Height">Target height for <see cref="EvalResizeMode.Exact"/>.</param>
/// <param name="Side">Target side length for <see cref="EvalResizeMode.LongSide"/> / <see cref="EvalResizeMode.ShortSide"/>.</param>
/// <param name="DivisibleBy">Both sides are floored to a multiple of this (1: no constraint).</param>
/// <param name="PadToSquare">Zero-pad the resized image to max(w, h) squared (bottom right); matters for LoFTR only.</param>
public sealed record EvalResize(EvalResizeMode Mode, int Width = 0, int Height = 0, int Side = 0, int DivisibleBy = 1, bool PadToSquare = false)
{
    /// <summary>No resizing, no padding.</summary>
    public static EvalResize None { get; } = new(EvalResizeMode.None);

    /// <summary>ScanNet: 640x480, K as stored (it belongs to 640x480).</summary>
    public static EvalResize ScanNet { get; } = Exact(640, 480);

    /// <summary>MegaDepth (reference test): long side 840, multiple of 8, padded to 840x840.</summary>
    public static EvalResize MegaDepth { get; } = LongSide(840, 8, padToSquare: true);

    /// <summary>HPatches (LoFTR / Patch2Pix protocol): short side 480, multiple of 8 for the network.</summary>
    public static EvalResize HPatches { get; } = ShortSide(HPatchesProtocol.ShortSide, 8);

    /// <summary>A fixed size.</summary>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="divisibleBy">Side multiple.</param>
    /// <returns>The rule.</returns>
    public static EvalResize Exact(int width, int height, int divisibleBy = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(divisibleBy);
        return new EvalResize(EvalResizeMode.Exact, width, height, 0, divisibleBy);
    }

    /// <summary>Longer side scaled to <paramref name="side"/>.</summary>
    /// <param name="side">Target long side.</param>
    /// <param name="divisibleBy">Side multiple.</param>
    /// <param name="padToSquare">Pad to a square after resizing.</param>
    /// <returns>The rule.</returns>
    public static EvalResize LongSide(int side, int divisibleBy = 1, bool padToSquare = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(side);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(divisibleBy);
        return new EvalResize(EvalResizeMode.LongSide, 0, 0, side, divisibleBy, padToSquare);
    }

    /// <summary>Shorter side scaled to <paramref name="side"/>.</summary>
    /// <param name="side">Target short side.</param>
    /// <param name="divisibleBy">Side multiple.</param>
    /// <returns>The rule.</returns>
    public static EvalResize ShortSide(int side, int divisibleBy = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(side);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(divisibleBy);
        return new EvalResize(EvalResizeMode.ShortSide, 0, 0, side, divisibleBy);
    }

    /// <summary>
    /// Parses <c>none</c>, <c>WxH</c> (e.g. <c>640x480</c>), <c>long:N</c> or <c>short:N</c>.
    /// </summary>
    /// <param name="text">The rule as text.</param>
    /// <param name="divisibleBy">Side multiple.</param>
    /// <param name="padToSquare">Pad to a square.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="FormatException">Unrecognised text.</exception>
    public static EvalResize Parse(string text, int divisibleBy = 1, bool padToSquare = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        if (divisibleBy <= 0) throw new FormatException($"divisible-by must be positive, got {divisibleBy}.");
        if (t == "none") return None with { DivisibleBy = divisibleBy, PadToSquare = padToSquare };
        if (t.StartsWith("long:", StringComparison.Ordinal) && TryPositive(t[5..], out int l))
            return LongSide(l, divisibleBy, padToSquare);
        if (t.StartsWith("short:", StringComparison.Ordinal) && TryPositive(t[6..], out int s))
            return ShortSide(s, divisibleBy) with { PadToSquare = padToSquare };
        var wh = t.Split('x');
        if (wh.Length == 2 && TryPositive(wh[0], out int w) && TryPositive(wh[1], out int h))
            return Exact(w, h, divisibleBy) with { PadToSquare = padToSquare };
        throw new FormatException($"Unrecognised resize '{text}': use none, WxH (e.g. 640x480), long:N or short:N.");
    }

    /// <summary>The size the matcher sees for an image of <paramref name="original"/> size (before padding).</summary>
    /// <param name="original">Stored image size.</param>
    /// <returns>Resized size.</returns>
    /// <exception cref="ArgumentException">The result would be empty.</exception>
    public ImageSize TargetSize(ImageSize original)
    {
        if (original.Width <= 0 || original.Height <= 0) throw new ArgumentException($"Invalid image size {original}.", nameof(original));
        int w = original.Width, h = original.Height;
        switch (Mode)
        {
            case EvalResizeMode.Exact:
                w = Width;
                h = Height;
                break;
            case EvalResizeMode.LongSide:
            case EvalResizeMode.ShortSide:
                double s = (double)Side / (Mode == EvalResizeMode.LongSide ? Math.Max(w, h) : Math.Min(w, h));
                w = (int)Math.Round(w * s, MidpointRounding.ToEven);
                h = (int)Math.Round(h * s, MidpointRounding.ToEven);
                break;
        }
        w = w / DivisibleBy * DivisibleBy;
        h = h / DivisibleBy * DivisibleBy;
        if (w <= 0 || h <= 0) throw new ArgumentException($"Resizing {original} with '{this}' gives an empty image.");
        return new ImageSize(w, h);
    }

    /// <summary>The rule as text: <c>none</c>, <c>640x480</c>, <c>long:840</c>, <c>short:480</c>, plus <c>/8</c> and <c>+pad</c> when set.</summary>
    /// <returns>Text form.</returns>
    public override string ToString()
    {
        string core = Mode switch
        {
            EvalResizeMode.Exact => $"{Width}x{Height}",
            EvalResizeMode.LongSide => $"long:{Side}",
            EvalResizeMode.ShortSide => $"short:{Side}",
            _ => "none",
        };
        return core + (DivisibleBy > 1 ? "/" + DivisibleBy.ToString(CultureInfo.InvariantCulture) : "") + (PadToSquare ? "+pad" : "");
    }

    private static bool TryPositive(string s, out int v) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v) && v > 0;
}
