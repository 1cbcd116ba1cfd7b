using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace ElasticVit.Data;

/// <summary>How a <see cref="BatchLoader"/> orders, augments and groups images.</summary>
public sealed record LoaderOptions
{
    public int BatchSize { get; init; } = 64;
    /// <summary>Shuffle each epoch with an order that depends only on (Seed, epoch).</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Drop the last incomplete batch (keeps batch-norm statistics on full batches).</summary>
    public bool DropLast { get; init; } = true;
    public Augmentation Augment { get; init; } = Augmentation.None;
    public int Seed { get; init; }
    /// <summary>Batches prepared ahead of the consumer by the background thread.</summary>
    public int Prefetch { get; init; } = 4;

    public static LoaderOptions Training(int batchSize, int seed, Augmentation augment) =>
        new() { BatchSize = batchSize, Seed = seed, Augment = augment };

    /// <summary>Every image once, in dataset order, unaugmented, including the last partial batch.</summary>
    public static LoaderOptions Evaluation(int batchSize) =>
        new() { BatchSize = batchSize, Shuffle = false, DropLast = false };

    /// <summary>Shuffled full batches for batch-norm recalibration, unaugmented unless asked.</summary>
    public static LoaderOptions Calibration(int batchSize, int seed, Augmentation? augment = null) =>
        new() { BatchSize = batchSize, Seed = seed, Augment = augment ?? Augmentation.None };
}

/// <summary>One batch as managed arrays: images [B, C, H, W] normalised floats, labels [B].</summary>
public sealed record HostBatch(int Epoch, int Index, float[] Images, long[] Labels, int Channels, int Height, int Width)
{
    public int Size => Labels.Length;

    /// <summary>
    /// Copies the batch into a float32 tensor [B, C, H, W] and an int64 tensor [B]. They are created
    /// in the calling thread's current dispose scope, so call this inside the step's scope.
    /// </summary>
    public (Tensor Images, Tensor Labels) ToTensors()
    {
        // empty + a span copy into the tensor's storage: measured ~30x faster than torch.tensor(float[]).
        var images = empty([Size, Channels, Height, Width], ScalarType.Float32);
        var labels = empty([Size], ScalarType.Int64);
        MemoryMarshal.AsBytes(Images.AsSpan()).CopyTo(images.bytes);
        MemoryMarshal.AsBytes(Labels.AsSpan()).CopyTo(labels.bytes);
        return (images, labels);
    }
}

/// <summary>
/// Serves an image set as mini-batches, prepared as float arrays on a background thread while the
/// consumer trains.
/// <para>Determinism: the image order of epoch e depends only on (Seed, e) and the augmentation of
/// batch b only on (Seed, e, b), so <see cref="Epoch"/>(e, startBatch: b) yields exactly the batches
/// a full pass of epoch e yields from b on — a resumed run sees the same data.</para>
/// <para>Threading: the background thread only fills managed arrays; tensors are made on the
/// consumer's thread, because TorchSharp dispose scopes are per thread and a tensor created on the
/// producer would belong to no scope the consumer controls.</para>
/// </summary>
public sealed class BatchLoader
{
    private readonly LabeledImages _data;
    private readonly LoaderOptions _options;
    private readonly PixelWriter _writer;
    private OrderCache? _lastOrder;

    private sealed record OrderCache(int Epoch, int[] Order);

