using System.Runtime.ExceptionServices;
using ElasticVit.Nn;
using ElasticVit.Supernet;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Training;

/// <summary>
/// Data parallelism over CPU threads inside one process: a training batch is cut into <see cref="Count"/> shards, and
/// each shard is trained on its own replica of the supernet by its own long-lived thread with single-threaded torch ops.
/// The supernet's ops are small (4×4 token maps, 8–128 channels), so libtorch's intra-op threads leave most of a second
/// core idle; one shard per core keeps both busy (bench/results/training.md). Replica 0 is the supernet itself; the
/// others share its parameter storage (no copies, never stale) but own their gradients, which
/// <see cref="ReduceGradients"/> sums into the supernet's in a fixed order, so a run is deterministic for a given shard
/// count. BN running statistics stay per replica, as in data-parallel training across processes; the supernet's are
/// those of shard 0 (evaluation recalibrates them anyway).
/// </summary>
public sealed class ShardedSupernet : IDisposable
{
    private readonly ElasticSupernet[] _replicas;
    private readonly Parameter[][] _parameters;   // [replica][parameter], in named_parameters order
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _go;
    private readonly SemaphoreSlim _done = new(0);
    private readonly int _threadsPerShard;
    private Action<int>? _work;
    private Exception?[] _errors;
    private bool _disposed;

    /// <param name="net">The supernet (replica 0); its parameters must already be on their device.</param>
    /// <param name="shards">Shards per batch, one thread each.</param>
    /// <param name="threadsPerShard">libtorch intra-op threads of every shard's thread.</param>
    public ShardedSupernet(ElasticSupernet net, int shards, int threadsPerShard)
    {
        if (shards < 1) throw new ArgumentOutOfRangeException(nameof(shards), shards, "at least one shard");
        _threadsPerShard = threadsPerShard;
        _replicas = new ElasticSupernet[shards];
        _replicas[0] = net;
        var device = net.stem.conv.Weight.device;
        for (var r = 1; r < shards; r++)
        {
            var replica = new ElasticSupernet(net.Space);
            replica.to(device);
            using (no_grad())
            {
                var own = replica.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                foreach (var (name, p) in net.named_parameters()) own[name].set_(p);
                foreach (var ((_, mine), (_, theirs)) in replica.named_buffers().Zip(net.named_buffers())) mine.copy_(theirs);
            }
            _replicas[r] = replica;
        }
        _parameters = _replicas.Select(r => r.parameters().ToArray()).ToArray();
        _errors = new Exception?[shards];
        _go = Enumerable.Range(0, shards).Select(_ => new SemaphoreSlim(0)).ToArray();
        // Shard 0 runs on the calling thread; the others on threads kept for the trainer's lifetime.
        _threads = Enumerable.Range(1, shards - 1).Select(s => new Thread(() => Loop(s)) { IsBackground = true, Name = $"shard {s}" }).ToArray();
        foreach (var t in _threads) t.Start();
    }

    public int Count => _replicas.Length;

    /// <summary>The supernet's parameters, in the order <see cref="ReduceGradients"/> walks them.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters[0];

    /// <summary>The replica shard <paramref name="shard"/> trains (0: the supernet itself).</summary>
    public ElasticSupernet this[int shard] => _replicas[shard];

    /// <summary>Start and length of each of <paramref name="shards"/> near-equal contiguous shards of a batch of <paramref name="batch"/>.</summary>
    public static (long Start, long Length)[] Split(long batch, int shards)
    {
        var result = new (long, long)[shards];
        long start = 0;
        for (var s = 0; s < shards; s++)
        {
            var length = batch / shards + (s < batch % shards ? 1 : 0);
            result[s] = (start, length);
            start += length;
        }
        return result;
    }

