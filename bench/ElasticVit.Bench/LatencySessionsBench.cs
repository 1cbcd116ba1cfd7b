using ElasticVit.Latency.Profiling;
using ElasticVit.Sampling;
using ElasticVit.Spaces;

namespace ElasticVit.Bench;

/// <summary>
/// Does a subnet's measured latency depend on the session it runs in? Loads several ONNX Runtime sessions of the same
/// subnets and times all of them in interleaved rounds (ort-cpu, 1 thread, thread CPU time, median): the spread between
/// sessions of one subnet against the spread between rounds of one session.
/// </summary>
public static class LatencySessionsBench
{
    public static int Run(string[] args)
    {
        var sessions = args.Length > 0 ? int.Parse(args[0]) : 4;
        var passes = args.Length > 1 ? int.Parse(args[1]) : 3;
        var space = SpaceLoader.Load("elasticvit-fmnist");
        var rng = new Random(3);
        var subnets = new[] { space.MaxSubnet }.Concat(Enumerable.Range(0, 40).Select(_ => RandomSubnets.Draw(space, rng))
            .OrderByDescending(s => Complexity.FlopsM(space, s)).Where((_, i) => i % 10 == 0)).ToArray();
        using var backend = LatencyBackends.Create("ort-cpu", 1);
        var protocol = new TimingProtocol { Clock = TimingProtocol.ClockFor(1), MinTotalMs = 300 };
        var workloads = subnets.SelectMany(s => Enumerable.Range(0, sessions).Select(_ => backend.PrepareModel(space, s))).ToArray();
        try
        {
            // One pass at a time, so every session's median per round is visible.
            var perRound = Enumerable.Range(0, passes).Select(_ => protocol.Measure(workloads.Select(w => (Action)w.Run).ToArray())).ToArray();
            Console.WriteLine($"ort-cpu 1 thread, {sessions} sessions per subnet, {passes} rounds, median of thread CPU time (ms); load {BenchArgs.Load()}");
            Console.WriteLine("| subnet MFLOPs | per session: rounds | spread between sessions (max/min of their means) | largest spread between rounds of one session |");
            Console.WriteLine("|---|---|---|---|");
            for (var i = 0; i < subnets.Length; i++)
            {
                var rounds = Enumerable.Range(0, sessions).Select(k => perRound.Select(r => r[i * sessions + k].Ms).ToArray()).ToArray();
                var means = rounds.Select(r => r.Average()).ToArray();
                var withinSession = rounds.Max(r => r.Max() / r.Min());
                Console.WriteLine($"| {Complexity.FlopsM(space, subnets[i]):F1} | {string.Join("; ", rounds.Select(r => string.Join(" ", r.Select(v => v.ToString("F3")))))} | {means.Max() / means.Min():F3} | {withinSession:F3} |");
            }
        }
        finally
        {
            foreach (var w in workloads) w.Dispose();
        }
        return 0;
    }
}
