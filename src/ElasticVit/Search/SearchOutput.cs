using ElasticVit.IO;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElasticVit.Export;
using ElasticVit.Search;
using ElasticVit.Spaces;
using ElasticVit.Training;

namespace ElasticVit.Search;

/// <summary>
/// The search report file (format <see cref="Format"/>): settings; per alternative its winner (costs, fitness, held-out and
/// test top-1) and statistics; the Pareto front; and every evaluated subnet with its costs and fitness. Costs are
/// <c>flops_m</c>, <c>params_m</c> and <c>latency_ms</c> (an object keyed by lookup-table file).
/// </summary>
public static class SearchOutput
{
    public const string Format = "elasticvit-search/1";

    /// <param name="EvaluationsPerMinute">Of the whole job (all ranks under mpirun).</param>
    /// <param name="Ranks">Processes of the job that shared the evaluations.</param>
    /// <param name="Knee">How the budgets were placed, when a pilot placed them (its evaluations are in the fitness cache but not in the totals).</param>
    public sealed record Context(string Run, SearchSpace Space, EvolutionOptions Evolution, SupernetFitness Fitness, int MemoryBankSeeds, double EvaluationsPerMinute, int Ranks, KneeChoice? Knee = null);

    public static void Write(string path, SearchReport report, IReadOnlyDictionary<string, (double HeldOut, double Test)> winners, Context context, IReadOnlyList<string> plots)
    {
        var json = ToJson(report, winners, context, plots).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(json + "\n"));
    }

    public static JsonObject ToJson(SearchReport report, IReadOnlyDictionary<string, (double HeldOut, double Test)> winners, Context c, IReadOnlyList<string> plots)
    {
        var json = Body(report, winners, c, plots);
        // Only a search whose budgets a pilot placed has this part, next to the settings it belongs with.
        if (c.Knee is { } knee) json.Insert(json.IndexOf("settings") + 1, "knee_budgets", Knee(knee));
        return json;
    }

    private static JsonObject Body(SearchReport report, IReadOnlyDictionary<string, (double HeldOut, double Test)> winners, Context c, IReadOnlyList<string> plots) => new()
    {
        ["format"] = Format,
        ["run"] = c.Run,
        ["space"] = c.Space.Name,
        ["created_at"] = DateTime.UtcNow.ToString("O"),
        ["settings"] = new JsonObject
        {
            ["population"] = c.Evolution.Population,
            ["generations"] = c.Evolution.Generations,
            ["seed"] = c.Evolution.Seed,
            ["predictor"] = c.Evolution.UsePredictor,
            ["fitness_images_per_class"] = c.Fitness.Options.ImagesPerClass,
            ["fitness_images"] = c.Fitness.FitnessImages,
            ["calibration_images"] = c.Fitness.CalibrationImages,
            ["fitness_engine"] = c.Fitness.UsesOnnxRuntime ? "onnxruntime" : "torch",
            ["memory_bank_seeds"] = c.MemoryBankSeeds,
        },
        ["metrics"] = new JsonArray(report.Metrics.Select(m => (JsonNode)new JsonObject { ["name"] = m.Name, ["unit"] = m.Unit }).ToArray()),
        ["alternatives"] = new JsonArray(report.Alternatives.Select(r => (JsonNode)new JsonObject
        {
            ["budget"] = r.Budgets.Name,
            ["winner"] = Winner(r.Winner, winners[r.Winner.Key]),
            ["stats"] = Stats(r.Stats),
        }).ToArray()),
        ["totals"] = new JsonObject
        {
            ["evaluations"] = report.Evaluations,
            ["cache_hits"] = report.CacheHits,
            ["seconds"] = Math.Round(report.Elapsed.TotalSeconds, 2),
            ["evaluations_per_minute"] = Math.Round(c.EvaluationsPerMinute, 1),
            ["ranks"] = c.Ranks,
        },
        ["pareto_front"] = new JsonObject
        {
            ["metrics"] = new JsonArray(report.FrontMetrics.Select(m => (JsonNode)m).ToArray()),
            ["subnets"] = Subnets(report.ParetoFront),
        },
        ["plots"] = new JsonArray(plots.Select(p => (JsonNode)Path.GetFileName(p)).ToArray()),
        ["evaluated"] = Subnets(report.Evaluated),
    };

    private static JsonObject Knee(KneeChoice k) => new()
    {
        ["metric"] = k.Metric,
        ["unit"] = k.Unit,
        ["tolerance"] = k.Options.Tolerance,
        ["min_span"] = k.Options.MinSpan,
        ["min_cost"] = Math.Round(k.MinCost, 5),
        ["max_cost"] = Math.Round(k.MaxCost, 5),
        ["best_fitness"] = k.BestFitness,
        ["knee_cost"] = Math.Round(k.KneeCost, 5),
        ["placement"] = k.Placement == KneePlacement.FrontSteps ? "front steps" : "even",
        ["limits"] = new JsonArray(k.Limits.Select(l => (JsonNode)l).ToArray()),
        ["pilot"] = new JsonArray(k.Pilot.Select(p => (JsonNode)new JsonObject
            { ["key"] = p.Subnet.Key, ["cost"] = Math.Round(p.Cost, 5), ["fitness"] = p.Fitness }).ToArray()),
    };

    private static JsonObject Winner(EvaluatedSubnet w, (double HeldOut, double Test) accuracy)
    {
        var o = Subnet(w);
        o["heldout_top1"] = accuracy.HeldOut;
        o["test_top1"] = accuracy.Test;
        o["arch"] = SubnetJson.ToJson(w.Subnet);
        return o;
    }

    private static JsonObject Stats(SearchStats s) => new()
    {
        ["evaluations"] = s.Evaluations,
        ["cache_hits"] = s.CacheHits,
        ["rejections"] = s.Rejections,
        ["duplicates"] = s.Duplicates,
        ["seconds"] = Math.Round(s.Elapsed.TotalSeconds, 2),
        ["best_per_generation"] = new JsonArray(s.BestPerGeneration.Select(b => (JsonNode)b).ToArray()),
        ["predictor_spearman"] = Finite(s.PredictorSpearman),
        ["predictor_spearman_per_generation"] = new JsonArray(s.PredictorSpearmanPerGeneration.Select(Finite).ToArray()),
    };

    private static JsonArray Subnets(IEnumerable<EvaluatedSubnet> subnets) => new(subnets.Select(s => (JsonNode)Subnet(s)).ToArray());

    /// <summary>Key, fitness (held-out top-1 on the fitness subset) and costs.</summary>
    private static JsonObject Subnet(EvaluatedSubnet s)
    {
        var latency = new JsonObject();
        foreach (var (metric, ms) in s.Costs.Where(kv => kv.Key.StartsWith("latency:", StringComparison.Ordinal)))
            latency[metric["latency:".Length..]] = Math.Round(ms, 5);
        return new JsonObject
        {
            ["key"] = s.Key,
            ["fitness"] = s.Fitness,
            ["flops_m"] = Math.Round(s.Costs["flops"], 4),
            ["params_m"] = Math.Round(s.Costs["params"], 5),
            ["latency_ms"] = latency,
        };
    }

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? Math.Round(v, 4) : null;
}
