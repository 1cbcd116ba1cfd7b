using ElasticVit.IO;
using System.Globalization;
using System.Text.Json.Nodes;
using ElasticVit.Spaces;

namespace ElasticVit.Latency;

/// <summary>
/// The baseline the paper argues against: latency as a linear function of FLOPs,
/// <c>MsPerMflop · FLOPs(M) + InterceptMs</c>, fitted by least squares on whole-model measurements.
/// Stored as a small JSON file (format <see cref="Format"/>).
/// </summary>
public sealed class FlopsProxyPredictor(SearchSpace space, string device, double msPerMflop, double interceptMs) : ILatencyPredictor
{
    public const string Format = "elasticvit-flops-proxy/1";

    public SearchSpace Space { get; } = space;
    public string Device { get; } = device;
    public double MsPerMflop { get; } = msPerMflop;
    public double InterceptMs { get; } = interceptMs;

    public double PredictMs(Subnet subnet) => MsPerMflop * Complexity.FlopsM(Space, subnet) + InterceptMs;

    public static FlopsProxyPredictor Fit(SearchSpace space, string device, IEnumerable<ModelMeasurement> measurements)
    {
        var m = measurements.ToArray();
        var (slope, intercept) = LeastSquares.Line(
            m.Select(x => Complexity.FlopsM(space, x.Subnet)).ToArray(), m.Select(x => x.LatencyMs).ToArray(), $"the FLOPs proxy of {device}");
        return new FlopsProxyPredictor(space, device, slope, intercept);
    }

    public void Save(string path) => AtomicFile.WriteAllText(path, new JsonObject
    {
        ["format"] = Format,
        ["device"] = Device,
        ["space"] = Space.Name,
        ["ms_per_mflop"] = MsPerMflop,
        ["intercept_ms"] = InterceptMs,
    }.ToJsonString(new() { WriteIndented = true }) + "\n");

    /// <summary>Loads a proxy saved by <see cref="Save"/>; the space is loaded by the name stored in the file.</summary>
    public static FlopsProxyPredictor Load(string path) => StrictJson.Parse(path, root =>
    {
        root.AllowOnly("format", "device", "space", "ms_per_mflop", "intercept_ms");
        var format = root.String("format");
        if (format != Format) throw root.Fail("format", $"'{format}' is not supported (expected '{Format}')");
        SearchSpace space;
        try { space = SpaceLoader.Load(root.String("space")); }
        catch (SpaceException e) { throw root.Fail("space", e.Message); }
        return new FlopsProxyPredictor(space, root.String("device"), root.Double("ms_per_mflop"), root.Double("intercept_ms"));
    });

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Device}: {MsPerMflop:G6} ms/MFLOP · FLOPs + {InterceptMs:G6} ms");
}