    /// <summary>
    /// Runs <paramref name="work"/>(shard) for every shard at once, shard 0 on the calling thread; returns when all are
    /// done and rethrows the first failure. Tensors a shard creates belong to that shard's thread: pass numbers back.
    /// </summary>
    public void Run(Action<int> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Count == 1)
        {
            work(0);
            return;
        }
        _work = work;
        Array.Clear(_errors);
        for (var s = 1; s < Count; s++) _go[s].Release();
        torch.set_num_threads(_threadsPerShard);
        try { work(0); }
        catch (Exception e) { _errors[0] = e; }
        for (var s = 1; s < Count; s++) _done.Wait();
        _work = null;
        if (_errors.FirstOrDefault(e => e is not null) is { } error) ExceptionDispatchInfo.Throw(error);
    }

    private void Loop(int shard)
    {
        torch.set_num_threads(_threadsPerShard);
        while (true)
        {
            _go[shard].Wait();
            if (_disposed) return;
            try { _work!(shard); }
            catch (Exception e) { _errors[shard] = e; }
            finally { _done.Release(); }
        }
    }

    /// <summary>Drops every replica's gradients (set-to-none, like <see cref="AdamW.ZeroGrad"/>).</summary>
    public void ZeroGrad()
    {
        foreach (var parameters in _parameters)
            foreach (var p in parameters) p.grad = null;
    }

    /// <summary>
    /// The supernet's gradient becomes Σ weights[s] · gradient of replica s (with weights = shard length / batch, the
    /// gradient of the whole batch's mean loss); the other replicas' gradients are dropped.
    /// </summary>
    public void ReduceGradients(IReadOnlyList<double> weights)
    {
        if (weights.Count != Count) throw new ArgumentException($"{weights.Count} weights for {Count} shards", nameof(weights));
        using var _ = no_grad();
        // Shard by shard, so each parameter sees the same sequence of operations: total = w0·g0 + w1·g1 + …
        for (var s = 0; s < Count; s++)
        {
            using var weight = weights[s].ToScalar();
            for (var i = 0; i < _parameters[0].Length; i++)
            {
                var total = _parameters[0][i].grad;
                if (total is null) continue;
                if (s == 0)
                {
                    if (weights[0] != 1) total.mul_(weight);
                    continue;
                }
                var g = _parameters[s][i].grad;
                if (g is not null) total.add_(g, alpha: weight);
                _parameters[s][i].grad = null;
            }
        }
    }

    /// <summary>
    /// Adds the supernet's gradients (after <see cref="ReduceGradients"/>) to one flat buffer, created by the first call
    /// (<paramref name="flat"/> null): the sum over micro-batches of a step, and the single buffer the ranks of a job
    /// allreduce. Every call of a step must see the same parameters with gradients (the step's subnets decide them).
    /// The buffer belongs to the caller's dispose scope.
    /// </summary>
    public Tensor AddGradientsTo(Tensor? flat)
    {
        using var _ = no_grad();
        var grads = _parameters[0].Where(p => p.grad is not null).Select(p => p.grad!.flatten()).ToList();
        var sum = cat(grads);
        if (flat is null) return sum;
        if (flat.shape[0] != sum.shape[0]) throw new InvalidOperationException($"micro-batches of one step produced gradients of {flat.shape[0]} and {sum.shape[0]} values");
        flat.add_(sum, ScalarOps.One);
        return flat;
    }

    /// <summary>Overwrites the supernet's gradients with <paramref name="flat"/>'s values, in the order <see cref="AddGradientsTo"/> wrote them.</summary>
    public void LoadGradients(Tensor flat)
    {
        using var _ = no_grad();
        long offset = 0;
        foreach (var p in _parameters[0])
        {
            if (p.grad is not { } grad) continue;
            grad.copy_(flat.narrow(0, offset, grad.numel()).view_as(grad));
            offset += grad.numel();
        }
        if (offset != flat.shape[0]) throw new InvalidOperationException($"a flat buffer of {flat.shape[0]} values for gradients of {offset}");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (var s = 1; s < Count; s++) _go[s].Release();
        foreach (var t in _threads) t.Join();
        for (var r = 1; r < _replicas.Length; r++) _replicas[r].Dispose();
        foreach (var g in _go) g.Dispose();
        _done.Dispose();
    }
}
