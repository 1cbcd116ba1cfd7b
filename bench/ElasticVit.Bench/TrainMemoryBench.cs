using System.Diagnostics;
using ElasticVit.Data;
using ElasticVit.Training;
using TorchSharp;

namespace ElasticVit.Bench;

/// <summary>Live tensor count and process memory during a long cas-pas training run: both must stay flat.</summary>
public static class TrainMemoryBench
{
    public static int Run(string[] args)
    {
        var steps = args.Length > 0 ? int.Parse(args[0]) : 1000;
        var batch = args.Length > 1 ? int.Parse(args[1]) : 4;
        var dir = Directory.CreateTempSubdirectory("evit-membench-").FullName;
        try
        {
            var options = new TrainOptions
            {
                Sampler = "cas-pas", Steps = steps, BatchSize = batch, Threads = 1, CheckpointEvery = steps, ProbeEvery = 50,
                TrainLimit = 20_000, Dataset = DatasetKind.FashionMnist,
            };
            using var trainer = new Trainer(options, new RunDirectory(dir), resume: false);
            Console.WriteLine($"cas-pas, {steps} steps of batch {batch}, 1 thread, gradient probe every 50 steps; load {BenchArgs.Load()}");
            Console.WriteLine("| step | live tensors | RSS (MB) | managed heap (MB) |");
            Console.WriteLine("|---|---|---|---|");
            var process = Process.GetCurrentProcess();
            trainer.Run(p =>
            {
                if (p.Step % (steps / 10) != 0 && p.Step != 1) return;
                process.Refresh();
                Console.WriteLine($"| {p.Step} | {DisposeScopeManager.Statistics.ThreadTotalLiveCount} | {process.WorkingSet64 / 1e6:F0} | {GC.GetTotalMemory(false) / 1e6:F0} |");
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }
}
