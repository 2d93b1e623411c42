namespace Loftr.Training;

/// <summary>
/// Loads the samples of upcoming steps on thread-pool threads while the current step trains. Batches come out in step
/// order and are independent of timing (each sample is a pure function of its index).
/// </summary>
public sealed class BatchPrefetcher : IDisposable
{
    private readonly Func<long, IReadOnlyList<PairSample>> _load;
    private readonly Queue<(long Step, Task<IReadOnlyList<PairSample>> Task)> _queue = new();
    private readonly int _depth;
    private long _next;

    /// <summary>Starts loading <paramref name="depth"/> batches from step <paramref name="firstStep"/>.</summary>
    public BatchPrefetcher(Func<long, IReadOnlyList<PairSample>> load, long firstStep, int depth = 2)
    {
        _load = load ?? throw new ArgumentNullException(nameof(load));
        _depth = Math.Max(1, depth);
        _next = firstStep;
        for (int k = 0; k < _depth; k++) Enqueue();
    }

    private void Enqueue()
    {
        long step = _next++;
        _queue.Enqueue((step, Task.Run(() => _load(step))));
    }

    /// <summary>The samples of the next step (waits if they are still loading; rethrows loading errors).</summary>
    public (long Step, IReadOnlyList<PairSample> Samples) Take()
    {
        var (step, task) = _queue.Dequeue();
        Enqueue();
        return (step, task.GetAwaiter().GetResult());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, t) in _queue)
        {
            try { t.Wait(); } catch (AggregateException) { /* loading errors of batches nobody asked for */ }
        }
        _queue.Clear();
    }
}
