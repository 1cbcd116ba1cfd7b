using System.Text.Json;
using ElasticVit.Latency;
using ElasticVit.Latency.Profiling;
using ElasticVit.Tests.Data;

namespace ElasticVit.Tests.Latency;

public class LatencyCliTests
{
    [Fact]
    public void An_interrupted_profile_continues_where_it_stopped_and_ends_with_every_key_and_an_overhead()
    {
        using var temp = new TempDir();
        var dir = temp.Path;
        var (space, lut) = (ProfilingTestData.WriteTiny(dir), Path.Combine(dir, "lut.json"));
        string[] profile = ["latency", "profile", "--space", space, "--device", "ort-cpu", "--out", lut, "--calibration", "3", .. ProfilingTestData.QuickArgs];

        var first = ProfilingTestData.Cli([.. profile, "--limit", "4"]);
        Assert.True(first.ExitCode == 0, first.Error);
        var partial = LatencyTable.Load(lut);
        Assert.Equal(4, partial.Entries.Count);
        Assert.Equal(0, partial.OverheadMs);

        var second = ProfilingTestData.Cli(profile);
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Contains($"4 already in {lut}", second.Out);
        var table = LatencyTable.Load(lut);
        var required = LatencyTable.RequiredKeys(ProfilingTestData.Tiny);
        Assert.Equal(required.Order(), table.Entries.Keys.Order());
        foreach (var (key, e) in partial.Entries)   // measured in the first round, then in the others, the fastest kept
        {
            var now = table.Entries[key];
            Assert.True(now.Ms <= e.Ms, $"{key}: {now.Ms} after {e.Ms}");
            Assert.Equal((1, LatencyProfiler.DefaultLayerRounds), (e.RoundsTimed, now.RoundsTimed));
            Assert.True(now.Runs > e.Runs);
        }
        Assert.Equal("ort-cpu-1t", table.Device.Name);
        Assert.Equal(1, table.Device.Threads);
        Assert.Contains("thread CPU time", table.Device.Notes);
        Assert.NotEqual(0, table.OverheadMs);

        var other = ProfilingTestData.Cli([.. profile[..4], "--device", "torch-cpu", "--out", lut]);
        Assert.Equal(1, other.ExitCode);
        Assert.Single(other.Error.Trim().Split('\n'));
    }

    [Fact]
    public void Predict_json_has_the_key_and_the_predicted_latency()
    {
        using var temp = new TempDir();
        var dir = temp.Path;
        var lut = Path.Combine(dir, "lut.json");
        LatencyTestData.RandomTable(LatencyTestData.Fmnist, seed: 1, overheadMs: 0.25).Save(lut);
        var (code, stdout, error) = ProfilingTestData.Cli("latency", "predict", "--lut", lut, "--space", "elasticvit-fmnist", "--arch", "mid", "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(stdout);
        var subnet = LatencyTestData.Fmnist.NamedModels["mid"];
        Assert.Equal(subnet.Key, json.RootElement.GetProperty("key").GetString());
        var expected = LatencyTestData.EntrySum(LatencyTable.Load(lut), LatencyTestData.Fmnist, subnet) + 0.25;
        Assert.Equal(expected, json.RootElement.GetProperty("latency_ms").GetDouble(), 9);
    }

    [Fact]
    public void Measure_json_has_the_key_the_latency_and_its_rounds()
    {
        using var temp = new TempDir();
        var dir = temp.Path;
        var space = ProfilingTestData.WriteTiny(dir);
        var (code, stdout, error) = ProfilingTestData.Cli(["latency", "measure", "--device", "ort-cpu", "--space", space, "--arch", ProfilingTestData.Tiny.MaxSubnet.Key, "--passes", "3", "--json", .. ProfilingTestData.QuickArgs]);
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(ProfilingTestData.Tiny.MaxSubnet.Key, json.RootElement.GetProperty("key").GetString());
        Assert.True(json.RootElement.GetProperty("latency_ms").GetDouble() > 0);
        Assert.Equal(3, json.RootElement.GetProperty("rounds").GetInt32());
        Assert.InRange(json.RootElement.GetProperty("quiet_rounds").GetInt32(), 1, 3);
        Assert.True(json.RootElement.GetProperty("runs").GetInt32() >= 3);
    }

    [Fact]
    public void Measure_of_several_subnets_times_them_in_the_same_rounds_and_lists_them_in_the_order_given()
    {
        using var temp = new TempDir();
        var space = ProfilingTestData.WriteTiny(temp.Path);
        var (max, min) = (ProfilingTestData.Tiny.MaxSubnet.Key, ProfilingTestData.Tiny.MinSubnet.Key);
        var (code, stdout, error) = ProfilingTestData.Cli(["latency", "measure", "--device", "ort-cpu", "--space", space, "--arch", max, "--arch", min, "--passes", "2", "--json", .. ProfilingTestData.QuickArgs]);
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(stdout);
        var subnets = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal([max, min], subnets.Select(s => s.GetProperty("key").GetString()));
        Assert.All(subnets, s => Assert.Equal(2, s.GetProperty("rounds").GetInt32()));
        Assert.All(subnets, s => Assert.True(s.GetProperty("latency_ms").GetDouble() > 0));
    }

    /// <summary>The tiny space written to <paramref name="dir"/> and its ort-cpu table profiled there (lut.json), with that many calibration subnets.</summary>
    private static (string Space, string Lut) ProfiledTinyTable(string dir, int calibration)
    {
        var (space, lut) = (ProfilingTestData.WriteTiny(dir), Path.Combine(dir, "lut.json"));
        var profiled = ProfilingTestData.Cli(["latency", "profile", "--space", space, "--device", "ort-cpu", "--out", lut, "--calibration", $"{calibration}", .. ProfilingTestData.QuickArgs]);
        Assert.True(profiled.ExitCode == 0, profiled.Error);
        return (space, lut);
    }

    [Fact]
    public void Validate_json_reports_every_predictor_and_the_machines_steadiness_and_writes_a_plot_next_to_the_table()
    {
        using var temp = new TempDir();
        var dir = temp.Path;
        var (space, lut) = ProfiledTinyTable(dir, calibration: 3);

        var (code, stdout, error) = ProfilingTestData.Cli(["latency", "validate", "--lut", lut, "--space", space, "--samples", "4", "--passes", "2", "--json", .. ProfilingTestData.QuickArgs]);
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(stdout);
        Assert.Contains("beats", json.RootElement.GetProperty("verdict").GetString());
        Assert.True(json.RootElement.GetProperty("flops_beats_lut").ValueKind is JsonValueKind.True or JsonValueKind.False);
        var measurement = json.RootElement.GetProperty("measurement");
        Assert.Equal(2, measurement.GetProperty("rounds").GetInt32());
        Assert.InRange(measurement.GetProperty("quiet_rounds_median").GetDouble(), 1, 2);
        Assert.True(measurement.GetProperty("round_spread_max").GetDouble() >= 1);
        Assert.True(json.RootElement.GetProperty("calibration_level").GetDouble() > 0);   // the table's 3 calibration subnets timed again
        foreach (var predictor in new[] { "lut", "lut-loo", "flops", "recalibrated" })
        {
            var r = json.RootElement.GetProperty(predictor);
            Assert.Equal(4, r.GetProperty("count").GetInt32());
            Assert.InRange(r.GetProperty("within5").GetDouble(), 0, r.GetProperty("within10").GetDouble());
            Assert.True(r.GetProperty("rmse_ms").GetDouble() >= 0 && r.GetProperty("mape").GetDouble() >= 0);
            // null when a side is constant, which four timings of a toy space can be: the format, not this machine's timings.
            Assert.True(r.GetProperty("spearman").ValueKind is JsonValueKind.Number or JsonValueKind.Null);
            Assert.Equal(JsonValueKind.Number, r.GetProperty("bias").ValueKind);
        }
        var plot = Path.Combine(dir, "lut-validation.png");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(plot)[..4]);
        Assert.Contains($"plot: {plot}", error);
    }

