using ElasticVit.Latency;
using ScottPlot;

namespace ElasticVit.Cli.Commands;

/// <summary>The predicted-vs-measured scatter plot of <c>latency validate</c>: one series per predictor, y = x and ±10% lines.</summary>
public static class ValidationPlot
{
    /// <summary>The plot of one validation of <paramref name="table"/>, titled with the space, the device and the sample size.</summary>
    public static void Write(string path, ValidationRun run, LatencyTable table, Spaces.SearchSpace space) =>
        Write(path, $"{space.Name} on {table.Device.Name}: {run.Measured.Count} subnets", run.Measured, run.Comparisons);

    public static void Write(string path, string title, IReadOnlyList<ModelMeasurement> measured, IReadOnlyList<PredictorComparison> predictors)
    {
        var plot = new Plot();
        var x = measured.Select(m => m.LatencyMs).ToArray();
        var max = x.Concat(predictors.SelectMany(p => p.PredictedMs)).Max() * 1.05;
        foreach (var (p, color) in predictors.Zip(new[] { Colors.C0, Colors.C1, Colors.C2, Colors.C3 }))
        {
            var s = plot.Add.ScatterPoints(x, p.PredictedMs.ToArray(), color);
            s.MarkerSize = 6;
            s.LegendText = $"{p.Report.Predictor}: {p.Report.Within10:P0} within ±10%, MAPE {p.Report.MapePercent:F1}%";
        }
        foreach (var (factor, pattern) in new[] { (1.0, LinePattern.Solid), (1.1, LinePattern.Dashed), (0.9, LinePattern.Dashed) })
        {
            var line = plot.Add.Line(0, 0, max, max * factor);
            (line.LineColor, line.LinePattern, line.LineWidth) = (Colors.Gray, pattern, 1);
        }
        plot.Axes.SetLimits(0, max, 0, max);
        plot.Title(title);
        plot.XLabel("measured latency (ms)");
        plot.YLabel("predicted latency (ms)");
        plot.ShowLegend(Alignment.UpperLeft);
        ElasticVit.IO.AtomicFile.WriteAllBytes(path, plot.GetImageBytes(800, 800, ImageFormat.Png));
    }
}
