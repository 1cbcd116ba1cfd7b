namespace ElasticVit.Bench;

/// <summary>Benchmarks, one per first argument. Add a case and a *Bench.cs file for a new one.</summary>
public static class Program
{
    public static int Main(string[] args) => args.FirstOrDefault() switch
    {
        "loader" => LoaderBench.Run(args[1..]),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: ElasticVit.Bench <benchmark> [options]");
        Console.Error.WriteLine("  loader [--data DIR] [--batch 64] [--epochs 3]   background loader images/s on Fashion-MNIST");
        return 2;
    }
}
