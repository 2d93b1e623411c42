using System.CommandLine;
using System.Globalization;
using Loftr.Cli.Input;
using Loftr.Colmap;
using Spectre.Console;

namespace Loftr.Cli.Commands;

/// <summary>
/// <c>loftr colmap --images DIR --database FILE.db [...]</c>: matches image pairs, merges the keypoints per image, verifies each
/// pair and writes a COLMAP database (<see cref="ColmapExporter"/>); with <c>--mapper DIR</c> also runs <c>colmap mapper</c>.
/// </summary>
public static class ColmapCommand
{
    private const string Details = """
        Raw matches are cached per pair next to the database (<database>.matches.sqlite, or --cache), keyed by the matcher
        (weights hash and options) and the image names, and reused while the image files keep their size and modification
        time: an interrupted run (Ctrl-C, exit code 130) resumes where it stopped. The database is rebuilt from the cache at
        the end of every run (--overwrite replaces an existing one).

        Example (a handful of photos; the mapper defaults are strict for few matches; with the small default model keep
        COLMAP's default initialisation: its chance inliers between unrelated photos can seed wrong models at 30):
          loftr colmap --images photos/ --database out/database.db --weights outdoor_ds.ckpt --preset outdoor_ds \
              --mapper out/sparse --mapper-args "--Mapper.init_min_num_inliers 30 --Mapper.min_model_size 2"
        """;

