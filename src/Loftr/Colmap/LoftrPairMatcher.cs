using System.Security.Cryptography;

namespace Loftr.Colmap;

/// <summary>LoFTR as an <see cref="IPairMatcher"/> for the COLMAP exporter (detector-free: keypoints are merged per image).</summary>
public sealed class LoftrPairMatcher : IPairMatcher, IDisposable
{
    private readonly LoftrMatcher _matcher;
    private readonly MatchOptions _options;
    private readonly bool _owns;

    /// <summary>Wraps a loaded matcher.</summary>
    /// <param name="matcher">The LoFTR matcher (not disposed by this wrapper).</param>
    /// <param name="modelTag">Identifies the weights (e.g. a file hash) for the match cache.</param>
    /// <param name="options">Matching options (resize, threshold, top-k).</param>
    public LoftrPairMatcher(LoftrMatcher matcher, string modelTag, MatchOptions? options = null)
        : this(matcher, modelTag, options, owns: false)
    {
    }

    private LoftrPairMatcher(LoftrMatcher matcher, string modelTag, MatchOptions? options, bool owns)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        ArgumentException.ThrowIfNullOrEmpty(modelTag);
        _matcher = matcher;
        _options = options ?? MatchOptions.Default;
        _owns = owns;
        // Per-call overrides only (the model tag stands for the weights and the configuration they carry); the inference
        // overrides are appended only when given, so caches written before they existed stay valid.
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        Identity = string.Create(invariant,
            $"loftr|{modelTag}|maxsize={_options.MaxSize}|size={_options.Size}|thr={_options.Threshold}|top={_options.MaxMatches}") +
            (_options.Refinement is { } r ? $"|refine={r}" : "") +
            (_options.SharpestFraction is double f ? string.Create(invariant, $"|sharp={f}") : "") +
            (_options.SecondPassScale is double second ? string.Create(invariant, $"|second={second}") : "") +
            (_options.PatchAlignmentRadius is double align ? string.Create(invariant, $"|align={align}") : "") +
            (_options.PatchAlignmentMinCorrelation is double minCorrelation ? string.Create(invariant, $"|mincorr={minCorrelation}") : "");
        // (-infinity, "keep every match", is written as such: a cache made with it is not reused for the model's default)
    }

    /// <summary>Loads weights (see <see cref="LoftrMatcher.Load"/>) and tags them with the file's SHA-256.</summary>
    /// <param name="weightsPath">Checkpoint file.</param>
    /// <param name="options">Matching options.</param>
    /// <param name="config">Configuration when the checkpoint does not embed one.</param>
    /// <returns>The matcher (disposes the model).</returns>
    public static LoftrPairMatcher Load(string weightsPath, MatchOptions? options = null, LoftrConfig? config = null)
    {
        var m = LoftrMatcher.Load(weightsPath, config);
        try
        {
            using var fs = File.OpenRead(weightsPath);
            var hash = Convert.ToHexStringLower(SHA256.HashData(fs))[..16];
            return new LoftrPairMatcher(m, "sha256:" + hash, options, owns: true);
        }
        catch
        {
            m.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string Identity { get; }

    /// <inheritdoc />
    public bool KeypointsArePerImage => false;

    /// <inheritdoc />
    public PairMatches Match(string path0, string path1)
    {
        var r = _matcher.Match(path0, path1, _options);
        return new PairMatches(r.Keypoints0, r.Keypoints1, r.Confidence);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_owns) _matcher.Dispose();
    }
}
