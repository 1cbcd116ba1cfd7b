using System.Text.Json.Nodes;
using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using static ElasticVit.Tests.Latency.LatencyTestData;

namespace ElasticVit.Tests.Latency;

public class ValidationReportTests
{
    // Relative errors 10%, 5%, 12% and 0%; absolute errors 10, −10, 6 and 0 ms.
    private static readonly double[] Measured = [100, 200, 50, 80];
    private static readonly double[] Predicted = [110, 190, 56, 80];

    [Fact]
    public void Compute_MatchesHandComputedValues()
    {
        var r = ValidationReport.Compute("lut", Predicted, Measured);
        Assert.Equal(4, r.Count);
        Assert.Equal(0.75, r.Within10); // the ±10% boundary counts as within
        Assert.Equal(0.5, r.Within5);
        Assert.Equal(Math.Sqrt((100 + 100 + 36 + 0) / 4.0), r.RmseMs, 12);
        Assert.Equal(100 * (0.10 + 0.05 + 0.12 + 0) / 4, r.MapePercent, 12);
        Assert.Equal(100 * (0.10 - 0.05 + 0.12 + 0) / 4, r.BiasPercent, 12);
        Assert.Equal(1.0, r.Spearman!.Value, 12); // same order on both sides
    }

    [Fact]
    public void AverageRanks_GiveTiesTheMeanOfTheirRanks()
    {
        Assert.Equal([1, 2.5, 2.5, 4], ElasticVit.Search.Spearman.Ranks([10, 20, 20, 30]));
        Assert.Equal([2, 2, 2], ElasticVit.Search.Spearman.Ranks([5, 5, 5]));
        Assert.Equal([3, 1, 2], ElasticVit.Search.Spearman.Ranks([0.3, 0.1, 0.2]));
    }

    [Fact]
    public void Spearman_HandlesTiesByAverageRanks()
    {
        // ranks [1, 2.5, 2.5, 4, 5] and [1, 3, 2, 5, 4]: deviations [−2, −.5, −.5, 1, 2] and [−2, 0, −1, 2, 1]
        // → covariance sum 8.5, variance sums 9.5 and 10.
        Assert.Equal(8.5 / Math.Sqrt(9.5 * 10), LatencyMetrics.Spearman([1, 2, 2, 3, 4], [1, 3, 2, 5, 4])!.Value, 12);
        Assert.Equal(-1.0, LatencyMetrics.Spearman([1, 2, 3], [30, 20, 10])!.Value, 12);
        Assert.Null(LatencyMetrics.Spearman([1, 2, 3], [7, 7, 7]));
    }

    [Fact]
    public void Compute_RejectsMismatchedEmptyOrNonPositiveMeasurements()
    {
        Assert.Contains("2 predictions but 1 measurements", Assert.Throws<LatencyException>(() => ValidationReport.Compute("x", [1, 2], [1])).Message);
        Assert.Contains("no (predicted, measured) pairs", Assert.Throws<LatencyException>(() => ValidationReport.Compute("x", [], [])).Message);
        Assert.Contains("must be positive", Assert.Throws<LatencyException>(() => ValidationReport.Compute("x", [1], [0])).Message);
    }

    [Fact]
    public void Json_UsesTheDocumentedKeys_OnePerPredictor()
    {
        var lut = ValidationReport.Compute("lut", Predicted, Measured);
        var flops = lut with { Predictor = "flops", Spearman = null };
        var json = JsonNode.Parse(ValidationReport.ToJson([lut, flops]))!.AsObject();
        Assert.Equal(["lut", "flops"], json.Select(p => p.Key));
        Assert.Equal(["count", "within10", "within5", "rmse_ms", "mape", "bias", "spearman"], json["lut"]!.AsObject().Select(p => p.Key));
        Assert.Equal(0.75, json["lut"]!["within10"]!.GetValue<double>());
        Assert.Null(json["flops"]!["spearman"]);
        Assert.Contains("\"within5\":0.5", lut.ToJson());
    }

    [Fact]
    public void Json_CarriesHowSteadyTheMachineWas()
    {
        var subnets = RandomSubnets(Fmnist, 3, seed: 5).ToArray();
        ModelMeasurement Timed(int i, double spread, int quiet) => new(subnets[i], 1, new TimingResult(1, 0, 160, 0, spread, 16, quiet));
        var agreement = RoundAgreement.Of([Timed(0, 1.02, 16), Timed(1, 1.30, 3), Timed(2, 1.04, 12), new(subnets[0], 2)]);   // the untimed one is left out
        Assert.Equal((16, 1.04, 1.30, 12.0, true), (agreement.Rounds, agreement.MedianSpread, agreement.WorstSpread, agreement.MedianQuietRounds, agreement.Steady));
        Assert.False(RoundAgreement.Of([Timed(0, 1.5, 3), Timed(1, 1.6, 2)]).Steady);   // fewer than a quarter of the rounds quiet
        Assert.True(RoundAgreement.Of([new(subnets[0], 2)]).Steady);                    // nothing timed here: nothing to judge
        var json = JsonNode.Parse(ValidationReport.ToJson([ValidationReport.Compute("lut", Predicted, Measured)], agreement))!.AsObject();
        Assert.Equal(["measurement", "lut"], json.Select(p => p.Key));
        Assert.Equal(1.30, json["measurement"]!["round_spread_max"]!.GetValue<double>());
        Assert.Equal(12.0, json["measurement"]!["quiet_rounds_median"]!.GetValue<double>());
        Assert.True(json["measurement"]!["steady"]!.GetValue<bool>());
        Assert.Equal("median subnet: 12 of 16 rounds within 10 % of its fastest, slowest round +4.0 % (+30.0 % at worst)", agreement.Describe());
    }

    [Fact]
    public void Of_ComparesAPredictorWithMeasurements()
    {
        var table = RandomTable(Fmnist, seed: 21, overheadMs: 0.1);
        var predictor = new LookupTablePredictor(table, Fmnist);
        var measured = RandomSubnets(Fmnist, 50, seed: 22).Select(s => new ModelMeasurement(s, predictor.PredictMs(s) * 1.04)).ToArray();
        var r = ValidationReport.Of("lut", predictor, measured);
        Assert.Equal((50, 1.0, 1.0, 1.0), (r.Count, r.Within10, r.Within5, r.Spearman));
        Assert.Equal(100 * (1 - 1 / 1.04), r.MapePercent, 9);
    }
}
