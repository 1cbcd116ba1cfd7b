namespace ElasticVit.Distributed;

/// <summary>The default: one process, every collective a no-op.</summary>
public sealed class SingleProcess : ICommunicator
{
    public static readonly SingleProcess Instance = new();

    public int Rank => 0;
    public int Size => 1;
    public string Description => "single process";
    public void AllReduceSum(Span<float> values) { }
    public void AllReduceSum(Span<double> values) { }
    public void AllReduceMax(Span<double> values) { }
    public byte[] Broadcast(byte[]? rootData) => rootData ?? throw new ArgumentNullException(nameof(rootData));
    public void Barrier() { }
    public void Abort(int exitCode) => Environment.Exit(exitCode);
    public void Dispose() { }
}