    [Fact]
    public void Validate_recalibrate_saves_the_table_refitted_on_the_profiles_and_its_own_timings_of_the_calibration_subnets()
    {
        using var temp = new TempDir();
        var (space, lut) = ProfiledTinyTable(temp.Path, calibration: 3);
        var before = LatencyTable.Load(lut);
        Assert.Equal(3, before.CalibrationSubnets.Count);
        Assert.All(before.CalibrationMs, row => Assert.Single(row));   // the profile keeps its timing of each

        var (code, stdout, error) = ProfilingTestData.Cli(["latency", "validate", "--lut", lut, "--space", space, "--samples", "4", "--passes", "2", "--recalibrate", "--json", .. ProfilingTestData.QuickArgs]);
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(4, json.RootElement.GetProperty("pooled").GetProperty("count").GetInt32());
        Assert.Contains("recalibrated", error);
        var after = LatencyTable.Load(lut);
        Assert.Equal(before.CalibrationSubnets, after.CalibrationSubnets);
        Assert.Equal(before.Entries.Keys.Order(), after.Entries.Keys.Order());
        Assert.All(after.CalibrationMs.Zip(before.CalibrationMs), p => Assert.Equal(p.Second[0], p.First[0], 4));   // kept, then this run's
        Assert.All(after.CalibrationMs, row => Assert.Equal(2, row.Count));
    }

    [Fact]
    public void Validate_recalibrate_on_a_table_without_calibration_subnets_is_one_error_line_before_measuring()
    {
        using var temp = new TempDir();
        var (space, lut) = ProfiledTinyTable(temp.Path, calibration: 0);
        var (code, _, error) = ProfilingTestData.Cli(["latency", "validate", "--lut", lut, "--space", space, "--samples", "4", "--recalibrate", .. ProfilingTestData.QuickArgs]);
        Assert.NotEqual(0, code);
        Assert.Contains("names no calibration subnets", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("latency", "measure", "--device", "gpu", "--space", "elasticvit-fmnist", "--arch", "min")]
    [InlineData("latency", "profile", "--device", "ort-cpu", "--space", "elasticvit-fmnist", "--out", "x.json", "--resolutions", "99")]
    [InlineData("latency", "predict", "--lut", "/nonexistent/lut.json", "--arch", "min")]
    [InlineData("latency", "import", "--csv", "/nonexistent/a.csv", "--out", "x.json")]
    public void Bad_inputs_fail_with_one_line(params string[] args)
    {
        var (code, _, error) = ProfilingTestData.Cli(args);
        Assert.NotEqual(0, code);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
