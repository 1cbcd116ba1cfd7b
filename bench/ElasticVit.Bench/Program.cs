namespace ElasticVit.Bench;

/// <summary>Benchmarks, one per first argument. Add a case and a *Bench.cs file for a new one.</summary>
public static class Program
{
    public static int Main(string[] args) => args.FirstOrDefault() switch
    {
        "export-latency" => ExportLatencyBench.Run(args[1..]),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: ElasticVit.Bench <benchmark> [options]");
        Console.Error.WriteLine("  export-latency [--budget-ms 2000] [--models fmnist:min,...] [--batches 1,32] [--threads 1,2]");
        Console.Error.WriteLine("                 ONNX Runtime vs TorchSharp inference latency of exported subnets");
        return 2;
    }
}
