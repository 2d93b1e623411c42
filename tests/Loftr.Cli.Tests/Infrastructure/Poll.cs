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

    /// <summary>
    /// Starts a thread that cancels <paramref name="cancel"/> once <paramref name="done"/> returns true (or after three
    /// minutes); disposing the result cancels too and waits for the thread. The run it interrupts stays on the test thread.
    /// </summary>
    public static IDisposable CancelWhen(CancellationTokenSource cancel, Func<bool> done)
    {
        var watcher = new Thread(() =>
        {
            Until(() => cancel.IsCancellationRequested || done(), TimeSpan.FromMinutes(3));
            cancel.Cancel();
        });
        watcher.Start();
        return new Watcher(cancel, watcher);
    }

    private sealed class Watcher(CancellationTokenSource cancel, Thread thread) : IDisposable
    {
        public void Dispose()
        {
            cancel.Cancel();
            thread.Join();
        }
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
