using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Loftr.Cli.Input;

/// <summary>
/// Custom parsers and validators for typed options whose errors name the option and the value
/// (<c>--steps: 'ten' is not a positive whole number</c>) instead of a .NET type name.
/// </summary>
internal static class OptionValues
{
    /// <summary>The option's name (e.g. <c>--steps</c>) for an argument being parsed.</summary>
    private static string Name(ArgumentResult r) => r.Parent is OptionResult o ? o.Option.Name : r.Argument.Name;

    private static T? Fail<T>(ArgumentResult r, string message)
    {
        r.AddError(message);
        return default;
    }

    /// <summary>A whole number of at least <paramref name="min"/> (1: positive).</summary>
    public static long? Integer(ArgumentResult r, long min)
    {
        string t = r.Tokens[0].Value;
        if (!long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) || v < min)
            return Fail<long?>(r, min == 1 ? $"{Name(r)}: '{t}' is not a positive whole number."
                : $"{Name(r)}: '{t}' is not a whole number >= {min.ToString(CultureInfo.InvariantCulture)}.");
        return v;
    }

    /// <summary>Like <see cref="Integer"/>, as an int.</summary>
    public static int? Int(ArgumentResult r, int min)
    {
        long? v = Integer(r, min);
        if (v is > int.MaxValue) return Fail<int?>(r, $"{Name(r)}: {v} is too large.");
        return (int?)v;
    }

    /// <summary>Any whole number (a seed).</summary>
    public static long? AnyInteger(ArgumentResult r) => Integer(r, long.MinValue);

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>] (exclusive of min when <paramref name="minExclusive"/>).</summary>
    public static double? Number(ArgumentResult r, double min, double max = double.PositiveInfinity, bool minExclusive = false)
    {
        string t = r.Tokens[0].Value;
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            return Fail<double?>(r, $"{Name(r)}: '{t}' is not a number.");
        if (minExclusive ? v <= min : v < min)
            return Fail<double?>(r, min == 0 && minExclusive ? $"{Name(r)}: {t} must be positive."
                : $"{Name(r)}: {t} must be {(minExclusive ? ">" : ">=")} {min.ToString(CultureInfo.InvariantCulture)}.");
        if (v > max) return Fail<double?>(r, $"{Name(r)}: {t} must be <= {max.ToString(CultureInfo.InvariantCulture)}.");
        return v;
    }

    /// <summary>0 (off) or a number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static double? ZeroOrRange(ArgumentResult r, double min, double max)
    {
        if (Number(r, 0, max) is not double v) return null;
        if (v != 0 && v < min)
            return Fail<double?>(r, $"{Name(r)}: {r.Tokens[0].Value} must be 0 (none) or in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}].");
        return v;
    }

    /// <summary>Comma-separated whole numbers, e.g. <c>3,6,9,12</c>.</summary>
    public static long[]? IntegerList(ArgumentResult r)
    {
        string t = r.Tokens[0].Value;
        var parts = t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
                return Fail<long[]?>(r, $"{Name(r)}: '{parts[i]}' is not a whole number >= 0 (expected a comma-separated list such as 3,6,9,12).");
        return parts.Length == 0 ? Fail<long[]?>(r, $"{Name(r)}: give at least one value.") : values;
    }

    /// <summary>A training size <c>WxH</c> whose sides are positive multiples of 8.</summary>
    public static (int Width, int Height)? TrainingSize(ArgumentResult r)
    {
        string t = r.Tokens[0].Value;
        return TryParseTrainingSize(t, out var size) ? size
            : Fail<(int, int)?>(r, $"{Name(r)}: '{t}' is not a size WxH with sides that are positive multiples of 8 (e.g. 320x240).");
    }

    /// <summary>Parses <c>WxH</c> with sides that are positive multiples of 8.</summary>
    public static bool TryParseTrainingSize(string text, out (int Width, int Height) size)
    {
        size = default;
        var parts = text.Trim().ToLowerInvariant().Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            || w <= 0 || h <= 0 || w % 8 != 0 || h % 8 != 0 || w > 16384 || h > 16384)
            return false;
        size = (w, h);
        return true;
    }

    /// <summary>
    /// Restricts a text option to <paramref name="allowed"/> (case-insensitive) with an error naming the option and the
    /// valid values, and offers them as completions.
    /// </summary>
    public static void OneOf(Option<string?> option, params string[] allowed)
    {
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0) return;
            string v = r.Tokens[0].Value;
            if (!allowed.Contains(v, StringComparer.OrdinalIgnoreCase))
                r.AddError($"unknown {option.Name} '{v}'; valid values: {string.Join(", ", allowed)}.");
        });
        option.CompletionSources.Add(allowed);
    }
}
