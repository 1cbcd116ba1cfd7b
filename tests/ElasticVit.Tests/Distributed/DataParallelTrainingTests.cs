using System.Diagnostics;
using ElasticVit.Tests.Data;
using ElasticVit.Tests.Search;
using ElasticVit.Tests.Training;
using ElasticVit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Distributed;

/// <summary>
/// Training under Open MPI: ranks that each take a part of the batch and share one allreduced gradient train the same
/// weights as one process that takes those parts in turn (--accumulate), resume across rank counts, and stop together.
/// </summary>
[Collection(TorchRandomState.Name)]
public sealed class DataParallelTrainingTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _space, _data;

    public DataParallelTrainingTests()
    {
        _data = _dir.File("data");
        Directory.CreateDirectory(_data);
        DataFixtures.WriteFashionMnist(_data, 600, 100, 28, 28, gzip: false);
        _space = _dir.File("tiny.json");
        File.WriteAllText(_space, TestSpaces.TinyJson);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>10 cas-pas steps of a global batch of 32 on the tiny space, one thread per process.</summary>
    private string[] TrainArgs(string run, int steps = 10, int checkpointEvery = 5) =>
    [
        "train", "--space", _space, "--data", "fashion-mnist", "--data-dir", _data, "--heldout-per-class", "10",
        "--steps", $"{steps}", "--batch-size", "32", "--threads", "1", "--probe-every", "0", "--checkpoint-every", $"{checkpointEvery}", "--seed", "3", "--out", run,
    ];

    [RequiresMpiFact]
    public void Two_ranks_train_the_same_weights_as_one_process_accumulating_two_micro_batches()
    {
        var ranks = _dir.File("ranks");
        var job = MpiJob.Run(2, TrainArgs(ranks));
        Assert.True(job.ExitCode == 0, $"mpirun exited {job.ExitCode}: {job.Error}");
        Assert.Contains("Open MPI, 2 ranks", job.Out);
        var options = new RunDirectory(ranks).LoadOptions();
        Assert.Equal(1, options.Accumulate);

        var accumulated = Train("accumulated", options with { Accumulate = 2 });
        var whole = Train("whole", options);   // one batch of 32 at once: BatchNorm sees other statistics
        var distributed = Weights(ranks);
        Assert.True(MaxDifference(distributed, accumulated) <= 1e-5, $"2 ranks vs --accumulate 2: max |Δ| {MaxDifference(distributed, accumulated):G3}");
        Assert.True(MaxDifference(distributed, whole) > 1e-4, $"the comparison cannot tell runs apart: max |Δ| {MaxDifference(distributed, whole):G3}");
        // Rank 0 alone wrote the run: one metrics line per step, the summary.
        Assert.Equal(10, File.ReadAllLines(Path.Combine(ranks, "metrics.jsonl")).Length);
        Assert.True(File.Exists(Path.Combine(ranks, "summary.json")));
    }

    [RequiresMpiFact]
    public void A_run_of_one_process_resumes_on_two_ranks_with_the_same_micro_batches()
    {
        var full = Train("full", Options(accumulate: 2));
        var resumed = _dir.File("resumed");
        using (var first = new Trainer(Options(accumulate: 2), new RunDirectory(resumed), resume: false)) first.Run(stopAfterStep: 5);
        var job = MpiJob.Run(2, ["train", "--out", resumed, "--resume", "--accumulate", "1", "--threads", "1"]);
        Assert.True(job.ExitCode == 0, $"mpirun exited {job.ExitCode}: {job.Error}");
        Assert.Contains("resuming at step 5", job.Out);
        Assert.True(MaxDifference(Weights(resumed), full) <= 1e-5, $"max |Δ| {MaxDifference(Weights(resumed), full):G3}");
    }

    [RequiresMpiFact]
    public void A_killed_rank_stops_the_job_with_a_message_and_leaves_a_resumable_checkpoint()
    {
        var run = _dir.File("killed");
        var checkpoint = Path.Combine(run, "checkpoint.ckpt");
        using var job = MpiJob.Start(2, TrainArgs(run, steps: 1_000_000, checkpointEvery: 2));
        var error = job.StandardError.ReadToEndAsync();
        _ = job.StandardOutput.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!File.Exists(checkpoint) && !job.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(100);
        Assert.True(File.Exists(checkpoint), $"no checkpoint was written: {(job.HasExited ? error.Result : "timed out")}");
        var rank1 = RankProcess(run, 1);
        Assert.NotNull(rank1);
        rank1!.Kill();
        Assert.True(job.WaitForExit(TimeSpan.FromMinutes(2)), "the job went on after a rank was killed");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Matches("(?i)signal 9|killed", error.Result);   // mpirun's word on the rank
        Assert.Contains("error: the job was stopped during step", error.Result);   // rank 0's: where the run stands
        Assert.Contains("--resume", error.Result);

        // Resumed by one process from rank 0's last checkpoint.
        var options = new RunDirectory(run).LoadOptions() with { Accumulate = 2 };
        using var trainer = new Trainer(options, new RunDirectory(run), resume: true);
        var step = trainer.Step;
        Assert.True(step >= 2 && step % 2 == 0, $"resumed at step {step}");
        trainer.Run(stopAfterStep: step + 1);
        Assert.Equal(step + 1, trainer.Step);
    }

    private TrainOptions Options(int accumulate) => new()
    {
        Space = _space, DataDir = _data, HeldOutPerClass = 10, Steps = 10, BatchSize = 32, Threads = 1, ProbeEvery = 0, CheckpointEvery = 5, Seed = 3, Accumulate = accumulate,
    };

    private Dictionary<string, float[]> Train(string name, TrainOptions options)
    {
        var dir = _dir.File(name);
        using (var trainer = new Trainer(options, new RunDirectory(dir), resume: false)) trainer.Run();
        return Weights(dir);
    }

    /// <summary>The trained and the averaged weights of a run's checkpoint; BatchNorm's running statistics stay per rank, so they are left out.</summary>
    private static Dictionary<string, float[]> Weights(string run)
    {
        using var scope = NewDisposeScope();
        using var reader = new BinaryReader(new MemoryStream(CheckpointFile.Read(Path.Combine(run, "checkpoint.ckpt")).Payload));
        var (model, ema) = (TensorArchive.Read(reader), TensorArchive.Read(reader));
        return model.Select(kv => ("model." + kv.Key, kv.Value)).Concat(ema.Select(kv => ("ema." + kv.Key, kv.Value)))
            .Where(t => !t.Item1.Contains("running_") && !t.Item1.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToDictionary(t => t.Item1, t => t.Item2.to_type(ScalarType.Float32).data<float>().ToArray());
    }

    private static double MaxDifference(Dictionary<string, float[]> a, Dictionary<string, float[]> b)
    {
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        return a.Max(kv => kv.Value.Zip(b[kv.Key], (x, y) => (double)Math.Abs(x - y)).DefaultIfEmpty(0).Max());
    }

    /// <summary>The process of rank <paramref name="rank"/> of the job writing <paramref name="run"/> (from /proc).</summary>
    private static Process? RankProcess(string run, int rank)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var command = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (!command.Contains(run) || command.Contains("mpirun")) continue;
                var environment = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (environment.Contains($"OMPI_COMM_WORLD_RANK={rank}")) return Process.GetProcessById(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { }
        }
        return null;
    }
}
