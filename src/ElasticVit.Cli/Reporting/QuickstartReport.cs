using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElasticVit.Cli.Commands;
using ElasticVit.Training;
using ScottPlot;

namespace ElasticVit.Cli.Reporting;

/// <summary>
/// report.md and report.html (same content; PNGs side by side, readable from disk without a server) for a quickstart
/// directory: winners table, training curves, level walk, gradient cosine, accuracy vs FLOPs and latency with the Pareto
/// front and winners, predicted vs measured latency, and the commands to reproduce.
/// </summary>
public static class QuickstartReport
{
    private abstract record Block;
    private sealed record Heading(string Text) : Block;
    private sealed record Paragraph(string Text) : Block;
    private sealed record Image(string File, string Caption) : Block;
    private sealed record TableBlock(string[] Header, List<string[]> Rows) : Block;
    private sealed record Code(string Text) : Block;

    /// <summary>
    /// Writes report.md and report.html (and the charts) for the quickstart output directory <paramref name="dir"/>, from
    /// whatever stages it has finished. A directory that no quickstart wrote, or files not as the quickstart writes them,
    /// are a one-line <see cref="QuickstartException"/>, and nothing is created in a directory that is not a quickstart's.
    /// </summary>
    public static string Write(string dir)
    {
        if (!File.Exists(Path.Combine(dir, "quickstart.json")) && !File.Exists(Path.Combine(dir, "supernet", "config.json")))
            throw new QuickstartException($"{dir} is not a quickstart output directory (it has no quickstart.json and no supernet/config.json); ./elasticvit quickstart --out {dir} writes one");
        try { return WriteFrom(dir); }
        catch (Exception e) when (QuickstartException.IsDamagedFile(e))
        {
            // Every value of the report comes from the directory's files: a field missing or of the wrong kind is theirs.
            throw new QuickstartException($"{dir}: its files are not as the quickstart writes them ({QuickstartException.Describe(e)}); run the quickstart again with this --out to redo what is missing");
        }
    }

    /// <summary>Whether the run's min subnets learnt by in-place distillation (runs written before the option did).</summary>
    private static bool InplaceDistillation(JsonNode? config) =>
        config is JsonObject run && TrainOptions.FromJson((JsonObject)run.DeepClone()).InplaceDistillation;

