using ScottPlot;

namespace ElasticVit.Cli.Reporting;

/// <summary>Small wrappers around ScottPlot for the report's PNG charts.</summary>
public static class Charts
{
    public const int Width = 900;
    public const int Height = 520;

    public static Plot New(string title, string x, string y)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    public static void Line(Plot plot, IReadOnlyList<double> xs, IReadOnlyList<double> ys, string label)
    {
        var s = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
        s.MarkerSize = 0;
        s.LineWidth = 1.5f;
        s.LegendText = label;
    }

    public static void Points(Plot plot, IReadOnlyList<double> xs, IReadOnlyList<double> ys, string label, float size = 5, MarkerShape shape = MarkerShape.FilledCircle)
    {
        if (xs.Count == 0) return;
        var s = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
        s.LineWidth = 0;
        s.MarkerSize = size;
        s.MarkerShape = shape;
        s.LegendText = label;
    }

    public static void Save(Plot plot, string path)
    {
        plot.ShowLegend();
        ElasticVit.IO.AtomicFile.WriteAllBytes(path, plot.GetImageBytes(Width, Height, ImageFormat.Png));
    }

    /// <summary>Trailing moving average (window w) for noisy per-step curves.</summary>
    public static double[] Smooth(IReadOnlyList<double> v, int w)
    {
        var result = new double[v.Count];
        double sum = 0;
        for (var i = 0; i < v.Count; i++)
        {
            sum += v[i];
            if (i >= w) sum -= v[i - w];
            result[i] = sum / Math.Min(i + 1, w);
        }
        return result;
    }
}
