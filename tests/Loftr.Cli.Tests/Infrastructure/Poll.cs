using System.Diagnostics;

namespace Loftr.Cli.Tests.Infrastructure;

/// <summary>
/// Waits for a condition on the calling thread. Tests poll with this rather than <c>await Task.Delay</c>: xunit resumes
/// an awaiting test through its own scheduler, which has one slot per core, and while the other test classes hold
/// those slots the continuation can wait minutes: the run being watched (a batch, a training) then ends before the
/// test gets to interrupt it.
/// </summary>
public static class Poll
{
    /// <summary>Blocks until <paramref name="done"/> returns true or <paramref name="timeout"/> has passed; returns the last value of <paramref name="done"/>.</summary>
    public static bool Until(Func<bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > timeout) return false;
            Thread.Sleep(15);
        }
        return true;
    }

    /// <summary>True when <paramref name="path"/> exists and has at least <paramref name="count"/> lines.</summary>
    public static bool HasLines(string path, int count)
    {
        try
        {
            return File.Exists(path) && File.ReadAllLines(path).Length >= count;
        }
        catch (IOException)
        {
            return false; // being written: look again
        }
    }
}
