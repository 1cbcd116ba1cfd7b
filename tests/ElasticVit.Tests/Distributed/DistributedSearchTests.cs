using System.Text.Json.Nodes;
using ElasticVit.Tests.Data;
using ElasticVit.Tests.Search;

namespace ElasticVit.Tests.Distributed;

/// <summary>A search whose fitness evaluations are spread over the ranks of a job finds what one process finds.</summary>
[Collection(ConsoleCapture.Name)]
public sealed class DistributedSearchTests(TinyRun tiny) : IClassFixture<TinyRun>
{
    [RequiresMpiFact]
    public void Two_ranks_evaluate_the_same_subnets_with_the_same_fitness_and_pick_the_same_winners()
    {
        using var dir = new TempDir();
        string[] Args(string output) =>
        [
            "search", "--run", tiny.Path, "--budget", "flops:3", "--budget", "params:0.08", "--population", "8", "--generations", "2",
            "--fitness-images", "5", "--calibration-batches", "2", "--threads", "1", "--seed", "4", "--out", output,
        ];
        var (code, _, error) = ConsoleCapture.Run(Args(dir.File("one.json")));
        Assert.True(code == 0, error);
        var job = MpiJob.Run(2, Args(dir.File("two.json")));
        Assert.True(job.ExitCode == 0, $"mpirun exited {job.ExitCode}: {job.Error}");

        var (one, two) = (JsonNode.Parse(File.ReadAllText(dir.File("one.json")))!, JsonNode.Parse(File.ReadAllText(dir.File("two.json")))!);
        Assert.Equal(1, (int)one["totals"]!["ranks"]!);
        Assert.Equal(2, (int)two["totals"]!["ranks"]!);
        static string[] Evaluated(JsonNode report) => report["evaluated"]!.AsArray().Select(e => $"{e!["key"]} {(double)e["fitness"]!:R}").ToArray();
        Assert.True(Evaluated(one).Length > 8);
        Assert.Equal(Evaluated(one), Evaluated(two));
        static string[] Winners(JsonNode report) => report["alternatives"]!.AsArray().Select(a => $"{a!["winner"]!["key"]} {a["winner"]!["test_top1"]}").ToArray();
        Assert.Equal(Winners(one), Winners(two));
    }
}
