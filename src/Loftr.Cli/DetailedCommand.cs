using System.CommandLine;

namespace Loftr.Cli;

/// <summary>A command whose <c>--help</c> adds a block of text after the options (before the exit codes).</summary>
/// <param name="name">Command name.</param>
/// <param name="description">One-paragraph description.</param>
/// <param name="details">Text printed as is after the standard help.</param>
public sealed class DetailedCommand(string name, string description, string details) : Command(name, description)
{
    /// <summary>The extra help text.</summary>
    public string Details { get; } = details;
}
