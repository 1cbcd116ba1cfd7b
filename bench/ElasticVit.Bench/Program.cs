namespace ElasticVit.Bench;

/// <summary>Benchmarks, one per first argument: <c>dotnet run -c Release --project bench/ElasticVit.Bench -- NAME [args]</c>.</summary>
public static class Program
{
    private static readonly (string Name, string Help, Func<string[], int> Run)[] Benchmarks =
    [
        ("loader", "background loader images/s on Fashion-MNIST (args: [--data DIR] [--batch 64] [--epochs 3])", LoaderBench.Run),
        ("supernet", "elastic supernet vs extracted static model, ms per pass (args: [threads 2] [repeats 20] [SPACE:ARCH,...])", SupernetBench.Run),
        ("layer-profile", "forward/backward ms of each block of the fmnist min, mid and max subnets, GFLOP/s against a matmul (args: [threads 2] [repeats 10] [batch 64])", LayerProfileBench.Run),
        ("train-step", "time split of a 4-subnet supernet training step (args: [threads 2] [steps 10])", TrainStepBench.Run),
        ("export-latency", "ONNX Runtime vs TorchSharp inference latency of exported subnets (args: [--budget-ms 2000] [--models fmnist:min,...] [--batches 1,32] [--threads 1,2])", ExportLatencyBench.Run),
        ("train-memory", "live tensors and RSS over a long cas-pas run (args: [steps 1000] [batch 4])", TrainMemoryBench.Run),
        ("sampler-study", "evaluate the supernets of a sampler study on one fixed subnet set; tables, results.json, plot (args: OUT_DIR [--per-level 3] [--calibration-batches 16] [--threads 1] [--only RUN,RUN] [--no-eval])", SamplerStudyBench.Run),
        ("scratch-train", "inherited (BN-recalibrated) vs from-scratch test top-1 of one subnet of a supernet run (args: --run DIR (--subnet KEY | --best-at-level FLOPS_M | --baseline cnn2|mbv2) [--steps N | --seconds S] [--threads 1] [--out FILE])", ScratchTrainBench.Run),
        ("predict-speed", "latency predictions per second of the lookup-table predictor (args: [subnet count, default 10000])", LatencyPredictBench.Run),
        ("latency-sessions", "does a subnet's latency depend on its ONNX Runtime session? sessions vs rounds (args: [sessions 4] [rounds 3])", LatencySessionsBench.Run),
        ("latency-canary", "a reference subnet timed next to every subnet: do its slowdowns take the host's busy spells out of whole-model latencies? (args: TABLE [--calibration 30] [--samples 100] [--passes 16] [--repeats 2])", LatencyCanaryBench.Run),
        ("latency-repeat", "the same subnets measured again and again in one process, as validate measures them: does the process's history move its timings? (args: [--device torch-cpu] [--space elasticvit-fmnist] [--count 40] [--repeats 3] [--passes 16] [--between none|gc|trim] [--reuse] [--torch-seconds S] [--churn N])", LatencyRepeatBench.Run),
        ("latency-rounds", "pooled rounds vs the fastest round: the same timings, constants fitted and validated each way (args: TABLE [--calibration 30] [--samples 100] [--passes 3] [--repeats 3])", LatencyRoundsBench.Run),
        ("latency-fit", "leave-one-out accuracy of per-model corrections of a lookup table (args: LUT CSV [CSV...] from 'latency validate --save'; --sizes 20,30,60: the profile's fit on that many of them, judged on the rest)", LatencyFitBench.Run),
        ("latency-marginal", "every layer of an ort-cpu table timed as what it adds to a running graph (two copies minus one), written as a table without per-model constants (args: TABLE OUT [--min-ms 100] [--rounds 4])", LatencyMarginalBench.Run),
        ("stress", "native-ownership stress under constant forced GCs: searches, training, parallel export/measure loops (args: --run DIR [--searches 50] [--train-steps 500] [--loop-seconds 120] [--hazard scalars|temporaries])", StressBench.Run),
        ("quality-vs-time", "inherited vs trained alone (equal passes, equal wall-clock) vs hand-designed CNNs, test top-1 and ORT latency, for one supernet run and its search (args: --run DIR --search FILE --out FILE [--threads 2] [--skip-wall-clock] [--report-only]; resumable)", QualityVsTimeBench.Run),
        ("onnx-profile", "exported models in ONNX Runtime: wall-clock per run in interleaved rounds, then kernel time per operator type and node (args: MODEL.onnx|baseline:cnn2|baseline:mbv2 [...] [--runs 500] [--rounds 10] [--threads 1] [--no-profile])", OnnxProfileBench.Run),
        ("search", "search fitness evaluations/min on fmnist, and the default search's total time (args: [--run DIR] [--subnets 24] [--threads 2] [--budget flops:12] [--quick])", SearchBench.Run),
    ];

    public static int Main(string[] args)
    {
        var bench = Benchmarks.FirstOrDefault(b => args.Length > 0 && b.Name == args[0]);
        if (bench.Run is not null) return bench.Run(args[1..]);
        Console.Error.WriteLine(args.Length == 0 ? "usage: ElasticVit.Bench NAME [args]" : $"error: unknown benchmark '{args[0]}'");
        foreach (var b in Benchmarks) Console.Error.WriteLine($"  {b.Name,-16} {b.Help}");
        return 2;
    }
}
