using ElasticVit.Latency;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Latency;

/// <summary>Synthetic tables and subnets shared by the latency tests.</summary>
internal static class LatencyTestData
{
    public static readonly SearchSpace Fmnist = SpaceLoader.Load("elasticvit-fmnist");

    /// <summary><paramref name="table"/> after saving it to a temporary file and loading it back.</summary>
    public static LatencyTable SavedAndLoaded(LatencyTable table)
    {
        var path = Path.GetTempFileName();
        try
        {
            table.Save(path);
            return LatencyTable.Load(path);
        }
        finally { File.Delete(path); }
    }

    /// <summary>A table with a random latency in [0.01, 1.01) ms for every required layer of <paramref name="space"/>.</summary>
    public static LatencyTable RandomTable(SearchSpace space, int seed, double overheadMs = 0, double scale = 1)
    {
        var rng = new Random(seed);
        var entries = LatencyTable.RequiredKeys(space).ToDictionary(k => k, _ => new LatencyEntry(0.01 + rng.NextDouble()));
        return new LatencyTable(new DeviceInfo("synthetic", space.Name), entries, overheadMs, scale);
    }

    public static Subnet[] RandomSubnets(SearchSpace space, int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => ElasticVit.Sampling.RandomSubnets.Draw(space, rng)).ToArray();
    }

    /// <summary>The sum of the table entries of the subnet's layers, in forward order.</summary>
    public static double EntrySum(LatencyTable table, SearchSpace space, Subnet subnet) =>
        LayerPlan.Of(space, subnet).Aggregate(0.0, (sum, layer) => sum + table.Entries[layer.Key].Ms);
}
