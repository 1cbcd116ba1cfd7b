using System.Diagnostics;

namespace ElasticVit.Latency.Profiling;

/// <summary>What a timed run is measured with.</summary>
public enum TimingClock
{
    /// <summary>Elapsed real time.</summary>
    Wall,

    /// <summary>CPU time of the measuring thread (see <see cref="ThreadCpuClock"/>); right only when the work runs on that thread.</summary>
    ThreadCpu,
}

/// <summary>How the rounds of an interleaved measurement (<see cref="TimingProtocol.Measure(IReadOnlyList{Action}, int, Action{int, int}?)"/>) make one latency.</summary>
public enum RoundCombination
{
    /// <summary>The statistic of every round's runs taken together.</summary>
    Pooled,

    /// <summary>
    /// The statistic of each round's runs, then the lowest of them. Other tenants of a shared host only ever slow a
    /// model down, for stretches of seconds to minutes; with many short rounds spread over a minute or more, each
    /// subnet's least disturbed round is close to its latency on a quiet machine (bench/results/latency.md).
    /// </summary>
    Fastest,
}

/// <summary>
/// The summary of repeated timings: the protocol's quantile (the median by default) of the runs left after outlier
/// rejection, the interquartile range of all runs, how many runs were timed and how many were rejected as outliers.
/// A measurement in interleaved rounds adds how much the machine's speed moved meanwhile: the slowest round's
/// statistic over the fastest's, and how many rounds came within <see cref="TimingProtocol.QuietWithin"/> of the
/// fastest (all 1 for one round).
/// </summary>
public readonly record struct TimingResult(double Ms, double IqrMs, int Runs, int Rejected, double RoundSpread = 1, int Rounds = 1, int QuietRounds = 1);

/// <summary>
/// How one latency is measured: <see cref="WarmupRuns"/> untimed runs, then timed runs until there are at least
/// <see cref="MinRuns"/> of them and they took at least <see cref="MinTotalMs"/> together (at most <see cref="MaxRuns"/>);
/// runs outside [Q1 − k·IQR, Q3 + k·IQR] (k = <see cref="OutlierIqrs"/>, Tukey's fences) are dropped, and the
/// <see cref="Quantile"/> of the rest is the result: the median by default. On a machine shared with other jobs a low
/// quantile (0.1) is far more repeatable than the median, since other jobs only ever make runs slower
/// (bench/results/latency.md).
/// </summary>
public sealed record TimingProtocol
{
    public int WarmupRuns { get; init; } = 10;
    public int MinRuns { get; init; } = 50;
    public double MinTotalMs { get; init; } = 500;
    public int MaxRuns { get; init; } = 100_000;
    public double OutlierIqrs { get; init; } = 1.5;
    public double Quantile { get; init; } = 0.5;
    public TimingClock Clock { get; init; } = TimingClock.Wall;

    /// <summary>
    /// Times one run and returns its milliseconds; null (the default) reads <see cref="Clock"/>. Tests put a simulated
    /// clock here, so the fitting, calibration and validation logic is checked against latencies they know exactly.
    /// </summary>
    public Func<Action, double>? Timer { get; init; }

    /// <summary>How interleaved rounds combine (one round: no difference).</summary>
    public RoundCombination Combination { get; init; } = RoundCombination.Pooled;

    /// <summary>A round whose statistic is within 10 % of the fastest round's counts as quiet (<see cref="TimingResult.QuietRounds"/>).</summary>
    public const double QuietWithin = 1.10;

    /// <summary>
    /// How whole models are timed (and, from the command line, layers too): the clock right for the thread count, the
    /// given statistic, and the fastest of the interleaved rounds.
    /// </summary>
    public static TimingProtocol WholeModel(int threads, double quantile = 0.5) =>
        new() { Clock = ClockFor(threads), Combination = RoundCombination.Fastest, Quantile = quantile };

    /// <summary>The clock for <paramref name="threads"/> threads: thread CPU time for one thread (where supported), wall time otherwise.</summary>
    public static TimingClock ClockFor(int threads) =>
        threads == 1 && ThreadCpuClock.IsSupported ? TimingClock.ThreadCpu : TimingClock.Wall;

    public static string Describe(TimingClock clock) => clock == TimingClock.ThreadCpu ? "thread CPU time" : "wall time";

    /// <summary>"median" or e.g. "p10".</summary>
    public string StatisticName => Quantile == 0.5 ? "median" : $"p{Quantile * 100:0.#}";

    public void Validate()
    {
        if (WarmupRuns < 0) throw new LatencyException($"warm-up runs must be ≥ 0, got {WarmupRuns}");
        if (MinRuns < 1 || MaxRuns < MinRuns) throw new LatencyException($"need 1 ≤ min runs ({MinRuns}) ≤ max runs ({MaxRuns})");
        if (!(MinTotalMs >= 0) || !double.IsFinite(MinTotalMs)) throw new LatencyException($"the minimum total time must be ≥ 0 ms, got {MinTotalMs}");
        if (!(OutlierIqrs > 0)) throw new LatencyException($"the outlier fence must be > 0 IQRs, got {OutlierIqrs}");
        if (!(Quantile is >= 0 and <= 1)) throw new LatencyException($"the quantile must be in [0, 1], got {Quantile}");
        if (Timer is null && Clock == TimingClock.ThreadCpu && !ThreadCpuClock.IsSupported)
            throw new LatencyException("the thread CPU clock is not available on this system; measure wall time");
    }