    private static readonly string[] CameraModels = ["simple_radial", "simple_pinhole", "pinhole", "radial", "opencv"];

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var images = new Option<string>("--images") { Description = "Image folder (searched recursively); COLMAP's --image_path.", HelpName = "DIR", Required = true };
        var database = new Option<string>("--database") { Description = "COLMAP database to write (.db).", HelpName = "FILE", Required = true };
        var pairs = new Option<string?>("--pairs") { Description = "Pairs to match: 'name0 name1' per line, names relative to --images (default: --exhaustive).", HelpName = "FILE" };
        var exhaustive = new Option<bool>("--exhaustive") { Description = "Match every pair of images (the default)." };
        var sequential = new Option<int?>("--sequential") { Description = "Match each image with the next K in name order (videos, sequences).", HelpName = "K", CustomParser = r => OptionValues.Int(r, 1) };
        var matcher = new Option<string?>("--matcher") { Description = "loftr (default) or sift (OpenCV SIFT with the ratio test, a baseline).", HelpName = "NAME" };
        OptionValues.OneOf(matcher, "loftr", "sift");
        var weights = new Option<string?>("--weights", "-w") { Description = "LoFTR checkpoint (.ckpt or .safetensors); default: the model that ships with loftr.", HelpName = "FILE" };
        var preset = new Option<string?>("--preset") { Description = $"Configuration of a released checkpoint given with --weights: {string.Join(", ", LoftrConfig.PresetNames)} (default: from the file).", HelpName = "NAME" };
        OptionValues.OneOf(preset, [.. LoftrConfig.PresetNames]);
        var maxSize = new Option<int>("--max-size") { Description = "Long side of the network input in pixels.", HelpName = "PX", DefaultValueFactory = _ => 1024, CustomParser = r => OptionValues.Int(r, 8) ?? 0 };
        var maxMatches = new Option<int?>("--max-matches") { Description = "Keep the N most confident matches per pair.", HelpName = "N", CustomParser = r => OptionValues.Int(r, 1) };
        var refinement = MatchingOptions.RefinementOption("Sub-pixel estimate: expectation (the reference) or local (around the heatmap's peak); default: the model's.");
        var secondPass = MatchingOptions.SecondPassOption("Refine each pair's matches a second time on the images enlarged F times (1 = none); default: the model's (1.5 for the shipped model, 1 for the released ones).");
        var patchAlign = MatchingOptions.PatchAlignOption("Align a patch around each match after the network (ECC, affine, as OpenCV's findTransformECC); R is its radius in network pixels (0 = none); default: the model's (16 for the shipped model, 0 for the released ones).");
        var patchMinCorrelation = MatchingOptions.PatchMinCorrelationOption("With the patch alignment, drop the matches whose patches correlate below C once aligned; default: the model's (0.6 for the shipped model).");
        var sharpest = MatchingOptions.SharpestOption("Keep this fraction (0, 1] of each pair's matches, the sharpest; default: the model's (0.3 for the shipped model, 1 for the released ones).");
        var merge = new Option<string?>("--merge") { Description = "Keypoint merge preset (hloc's): fine (1 px), medium (4 px), coarse (8 px cells, 2 px error; default) or exact.", HelpName = "PRESET" };
        OptionValues.OneOf(merge, [.. KeypointMergeOptions.PresetNames]);
        var cellSize = new Option<double?>("--cell-size") { Description = "Merge cell size in pixels (overrides the preset's).", HelpName = "PX", CustomParser = r => OptionValues.Number(r, 0, minExclusive: true) };
        var maxError = new Option<double?>("--max-error") { Description = "Largest distance of a point to its merged keypoint in pixels (overrides the preset's).", HelpName = "PX", CustomParser = r => OptionValues.Number(r, 0) };
        var maxKeypoints = new Option<int?>("--max-keypoints") { Description = "Most keypoints kept per image (default 8192).", HelpName = "N", CustomParser = r => OptionValues.Int(r, 1) };
        var threshold = new Option<double?>("--threshold") { Description = "Verification inlier threshold in pixels (MAGSAC++ F, or E with EXIF focal lengths; default 4).", HelpName = "PX", CustomParser = r => OptionValues.Number(r, 0, minExclusive: true) };
        var cameraModel = new Option<string?>("--camera-model") { Description = $"COLMAP camera model: {string.Join(", ", CameraModels)} (default simple_radial).", HelpName = "MODEL" };
        OptionValues.OneOf(cameraModel, CameraModels);
        var singleCamera = new Option<bool>("--single-camera") { Description = "One camera shared by all images (they must have the same size)." };
        var cache = new Option<string?>("--cache") { Description = "Raw-match cache (default: <database>.matches.sqlite).", HelpName = "FILE" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing database (cached matches are still reused)." };
        var mapper = new Option<string?>("--mapper") { Description = "Then run 'colmap mapper' into this folder and 'colmap model_analyzer' on its models (needs colmap on PATH).", HelpName = "DIR" };
        var mapperArgs = new Option<string?>("--mapper-args") { Description = "Extra mapper options in one argument, e.g. \"--Mapper.init_min_num_inliers 30 --Mapper.min_model_size 2\".", HelpName = "ARGS" };

        var command = new DetailedCommand("colmap",
            "Structure from motion: match image pairs, merge the keypoints per image, verify each pair (MAGSAC++ F, or E when EXIF focal " +
            "lengths are known) and write a COLMAP database; --mapper also reconstructs it with 'colmap mapper'. Resumable.", Details);
        foreach (var o in new Option[] { images, database, pairs, exhaustive, sequential, matcher, weights, preset, maxSize, maxMatches, refinement, sharpest, secondPass, patchAlign, patchMinCorrelation, merge, cellSize,
                     maxError, maxKeypoints, threshold, cameraModel, singleCamera, cache, overwrite, mapper, mapperArgs })
            command.Options.Add(o);

        command.SetAction(p =>
        {
            int selections = (p.GetValue(pairs) is null ? 0 : 1) + (p.GetValue(exhaustive) ? 1 : 0) + (p.GetValue(sequential) is null ? 0 : 1);
            if (selections > 1) throw CliException.Usage("give one of --pairs FILE, --exhaustive or --sequential K.");
            var selection = p.GetValue(pairs) is { } pf ? PairSelection.FromFile(pf)
                : p.GetValue(sequential) is { } k ? PairSelection.Sequential(k)
                : PairSelection.Exhaustive;

            var mergeOptions = KeypointMergeOptions.FromPresetName(p.GetValue(merge) ?? "coarse");
            if (p.GetValue(cellSize) is { } cs) mergeOptions = mergeOptions with { CellSize = cs };
            if (p.GetValue(maxError) is { } me) mergeOptions = mergeOptions with { MaxError = me };
            if (p.GetValue(maxKeypoints) is { } mk) mergeOptions = mergeOptions with { MaxKeypointsPerImage = mk };
            var verification = new GeometricVerificationOptions();
            if (p.GetValue(threshold) is { } th) verification = verification with { Threshold = th };
            var cameras = new CameraOptions(SingleCamera: p.GetValue(singleCamera));
            if (p.GetValue(cameraModel) is { } cm) cameras = cameras with { Model = ParseModel(cm) };

            var options = new ColmapExportOptions(p.GetValue(images)!, p.GetValue(database)!, selection)
            {
                Merge = mergeOptions,
                Verification = verification,
                Cameras = cameras,
                CachePath = p.GetValue(cache),
                Overwrite = p.GetValue(overwrite),
            };
            var matchOptions = new MatchOptions
            {
                MaxSize = p.GetValue(maxSize),
                MaxMatches = p.GetValue(maxMatches),
                Refinement = MatchingOptions.ParseRefinement(p.GetValue(refinement)),
                SharpestFraction = p.GetValue(sharpest),
                SecondPassScale = p.GetValue(secondPass),
                PatchAlignmentRadius = p.GetValue(patchAlign),
                PatchAlignmentMinCorrelation = p.GetValue(patchMinCorrelation),
            };
            string[] extra = (p.GetValue(mapperArgs) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (extra.Length > 0 && p.GetValue(mapper) is null) throw CliException.Usage("--mapper-args needs --mapper DIR.");
            return Run(context, options, (p.GetValue(matcher) ?? "loftr").ToLowerInvariant(), p.GetValue(weights), p.GetValue(preset),
                matchOptions, p.GetValue(mapper), extra);
        });
        return command;
    }

    private static int Run(CliContext context, ColmapExportOptions options, string matcherName, string? weights, string? preset,
        MatchOptions matchOptions, string? mapperDir, string[] mapperArgs)
    {
        // Everything the user typed is checked before a model is loaded.
        if (!Directory.Exists(options.ImageDirectory)) throw CliException.Usage($"--images folder not found: {options.ImageDirectory}");
        if (Directory.Exists(options.DatabasePath)) throw CliException.Usage($"--database {options.DatabasePath} is a folder; give the database file.");
        if (File.Exists(options.DatabasePath) && !options.Overwrite)
            throw CliException.Usage($"--database {options.DatabasePath} already exists; add --overwrite to rebuild it (cached matches are reused).");
        if (matcherName == "sift" && (weights is not null || preset is not null || matchOptions.Refinement is not null || matchOptions.SharpestFraction is not null
            || matchOptions.SecondPassScale is not null || matchOptions.PatchAlignmentRadius is not null
            || matchOptions.PatchAlignmentMinCorrelation is not null))
            throw CliException.Usage("--weights/--preset/--refinement/--sharpest/--second-pass/--patch-align/--patch-min-correlation are for --matcher loftr.");
        if (matcherName == "loftr")
        {
            if (weights is not null && !File.Exists(weights)) throw CliException.Usage($"--weights file not found: {weights}");
            weights = Matching.ModelLoader.Check(weights, preset); // the default model when no weights are given
        }

        using IDisposable matcherScope = matcherName == "sift"
            ? new SiftPairMatcher()
            : LoftrPairMatcher.Load(weights!, matchOptions, preset is null ? null : LoftrConfig.FromPresetName(preset));
        var pairMatcher = (IPairMatcher)matcherScope;

        ColmapExportResult result;
        try
        {
            result = Export(context, options, pairMatcher);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw CliException.Failure(e.Message, e);
        }
        var o = context.Out;
        o.WriteLine($"database: {result.DatabasePath}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"images: {result.Images.Count}, keypoints/image: {result.Images.Average(i => i.Keypoints):F0}, pairs: {result.Pairs.Count} " +
            $"({result.PairsMatched} matched, {result.PairsFromCache} cached), verified: {result.VerifiedPairs}, " +
            $"inliers: {result.Pairs.Sum(p => p.Inliers)}"));
        if (mapperDir is null) return ExitCodes.Ok;

        if (!ColmapMapper.IsAvailable)
        {
            context.Warn("colmap is not on PATH: skipping the mapper (Debian: apt-get install colmap).");
            return ExitCodes.Ok;
        }
        ColmapMapperResult mapped;
        try
        {
            mapped = ColmapMapper.Run(new ColmapMapperOptions(result.DatabasePath, options.ImageDirectory, mapperDir) { ExtraArguments = mapperArgs },
                null, context.Cancellation);
        }
        catch (InvalidOperationException e)
        {
            throw CliException.Failure(e.Message, e);
        }
        if (mapped.Best is null)
            throw CliException.Failure("mapper: no model could be built (too few verified matches; for a handful of photos try " +
                "--mapper-args \"--Mapper.min_model_size 2\", and with SIFT or a released checkpoint also " +
                "\"--Mapper.init_min_num_inliers 30\").");
        foreach (var m in mapped.Models)
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model {m.Path}: {m.RegisteredImages}/{result.Images.Count} images registered, {m.Points} points, " +
                $"mean reprojection error {m.MeanReprojectionError:F3} px, mean track length {m.MeanTrackLength:F2}"));
        return ExitCodes.Ok;
    }

    /// <summary>Runs the export with a live progress bar on a terminal, or one line per finished stage otherwise.</summary>
    private static ColmapExportResult Export(CliContext context, ColmapExportOptions options, IPairMatcher matcher)
    {
        if (!context.IsInteractive)
            return ColmapExporter.Run(options, matcher, new LineProgress(context.Out), context.Cancellation);
        ColmapExportResult? result = null;
        context.Rich.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<ColmapExportStage, ProgressTask>();
                var progress = new SynchronousProgress(p =>
                {
                    if (!tasks.TryGetValue(p.Stage, out var task)) tasks[p.Stage] = task = ctx.AddTask(StageName(p.Stage), maxValue: Math.Max(1, p.Total));
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                    if (p.Stage == ColmapExportStage.Matching && p.Item is not null)
                        task.Description = Markup.Escape($"{StageName(p.Stage)} {p.Done}/{p.Total} {p.Item}{(p.FromCache ? " (cached)" : "")}");
                });
                result = ColmapExporter.Run(options, matcher, progress, context.Cancellation);
            });
        return result!;
    }

    private static string StageName(ColmapExportStage stage) => stage switch
    {
        ColmapExportStage.ReadingImages => "reading images",
        ColmapExportStage.Matching => "matching",
        ColmapExportStage.Merging => "merging keypoints",
        ColmapExportStage.Verifying => "verifying",
        ColmapExportStage.Writing => "writing",
        _ => stage.ToString(),
    };

    /// <summary>Reports on the calling thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<ColmapExportProgress> report) : IProgress<ColmapExportProgress>
    {
        public void Report(ColmapExportProgress value) => report(value);
    }

    /// <summary>One line per matched pair and per finished stage (logs, pipes).</summary>
    private sealed class LineProgress(TextWriter output) : IProgress<ColmapExportProgress>
    {
        private int _cached;

        public void Report(ColmapExportProgress p)
        {
            if (p.Stage == ColmapExportStage.Matching)
            {
                if (p.FromCache) _cached++;
                output.WriteLine($"[{p.Done}/{p.Total}] {p.Item}{(p.FromCache ? " (cached)" : "")}");
                if (p.Done == p.Total) output.WriteLine($"matching: {p.Total} pairs ({_cached} from the cache)");
            }
            else if (p.Done == p.Total)
            {
                output.WriteLine($"{StageName(p.Stage)}: {p.Total} done");
            }
        }
    }

    private static ColmapCameraModel ParseModel(string s) => s.ToLowerInvariant() switch
    {
        "simple_radial" => ColmapCameraModel.SimpleRadial,
        "simple_pinhole" => ColmapCameraModel.SimplePinhole,
        "pinhole" => ColmapCameraModel.Pinhole,
        "radial" => ColmapCameraModel.Radial,
        "opencv" => ColmapCameraModel.OpenCV,
        _ => throw CliException.Usage($"unknown --camera-model '{s}'."),
    };
}
