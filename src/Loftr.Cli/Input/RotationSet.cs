using System.Globalization;

namespace Loftr.Cli.Input;

/// <summary>How the results of several <c>--rotations</c> are combined.</summary>
public enum RotationMode
{
    /// <summary>Keep the rotation with the most matches (the most inliers with --geometry); ties go to the first listed.</summary>
    Best,
    /// <summary>Concatenate the matches of every rotation, dropping duplicates (both keypoints within 2 px).</summary>
    Union,
}

/// <summary>Parses <c>--rotations</c>: clockwise angles of image 1 among 0, 90, 180, 270.</summary>
public static class RotationSet
{
    /// <summary>Parses "0,90,180,270"; returns false with a reason otherwise.</summary>
    public static bool TryParse(string text, out int[] angles, out string reason)
    {
        reason = "";
        var list = new List<int>();
        foreach (var token in text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int a) || a is not (0 or 90 or 180 or 270))
            {
                angles = [];
                reason = $"'{token}' is not one of 0, 90, 180, 270 (clockwise degrees), in \"{text}\"";
                return false;
            }
            if (list.Contains(a))
            {
                angles = [];
                reason = $"{a} is listed twice in \"{text}\"";
                return false;
            }
            list.Add(a);
        }
        angles = list.ToArray();
        if (angles.Length == 0)
        {
            reason = "no angle given; use for example 0,90,180,270";
            return false;
        }
        return true;
    }
}
