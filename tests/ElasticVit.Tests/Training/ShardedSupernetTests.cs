using ElasticVit.Spaces;
using ElasticVit.Supernet;
using ElasticVit.Tests.Search;
using ElasticVit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Training;

/// <summary>Data parallelism over threads: shards, shared weights, reduced gradients, and whole runs.</summary>
[Collection(TorchRandomState.Name)]
public class ShardedSupernetTests
{
    [Theory]
    [InlineData(64, 2, new long[] { 32, 32 })]
    [InlineData(10, 3, new long[] { 4, 3, 3 })]
    [InlineData(5, 1, new long[] { 5 })]
    public void Split_cuts_a_batch_into_contiguous_near_equal_shards(long batch, int shards, long[] lengths)
    {
        var split = ShardedSupernet.Split(batch, shards);
        Assert.Equal(lengths, split.Select(s => s.Length));
        Assert.Equal(0, split[0].Start);
        for (var s = 1; s < shards; s++) Assert.Equal(split[s - 1].Start + split[s - 1].Length, split[s].Start);
    }

    [Fact]
    public void Replicas_share_the_weights_and_the_reduced_gradient_is_the_whole_batchs()
    {
        random.manual_seed(1);
        using var net = new ElasticSupernet(TestSpaces.Tiny);
        using var sharded = new ShardedSupernet(net, 3, 1);
        using var scope = NewDisposeScope();
        // Eval mode: BN uses its running statistics, so every image's loss is independent of the others in the batch.
        var subnet = TestSpaces.Tiny.MaxSubnet;
        var x = randn(10, 1, 28, 28);
        var y = randint(0, 10, [10]);
        net.eval();
        net.SetActive(subnet);
        Losses.LabelSmoothedCrossEntropy(net.forward(x), y).backward();
        var whole = net.parameters().Select(p => p.grad!.clone()).ToArray();

        // A weight changed in the supernet is seen by every replica: they share its storage.
        var bias = net.head.classifier.bias!;
        var saved = bias.clone();
        using (no_grad()) bias.copy_(randn_like(bias));
        for (var s = 1; s < sharded.Count; s++) Assert.Equal(bias.data<float>().ToArray(), sharded[s].head.classifier.bias!.data<float>().ToArray());
        using (no_grad()) bias.copy_(saved);

        sharded.ZeroGrad();
        var split = ShardedSupernet.Split(10, sharded.Count);
        sharded.Run(s =>
        {
            using var shardScope = NewDisposeScope();
            var replica = sharded[s];
            replica.eval();
            replica.SetActive(subnet);
            var (start, length) = split[s];
            Losses.LabelSmoothedCrossEntropy(replica.forward(x.narrow(0, start, length)), y.narrow(0, start, length)).backward();
        });
        sharded.ReduceGradients(split.Select(s => s.Length / 10.0).ToArray());
        var reduced = net.parameters().Select(p => p.grad).ToArray();
        Assert.Equal(whole.Length, reduced.Length);
        for (var i = 0; i < whole.Length; i++)
            Assert.True(whole[i].allclose(reduced[i]!, rtol: 1e-4, atol: 1e-6), $"parameter {i}: max |Δ| {(whole[i] - reduced[i]!).abs().max().item<float>()}");
        for (var s = 1; s < sharded.Count; s++) Assert.All(sharded[s].parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void A_failing_shard_fails_the_step_with_its_own_exception()
    {
        using var net = new ElasticSupernet(TestSpaces.Tiny);
        using var sharded = new ShardedSupernet(net, 2, 1);
        var e = Assert.Throws<InvalidOperationException>(() => sharded.Run(s => { if (s == 1) throw new InvalidOperationException("shard 1 failed"); }));
        Assert.Equal("shard 1 failed", e.Message);
        var ran = new int[2];
        sharded.Run(s => ran[s]++);   // the threads survive a failure
        Assert.Equal([1, 1], ran);
    }

    [Fact]
    public void A_sharded_run_is_deterministic_and_resumes_exactly()
    {
        var root = Directory.CreateTempSubdirectory("evit-shards-").FullName;
        try
        {
            var options = new TrainOptions
            {
                Steps = 6, BatchSize = 12, TrainLimit = 240, HeldOutPerClass = 4, ProbeEvery = 0, CheckpointEvery = 3, Threads = 2, Shards = 2,
                Sampler = "cas-pas", MaxFirstFraction = 0.3, Seed = 5,
            };
            byte[] Train(string name, bool interrupt)
            {
                var dir = Path.Combine(root, name);
                if (interrupt)
                {
                    using (var first = new Trainer(options, new RunDirectory(dir), resume: false)) first.Run(stopAfterStep: 3);
                    using var second = new Trainer(options, new RunDirectory(dir), resume: true);
                    second.Run();
                }
                else
                {
                    using var trainer = new Trainer(options, new RunDirectory(dir), resume: false);
                    trainer.Run();
                }
                return CheckpointFile.Read(Path.Combine(dir, "checkpoint.ckpt")).Payload;
            }
            var a = Train("a", interrupt: false);
            Assert.Equal(a, Train("b", interrupt: false));
            Assert.Equal(a, Train("c", interrupt: true));

            // Cancelled (Ctrl-C) after step 4, between the periodic checkpoints of steps 3 and 6: the run checkpoints step
            // 4 on its way out, and resumes from there to the same weights.
            var cancelled = Path.Combine(root, "d");
            using (var stop = new CancellationTokenSource())
            using (var first = new Trainer(options, new RunDirectory(cancelled), resume: false))
            {
                Assert.Throws<OperationCanceledException>(() => first.Run(p => { if (p.Step == 4) stop.Cancel(); }, cancel: stop.Token));
                Assert.Equal(4, (int)CheckpointFile.Read(Path.Combine(cancelled, "checkpoint.ckpt")).Header["step"]!);
            }
            using (var second = new Trainer(options, new RunDirectory(cancelled), resume: true))
            {
                Assert.Equal(4, second.Step);
                second.Run();
            }
            Assert.Equal(a, CheckpointFile.Read(Path.Combine(cancelled, "checkpoint.ckpt")).Payload);
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
