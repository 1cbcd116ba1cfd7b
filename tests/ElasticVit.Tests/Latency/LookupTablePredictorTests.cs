using ElasticVit.Latency;
using ElasticVit.Spaces;
using static ElasticVit.Tests.Latency.LatencyTestData;

namespace ElasticVit.Tests.Latency;

public class LookupTablePredictorTests
{
    [Fact]
    public void PredictMs_IsTheScaledSumOfLayerEntriesPlusOverhead()
    {
        var table = RandomTable(Fmnist, seed: 1, overheadMs: 0.3, scale: 1.5);
        var predictor = new LookupTablePredictor(table, Fmnist);
        Assert.Equal("synthetic", predictor.Device);
        foreach (var subnet in RandomSubnets(Fmnist, 200, seed: 2))
        {
            Assert.Equal(EntrySum(table, Fmnist, subnet), predictor.LayerSumMs(subnet));
            Assert.Equal(1.5 * EntrySum(table, Fmnist, subnet) + 0.3, predictor.PredictMs(subnet));
        }
    }

    [Fact]
    public void MissingEntry_ThrowsNamingTheKeyAndTheTableFile()
    {
        var full = RandomTable(Fmnist, seed: 1);
        var subnet = Fmnist.NamedModels["mid"];
        var stem = ElasticVit.Spaces.LayerPlan.Of(Fmnist, subnet)[0].Key;
        var table = full with { Entries = full.Entries.Where(e => e.Key != stem).ToDictionary(), Source = "pixel4.json" };
        var m = Assert.Throws<LatencyException>(() => new LookupTablePredictor(table, Fmnist).PredictMs(subnet)).Message;
        Assert.Equal($"latency table pixel4.json (synthetic) has no entry for layer '{stem}' of subnet {subnet.Key}", m);
    }

    [Fact]
    public void TableOfAnotherSpace_IsRejected()
    {
        var table = RandomTable(Fmnist, seed: 1) with { Device = new DeviceInfo("x", "elasticvit-imagenet") };
        Assert.Contains("measured for space 'elasticvit-imagenet', not 'elasticvit-fmnist'",
            Assert.Throws<LatencyException>(() => new LookupTablePredictor(table, Fmnist)).Message);
    }

    [Theory]
    [InlineData(OverheadEstimate.Median, 0.5)]
    [InlineData(OverheadEstimate.Mean, 0.6)]
    public void FitOverhead_IsTheMedianOrMeanResidual(OverheadEstimate estimate, double expected)
    {
        var table = RandomTable(Fmnist, seed: 3);
        var subnets = RandomSubnets(Fmnist, 5, seed: 4);
        double[] residuals = [0.4, 0.5, 0.9, 0.2, 1.0]; // median 0.5, mean 0.6
        var calibration = subnets.Select((s, i) => new ModelMeasurement(s, EntrySum(table, Fmnist, s) + residuals[i]));
        var fitted = LatencyCalibration.FitOverhead(table, Fmnist, calibration, estimate);
        Assert.Equal(expected, fitted.OverheadMs, 12);
        Assert.Equal(1.0, fitted.Scale);
    }

    [Fact]
    public void FitScaleAndOverhead_RecoversAnExactLinearRelation()
    {
        var table = RandomTable(Fmnist, seed: 5);
        var calibration = RandomSubnets(Fmnist, 30, seed: 6).Select(s => new ModelMeasurement(s, 1.25 * EntrySum(table, Fmnist, s) + 0.75));
        var fitted = LatencyCalibration.FitScaleAndOverhead(table, Fmnist, calibration);
        Assert.Equal(1.25, fitted.Scale, 10);
        Assert.Equal(0.75, fitted.OverheadMs, 10);
    }

    [Fact]
    public void FitWithWeights_RecoversScaleWeightTermAndOverhead_AndPredictsWithThem()
    {
        var table = RandomTable(Fmnist, seed: 7);
        double Truth(Subnet s) => 1.1 * EntrySum(table, Fmnist, s) + 0.08 * Complexity.Of(Fmnist, s).ParamsM + 0.05;
        var calibration = RandomSubnets(Fmnist, 30, seed: 8).Select(s => new ModelMeasurement(s, Truth(s))).ToList();
        var fitted = LatencyCalibration.FitWithWeights(table, Fmnist, calibration);
        Assert.Equal(1.1, fitted.Scale, 8);
        Assert.Equal(0.08, fitted.MsPerMParam, 8);
        Assert.Equal(0.05, fitted.OverheadMs, 8);
        var predictor = new LookupTablePredictor(fitted, Fmnist);
        foreach (var s in RandomSubnets(Fmnist, 10, seed: 9)) Assert.Equal(Truth(s), predictor.PredictMs(s), 8);
        Assert.Equal(0.08, SavedAndLoaded(fitted).MsPerMParam, 12);   // the weight term survives a file
    }

