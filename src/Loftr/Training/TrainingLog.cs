using System.Globalization;

namespace Loftr.Training;

/// <summary>One optimizer step as logged in <c>train_log.csv</c>.</summary>
/// <param name="Step">Global step (0-based) of the update.</param>
/// <param name="Epoch">Epoch of the step.</param>
/// <param name="LearningRate">Learning rate used.</param>
/// <param name="Loss">Total loss.</param>
/// <param name="LossCoarse">Coarse loss.</param>
/// <param name="LossFine">Fine loss.</param>
/// <param name="GradNorm">Gradient norm before clipping.</param>
/// <param name="GroundTruthMatches">Number of coarse ground-truth matches in the batch.</param>
/// <param name="PredictedMatches">Number of predicted coarse matches in the batch.</param>
/// <param name="Seconds">Wall time of the step.</param>
public sealed record TrainRecord(long Step, long Epoch, double LearningRate, double Loss, double LossCoarse, double LossFine,
    double GradNorm, long GroundTruthMatches, long PredictedMatches, double Seconds);

/// <summary>One validation as logged in <c>val_log.csv</c>.</summary>
/// <param name="Step">Steps done before the validation.</param>
/// <param name="Loss">Mean total loss over the validation pairs.</param>
/// <param name="LossCoarse">Mean coarse loss.</param>
/// <param name="LossFine">Mean fine loss (batches without a supervisable window count as 1, as the reference).</param>
/// <param name="Precision">Fraction of predicted matches within 3 pixels of the ground truth (of image 1).</param>
/// <param name="MatchesPerPair">Mean number of predicted matches per pair.</param>
public sealed record ValidationRecord(long Step, double Loss, double LossCoarse, double LossFine, double Precision, double MatchesPerPair);

/// <summary>Appends training and validation records to CSV files; on resume, drops rows beyond the resumed step.</summary>
public sealed class TrainingLog
{
    private const string TrainHeader = "step,epoch,lr,loss,loss_c,loss_f,grad_norm,n_gt,n_pred,seconds";
    private const string ValHeader = "step,val_loss,val_loss_c,val_loss_f,val_precision_3px,val_matches_per_pair";

    /// <summary>Opens (or creates) the logs in <paramref name="directory"/>, keeping rows with step &lt; <paramref name="firstStep"/>.</summary>
    public TrainingLog(string directory, long firstStep)
    {
        TrainPath = Path.Combine(directory, "train_log.csv");
        ValidationPath = Path.Combine(directory, "val_log.csv");
        Train = Truncate(TrainPath, TrainHeader, firstStep, false).Select(ParseTrain).ToList();
        Validation = Truncate(ValidationPath, ValHeader, firstStep, true).Select(ParseVal).ToList();
    }

    /// <summary>The training CSV file.</summary>
    public string TrainPath { get; }
    /// <summary>The validation CSV file.</summary>
    public string ValidationPath { get; }
    /// <summary>All training records (including those of earlier runs that were resumed).</summary>
    public List<TrainRecord> Train { get; }
    /// <summary>All validation records.</summary>
    public List<ValidationRecord> Validation { get; }

    /// <summary>Appends a training record.</summary>
    public void Add(TrainRecord r)
    {
        Train.Add(r);
        File.AppendAllText(TrainPath, string.Join(',', r.Step, r.Epoch, F(r.LearningRate), F(r.Loss), F(r.LossCoarse), F(r.LossFine),
            F(r.GradNorm), r.GroundTruthMatches, r.PredictedMatches, F(r.Seconds)) + "\n");
    }

    /// <summary>Appends a validation record.</summary>
    public void Add(ValidationRecord r)
    {
        Validation.Add(r);
        File.AppendAllText(ValidationPath, string.Join(',', r.Step, F(r.Loss), F(r.LossCoarse), F(r.LossFine), F(r.Precision), F(r.MatchesPerPair)) + "\n");
    }

    private static string F(double v) => v.ToString("G7", CultureInfo.InvariantCulture);
    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static TrainRecord ParseTrain(string[] c) => new(long.Parse(c[0], CultureInfo.InvariantCulture), long.Parse(c[1], CultureInfo.InvariantCulture),
        D(c[2]), D(c[3]), D(c[4]), D(c[5]), D(c[6]), long.Parse(c[7], CultureInfo.InvariantCulture), long.Parse(c[8], CultureInfo.InvariantCulture), D(c[9]));

    private static ValidationRecord ParseVal(string[] c) => new(long.Parse(c[0], CultureInfo.InvariantCulture), D(c[1]), D(c[2]), D(c[3]), D(c[4]), D(c[5]));

    /// <summary>Rewrites the file with the header and the rows before <paramref name="firstStep"/> (validation rows: up to it).</summary>
    private static List<string[]> Truncate(string path, string header, long firstStep, bool inclusive)
    {
        var rows = new List<string[]>();
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var cells = line.Split(',');
                if (cells.Length != header.Split(',').Length || !long.TryParse(cells[0], CultureInfo.InvariantCulture, out long step)) continue;
                if (step < firstStep || (inclusive && step == firstStep)) rows.Add(cells);
            }
        }
        File.WriteAllLines(path, [header, .. rows.Select(r => string.Join(',', r))]);
        return rows;
    }
}
