using System.Text.Json.Nodes;
using ElasticVit.Latency;

namespace ElasticVit.Tests.Latency;

public sealed class LatencyTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("latency-table-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static LatencyTable Sample() => new(
        new DeviceInfo("ort-cpu-1t", "elasticvit-fmnist", "onnxruntime", 1, "1.31.1", "x86_64, 2 cores", "2025-06-01", "synthetic", Quantile: 0.1, LayerTiming.InContext),
        new Dictionary<string, LatencyEntry>
        {
            ["stem:c1-8:s1:i24"] = new(0.0123456789, 50, 0.0004),
            ["head:c96:n3:f256:o10"] = new(0.25),
        },
        OverheadMs: -0.0625, Scale: 1.1);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "table.json");
        File.WriteAllText(path, json);
        return path;
    }

    private string LoadError(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(Sample().ToJson())!.AsObject();
        edit(json);
        return Assert.Throws<LatencyException>(() => LatencyTable.Load(Write(json.ToJsonString()))).Message;
    }

    [Fact]
    public void SaveThenLoad_RoundTripsEveryField_AndLeavesNoTempFile()
    {
        var path = Path.Combine(_dir, "sub", "t.json");
        Sample().Save(path);
        Sample().Save(path); // overwrites
        var loaded = LatencyTable.Load(path);
        Assert.Equal(Sample().Device, loaded.Device);
        Assert.Equal(Sample().Entries.OrderBy(e => e.Key), loaded.Entries.OrderBy(e => e.Key));
        Assert.Equal((-0.0625, 1.1), (loaded.OverheadMs, loaded.Scale));
        Assert.Equal(path, loaded.Source);
        Assert.Equal(["t.json"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void The_calibration_subnets_timings_round_trip_and_must_match_them_row_for_row()
    {
        var table = Sample() with { CalibrationSubnets = ["min", "max"], CalibrationMs = [[0.25, 0.3], [1.5, 1.25]] };
        var path = Path.Combine(_dir, "calibrated.json");
        table.Save(path);
        var loaded = LatencyTable.Load(path);
        Assert.Equal(["min", "max"], loaded.CalibrationSubnets);
        Assert.Equal([[0.25, 0.3], [1.5, 1.25]], loaded.CalibrationMs.Select(r => r.ToArray()));

        var calibrated = JsonNode.Parse(table.ToJson())!.AsObject();
        string Error(JsonNode rows)
        {
            var json = calibrated.DeepClone().AsObject();
            json["calibration_ms"] = rows;
            return Assert.Throws<LatencyException>(() => LatencyTable.Load(Write(json.ToJsonString()))).Message;
        }
        Assert.Contains("field 'calibration_ms': has 1 rows for 2 calibration subnets", Error(new JsonArray(new JsonArray(0.5))));
        Assert.Contains("field 'calibration_ms': expected an array of arrays of positive numbers", Error(new JsonArray(new JsonArray(0.5), new JsonArray(0))));
        Assert.Contains("field 'calibration_ms': expected an array of arrays of positive numbers", Error(new JsonArray(new JsonArray(0.5), JsonValue.Create(1))));
    }

    [Fact]
    public void Load_OptionalFieldsDefault()
    {
        var table = LatencyTable.Load(Write("""
            {"format": "elasticvit-latency-table/1", "device": {"name": "phone", "space": "elasticvit-fmnist"},
             "entries": {"stem:c1-8:s1:i24": {"ms": 0.5}}}
            """));
        Assert.Equal(new DeviceInfo("phone", "elasticvit-fmnist"), table.Device);
        Assert.Equal((0.0, 1.0), (table.OverheadMs, table.Scale));
        Assert.Equal(new LatencyEntry(0.5), table.Entries["stem:c1-8:s1:i24"]);
        Assert.Empty(table.CalibrationMs);
    }

    [Fact]
    public void Load_UnknownKey_NamesFileAndField()
    {
        var m = LoadError(j => j["device"]!.AsObject()["thread"] = 4);
        Assert.Contains("table.json: field 'device.thread': unknown key", m);
        Assert.DoesNotContain('\n', m);
    }

    [Fact]
    public void Load_RejectsMissingFieldsWrongTypesAndBadValues()
    {
        Assert.Contains("field 'device.space': missing", LoadError(j => j["device"]!.AsObject().Remove("space")));
        Assert.Contains("field 'format': 'v0' is not supported", LoadError(j => j["format"] = "v0"));
        Assert.Contains("field 'overhead_ms': expected number, got string", LoadError(j => j["overhead_ms"] = "1"));
        Assert.Contains("field 'entries.stem:c1-8:s1:i24.ms': expected a finite number ≥ 0", LoadError(j => j["entries"]!["stem:c1-8:s1:i24"]!["ms"] = -1));
        Assert.Contains("field 'entries.stem:c1-8:s1:i24.runs': expected a positive integer", LoadError(j => j["entries"]!["stem:c1-8:s1:i24"]!["runs"] = 2.5));
        Assert.Contains("field 'entries': 'conv3x3' is not a layer key", LoadError(j => j["entries"]!["conv3x3"] = new JsonObject { ["ms"] = 1 }));
        Assert.Contains("field 'scale': must be positive", LoadError(j => j["scale"] = 0));
        Assert.Contains("field 'device.layer_timing': unknown layer timing 'marginal' (known: alone, in-context)", LoadError(j => j["device"]!["layer_timing"] = "marginal"));
    }

    [Fact]
    public void Load_NotJson_And_MissingFile_AreOneLineErrors()
    {
        Assert.Contains("table.json: not valid JSON", Assert.Throws<LatencyException>(() => LatencyTable.Load(Write("{ nope"))).Message);
        Assert.Contains("absent.json: not found", Assert.Throws<LatencyException>(() => LatencyTable.Load(Path.Combine(_dir, "absent.json"))).Message);
    }

    [Theory]
    [InlineData("thread CPU time, p10 of the runs inside 1.5 IQR (10 warm-up runs)", 0.1)]
    [InlineData("wall time, median of the runs inside 1.5 IQR", 0.5)]
    [InlineData("imported from a phone's CSV", null)]
    public void Tables_from_before_the_quantile_field_take_it_from_their_notes(string notes, double? quantile)
    {
        var json = JsonNode.Parse(Sample().ToJson())!.AsObject();
        json["device"]!.AsObject().Remove("quantile");
        json["device"]!["notes"] = notes;
        Assert.Equal(quantile, LatencyTable.Load(Write(json.ToJsonString())).Device.Quantile);
    }

    [Fact]
    public void A_quantile_outside_zero_to_one_is_refused()
    {
        Assert.Contains("field 'device.quantile': must be in [0, 1], got 1.5", LoadError(j => j["device"]!["quantile"] = 1.5));
        Assert.Contains("field 'device.quantile': expected a finite number ≥ 0", LoadError(j => j["device"]!["quantile"] = -0.1));
    }

    [Fact]
    public void MissingKeys_ListsRequiredKeysWithoutEntry()
    {
        var space = ElasticVit.Spaces.SpaceLoader.Load("elasticvit-fmnist");
        var missing = Sample().MissingKeys(space);
        Assert.Equal(LatencyTable.RequiredKeys(space).Count - 2, missing.Count);
        Assert.DoesNotContain("stem:c1-8:s1:i24", missing);
        Assert.Contains("stem:c1-16:s1:i24", missing);
    }
}
