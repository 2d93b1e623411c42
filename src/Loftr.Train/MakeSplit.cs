using System.Globalization;
using Loftr.Training;

namespace Loftr.Train;

/// <summary><c>loftr-train make-split --images DIR --validation N --test N --seed S --out FILE</c>: draws a fixed held-out split.</summary>
internal static class MakeSplit
{
    public static int Run(string[] args)
    {
        string? images = null, output = null;
        int validation = 20, test = 30;
        long seed = 66;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string key = args[i];
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{key} needs a value.");
                switch (key)
                {
                    case "--images": images = Value(); break;
                    case "--out": output = Value(); break;
                    case "--validation": validation = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--test": test = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--seed": seed = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                    default: throw new ArgumentException($"Unknown argument '{key}'.");
                }
            }
            if (images is null || output is null) throw new ArgumentException("make-split needs --images DIR and --out FILE.");
            if (!Directory.Exists(images)) throw new DirectoryNotFoundException($"Image folder not found: {images}");
            var files = Directory.EnumerateFiles(images)
                .Where(f => HomographyFolderDataset.IsImageFile(f)).ToArray();
            var split = HoldoutSplit.Draw(files, validation, test, seed);
            split.Save(output);
            Console.WriteLine($"{output}: {split.Validation.Count} validation, {split.Test.Count} test, {files.Length - split.Validation.Count - split.Test.Count} training photos");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
