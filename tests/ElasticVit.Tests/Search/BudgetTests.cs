using ElasticVit.Latency;
using ElasticVit.Search;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Search;

public class BudgetTests
{
    private static readonly SearchSpace Fmnist = TestSpaces.Fmnist;
    private static ILatencyPredictor NoLut(string path) => throw new InvalidOperationException($"no LUT expected, got {path}");

    [Fact]
    public void Parse_ReadsFlopsParamsAndLatency_WithColonsInTheLutPath()
    {
        var flops = BudgetSpec.Parse("flops:20", Fmnist, NoLut);
        Assert.IsType<FlopsBudget>(flops);
        Assert.Equal(("flops:20", "flops", 20.0), (flops.Name, flops.Metric, flops.Limit));
        Assert.Equal(Complexity.Of(Fmnist, Fmnist.MinSubnet).FlopsM, flops.Cost(Fmnist.MinSubnet));

        var parameters = BudgetSpec.Parse(" PARAMS:1.5 ", Fmnist, NoLut);
        Assert.Equal(("params:1.5", 1.5), (parameters.Name, parameters.Limit));
        Assert.Equal(Complexity.Of(Fmnist, Fmnist.MaxSubnet).ParamsM, parameters.Cost(Fmnist.MaxSubnet));

        string? loaded = null;
        var latency = BudgetSpec.Parse(@"latency:C:\luts\pixel4.json:2.5", Fmnist, path => { loaded = path; return new FakeLatency(Fmnist); });
        Assert.Equal(@"C:\luts\pixel4.json", loaded);
        Assert.Equal((@"latency:C:\luts\pixel4.json:2.5", @"latency:C:\luts\pixel4.json", "ms", 2.5), (latency.Name, latency.Metric, latency.Unit, latency.Limit));
    }

    [Theory]
    [InlineData("flops", "must look like")]
    [InlineData("flops:abc", "limit 'abc' is not a positive number")]
    [InlineData("flops:-3", "limit '-3' is not a positive number")]
    [InlineData("params:0", "limit '0' is not a positive number")]
    [InlineData("macs:20", "unknown kind 'macs'")]
    [InlineData("latency:2.0", "latency:LUT_FILE:MS")]
    [InlineData("latency:lut.json:fast", "limit 'fast' is not a positive number of milliseconds")]
    public void Parse_RejectsMalformedSpecs_WithOneLineMessages(string text, string expected)
    {
        var e = Assert.Throws<SearchException>(() => BudgetSpec.Parse(text, Fmnist, NoLut));
        Assert.Contains(expected, e.Message);
        Assert.Contains(text, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void BudgetSet_RequiresEveryBudget()
    {
        var set = BudgetSet.Parse("flops:20, params:0.3", Fmnist, NoLut);
        Assert.Equal("flops:20,params:0.3", set.Name);
        var rng = new Random(1);
        for (var i = 0; i < 200; i++)
        {
            var s = ElasticVit.Sampling.RandomSubnets.Draw(Fmnist, rng);
            var c = Complexity.Of(Fmnist, s);
            Assert.Equal(c.FlopsM <= 20 && c.ParamsM <= 0.3, set.Allows(s));
        }
        Assert.Throws<SearchException>(() => BudgetSet.Parse("flops:20,,params:1", Fmnist, NoLut));
    }

    [Fact]
    public void InfeasibleFlopsBudget_FailsFast_NamingTheSmallestAchievableValue()
    {
        var budgets = BudgetSet.Parse("flops:0.1", Fmnist, NoLut);
        var min = Complexity.Of(Fmnist, Fmnist.MinSubnet).FlopsM;
        var e = Assert.Throws<SearchException>(() => budgets.EnsureFeasible(Fmnist));
        Assert.Contains("flops:0.1", e.Message);
        Assert.Contains(min.ToString("G6", System.Globalization.CultureInfo.InvariantCulture), e.Message);
        Assert.Contains(Fmnist.MinSubnet.Key, e.Message);
    }

    [Fact]
    public void InfeasibleLatencyBudget_ReportsTheTrueMinimum_OfANonMonotonePredictor()
    {
        var lut = new FakeLatency(TestSpaces.Tiny);
        var fastest = TestSpaces.AllTiny().Min(lut.PredictMs);
        Assert.True(fastest < lut.PredictMs(TestSpaces.Tiny.MinSubnet), "the fake LUT must make the min subnet not the fastest");

        var budgets = BudgetSet.Parse("latency:fake.json:0.01", TestSpaces.Tiny, _ => lut);
        var e = Assert.Throws<SearchException>(() => budgets.EnsureFeasible(TestSpaces.Tiny));
        Assert.Contains("latency:fake.json:0.01", e.Message);
        Assert.Contains($"is {fastest.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)} ms", e.Message);
    }

    [Fact]
    public void EnsureFeasible_FindsASubnetMeetingALatencyBudgetTheMinSubnetBreaks()
    {
        var lut = new FakeLatency(TestSpaces.Tiny);
        var fastest = TestSpaces.AllTiny().Min(lut.PredictMs);
        var budgets = new BudgetSet([new LatencyBudget(lut, "fake.json", fastest + 1e-9)]);
        Assert.False(budgets.Allows(TestSpaces.Tiny.MinSubnet));
        Assert.True(budgets.Allows(budgets.EnsureFeasible(TestSpaces.Tiny)));
    }
}
