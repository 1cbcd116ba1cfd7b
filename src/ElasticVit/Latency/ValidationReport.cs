using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ElasticVit.Latency;

/// <summary>
/// How well a predictor matches measured latencies: shares of predictions within ±10% and ±5% of the measured value
/// (fractions in [0, 1]; nn-Meter's headline metric is <see cref="Within10"/>), root-mean-square error in ms, mean
/// absolute percentage error and mean signed percentage error (<see cref="BiasPercent"/>: positive when the predictor
/// predicts too high on average, as a table calibrated while the machine ran slower does), and Spearman's rank
/// correlation (null when a side is constant).
/// </summary>
public sealed record ValidationReport(
    [property: JsonPropertyName("predictor")] string Predictor,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("within10")] double Within10,
    [property: JsonPropertyName("within5")] double Within5,
    [property: JsonPropertyName("rmse_ms")] double RmseMs,
    [property: JsonPropertyName("mape")] double MapePercent,
    [property: JsonPropertyName("bias")] double BiasPercent,
    [property: JsonPropertyName("spearman")] double? Spearman)
{
    public static ValidationReport Compute(string predictor, IReadOnlyList<double> predictedMs, IReadOnlyList<double> measuredMs)
    {
        LatencyMetrics.CheckPairs(predictedMs, measuredMs);
        return new ValidationReport(predictor, predictedMs.Count,
            LatencyMetrics.WithinShare(predictedMs, measuredMs, 0.10),
            LatencyMetrics.WithinShare(predictedMs, measuredMs, 0.05),
            LatencyMetrics.RmseMs(predictedMs, measuredMs),
            LatencyMetrics.MapePercent(predictedMs, measuredMs),
            LatencyMetrics.BiasPercent(predictedMs, measuredMs),
            LatencyMetrics.Spearman(predictedMs, measuredMs));
    }

    /// <summary>Predicts every measured subnet with <paramref name="predictor"/> and compares.</summary>
    public static ValidationReport Of(string name, ILatencyPredictor predictor, IReadOnlyList<ModelMeasurement> measured) =>
        Compute(name, measured.Select(m => predictor.PredictMs(m.Subnet)).ToArray(), measured.Select(m => m.LatencyMs).ToArray());

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>
    /// One JSON object with a report per predictor, <c>{"lut": {"within10": …}, "flops": {…}}</c>, and with
    /// <paramref name="agreement"/> how steady the machine was: <c>"measurement": {"round_spread_median": …}</c>.
    /// </summary>
    public static string ToJson(IEnumerable<ValidationReport> reports, RoundAgreement? agreement = null, string? verdict = null, bool? flopsBeatsTable = null,
        double? calibrationLevel = null)
    {
        var root = new JsonObject();
        if (verdict is not null) root["verdict"] = verdict;
        if (flopsBeatsTable is not null) root["flops_beats_lut"] = flopsBeatsTable;
        if (calibrationLevel is not null) root["calibration_level"] = calibrationLevel;
        if (agreement is { } a)
            root["measurement"] = new JsonObject
            {
                ["rounds"] = a.Rounds, ["quiet_rounds_median"] = a.MedianQuietRounds,
                ["round_spread_median"] = a.MedianSpread, ["round_spread_max"] = a.WorstSpread, ["steady"] = a.Steady,
            };
        foreach (var r in reports)
        {
            var node = JsonSerializer.SerializeToNode(r)!.AsObject();
            node.Remove("predictor");
            root[r.Predictor] = node;
        }
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}

/// <summary>The metrics of <see cref="ValidationReport"/> on (predicted, measured) pairs; measured values must be positive.</summary>
public static class LatencyMetrics
{
    /// <summary>Share of pairs with |predicted − measured| ≤ <paramref name="tolerance"/> · measured (boundary included).</summary>
    public static double WithinShare(IReadOnlyList<double> predicted, IReadOnlyList<double> measured, double tolerance)
    {
        CheckPairs(predicted, measured);
        var hits = 0;
        for (var i = 0; i < predicted.Count; i++)
            if (Math.Abs(predicted[i] - measured[i]) / measured[i] <= tolerance) hits++;
        return (double)hits / predicted.Count;
    }

    public static double RmseMs(IReadOnlyList<double> predicted, IReadOnlyList<double> measured)
    {
        CheckPairs(predicted, measured);
        return Math.Sqrt(predicted.Zip(measured, (p, m) => (p - m) * (p - m)).Average());
    }

    /// <summary>Mean of |predicted − measured| / measured, in percent.</summary>
    public static double MapePercent(IReadOnlyList<double> predicted, IReadOnlyList<double> measured)
    {
        CheckPairs(predicted, measured);
        return 100 * predicted.Zip(measured, (p, m) => Math.Abs(p - m) / m).Average();
    }

    /// <summary>Mean of (predicted − measured) / measured, in percent: how far too high (or, negative, too low) on average.</summary>
    public static double BiasPercent(IReadOnlyList<double> predicted, IReadOnlyList<double> measured)
    {
        CheckPairs(predicted, measured);
        return 100 * predicted.Zip(measured, (p, m) => (p - m) / m).Average();
    }

    /// <summary>Spearman's rank correlation (<see cref="Search.Spearman"/>); null if either side is constant.</summary>
    public static double? Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new LatencyException($"Spearman correlation needs equal lengths, got {a.Count} and {b.Count}");
        var rho = Search.Spearman.Of(a, b);
        return double.IsNaN(rho) ? null : rho;
    }

    internal static void CheckPairs(IReadOnlyList<double> predicted, IReadOnlyList<double> measured)
    {
        if (predicted.Count != measured.Count)
            throw new LatencyException($"{predicted.Count} predictions but {measured.Count} measurements");
        if (predicted.Count == 0) throw new LatencyException("no (predicted, measured) pairs to validate");
        if (measured.Any(m => !(m > 0 && double.IsFinite(m)))) throw new LatencyException("measured latencies must be positive and finite");
    }
}
