using System.Globalization;

namespace Loftr.Cli.Input;

/// <summary>
/// Camera intrinsics from <c>--K0/--K1</c>: "fx,fy,cx,cy" (4 numbers), or the 9 numbers of the 3x3 matrix K in
/// row-major order, separated by commas and/or spaces; or the path of a text file holding either form.
/// </summary>
public static class Intrinsics
{
    /// <summary>The accepted format, for help texts and messages.</summary>
    public const string FormatHelp = "\"fx,fy,cx,cy\" or 9 numbers of the 3x3 K row by row (commas or spaces), or a text file with either";

    /// <summary>Parses the value of <paramref name="option"/>; returns false with a reason when it is not valid.</summary>
    public static bool TryParse(string text, string option, out double[,] k, out string reason)
    {
        k = new double[3, 3];
        reason = "";
        string source = text;
        if (File.Exists(text))
        {
            source = File.ReadAllText(text);
            option = $"{option} ({text})";
        }
        var tokens = source.Split([',', ' ', '\t', '\n', '\r', ';'], StringSplitOptions.RemoveEmptyEntries);
        var values = new double[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            if (!double.TryParse(tokens[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
            {
                reason = $"{option}: '{tokens[i]}' is not a number; expected {FormatHelp}";
                return false;
            }
        }
        if (values.Length == 4)
        {
            k = new double[,] { { values[0], 0, values[2] }, { 0, values[1], values[3] }, { 0, 0, 1 } };
        }
        else if (values.Length == 9)
        {
            for (int i = 0; i < 9; i++) k[i / 3, i % 3] = values[i];
            if (k[2, 0] != 0 || k[2, 1] != 0 || k[2, 2] != 1 || k[1, 0] != 0)
            {
                reason = $"{option}: the last row of K must be 0 0 1 and K[1,0] must be 0 (an upper-triangular camera matrix), got {text.Trim()}";
                return false;
            }
        }
        else
        {
            reason = $"{option}: got {values.Length} numbers; expected {FormatHelp}";
            return false;
        }
        if (k[0, 0] <= 0 || k[1, 1] <= 0)
        {
            reason = $"{option}: the focal lengths fx and fy must be positive, got fx={k[0, 0]}, fy={k[1, 1]}";
            return false;
        }
        return true;
    }
}
