using System.Diagnostics;
using System.Text.Json.Nodes;
using ElasticVit.Training;

namespace ElasticVit.Tests.Training;

/// <summary>A training run killed with SIGKILL and resumed ends exactly where an uninterrupted run ends.</summary>
public class ResumeTests
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "ElasticVit.Cli.dll");

    private static string[] TrainArgs(string dir) =>
    [
        "train", "--out", dir, "--sampler", "cas-pas", "--steps", "12", "--batch-size", "16", "--train-limit", "480",
        "--heldout-per-class", "20", "--checkpoint-every", "4", "--probe-every", "5", "--threads", "1", "--seed", "3",
    ];

    private static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    private static void RunToEnd(params string[] args)
    {
        using var p = Start(args);
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {stderr.Result}");
    }

    /// <summary>Metrics lines without the wall-clock fields.</summary>
    private static List<string> Metrics(string dir) =>
        File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            var o = JsonNode.Parse(l)!.AsObject();
            o.Remove("images_per_s");
            o.Remove("step_seconds");
            o.Remove("phase_ms");
            return o.ToJsonString();
        }).ToList();

    private static byte[] Weights(string dir)
    {
        var (_, payload) = CheckpointFile.Read(Path.Combine(dir, "checkpoint.ckpt"));
        return payload;
    }

    [Fact]
    public void KilledAndResumedRun_EndsWithSameWeightsAndMetrics_AsUninterruptedRun()
    {
        var root = Directory.CreateTempSubdirectory("evit-resume-").FullName;
        try
        {
            var straight = Path.Combine(root, "straight");
            RunToEnd(TrainArgs(straight));

            var killed = Path.Combine(root, "killed");
            using (var p = Start(TrainArgs(killed)))
            {
                _ = p.StandardOutput.ReadToEndAsync();
                _ = p.StandardError.ReadToEndAsync();
                var metrics = Path.Combine(killed, "metrics.jsonl");
                var clock = Stopwatch.StartNew();
                // Wait until the step-4 checkpoint exists and at least one more step was logged, then SIGKILL.
                while (!(File.Exists(Path.Combine(killed, "checkpoint.ckpt")) && File.Exists(metrics) && SafeLineCount(metrics) >= 6))
                {
                    Assert.False(p.HasExited, "the run ended before it could be killed");
                    Assert.True(clock.Elapsed < TimeSpan.FromMinutes(4), "timed out waiting for the first checkpoint");
                    Thread.Sleep(20);
                }
                p.Kill(entireProcessTree: true);   // SIGKILL on Linux
                p.WaitForExit();
            }
            Assert.False(File.Exists(Path.Combine(killed, "summary.json")));
            RunToEnd("train", "--out", killed, "--resume");

            Assert.Equal(Metrics(straight), Metrics(killed));
            Assert.True(Weights(straight).AsSpan().SequenceEqual(Weights(killed)), "final checkpoints differ");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static int SafeLineCount(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var r = new StreamReader(fs);
            return r.ReadToEnd().Count(c => c == '\n');
        }
        catch (IOException) { return 0; }
    }

    [Fact]
    public void CorruptedCheckpoint_IsDetectedWithTheFileName()
    {
        var dir = Directory.CreateTempSubdirectory("evit-ckpt-").FullName;
        try
        {
            var path = Path.Combine(dir, "checkpoint.ckpt");
            CheckpointFile.Write(path, new JsonObject { ["step"] = 1 }, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
            Assert.Equal(1, (int)CheckpointFile.Read(path).Header["step"]!);

            var bytes = File.ReadAllBytes(path);
            bytes[^2] ^= 0xFF;
            File.WriteAllBytes(path, bytes);
            var corrupted = Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path));
            Assert.Contains(path, corrupted.Message);
            Assert.Contains("checksum", corrupted.Message);

            File.WriteAllBytes(path, bytes[..^3]);
            Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
