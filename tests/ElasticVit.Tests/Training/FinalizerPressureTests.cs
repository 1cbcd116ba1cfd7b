using ElasticVit.Training;

namespace ElasticVit.Tests.Training;

/// <summary>
/// The native crashes of earlier sessions were tensors and Scalars freed by the finalizer thread while native code
/// still used them; they struck rarely because a run's garbage collections are rare (.NET 10 on a 2-core, 24 GB machine
/// made none in 100 MB of small objects). Here a training run is repeated while another thread collects garbage and runs the
/// finalizers about a thousand times a second: a native object that only an unreachable wrapper owned would be freed under the run —
/// a crash, or weights that differ from the same seeded run without that pressure.
/// </summary>
[Collection(TorchRandomState.Name)]
public class FinalizerPressureTests
{
    [Fact]
    public void A_run_under_constant_garbage_collection_trains_the_same_weights()
    {
        var root = Directory.CreateTempSubdirectory("evit-finalizers-").FullName;
        try
        {
            // Two shards, gradient probes, the sampler's scoring and checkpoints: every part of a step runs.
            var options = new TrainOptions
            {
                Steps = 12, BatchSize = 12, TrainLimit = 120, HeldOutPerClass = 4, ProbeEvery = 5, CheckpointEvery = 8, Threads = 2, Shards = 2,
                Sampler = "cas-pas", MaxFirstFraction = 0.2, Seed = 7,
            };
            byte[] Train(string name, Action<TrainProgress>? afterStep = null)
            {
                var dir = Path.Combine(root, name);
                using (var trainer = new Trainer(options, new RunDirectory(dir), resume: false)) trainer.Run(afterStep);
                return CheckpointFile.Read(Path.Combine(dir, "checkpoint.ckpt")).Payload;
            }

            var quiet = Train("quiet");
            long collections = 0;
            using var stop = new CancellationTokenSource();
            var collector = new Thread(() =>
            {
                // Mostly the young generation, where a step's wrappers live; every 20th time the whole heap.
                while (!stop.IsCancellationRequested)
                {
                    GC.Collect(Interlocked.Read(ref collections) % 20 == 19 ? 2 : 0);
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref collections);
                    Thread.Sleep(1);
                }
            }) { IsBackground = true };
            collector.Start();
            // The collector runs through the steps; after each step the run also waits for 20 more collections, so the
            // pressure does not depend on how fast this machine trains.
            void AtLeastTwentyMore(TrainProgress _)
            {
                var target = Interlocked.Read(ref collections) + 20;
                while (Interlocked.Read(ref collections) < target) Thread.Sleep(1);
            }
            byte[] pressed;
            try { pressed = Train("pressed", AtLeastTwentyMore); }
            finally
            {
                stop.Cancel();
                collector.Join();
            }

            Assert.True(collections >= 20 * options.Steps, $"only {collections} collections ran during the run");
            Assert.True(quiet.AsSpan().SequenceEqual(pressed), "the run under garbage-collection pressure trained other weights");
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
