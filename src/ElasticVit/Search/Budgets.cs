using System.Globalization;
using ElasticVit.Latency;
using ElasticVit.Spaces;

namespace ElasticVit.Search;

/// <summary>An upper limit on one cost of a subnet: FLOPs, parameters or predicted latency.</summary>
public interface IBudget
{
    /// <summary>Canonical spec, e.g. <c>flops:20</c>, <c>params:1.5</c>, <c>latency:lut.json:2</c>.</summary>
    string Name { get; }

    /// <summary>What is measured, shared by budgets on the same cost: <c>flops</c>, <c>params</c>, <c>latency:lut.json</c>.</summary>
    string Metric { get; }

    /// <summary>Unit of <see cref="Cost"/> and <see cref="Limit"/>: MFLOPs, M params or ms.</summary>
    string Unit { get; }

    double Limit { get; }
    double Cost(Subnet subnet);
    bool Allows(Subnet subnet);
}

/// <summary>FLOPs (multiply-accumulates, METHOD.md §7) in millions ≤ the limit.</summary>
public sealed class FlopsBudget(SearchSpace space, double limitM) : IBudget
{
    public string Name => $"flops:{Budget.Format(limitM)}";
    public string Metric => "flops";
    public string Unit => "MFLOPs";
    public double Limit => limitM;
    public double Cost(Subnet subnet) => Complexity.Of(space, subnet).FlopsM;
    public bool Allows(Subnet subnet) => Cost(subnet) <= Limit;
}

/// <summary>Parameters in millions ≤ the limit.</summary>
public sealed class ParamsBudget(SearchSpace space, double limitM) : IBudget
{
    public string Name => $"params:{Budget.Format(limitM)}";
    public string Metric => "params";
    public string Unit => "M params";
    public double Limit => limitM;
    public double Cost(Subnet subnet) => Complexity.Of(space, subnet).ParamsM;
    public bool Allows(Subnet subnet) => Cost(subnet) <= Limit;
}

/// <summary>Latency predicted from a lookup table (named by its file) ≤ the limit in milliseconds.</summary>
public sealed class LatencyBudget(ILatencyPredictor predictor, string lutName, double limitMs) : IBudget
{
    public ILatencyPredictor Predictor => predictor;
    public string Name => $"latency:{lutName}:{Budget.Format(limitMs)}";
    public string Metric => $"latency:{lutName}";
    public string Unit => "ms";
    public double Limit => limitMs;
    public double Cost(Subnet subnet) => predictor.PredictMs(subnet);
    public bool Allows(Subnet subnet) => Cost(subnet) <= Limit;
}

internal static class Budget
{
    public static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
