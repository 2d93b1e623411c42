using System.Globalization;
using Loftr;
using Loftr.Colmap;

// loftr-colmap: match image pairs, write a COLMAP database, optionally run COLMAP's mapper.
// The loftr CLI exposes the same as `loftr colmap`; this entry point exists for the library branch.
return ToolMain.Run(args);

internal static class ToolMain
{
    private const string Usage = """
        usage: loftr-colmap --images DIR --database FILE.db [--pairs FILE | --exhaustive | --sequential K]
                            [--matcher loftr|sift] [--weights FILE] [--max-size PX] [--max-matches N]
                            [--merge fine|medium|coarse] [--cell-size PX] [--max-error PX] [--max-keypoints N]
                            [--threshold PX] [--camera-model simple_radial|simple_pinhole|pinhole|radial|opencv]
                            [--single-camera] [--cache FILE] [--overwrite] [--mapper OUTPUT_DIR [--mapper-args "..."]]
        Matches the pairs (resumable: raw matches are cached next to the database), merges keypoints per image,
        verifies each pair (MAGSAC F, or E when EXIF focal lengths are known) and writes the COLMAP database.
        --mapper runs `colmap mapper` and `colmap model_analyzer` when colmap is on PATH; --mapper-args passes
        options to the mapper, e.g. "--Mapper.init_min_num_inliers 30 --Mapper.min_model_size 2" for a few photos.
        """;

    public static int Run(string[] args)
    {
        try
        {
            return Execute(new Args(args));
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or InvalidOperationException or FormatException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e is ArgumentException or FormatException ? 2 : 1;
        }
    }

    private static int Execute(Args a)
    {
        if (a.Flag("--help") || a.Flag("-h"))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        string images = a.Required("--images");
        string database = a.Required("--database");
        var pairs = a.Value("--pairs") is string pf ? PairSelection.FromFile(pf)
            : a.Value("--sequential") is string k ? PairSelection.Sequential(int.Parse(k, CultureInfo.InvariantCulture))
            : PairSelection.Exhaustive;
        a.Flag("--exhaustive");

        var merge = KeypointMergeOptions.FromPresetName(a.Value("--merge") ?? "coarse");
        if (a.Value("--cell-size") is string cs) merge = merge with { CellSize = Num(cs) };
        if (a.Value("--max-error") is string me) merge = merge with { MaxError = Num(me) };
        if (a.Value("--max-keypoints") is string mk) merge = merge with { MaxKeypointsPerImage = int.Parse(mk, CultureInfo.InvariantCulture) };
        var verification = new GeometricVerificationOptions();
        if (a.Value("--threshold") is string th) verification = verification with { Threshold = Num(th) };
        var cameras = new CameraOptions(SingleCamera: a.Flag("--single-camera"));
        if (a.Value("--camera-model") is string cm) cameras = cameras with { Model = ParseModel(cm) };

        var options = new ColmapExportOptions(images, database, pairs)
        {
            Merge = merge,
            Verification = verification,
            Cameras = cameras,
            CachePath = a.Value("--cache"),
            Overwrite = a.Flag("--overwrite"),
        };
        string matcherName = a.Value("--matcher") ?? "loftr";
        string? weights = a.Value("--weights");
        var matchOptions = new MatchOptions
        {
            MaxSize = a.Value("--max-size") is string ms ? int.Parse(ms, CultureInfo.InvariantCulture) : 1024,
            MaxMatches = a.Value("--max-matches") is string mm ? int.Parse(mm, CultureInfo.InvariantCulture) : null,
        };
        string? mapperDir = a.Value("--mapper");
        string[] mapperArgs = (a.Value("--mapper-args") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        a.RejectUnknown();

        using IDisposable matcherScope = matcherName switch
        {
            "sift" => new SiftPairMatcher(),
            "loftr" => LoftrPairMatcher.Load(weights ?? throw new ArgumentException("--weights is required for --matcher loftr."), matchOptions),
            _ => throw new ArgumentException($"Unknown matcher '{matcherName}' (loftr or sift)."),
        };
        var matcher = (IPairMatcher)matcherScope;
        var progress = new ConsoleProgress();
        var result = ColmapExporter.Run(options, matcher, progress);
        Console.Error.WriteLine();
        Console.WriteLine($"database: {result.DatabasePath}");
        Console.WriteLine($"images: {result.Images.Count}, keypoints/image: {result.Images.Average(i => i.Keypoints):F0}, pairs: {result.Pairs.Count} " +
                          $"({result.PairsMatched} matched, {result.PairsFromCache} cached), verified: {result.VerifiedPairs}, " +
                          $"inliers: {result.Pairs.Sum(p => p.Inliers)}");
        if (mapperDir is null) return 0;
        if (!ColmapMapper.IsAvailable)
        {
            Console.Error.WriteLine("colmap is not on PATH: skipping the mapper (Debian: apt-get install colmap).");
            return 0;
        }
        var mapped = ColmapMapper.Run(new ColmapMapperOptions(result.DatabasePath, images, mapperDir) { ExtraArguments = mapperArgs });
        if (mapped.Best is null)
        {
            Console.WriteLine("mapper: no model could be built.");
            return 3;
        }
        foreach (var m in mapped.Models)
            Console.WriteLine($"model {m.Path}: {m.RegisteredImages}/{result.Images.Count} images registered, {m.Points} points, " +
                              $"mean reprojection error {m.MeanReprojectionError:F3} px, mean track length {m.MeanTrackLength:F2}");
        return 0;
    }

    private static double Num(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static ColmapCameraModel ParseModel(string s) => s.ToLowerInvariant() switch
    {
        "simple_radial" => ColmapCameraModel.SimpleRadial,
        "simple_pinhole" => ColmapCameraModel.SimplePinhole,
        "pinhole" => ColmapCameraModel.Pinhole,
        "radial" => ColmapCameraModel.Radial,
        "opencv" => ColmapCameraModel.OpenCV,
        _ => throw new ArgumentException($"Unknown camera model '{s}'."),
    };

    private sealed class ConsoleProgress : IProgress<ColmapExportProgress>
    {
        private ColmapExportStage? _stage;

        public void Report(ColmapExportProgress p)
        {
            if (_stage != p.Stage && _stage != null) Console.Error.WriteLine();
            _stage = p.Stage;
            Console.Error.Write($"\r{p.Stage,-13} {p.Done}/{p.Total}{(p.FromCache ? " (cached)" : "")}   ");
        }
    }

    private sealed class Args(string[] args)
    {
        private readonly HashSet<int> _used = [];

        public bool Flag(string name)
        {
            int i = Array.IndexOf(args, name);
            if (i < 0) return false;
            _used.Add(i);
            return true;
        }

        public string? Value(string name)
        {
            int i = Array.IndexOf(args, name);
            if (i < 0) return null;
            if (i + 1 >= args.Length) throw new ArgumentException($"{name} needs a value.");
            _used.Add(i);
            _used.Add(i + 1);
            return args[i + 1];
        }

        public string Required(string name) => Value(name) ?? throw new ArgumentException($"{name} is required.\n{Usage}");

        public void RejectUnknown()
        {
            for (int i = 0; i < args.Length; i++)
                if (!_used.Contains(i)) throw new ArgumentException($"Unknown argument '{args[i]}'.\n{Usage}");
        }
    }
}