    [Fact]
    public void FitWithWeights_FallsBackToScaleAndOverhead_WhenTheWeightTermWouldBeNegative()
    {
        var table = RandomTable(Fmnist, seed: 10);
        var calibration = RandomSubnets(Fmnist, 30, seed: 11)
            .Select(s => new ModelMeasurement(s, 1.3 * EntrySum(table, Fmnist, s) - 0.2 * Complexity.Of(Fmnist, s).ParamsM + 0.5)).ToList();
        var fitted = LatencyCalibration.FitWithWeights(table, Fmnist, calibration);
        Assert.Equal(0, fitted.MsPerMParam);
        Assert.Equal(LatencyCalibration.FitScaleAndOverhead(table, Fmnist, calibration).Scale, fitted.Scale, 12);
    }

    [Fact]
    public void FitTerms_RecoversTheFlopsTermBesideScaleWeightTermAndOverhead_AndSavesIt()
    {
        var table = RandomTable(Fmnist, seed: 12);
        double Truth(Subnet s) => 0.9 * EntrySum(table, Fmnist, s) + 0.05 * Complexity.Of(Fmnist, s).ParamsM + 0.004 * Complexity.FlopsM(Fmnist, s) + 0.02;
        var calibration = RandomSubnets(Fmnist, 30, seed: 13).Select(s => new ModelMeasurement(s, Truth(s))).ToList();
        var (fitted, description, fallback) = LatencyCalibration.Fit(table, Fmnist, calibration, CalibrationFit.Flops);
        Assert.Null(fallback);
        Assert.Contains("ms per MFLOP", description);
        Assert.Equal(0.9, fitted.Scale, 8);
        Assert.Equal(0.05, fitted.MsPerMParam, 8);
        Assert.Equal(0.004, fitted.MsPerMflop, 8);
        Assert.Equal(0.02, fitted.OverheadMs, 8);
        var predictor = new LookupTablePredictor(fitted, Fmnist);
        foreach (var s in RandomSubnets(Fmnist, 10, seed: 14)) Assert.Equal(Truth(s), predictor.PredictMs(s), 8);
        Assert.Equal(0.004, SavedAndLoaded(fitted).MsPerMflop, 12);
        // The weights-only fit cannot follow the FLOPs term: it predicts worse than the full fit on these subnets.
        var weightsOnly = new LookupTablePredictor(LatencyCalibration.FitWithWeights(table, Fmnist, calibration), Fmnist);
        Assert.True(calibration.Max(m => Math.Abs(weightsOnly.PredictMs(m.Subnet) - m.LatencyMs)) > 1e-4);
    }

    [Fact]
    public void FitTerms_DropsAFlopsTermThatWouldBeNegative_AndKeepsTheWeightTerm()
    {
        var table = RandomTable(Fmnist, seed: 15);
        var calibration = RandomSubnets(Fmnist, 30, seed: 16).Select(s => new ModelMeasurement(s,
            1.2 * EntrySum(table, Fmnist, s) + 0.06 * Complexity.Of(Fmnist, s).ParamsM - 0.003 * Complexity.FlopsM(Fmnist, s) + 0.4)).ToList();
        var fitted = LatencyCalibration.FitTerms(table, Fmnist, calibration, CostTerms.Params | CostTerms.Flops);
        Assert.Equal(0, fitted.MsPerMflop);
        Assert.True(fitted.MsPerMParam >= 0 && fitted.Scale > 0);
        var weights = LatencyCalibration.FitWithWeights(table, Fmnist, calibration);
        var flopsOnly = LatencyCalibration.FitTerms(table, Fmnist, calibration, CostTerms.Flops);
        Assert.Equal(0, flopsOnly.MsPerMflop);   // alone, the FLOPs term would be negative too
        Assert.Equal(weights.Scale, fitted.Scale, 12);
        Assert.Equal(weights.MsPerMParam, fitted.MsPerMParam, 12);
    }

    [Fact]
    public void FitTerms_RecoversTheLayerTermBesideTheOthers_AndSavesIt()
    {
        var table = RandomTable(Fmnist, seed: 17);
        double Truth(Subnet s) => 0.4 * EntrySum(table, Fmnist, s) + 0.05 * Complexity.Of(Fmnist, s).ParamsM + 0.004 * Complexity.FlopsM(Fmnist, s)
            + 0.03 * LayerPlan.Of(Fmnist, s).Count() - 0.1;
        var calibration = RandomSubnets(Fmnist, 30, seed: 18).Select(s => new ModelMeasurement(s, Truth(s))).ToList();
        var (fitted, description, fallback) = LatencyCalibration.Fit(table, Fmnist, calibration, CalibrationFit.Layers);
        Assert.Null(fallback);
        Assert.StartsWith("scale, ms per M params, ms per MFLOP, ms per layer, overhead fitted", description);
        Assert.Equal((0.4, 0.05, 0.004, 0.03, -0.1), (Math.Round(fitted.Scale, 8), Math.Round(fitted.MsPerMParam, 8), Math.Round(fitted.MsPerMflop, 8),
            Math.Round(fitted.MsPerLayer, 8), Math.Round(fitted.OverheadMs, 8)));
        var predictor = new LookupTablePredictor(SavedAndLoaded(fitted), Fmnist);
        foreach (var s in RandomSubnets(Fmnist, 10, seed: 19)) Assert.Equal(Truth(s), predictor.PredictMs(s), 8);
    }

