namespace ElasticVit.Training;

/// <summary>
/// The step count of a run trained for a wall-clock budget, taken from the run's own pace: until
/// <see cref="FreezeFraction"/> of the budget has passed, after every step the total is re-estimated as the steps done
/// plus the remaining time at the mean pace so far (everything a real step costs: probes, bank scoring); from then on
/// it is fixed, and kept in checkpoints, so a resumed run ends on the same step. Planning that late matters: a cas
/// step costs about twice as much at the highest FLOPs level as at the lowest, and the level walk starts at the lowest
/// (bench/results/quality.md), so an early pace underestimates the rest. The learning-rate schedule follows each
/// re-plan; late ones barely move it. Only the time of steps counts: checkpoints and start-up are not in the pace.
/// </summary>
public sealed class TimeBudget
{
    public const double FreezeFraction = 0.9;

    public TimeBudget(double seconds, long provisionalSteps)
    {
        if (!(seconds > 0) || !double.IsFinite(seconds)) throw new TrainingException($"a training time budget must be > 0 minutes, got {seconds / 60:G4}");
        Seconds = seconds;
        TotalSteps = Math.Max(1, provisionalSteps);
    }

    public double Seconds { get; }

    /// <summary>Seconds spent in steps so far (kept across resumes).</summary>
    public double ElapsedSeconds { get; private set; }

    public long TotalSteps { get; private set; }

    public bool Frozen { get; private set; }

    /// <summary>Records that step <paramref name="stepsDone"/> (1-based) took <paramref name="stepSeconds"/>; returns the (re-)planned total.</summary>
    public long AfterStep(long stepsDone, double stepSeconds)
    {
        ElapsedSeconds += stepSeconds;
        if (Frozen) return TotalSteps;
        var pace = ElapsedSeconds / stepsDone;
        var remaining = Math.Max(0, Seconds - ElapsedSeconds);
        Frozen = ElapsedSeconds >= FreezeFraction * Seconds;
        // Until the plan is fixed there is always one more step to pace; a budget spent already ends the run.
        TotalSteps = Math.Max(Frozen ? stepsDone : stepsDone + 1, stepsDone + (long)Math.Round(remaining / pace));
        return TotalSteps;
    }

    /// <summary>Restores the state saved with a checkpoint.</summary>
    public void Restore(double elapsedSeconds, long totalSteps, bool frozen) =>
        (ElapsedSeconds, TotalSteps, Frozen) = (elapsedSeconds, totalSteps, frozen);
}
