using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;

namespace ElasticVit.Tests.Latency;

public class TimingProtocolTests
{
    [Fact]
    public void Summarise_drops_outliers_beyond_the_fences_before_the_median()
    {
        double[] samples = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 50, 60, 70];
        var r = TimingProtocol.Summarise(samples);
        // Q1 = 1.2, Q3 = 50 → upper fence 123.2 keeps everything; with a tight fence the slow runs go.
        Assert.Equal(1.4, r.Ms, 12);
        var tight = TimingProtocol.Summarise([1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 9.0]);
        Assert.Equal(1, tight.Rejected);
        Assert.Equal(1.35, tight.Ms, 12);
        Assert.Equal(9, tight.Runs);
        Assert.Equal(0.4, tight.IqrMs, 12);
    }

    [Fact]
    public void Measure_runs_warmups_then_at_least_min_runs_and_min_time()
    {
        var calls = 0;
        var r = new TimingProtocol { WarmupRuns = 2, MinRuns = 5, MinTotalMs = 0 }.Measure(() => calls++);
        Assert.Equal(5, r.Runs);
        Assert.Equal(7, calls);
        var now = 0.0;   // a simulated clock: every run takes 3 ms
        var timer = (Action run) => { var start = now; run(); return now - start; };
        var timed = new TimingProtocol { WarmupRuns = 0, MinRuns = 1, MinTotalMs = 20, Timer = timer }.Measure(() => now += 3);
        Assert.Equal((7, 3.0), (timed.Runs, timed.Ms));   // 7 × 3 ms is the first total ≥ 20 ms
    }

    [Fact]
    public void Interleaved_passes_split_the_runs_between_workloads()
    {
        var order = new List<int>();
        var results = new TimingProtocol { WarmupRuns = 0, MinRuns = 4, MinTotalMs = 0 }
            .Measure([() => order.Add(0), () => order.Add(1)], passes: 2);
        Assert.Equal([0, 0, 1, 1, 0, 0, 1, 1], order);
        Assert.All(results, r => Assert.Equal(4, r.Runs));
    }

    [Fact]
    public void Rounds_combine_pooled_or_as_the_fastest_round()
    {
        double[][] rounds = [[1.0, 1.1, 1.2], [2.0, 2.1, 2.2, 2.3], [0.50, 0.52, 0.90], [0.55, 0.56, 0.57]];
        var pooled = new TimingProtocol().Combine(rounds);
        var fastest = new TimingProtocol { Combination = RoundCombination.Fastest }.Combine(rounds);
        Assert.Equal(1.0, pooled.Ms, 12);                  // median of all 13 runs
        Assert.Equal(0.52, fastest.Ms, 12);                // the third round's median
        Assert.Equal(13, pooled.Runs);
        Assert.Equal(pooled with { Ms = fastest.Ms }, fastest);   // runs, IQR, rejections and round figures are of all rounds either way
        Assert.Equal(2.15 / 0.52, pooled.RoundSpread, 12);       // second round's median (of four runs) over the third's
        Assert.Equal((4, 2), (pooled.Rounds, pooled.QuietRounds)); // 0.52 and 0.56 are within 10 % of the fastest
        var single = new TimingProtocol { Combination = RoundCombination.Fastest }.Combine([[1.0, 2.0]]);
        Assert.Equal((1.5, 1.0, 1, 1), (single.Ms, single.RoundSpread, single.Rounds, single.QuietRounds));
    }

    [Fact]
    public void Raw_rounds_keep_every_workloads_runs_per_round()
    {
        var timings = new TimingProtocol { WarmupRuns = 0, MinRuns = 6, MinTotalMs = 0 }.MeasureRounds([() => { }, () => { }], passes: 3);
        Assert.Equal(2, timings.Length);
        Assert.All(timings, w => Assert.Equal([2, 2, 2], w.Select(r => r.Length)));
    }

    [Fact]
    public void Invalid_protocols_fail_with_a_latency_exception()
    {
        Assert.Throws<LatencyException>(() => new TimingProtocol { MinRuns = 0 }.Measure(() => { }));
        Assert.Throws<LatencyException>(() => new TimingProtocol { MinTotalMs = -1 }.Measure(() => { }));
    }
}