    public BatchLoader(LabeledImages data, Normalization normalization, LoaderOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Prefetch);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Augment.Pad);
        if (options.DropLast && data.Count < options.BatchSize)
            throw new ArgumentException($"{data.Count} images do not fill one batch of {options.BatchSize} and DropLast is set", nameof(options));
        _data = data;
        _options = options;
        _writer = new PixelWriter(normalization, data.Channels, data.Height, data.Width);
        BatchesPerEpoch = options.DropLast ? data.Count / options.BatchSize : (data.Count + options.BatchSize - 1) / options.BatchSize;
    }

    public LoaderOptions Options => _options;
    public int BatchesPerEpoch { get; }
    public int ImageCount => _data.Count;

    /// <summary>The dataset indices of epoch <paramref name="epoch"/> in the order they are served.</summary>
    public int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, _data.Count).ToArray();
        if (_options.Shuffle) SplitMix64.For(_options.Seed, (long)RandomStream.EpochOrder, epoch).Shuffle(order);
        return order;
    }

    /// <summary>Batch <paramref name="index"/> of epoch <paramref name="epoch"/>, computed on the calling thread.</summary>
    public HostBatch PrepareBatch(int epoch, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BatchesPerEpoch);
        // One reference swap, so concurrent callers at worst recompute an order.
        var cache = _lastOrder is { } c && c.Epoch == epoch ? c : _lastOrder = new OrderCache(epoch, EpochOrder(epoch));
        return Prepare(cache.Order, epoch, index);
    }

    private HostBatch Prepare(int[] order, int epoch, int index)
    {
        int start = index * _options.BatchSize, size = Math.Min(_options.BatchSize, order.Length - start);
        int imageSize = _data.ImageSize, pad = _options.Augment.Pad;
        bool flip = _options.Augment.HorizontalFlip;
        var images = new float[size * imageSize];
        var labels = new long[size];
        var rng = SplitMix64.For(_options.Seed, (long)RandomStream.Augment, epoch, index);
        for (int i = 0; i < size; i++)
        {
            int item = order[start + i];
            labels[i] = _data.Labels[item];
            // Draw the same three numbers per image whatever the settings, so the stream layout is fixed.
            int shiftY = rng.NextInt(2 * pad + 1) - pad, shiftX = rng.NextInt(2 * pad + 1) - pad;
            bool mirror = rng.NextBool() && flip;
            _writer.Write(_data.Image(item), images.AsSpan(i * imageSize, imageSize), shiftY, shiftX, mirror);
        }
        return new HostBatch(epoch, index, images, labels, _data.Channels, _data.Height, _data.Width);
    }

    /// <summary>
    /// The batches of an epoch from <paramref name="startBatch"/> on, prepared by a background
    /// thread that stays at most <see cref="LoaderOptions.Prefetch"/> batches ahead. Stopping the
    /// enumeration early stops the thread.
    /// </summary>
    public IEnumerable<HostBatch> HostBatches(int epoch, int startBatch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startBatch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(startBatch, BatchesPerEpoch);
        return Produce(epoch, startBatch);
    }

    private IEnumerable<HostBatch> Produce(int epoch, int startBatch)
    {
        using var queue = new BlockingCollection<HostBatch>(_options.Prefetch);
        using var stop = new CancellationTokenSource();
        Exception? failure = null;
        var producer = new Thread(() =>
        {
            try
            {
                int[] order = EpochOrder(epoch);
                for (int b = startBatch; b < BatchesPerEpoch; b++) queue.Add(Prepare(order, epoch, b), stop.Token);
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { failure = e; }
            finally { queue.CompleteAdding(); }
        }) { IsBackground = true, Name = $"BatchLoader epoch {epoch}" };
        producer.Start();
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable()) yield return batch;
            if (failure is not null) ExceptionDispatchInfo.Throw(failure);
        }
        finally
        {
            stop.Cancel();
            producer.Join();
        }
    }

    /// <summary>
    /// Tensors of an epoch from <paramref name="startBatch"/> on: images float32 [B, C, H, W], labels
    /// int64 [B]. The loader owns them: each pair is disposed when the next is requested or the loop
    /// ends, so a step may run in its own dispose scope without leaking them; clone what must outlive
    /// the iteration. For tensors in your own scope use <see cref="HostBatches"/> and <see cref="HostBatch.ToTensors"/>.
    /// </summary>
    public IEnumerable<(Tensor Images, Tensor Labels)> Epoch(int epoch, int startBatch = 0)
    {
        var batches = HostBatches(epoch, startBatch);
        return Borrow(batches);
    }

    private static IEnumerable<(Tensor Images, Tensor Labels)> Borrow(IEnumerable<HostBatch> batches)
    {
        (Tensor Images, Tensor Labels)? current = null;
        try
        {
            foreach (var batch in batches)
            {
                DisposePair(current);
                current = batch.ToTensors();
                yield return current.Value;
            }
        }
        finally { DisposePair(current); }
    }

    private static void DisposePair((Tensor Images, Tensor Labels)? pair)
    {
        pair?.Images.Dispose();
        pair?.Labels.Dispose();
    }
}
