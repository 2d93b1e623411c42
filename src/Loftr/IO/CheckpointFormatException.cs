namespace Loftr.IO;

/// <summary>
/// Thrown when a checkpoint or array file (<c>.ckpt</c>, <c>.safetensors</c>, <c>.npy</c>, <c>.npz</c>) is malformed,
/// truncated, uses an unsupported feature, or references something that is not allowed (for example a pickle
/// global such as <c>os.system</c>). The message always starts with the file path followed by the exact problem.
/// </summary>
public sealed class CheckpointFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file (or file and entry) the problem was found in.</param>
    /// <param name="problem">What is wrong, e.g. "truncated zip archive".</param>
    /// <param name="inner">An optional underlying exception.</param>
    public CheckpointFormatException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file the problem was found in (as passed by the caller, possibly with an entry name).</summary>
    public string FilePath { get; }

    /// <summary>The problem, without the file name prefix.</summary>
    public string Problem { get; }
}
