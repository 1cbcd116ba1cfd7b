using System.Text.Json.Nodes;
using ScottPlot;

namespace ElasticVit.Cli.Reporting;

/// <summary>Charts of a training run from its metrics.jsonl: loss per subnet role, the FLOPs-level walk, gradient cosine.</summary>
public static class TrainingCharts
{
    public static List<JsonObject> ReadMetrics(string metricsPath) =>
        File.ReadLines(metricsPath).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    /// <summary>Writes the charts into <paramref name="dir"/> and returns (file, caption) pairs; <paramref name="inplaceDistillation"/>
    /// is the run's setting, which decides what the min subnet's loss is.</summary>
    public static List<(string File, string Caption)> Write(IReadOnlyList<JsonObject> metrics, string dir, bool inplaceDistillation)
    {
        var written = new List<(string, string)>();
        if (metrics.Count == 0) return written;
        var window = Math.Max(1, metrics.Count / 40);

        var loss = Charts.New("Training loss per subnet role (moving average)", "step", "loss");
        var roles = metrics.SelectMany(m => m["loss"]!.AsObject().Select(kv => kv.Key)).Distinct().ToArray();
        foreach (var role in roles)
        {
            var pts = metrics.Where(m => m["loss"]![role] is not null).Select(m => ((double)(long)m["step"]!, (double)m["loss"]![role]!)).ToArray();
            Charts.Line(loss, pts.Select(p => p.Item1).ToArray(), Charts.Smooth(pts.Select(p => p.Item2).ToArray(), window), role);
        }
        Charts.Save(loss, Path.Combine(dir, "training-loss.png"));
        written.Add(("training-loss.png", LossCaption(inplaceDistillation)));

        var levels = metrics.Where(m => m["level_flops_m"] is not null).Select(m => ((double)(long)m["step"]!, (double)m["level_flops_m"]!)).ToArray();
        if (levels.Length > 0)
        {
            var walk = Charts.New("FLOPs level per step (complexity-aware random walk)", "step", "level (M FLOPs)");
            Charts.Line(walk, levels.Select(p => p.Item1).ToArray(), levels.Select(p => p.Item2).ToArray(), "level");
            Charts.Save(walk, Path.Combine(dir, "level-walk.png"));
            written.Add(("level-walk.png", "The level moves by at most one step at a time and visits every level."));
        }

        var probes = metrics.Where(m => m["grad_cosine"] is JsonObject).ToArray();
        if (probes.Length > 0)
        {
            var cos = Charts.New("Gradient cosine similarity between subnets (same batch)", "step", "cosine");
            Charts.Points(cos, probes.Select(m => (double)(long)m["step"]!).ToArray(), probes.Select(m => (double)m["grad_cosine"]!["mean"]!).ToArray(), "mean over the step's subnet pairs");
            var far = probes.Where(m => m["grad_cosine"]!["min_vs_two_levels_up"] is not null).ToArray();
            Charts.Points(cos, far.Select(m => (double)(long)m["step"]!).ToArray(), far.Select(m => (double)m["grad_cosine"]!["min_vs_two_levels_up"]!).ToArray(), "level min vs a subnet two levels up", 5, MarkerShape.FilledSquare);
            Charts.Save(cos, Path.Combine(dir, "gradient-cosine.png"));
            written.Add(("gradient-cosine.png", "Gradient conflict: cosine similarity of the supernet gradients of different subnets on the same batch (higher = less conflict)."));
        }
        return written;
    }

    public static string LossCaption(bool inplaceDistillation) => "Training loss per subnet role: " + (inplaceDistillation
        ? "the level (or max/random) subnets use label-smoothed cross-entropy, the min subnet the adaptive α-divergence towards them."
        : "every subnet uses label-smoothed cross-entropy on the labels (in-place distillation off, the short-budget recipe).");
}
