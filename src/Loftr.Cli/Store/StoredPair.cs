using Loftr.Cli.Matching;

namespace Loftr.Cli.Store;

/// <summary>A pair row of the results store: finished with its matches, or failed with an error.</summary>
/// <param name="Id">Row id (insertion order).</param>
/// <param name="Name0">Image 0 as named in the pairs list.</param>
/// <param name="Name1">Image 1.</param>
/// <param name="Matches">The matches, or null when the pair failed.</param>
/// <param name="Error">The error of a failed pair.</param>
/// <param name="Seconds">Time spent on the pair.</param>
public sealed record StoredPair(long Id, string Name0, string Name1, PairMatches? Matches, string? Error, double Seconds);
