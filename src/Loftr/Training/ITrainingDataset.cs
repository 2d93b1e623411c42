namespace Loftr.Training;

/// <summary>
/// A source of training and validation pairs. Sample k must be a pure function of k (and of the dataset's seed), so that
/// a run can be reproduced and resumed exactly, and samples can be loaded on other threads in any order.
/// </summary>
public interface ITrainingDataset
{
    /// <summary>One line saying what the data is (for logs).</summary>
    string Description { get; }

    /// <summary>Number of training items (one epoch visits each once).</summary>
    int TrainCount { get; }

    /// <summary>Number of held-out validation items.</summary>
    int ValidationCount { get; }

    /// <summary>Training sample <paramref name="sampleIndex"/> (0, 1, 2, ... over the whole run, across epochs).</summary>
    PairSample TrainSample(long sampleIndex);

    /// <summary>Validation sample <paramref name="index"/> (the same every time it is asked for).</summary>
    PairSample ValidationSample(int index);
}