    private static string WriteFrom(string dir)
    {
        var blocks = new List<Block> { new Heading("ElasticViT for .NET — quickstart report") };
        var plan = Read(Path.Combine(dir, "quickstart.json"));
        var resultsPath = Path.Combine(dir, "results.json");
        var results = Read(resultsPath) is { } resultsNode
            ? resultsNode as JsonArray ?? throw new QuickstartException($"{resultsPath}: expected a JSON array of winners")
            : null;
        var search = Read(Path.Combine(dir, "search.json"));
        var validation = Read(Path.Combine(dir, "latency-validation.json"));

        var summary = Read(Path.Combine(dir, "supernet", "summary.json"));
        var config = Read(Path.Combine(dir, "supernet", "config.json"));
        blocks.Add(new Paragraph($"Space {config?["space"]} on Fashion-MNIST; supernet trained with cas-pas for {plan?["minutes"]} minutes ({summary?["steps"]} steps); latency on ONNX Runtime, CPU, 1 thread. Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC."));
        if (plan?["stages"] is JsonObject stages && stages.Count > 0)
        {
            blocks.Add(new Heading("Time plan"));
            blocks.Add(new TableBlock(["stage", "planned s", "actual s"],
                stages.Select(kv => new[] { kv.Key, $"{(double)kv.Value!["planned_seconds"]!:F0}", $"{(double)kv.Value!["actual_seconds"]!:F0}" }).ToList()));
        }
        if (results is not null)
        {
            blocks.Add(new Heading("Winners (inherited weights, no retraining)"));
            blocks.Add(new TableBlock(["budget", "winner", "FLOPs (M)", "params (M)", "predicted ms", "measured ms", "held-out top-1", "test top-1 (ONNX Runtime)", "test top-1 (TorchSharp)"],
                results.Select(r => new[]
                {
                    SearchCommands.ShortBudget((string)r!["budget"]!), (string)r["key"]!, $"{(double)r["flops_m"]!:F2}", $"{(double)r["params_m"]!:F3}",
                    $"{(double)r["predicted_ms"]!:F3}", $"{(double)r["measured_ms"]!:F3}", $"{(double?)r["heldout_top1"] ?? double.NaN:P2}",
                    $"{(double)r["test_top1_onnxruntime"]!:P2}", $"{(double)r["test_top1_torchsharp"]!:P2}",
                }).ToList()));
            foreach (var note in SharedWinnerNotes(results, search)) blocks.Add(new Paragraph(note));
        }

        var metricsPath = Path.Combine(dir, "supernet", "metrics.jsonl");
        if (File.Exists(metricsPath))
        {
            blocks.Add(new Heading("Supernet training"));
            foreach (var (file, caption) in TrainingCharts.Write(TrainingCharts.ReadMetrics(metricsPath), dir, InplaceDistillation(config))) blocks.Add(new Image(file, caption));
        }

        if (search is not null)
        {
            blocks.Add(new Heading("Search"));
            var totals = search["totals"];
            blocks.Add(new Paragraph($"{totals?["evaluations"]} subnets evaluated (held-out top-1 after BN recalibration) in {totals?["seconds"]} s, {totals?["evaluations_per_minute"]} evaluations per minute."));
            if (search["knee_budgets"] is JsonObject knee) blocks.Add(new Paragraph(KneeSentence(knee)));
            foreach (var (file, caption) in AccuracyCharts(search, results, dir)) blocks.Add(new Image(file, caption));
        }

        if (validation is not null || results is not null)
        {
            blocks.Add(new Heading("Latency prediction"));
            if (validation is not null)
            {
                blocks.Add(new TableBlock(["predictor", "within ±10%", "within ±5%", "RMSE (ms)", "MAPE (%)", "bias (%)", "Spearman"],
                    validation.AsObject().Where(kv => kv.Value is JsonObject o && o["within10"] is not null).Select(kv => new[]
                    {
                        kv.Key, $"{(double)kv.Value!["within10"]!:P1}", $"{(double)kv.Value["within5"]!:P1}", $"{(double)kv.Value["rmse_ms"]!:F4}",
                        $"{(double)kv.Value["mape"]!:F2}", (double?)kv.Value["bias"] is { } bias ? $"{bias:+0.00;-0.00}" : "–", $"{(double?)kv.Value["spearman"]:F3}",
                    }).ToList()));
            }
            if (File.Exists(Path.Combine(dir, "latency-validation.png")))
                blocks.Add(new Image("latency-validation.png", "Predicted vs measured latency of random subnets: lookup table and FLOPs proxy."));
        }

        blocks.Add(new Heading("Reproduce"));
        blocks.Add(new Paragraph("The whole run, then the report alone:"));
        blocks.Add(new Code($"./elasticvit quickstart --out {dir} --minutes {plan?["minutes"]}\n./elasticvit report --out {dir}"));
        var commands = Path.Combine(dir, QuickstartCommand.CommandsFile);
        if (File.Exists(commands))
        {
            blocks.Add(new Paragraph("The commands the quickstart ran, stage by stage (each can be run on its own):"));
            blocks.Add(new Code(string.Join('\n', File.ReadAllLines(commands).Distinct())));
        }

        var md = Path.Combine(dir, "report.md");
        ElasticVit.IO.AtomicFile.WriteAllText(md, Markdown(blocks));
        ElasticVit.IO.AtomicFile.WriteAllText(Path.Combine(dir, "report.html"), Html(blocks));
        return md;
    }

    /// <summary>
    /// One sentence for each run of consecutive budgets that returned the same subnet: the larger budgets found nothing that
    /// scored higher, so the table's repeated rows are the search's answer, not a fault (results rows in budget order).
    /// With the search's output at hand, the sentence also gives the best subnet it evaluated that only the larger budgets
    /// allow, against the winner, on the same fitness images, and those images' sampling noise: whether the slower subnets
    /// are worse, or only not measurably better.
    /// </summary>
    public static IEnumerable<string> SharedWinnerNotes(JsonArray results, JsonNode? search = null)
    {
        var rows = results.Select(r => (Key: (string)r!["key"]!, Budget: (string)r["budget"]!, Predicted: (double)r["predicted_ms"]!)).ToList();
        for (var first = 0; first < rows.Count;)
        {
            var last = first;
            while (last + 1 < rows.Count && rows[last + 1].Key == rows[first].Key) last++;
            if (last > first)
            {
                var larger = string.Join(" and ", Enumerable.Range(first + 2, last - first).Select(i => $"{i}"));
                var note = FormattableString.Invariant(
                    $"Budget{(last - first > 1 ? "s" : "")} {larger} (up to {BudgetMs(rows[last].Budget):F3} ms) returned budget {first + 1}'s winner ({rows[first].Predicted:F3} ms predicted): the search found no slower subnet that scored higher on its fitness images");
                yield return note + (search is null ? "." : BestAboveBudget(search, rows[first].Key, rows[first].Budget, rows[last].Budget, last - first > 1));
            }
            first = last + 1;
        }
    }

