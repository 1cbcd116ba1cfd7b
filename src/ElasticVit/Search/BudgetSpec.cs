using System.Globalization;
using ElasticVit.Latency;
using ElasticVit.Spaces;

namespace ElasticVit.Search;

/// <summary>Parses budget specs: <c>flops:M</c>, <c>params:M</c> (millions) and <c>latency:LUT_FILE:MS</c>.</summary>
public static class BudgetSpec
{
    public const string Syntax = "flops:MFLOPS, params:MPARAMS or latency:LUT_FILE:MS";

    /// <summary>
    /// One budget. The LUT path of a latency budget runs to the last ':' (so it may contain ':' itself);
    /// <paramref name="loadLut"/> turns it into a predictor and is called only for latency budgets.
    /// </summary>
    public static IBudget Parse(string text, SearchSpace space, Func<string, ILatencyPredictor> loadLut)
    {
        var t = text.Trim();
        var colon = t.IndexOf(':');
        if (colon < 0) throw new SearchException($"budget '{text}' must look like {Syntax}");
        var rest = t[(colon + 1)..];
        switch (t[..colon].ToLowerInvariant())
        {
            case "flops":
                return new FlopsBudget(space, Limit(text, rest, "millions of FLOPs"));
            case "params":
                return new ParamsBudget(space, Limit(text, rest, "millions of parameters"));
            case "latency":
                var last = rest.LastIndexOf(':');
                if (last <= 0) throw new SearchException($"budget '{text}': a latency budget looks like latency:LUT_FILE:MS, e.g. latency:pixel4.json:25");
                var lut = rest[..last];
                var ms = Limit(text, rest[(last + 1)..], "milliseconds");
                return new LatencyBudget(loadLut(lut), lut, ms);
            default:
                throw new SearchException($"budget '{text}': unknown kind '{t[..colon]}' (expected {Syntax})");
        }
    }

    private static double Limit(string text, string value, string unit)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v > 0) || double.IsInfinity(v))
            throw new SearchException($"budget '{text}': limit '{value}' is not a positive number of {unit}");
        return v;
    }
}