    [Fact]
    public void FitTerms_DropsTheLayerSumWhenLayerCountAndFlopsExplainTheModels_AndTheTableStillPredicts()
    {
        // Latency that does not follow the table's entries at all (they are random): a cost per layer and per MFLOP.
        var table = RandomTable(Fmnist, seed: 20);
        double Truth(Subnet s) => 0.3 * LayerPlan.Of(Fmnist, s).Count() + 0.1 * Complexity.FlopsM(Fmnist, s) - 1.0 - 0.2 * EntrySum(table, Fmnist, s);
        var calibration = RandomSubnets(Fmnist, 30, seed: 21).Select(s => new ModelMeasurement(s, Truth(s))).ToList();
        Assert.True(calibration.All(m => m.LatencyMs > 0));
        var (fitted, description, fallback) = LatencyCalibration.Fit(table, Fmnist, calibration, CalibrationFit.Layers);
        Assert.Null(fallback);
        Assert.Equal(0, fitted.Scale);   // its least-squares weight is negative: dropped, not fitted negative
        Assert.Contains("the layer sum dropped", description);
        Assert.True(fitted.MsPerLayer > 0 && fitted.MsPerMflop > 0);
        var loaded = SavedAndLoaded(fitted);
        Assert.Equal((0.0, fitted.MsPerLayer), (loaded.Scale, loaded.MsPerLayer));
        // Fits that must keep the layer sum follow these models worse.
        double WorstError(LatencyTable t) => calibration.Max(m => Math.Abs(new LookupTablePredictor(t, Fmnist).PredictMs(m.Subnet) / m.LatencyMs - 1));
        Assert.True(WorstError(fitted) < WorstError(LatencyCalibration.Fit(table, Fmnist, calibration, CalibrationFit.Flops).Table));
    }

    [Fact]
    public void FitTerms_RecoversAScaleGrowingWithTheParameters_AndSavesIt()
    {
        // Every layer slower in a model with more weights: the scale of the layer sum grows by 0.3 per million parameters.
        var table = RandomTable(Fmnist, seed: 22);
        double Truth(Subnet s) => (0.4 + 0.3 * Complexity.Of(Fmnist, s).ParamsM) * EntrySum(table, Fmnist, s) + 0.004 * Complexity.FlopsM(Fmnist, s)
            + 0.03 * LayerPlan.Of(Fmnist, s).Count() - 0.1;
        var calibration = RandomSubnets(Fmnist, 30, seed: 23).Select(s => new ModelMeasurement(s, Truth(s))).ToList();
        var (fitted, description, fallback) = LatencyCalibration.Fit(table, Fmnist, calibration, CalibrationFit.Footprint);
        Assert.Null(fallback);
        Assert.StartsWith("scale, scale per M params, ms per MFLOP, ms per layer, overhead fitted", description);
        Assert.Equal((0.4, 0.3, 0.0, 0.004, 0.03, -0.1), (Math.Round(fitted.Scale, 8), Math.Round(fitted.ScalePerMParam, 8), Math.Round(fitted.MsPerMParam, 8),
            Math.Round(fitted.MsPerMflop, 8), Math.Round(fitted.MsPerLayer, 8), Math.Round(fitted.OverheadMs, 8)));
        var predictor = new LookupTablePredictor(SavedAndLoaded(fitted), Fmnist);
        foreach (var s in RandomSubnets(Fmnist, 10, seed: 24)) Assert.Equal(Truth(s), predictor.PredictMs(s), 8);
        // Without the term the same measurements are followed worse.
        double WorstError(LatencyTable t) => calibration.Max(m => Math.Abs(new LookupTablePredictor(t, Fmnist).PredictMs(m.Subnet) / m.LatencyMs - 1));
        Assert.True(WorstError(LatencyCalibration.Fit(table, Fmnist, calibration, CalibrationFit.Layers).Table) > 100 * WorstError(fitted));
    }

    [Fact]
    public void FitOverhead_WithoutMeasurements_Fails() =>
        Assert.Contains("needs at least one whole-model measurement",
            Assert.Throws<LatencyException>(() => LatencyCalibration.FitOverhead(RandomTable(Fmnist, 1), Fmnist, [])).Message);
}