    /// <summary>
    /// "; the best of the subnets …" — the highest-fitness evaluated subnet predicted over the first budget and within the
    /// last, its fitness against the winner's, and one standard error of an accuracy measured on the fitness images.
    /// </summary>
    private static string BestAboveBudget(JsonNode search, string winnerKey, string firstBudget, string lastBudget, bool plural)
    {
        if (LatencyTableOf(lastBudget) is not { } table) return ".";
        var (floor, limit) = (BudgetMs(firstBudget), BudgetMs(lastBudget));
        var evaluated = search["evaluated"]?.AsArray().Select(n => n!).ToList() ?? [];
        var winner = evaluated.FirstOrDefault(e => (string)e["key"]! == winnerKey);
        var images = (int?)search["settings"]?["fitness_images"];
        var allowed = evaluated
            .Select(e => (Fitness: (double)e["fitness"]!, Ms: (double?)e["latency_ms"]?[table]))
            .Where(e => e.Ms > floor && e.Ms <= limit).ToList();
        if (winner is null || images is not > 0 || allowed.Count == 0) return ".";
        var best = allowed.MaxBy(e => e.Fitness);
        var fitness = (double)winner["fitness"]!;
        var noise = Math.Sqrt(fitness * (1 - fitness) / images.Value);
        var reading = fitness - best.Fitness <= noise
            ? "within one standard error, so the slower subnets are not measurably better here"
            : "the slower subnets scored lower";
        return FormattableString.Invariant(
            $"; the best of the {allowed.Count} evaluated subnets that only the larger budget{(plural ? "s" : "")} allow{(plural ? "" : "s")} scored {best.Fitness:P2} ({best.Ms:F3} ms predicted) against the winner's {fitness:P2}, on the same {images:N0} held-out images (one standard error: ±{100 * noise:F2} points) — {reading}.");
    }

    /// <summary>Where the pilot put the budgets, in one sentence.</summary>
    public static string KneeSentence(JsonObject knee)
    {
        var unit = (string)knee["unit"]!;
        string Cost(string name) => FormattableString.Invariant($"{(double)knee[name]!:F3}");
        var limits = string.Join(", ", knee["limits"]!.AsArray().Select(l => FormattableString.Invariant($"{(double)l!:F3}")));
        var best = (double)knee["best_fitness"]!;
        var highest = knee["pilot"]!.AsArray().Max(p => (double)p!["fitness"]!);
        return $"The budgets were placed by a pilot: {knee["pilot"]!.AsArray().Count} subnets across the predicted range {Cost("min_cost")}–{Cost("max_cost")} {unit} " +
            $"scored first (into the search's cache). Their best fitness was {best:P2}{SetAside(best, highest)}, and the front came within {(double)knee["tolerance"]! * 100:0.##} " +
            $"points of it at {Cost("knee_cost")} {unit}; above it, by the pilot, a slower subnet buys little accuracy. " +
            ((string?)knee["placement"] == "front steps"
                ? $"The budgets ({limits} {unit}) sit on the pilot's front up to there, each at a subnet that beats every cheaper one, their fitness rising in about equal steps."
                : $"The budgets ({limits} {unit}) spread evenly from the min subnet's own latency, the first budget's, to there (the front had too few steps for one budget each).");
    }

    /// <summary>
    /// What the knee's best left out, for a sentence after the best (<see cref="ElasticVit.Search.KneeBudgets.Knee"/>): the pilot's highest
    /// score when it is above the best, else nothing (two subnets tied at the top, or a search.json from before the rule).
    /// </summary>
    public static string SetAside(double best, double highest) =>
        highest > best ? FormattableString.Invariant($" (the highest score, {highest:P2}, set aside: one subnet's score may be luck)") : "";

