using ElasticVit.IO;
using ElasticVit.Export;
using ElasticVit.Search;
using ScottPlot;

namespace ElasticVit.Cli;

/// <summary>
/// One accuracy-versus-cost plot per metric of a search (FLOPs, parameters, each latency table): every evaluated subnet,
/// the two-objective Pareto front as a staircase, and the winners marked and labelled with their budget.
/// </summary>
public static class SearchPlots
{
    /// <summary>Writes <c>NAME-pareto-METRIC.png</c> next to <paramref name="reportPath"/> (atomically); returns the paths.</summary>
    public static IReadOnlyList<string> Write(SearchReport report, string reportPath)
    {
        var full = Path.GetFullPath(reportPath);
        var stem = Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full));
        var paths = new List<string>();
        foreach (var metric in report.Metrics)
        {
            var path = $"{stem}-pareto-{Slug(metric.Name)}.png";
            for (var n = 2; paths.Contains(path); n++) path = $"{stem}-pareto-{Slug(metric.Name)}-{n}.png";
            AtomicFile.WriteAllBytes(path, Render(report, metric));
            paths.Add(path);
        }
        return paths;
    }

    /// <summary><c>flops</c>, <c>params</c>, or <c>latency-FILE</c> for <c>latency:dir/FILE.json</c>.</summary>
    public static string Slug(string metric) =>
        metric.StartsWith("latency:", StringComparison.Ordinal) ? "latency-" + Path.GetFileNameWithoutExtension(metric["latency:".Length..]) : metric;

    public static byte[] Render(SearchReport report, CostMetric metric, int width = 900, int height = 600)
    {
        double X(EvaluatedSubnet s) => s.Costs[metric.Name];
        double Y(EvaluatedSubnet s) => 100 * s.Fitness;
        var plot = new Plot();

        var all = plot.Add.ScatterPoints(report.Evaluated.Select(X).ToArray(), report.Evaluated.Select(Y).ToArray());
        all.Color = Colors.Gray.WithAlpha(0.5);
        all.MarkerSize = 5;
        all.LegendText = $"evaluated ({report.Evaluated.Count})";

        var front = report.FrontFor(metric.Name).OrderBy(X).ToList();
        var line = plot.Add.Scatter(front.Select(X).ToArray(), front.Select(Y).ToArray());
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        line.Color = Colors.SteelBlue;
        line.LineWidth = 2;
        line.MarkerSize = 6;
        line.LegendText = $"Pareto front ({front.Count})";

        // One mark per distinct winner, labelled with every budget it wins.
        var winners = report.Alternatives.GroupBy(a => a.Winner.Key).Select(g => (Winner: g.First().Winner, Label: string.Join(" | ", g.Select(a => a.Budgets.Name)))).ToList();
        var marks = plot.Add.ScatterPoints(winners.Select(w => X(w.Winner)).ToArray(), winners.Select(w => Y(w.Winner)).ToArray());
        marks.Color = Colors.Crimson;
        marks.MarkerShape = MarkerShape.FilledDiamond;
        marks.MarkerSize = 12;
        marks.LegendText = "winners";
        var middle = report.Evaluated.Count == 0 ? 0 : (report.Evaluated.Min(X) + report.Evaluated.Max(X)) / 2;
        foreach (var (winner, text) in winners)
        {
            var label = plot.Add.Text(text, X(winner), Y(winner));
            label.LabelFontSize = 12;
            label.LabelFontColor = Colors.Crimson;
            label.LabelAlignment = X(winner) > middle ? Alignment.LowerRight : Alignment.LowerLeft;
            label.OffsetY = -8;
        }

        var name = metric.Name switch
        {
            "flops" => "FLOPs",
            "params" => "parameters",
            var m when m.StartsWith("latency:", StringComparison.Ordinal) => $"predicted latency, {Path.GetFileName(m["latency:".Length..])}",
            var m => m,
        };
        plot.Title($"Search: fitness vs {name}");
        plot.XLabel($"{name} ({metric.Unit})");
        plot.YLabel("fitness: held-out top-1 (%)");
        plot.ShowLegend(Alignment.LowerRight);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }
}
