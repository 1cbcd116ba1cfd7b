using ElasticVit.Latency;

namespace ElasticVit.Tests.Latency;

public class LatencyValidationTests
{
    [Fact]
    public void Leave_one_out_refit_recovers_a_scaled_table_and_remeasurement_rows_compare_measurements()
    {
        var space = LatencyTestData.Fmnist;
        var table = LatencyTestData.RandomTable(space, seed: 4);
        var lut = new LookupTablePredictor(table, space);
        var measured = LatencySubnets.Spread(space, 12, seed: 2)
            .Select(s => new ModelMeasurement(s, 1.5 * lut.LayerSumMs(s) + 0.2)).ToArray();
        var rows = LatencyValidation.Compare(lut, space, measured, measured);
        Assert.Equal(["lut", "lut-loo", "flops", "remeasured"], rows.Select(r => r.Report.Predictor));
        var loo = rows.Single(r => r.Report.Predictor == "lut-loo");
        Assert.All(loo.PredictedMs.Zip(measured), p => Assert.Equal(p.Second.LatencyMs, p.First, 9));
        Assert.Equal(1, rows.Single(r => r.Report.Predictor == "remeasured").Report.Within5);
        Assert.True(rows[0].Report.Within10 < 1);   // the stored table has scale 1 and no overhead
        Assert.Throws<LatencyException>(() => LatencyValidation.Compare(lut, space, measured, measured.Reverse().ToArray()));
    }

    [Fact]
    public void The_recalibrated_row_refits_the_table_on_its_calibration_subnets_timed_now_and_the_verdict_names_the_moved_level()
    {
        var space = LatencyTestData.Fmnist;
        var lut = new LookupTablePredictor(LatencyTestData.RandomTable(space, seed: 4), space);
        // The machine now runs everything 1.25 times slower than the stored table (scale 1, no overhead) says.
        ModelMeasurement[] Timed(IEnumerable<ElasticVit.Spaces.Subnet> subnets) => subnets.Select(s => new ModelMeasurement(s, 1.25 * lut.PredictMs(s))).ToArray();
        var (measured, calibration) = (Timed(LatencySubnets.Spread(space, 12, seed: 2)), Timed(LatencySubnets.Spread(space, 8, seed: 3)));
        var rows = LatencyValidation.Compare(lut, space, measured, recalibration: calibration);
        Assert.Equal(["lut", "lut-loo", "flops", "recalibrated"], rows.Select(r => r.Report.Predictor));
        Assert.All(rows.Single(r => r.Report.Predictor == "recalibrated").PredictedMs.Zip(measured), p => Assert.Equal(p.Second.LatencyMs, p.First, 6));
        Assert.Equal(-20, rows[0].Report.BiasPercent, 6);

        var verdict = LatencyValidation.Verdict(rows.Select(r => r.Report).ToArray(), calibrationLevel: 1.25);
        Assert.Contains("as stored it predicts 20.0 % too low on its calibration subnets: this machine runs slower now", verdict);
        Assert.Contains("recalibrated on its own calibration subnets timed now (100 % within ±10 %)", verdict);
        Assert.DoesNotContain("too low", LatencyValidation.Verdict(rows.Select(r => r.Report).ToArray(), calibrationLevel: 1.02));
    }

    [Fact]
    public void The_verdict_says_plainly_which_predictor_wins()
    {
        var space = LatencyTestData.Fmnist;
        var table = LatencyTestData.RandomTable(space, seed: 4);
        var lut = new LookupTablePredictor(table, space);
        var subnets = LatencySubnets.Spread(space, 12, seed: 2);
        ValidationReport[] Rows(Func<ElasticVit.Spaces.Subnet, double> ms) =>
            LatencyValidation.Compare(lut, space, subnets.Select(s => new ModelMeasurement(s, ms(s))).ToArray()).Select(r => r.Report).ToArray();

        var tableExact = Rows(lut.PredictMs);
        Assert.False(LatencyValidation.FlopsBeatsTable(tableExact));
        Assert.StartsWith("the lookup table beats the FLOPs proxy", LatencyValidation.Verdict(tableExact));

        Assert.DoesNotContain("too high", LatencyValidation.Verdict(tableExact));
        // The machine 10 % faster than at calibration: the table still ranks every subnet right, and says it drifted.
        var faster = Rows(s => lut.PredictMs(s) / 1.1);
        Assert.Equal(10, faster.Single(r => r.Predictor == "lut").BiasPercent, 9);
        Assert.Contains("predicts 10.0 % too high on average: this machine runs faster now", LatencyValidation.Verdict(faster));

        var flopsExact = Rows(s => 0.01 * ElasticVit.Spaces.Complexity.FlopsM(space, s) + 0.1);
        Assert.True(LatencyValidation.FlopsBeatsTable(flopsExact));
        Assert.StartsWith("the FLOPs proxy beats the lookup table", LatencyValidation.Verdict(flopsExact));
        Assert.Contains("its layer entries do not add up to whole models here", LatencyValidation.Verdict(flopsExact));
        // The same loss on a busy machine (1 of 16 rounds quiet) blames the timings first, not the table.
        var busy = LatencyValidation.Verdict(flopsExact, agreement: new RoundAgreement(16, 1.8, 2.4, 1));
        Assert.Contains("): the machine was busy while measuring (median subnet: 1 of 16 rounds", busy);
        Assert.DoesNotContain("do not add up", busy);
        Assert.Contains("do not add up", LatencyValidation.Verdict(flopsExact, agreement: new RoundAgreement(16, 1.1, 1.3, 12)));
    }
}