    /// <summary>The limit in ms of a "latency:TABLE:MS" budget.</summary>
    private static double BudgetMs(string budget) => double.Parse(budget[(budget.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

    /// <summary>The TABLE of a "latency:TABLE:MS" budget (it may contain ':' itself, as in <c>BudgetSpec</c>), or null for other budgets.</summary>
    private static string? LatencyTableOf(string budget)
    {
        const string kind = "latency:";
        var last = budget.LastIndexOf(':');
        return budget.StartsWith(kind, StringComparison.Ordinal) && last >= kind.Length ? budget[kind.Length..last] : null;
    }

    private static JsonNode? Read(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new QuickstartException($"{path}: not valid JSON ({e.Message})"); }
    }

    private static List<(string, string)> AccuracyCharts(JsonNode search, JsonArray? results, string dir)
    {
        var written = new List<(string, string)>();
        var evaluated = search["evaluated"]?.AsArray().Select(n => n!).ToList() ?? [];
        var front = search["pareto_front"]?["subnets"]?.AsArray().Select(n => (string)n!["key"]!).ToHashSet() ?? [];
        var winners = results?.Select(r => (string)r!["key"]!).ToHashSet() ?? [];
        var latencyLut = evaluated.FirstOrDefault()?["latency_ms"]?.AsObject().Select(kv => kv.Key).FirstOrDefault();
        foreach (var (metric, label, file) in new[] { ("flops_m", "FLOPs (M)", "accuracy-vs-flops.png"), ("latency", "predicted latency (ms, ort-cpu 1 thread)", "accuracy-vs-latency.png") })
        {
            double? Cost(JsonNode s) => metric == "flops_m" ? (double)s["flops_m"]! : latencyLut is null ? null : (double?)s["latency_ms"]?[latencyLut];
            var points = evaluated.Select(s => (S: s, C: Cost(s))).Where(p => p.C is not null).ToList();
            if (points.Count == 0) continue;
            var plot = Charts.New($"Held-out top-1 (fitness) vs {label}", label, "held-out top-1");
            Charts.Points(plot, points.Select(p => p.C!.Value).ToArray(), points.Select(p => (double)p.S["fitness"]!).ToArray(), "evaluated subnets", 4);
            var onFront = points.Where(p => front.Contains((string)p.S["key"]!)).OrderBy(p => p.C).ToList();
            Charts.Line(plot, onFront.Select(p => p.C!.Value).ToArray(), onFront.Select(p => (double)p.S["fitness"]!).ToArray(), "Pareto front");
            var won = points.Where(p => winners.Contains((string)p.S["key"]!)).ToList();
            Charts.Points(plot, won.Select(p => p.C!.Value).ToArray(), won.Select(p => (double)p.S["fitness"]!).ToArray(), "winners", 12, MarkerShape.FilledDiamond);
            Charts.Save(plot, Path.Combine(dir, file));
            written.Add((file, $"Every subnet the search evaluated, the Pareto front (higher accuracy at lower {label}) and the three winners."));
        }
        return written;
    }

    private static string Markdown(List<Block> blocks)
    {
        var sb = new StringBuilder();
        foreach (var b in blocks)
            switch (b)
            {
                case Heading h: sb.AppendLine(sb.Length == 0 ? $"# {h.Text}" : $"\n## {h.Text}").AppendLine(); break;
                case Paragraph p: sb.AppendLine(p.Text).AppendLine(); break;
                case Image i: sb.AppendLine($"![{i.Caption}]({i.File})").AppendLine().AppendLine($"*{i.Caption}*").AppendLine(); break;
                case Code c: sb.AppendLine("```").AppendLine(c.Text).AppendLine("```"); break;
                case TableBlock t:
                    sb.AppendLine("| " + string.Join(" | ", t.Header) + " |");
                    sb.AppendLine("|" + string.Concat(t.Header.Select(_ => "---|")));
                    foreach (var r in t.Rows) sb.AppendLine("| " + string.Join(" | ", r) + " |");
                    sb.AppendLine();
                    break;
            }
        return sb.ToString();
    }

    private static string Html(List<Block> blocks)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>ElasticViT quickstart report</title><style>body{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}img{max-width:100%}pre{background:#f4f4f4;padding:1em}</style></head><body>\n");
        var first = true;
        foreach (var b in blocks)
            switch (b)
            {
                case Heading h: sb.Append(first ? $"<h1>{E(h.Text)}</h1>\n" : $"<h2>{E(h.Text)}</h2>\n"); first = false; break;
                case Paragraph p: sb.Append($"<p>{E(p.Text)}</p>\n"); break;
                case Image i: sb.Append($"<figure><img src=\"{E(i.File)}\" alt=\"{E(i.Caption)}\"><figcaption>{E(i.Caption)}</figcaption></figure>\n"); break;
                case Code c: sb.Append($"<pre>{E(c.Text)}</pre>\n"); break;
                case TableBlock t:
                    sb.Append("<table><tr>").Append(string.Concat(t.Header.Select(x => $"<th>{E(x)}</th>"))).Append("</tr>\n");
                    foreach (var r in t.Rows) sb.Append("<tr>").Append(string.Concat(r.Select(x => $"<td>{E(x)}</td>"))).Append("</tr>\n");
                    sb.Append("</table>\n");
                    break;
            }
        return sb.Append("</body></html>\n").ToString();
    }
}