    /// <summary>Times <paramref name="run"/> with this protocol.</summary>
    public TimingResult Measure(Action run) => Measure([run])[0];

    /// <summary>
    /// Times several workloads in <paramref name="passes"/> interleaved rounds (each round gives every workload its warm-up
    /// and a 1/passes share of the runs and time), so slow changes of the machine's speed affect them alike; the rounds
    /// are combined as <see cref="Combination"/> says.
    /// </summary>
    public TimingResult[] Measure(IReadOnlyList<Action> runs, int passes = 1, Action<int, int>? progress = null) =>
        MeasureRounds(runs, passes, progress).Select(Combine).ToArray();

    /// <summary>The raw timings of <see cref="Measure(IReadOnlyList{Action}, int, Action{int, int}?)"/>: [workload][round][run], in ms.</summary>
    public double[][][] MeasureRounds(IReadOnlyList<Action> runs, int passes, Action<int, int>? progress = null)
    {
        Validate();
        if (passes < 1) throw new LatencyException($"passes must be ≥ 1, got {passes}");
        var samples = runs.Select(_ => Enumerable.Range(0, passes).Select(_ => new List<double>()).ToArray()).ToArray();
        int minRuns = (MinRuns + passes - 1) / passes, maxRuns = Math.Max(minRuns, MaxRuns / passes);
        var done = 0;
        for (var pass = 0; pass < passes; pass++)
            for (var i = 0; i < runs.Count; i++)
            {
                Sample(runs[i], minRuns, MinTotalMs / passes, maxRuns, samples[i][pass]);
                progress?.Invoke(++done, passes * runs.Count);
            }
        return samples.Select(w => w.Select(r => r.ToArray()).ToArray()).ToArray();
    }

    /// <summary>
    /// One workload's rounds as one result: runs, rejected runs and IQR always of all runs together; the latency as
    /// <see cref="Combination"/> says (<see cref="RoundCombination.Fastest"/>: the lowest per-round statistic); round spread
    /// and quiet rounds from the per-round statistics.
    /// </summary>
    public TimingResult Combine(double[][] rounds)
    {
        var all = Summarise(rounds.SelectMany(r => r).ToArray(), OutlierIqrs, Quantile);
        if (rounds.Length == 1) return all;
        var perRound = rounds.Select(r => Summarise(r, OutlierIqrs, Quantile).Ms).ToArray();
        var fastest = perRound.Min();
        return all with
        {
            Ms = Combination == RoundCombination.Fastest ? fastest : all.Ms,
            RoundSpread = perRound.Max() / fastest,
            Rounds = rounds.Length,
            QuietRounds = perRound.Count(m => m <= fastest * QuietWithin),
        };
    }

    private void Sample(Action run, int minRuns, double minTotalMs, int maxRuns, List<double> samples)
    {
        for (var i = 0; i < WarmupRuns; i++) run();
        var (count, total) = (0, 0.0);
        while (count < maxRuns && (count < minRuns || total < minTotalMs))
        {
            var ms = Timer?.Invoke(run) ?? (Clock == TimingClock.ThreadCpu ? TimeCpu(run) : TimeWall(run));
            samples.Add(ms);
            (count, total) = (count + 1, total + ms);
        }
    }

    private static double TimeWall(Action run)
    {
        var start = Stopwatch.GetTimestamp();
        run();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static double TimeCpu(Action run)
    {
        var start = ThreadCpuClock.NowMs();
        run();
        return ThreadCpuClock.NowMs() - start;
    }

    /// <summary>
    /// The <paramref name="quantile"/> (default: median) of the samples inside Tukey's fences (<paramref name="fenceIqrs"/>
    /// IQRs beyond the quartiles) and the IQR of all samples.
    /// </summary>
    public static TimingResult Summarise(IReadOnlyList<double> samplesMs, double fenceIqrs = 1.5, double quantile = 0.5)
    {
        if (samplesMs.Count == 0) throw new LatencyException("no timed runs to summarise");
        var sorted = samplesMs.Order().ToArray();
        double q1 = Statistics.QuantileOfSorted(sorted, 0.25), q3 = Statistics.QuantileOfSorted(sorted, 0.75), iqr = q3 - q1;
        var kept = sorted.Where(x => x >= q1 - fenceIqrs * iqr && x <= q3 + fenceIqrs * iqr).ToArray();
        return new TimingResult(Statistics.QuantileOfSorted(kept, quantile), iqr, sorted.Length, sorted.Length - kept.Length);
    }
}
