using Loftr.Cli.Matching;

namespace Loftr.Cli.Output;

/// <summary>A pair's matches with the names of its images, as written to files.</summary>
/// <param name="Image0">Path or name of image 0.</param>
/// <param name="Image1">Path or name of image 1.</param>
/// <param name="Matches">The matches.</param>
public sealed record PairRecord(string Image0, string Image1, PairMatches Matches);
