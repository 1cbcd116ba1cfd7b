using ElasticVit.IO;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Training;

/// <summary>
/// A run directory: config.json (resolved options), metrics.jsonl (one object per step), checkpoint.ckpt (latest,
/// written atomically) and summary.json (when the run completed).
/// </summary>
public sealed class RunDirectory(string path)
{
    public string Path { get; } = path;
    public string ConfigPath => System.IO.Path.Combine(Path, "config.json");
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.jsonl");
    public string CheckpointPath => System.IO.Path.Combine(Path, "checkpoint.ckpt");
    public string SummaryPath => System.IO.Path.Combine(Path, "summary.json");
    public bool HasCheckpoint => File.Exists(CheckpointPath);
    public bool IsComplete => File.Exists(SummaryPath);

    public static Device ParseDevice(string name) => name switch
    {
        "cpu" => CPU,
        "cuda" when cuda.is_available() => CUDA,
        "cuda" => throw new TrainingException("--device cuda: no CUDA device (this build of TorchSharp is CPU-only or no GPU is present)"),
        _ => throw new TrainingException($"unknown device '{name}' (cpu or cuda)"),
    };

    /// <summary>Starts a new run: refuses to overwrite a run that has a checkpoint (use --resume).</summary>
    public void Initialise(TrainOptions options)
    {
        if (HasCheckpoint) throw new TrainingException($"{Path} already holds a run with a checkpoint; pass --resume to continue it or choose another --out");
        Directory.CreateDirectory(Path);
        IO.AtomicFile.WriteAllText(ConfigPath, options.ToJson());
        File.WriteAllText(MetricsPath, "");
        if (File.Exists(SummaryPath)) File.Delete(SummaryPath);
    }

    public TrainOptions LoadOptions()
    {
        if (!File.Exists(ConfigPath)) throw new TrainingException($"{Path} is not a run directory (no config.json)");
        try { return TrainOptions.FromJson(InputFile.Node(InputFile.ReadText(ConfigPath, 1L << 20, m => new TrainingException(m)), ConfigPath, m => new TrainingException(m))!.AsObject()); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            throw new TrainingException($"{ConfigPath}: unreadable run configuration ({e.Message})");
        }
    }

    /// <summary>Opens metrics.jsonl for appending after dropping lines past <paramref name="step"/> (written after the last checkpoint of an interrupted run).</summary>
    public MetricsWriter OpenMetrics(long step)
    {
        var kept = File.Exists(MetricsPath)
            ? File.ReadLines(MetricsPath).Where(l => l.Length > 0).Take((int)step).ToList()
            : [];
        IO.AtomicFile.WriteAllText(MetricsPath, kept.Count == 0 ? "" : string.Join('\n', kept) + "\n");
        return new MetricsWriter(MetricsPath);
    }

    public void WriteSummary(long steps, TimeSpan elapsed, TimeBudget? budget = null) =>
        IO.AtomicFile.WriteAllText(SummaryPath, new JsonObject
        {
            ["steps"] = steps, ["completed_at"] = DateTime.UtcNow.ToString("O"), ["last_session_seconds"] = Math.Round(elapsed.TotalSeconds, 1),
            ["budget_seconds"] = budget?.Seconds, ["step_seconds"] = budget is null ? null : Math.Round(budget.ElapsedSeconds, 1),
        }.ToJsonString());
}

public sealed class MetricsWriter(string path) : IDisposable
{
    private readonly StreamWriter _writer = new(path, append: true);
    public void Write(JsonObject record) => _writer.WriteLine(record.ToJsonString());
    public void Flush() => _writer.Flush();
    public void Dispose() => _writer.Dispose();
}
