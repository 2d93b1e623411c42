using System.CommandLine;
using Loftr.Cli.Input;
using Loftr.Training;

namespace Loftr.Cli.Commands;

/// <summary>
/// <c>loftr train make-split --images DIR --out FILE [--validation N] [--test N] [--seed S]</c>: draws a fixed held-out
/// split of a photo folder (<see cref="HoldoutSplit"/>), the file a recipe's "split" names.
/// </summary>
public static class MakeSplitCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var images = new Option<string>("--images") { Description = "Folder of photos (the one given to 'loftr train --images').", HelpName = "DIR", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Split file to write (JSON: validation and test file names).", HelpName = "FILE", Required = true };
        var validation = new Option<int>("--validation") { Description = "Photos held out for validation during training.", HelpName = "N", DefaultValueFactory = _ => 20, CustomParser = r => OptionValues.Int(r, 1) ?? 0 };
        var test = new Option<int>("--test") { Description = "Photos held out for the final evaluation only.", HelpName = "N", DefaultValueFactory = _ => 30, CustomParser = r => OptionValues.Int(r, 0) ?? 0 };
        var seed = new Option<long>("--seed") { Description = "Seed of the draw.", HelpName = "S", DefaultValueFactory = _ => 66, CustomParser = r => OptionValues.AnyInteger(r) ?? 0 };
        var command = new Command("make-split",
            "Draw a fixed held-out split of a photo folder: --validation photos evaluated during training and --test photos kept for the " +
            "final evaluation, chosen by --seed, written by file name so the split never changes with the folder listing.");
        foreach (var o in new Option[] { images, output, validation, test, seed }) command.Options.Add(o);
        command.SetAction(p => Run(context, p.GetValue(images)!, p.GetValue(output)!, p.GetValue(validation), p.GetValue(test), p.GetValue(seed)));
        return command;
    }

    private static int Run(CliContext context, string images, string output, int validation, int test, long seed)
    {
        if (!Directory.Exists(images)) throw CliException.Usage($"--images folder not found: {images}");
        if (Directory.Exists(output)) throw CliException.Usage($"--out {output} is a folder; give the split file's name.");
        var files = Directory.EnumerateFiles(images).Where(HomographyFolderDataset.IsImageFile).ToArray();
        HoldoutSplit split;
        try
        {
            split = HoldoutSplit.Draw(files, validation, test, seed);
        }
        catch (ArgumentException e)
        {
            throw CliException.Usage($"{images}: {e.Message} (--validation {validation}, --test {test}).");
        }
        try
        {
            split.Save(output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Failure($"cannot write {output}: {e.Message}", e);
        }
        context.Out.WriteLine($"{output}: {split.Validation.Count} validation, {split.Test.Count} test, " +
            $"{files.Length - split.Validation.Count - split.Test.Count} training photos");
        return ExitCodes.Ok;
    }
}
