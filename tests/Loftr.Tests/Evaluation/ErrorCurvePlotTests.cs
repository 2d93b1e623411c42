using Loftr.Evaluation;

namespace Loftr.Tests.Evaluation;

/// <summary>Curves and tables of a stereo report (the end-to-end runs of `loftr eval` are in tests/Loftr.Cli.Tests/Eval).</summary>
public class ErrorCurvePlotTests
{
    [Fact]
    public void StereoPlotCountsMatchesNotPairs()
    {
        // A tiny in-memory stereo report plots per-match errors.
        var report = new StereoReport
        {
            Dataset = "stereo", Method = "sift", MethodDescription = "", Protocol = "", PairCount = 1, MeanMatches = 4, MeanMatchMilliseconds = 1,
            Thresholds = [1.0, 2.0, 5.0], FractionWithin = [0.5, 0.75, 0.75], EvaluatedCount = 4, MedianError = 1.25,
            Pairs = [new StereoPairReport("a b", 4, 4, [0.5, 0.75, 0.75], 1.25, 1) { Errors = [0.2, 0.7, 1.8, 9] }],
        };
        var (label, max, curves) = ErrorCurvePlot.FromReports([report]);
        Assert.Equal(5.0, max);
        Assert.Contains("[px]", label);
        Assert.Equal(0.5, curves[0].FractionAtMost(1.0));
        Assert.Equal(0.75, curves[0].FractionAtMost(5.0));
        var md = EvalTables.Markdown(new EvalReportDocument("t", [report]));
        Assert.Contains("| sift | 1 | 50.00 | 75.00 | 75.00 | 1.25 | 4 | 4.0 | 1.0 |", md);
    }
}
