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
        var timed = new TimingProtocol { WarmupRuns = 0, MinRuns = 1, MinTotalMs = 20 }.Measure(() => Thread.SpinWait(2000));
        Assert.True(timed.Runs > 1 && timed.Ms > 0);
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
    public void Invalid_protocols_fail_with_a_latency_exception()
    {
        Assert.Throws<LatencyException>(() => new TimingProtocol { MinRuns = 0 }.Measure(() => { }));
        Assert.Throws<LatencyException>(() => new TimingProtocol { MinTotalMs = -1 }.Measure(() => { }));
    }
}
