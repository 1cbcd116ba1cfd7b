using System.Text.Json.Nodes;
using ElasticVit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ElasticVit.Tests.Training;

/// <summary>A step whose loss or gradient is not finite is skipped, and a run that keeps producing them stops clearly.</summary>
[Collection(TorchRandomState.Name)]
public class NonFiniteStepTests
{
    [Fact]
    public void Clipping_reports_whether_every_gradient_is_finite()
    {
        using var scope = NewDisposeScope();
        var a = new TorchSharp.Modules.Parameter(ones(3, 2));
        var b = new TorchSharp.Modules.Parameter(ones(4));
        a.grad = tensor(Enumerable.Repeat(10f, 6).ToArray(), [3, 2]);
        b.grad = zeros(4);
        Assert.True(AdaptiveGradientClipping.Apply([a, b], factor: 0.1));
        Assert.Equal(0.1 * Math.Sqrt(2), a.grad!.norm(1).max().item<float>(), 4);   // clipped to 0.1 × the row's weight norm
        b.grad = tensor(new[] { 0f, float.NaN, 1f, 0f });
        Assert.False(AdaptiveGradientClipping.Apply([a, b], factor: 0.1));
        a.grad = tensor(new[,] { { float.PositiveInfinity, 1f }, { 1f, 1f }, { 1f, 1f } });
        b.grad = zeros(4);
        Assert.False(AdaptiveGradientClipping.Apply([a, b], factor: 0.1));
        Assert.True(float.IsPositiveInfinity(a.grad![0, 0].item<float>()), "an infinite gradient is reported as such, not turned into NaN");
    }

    [Fact]
    public void Steps_with_a_non_finite_loss_leave_the_weights_alone_and_five_in_a_row_stop_the_run()
    {
        var dir = Directory.CreateTempSubdirectory("evit-nonfinite-").FullName;
        try
        {
            var options = new TrainOptions
            {
                Steps = 20, BatchSize = 8, TrainLimit = 200, HeldOutPerClass = 5, ProbeEvery = 0, CheckpointEvery = 100, Threads = 1,
                Sampler = "cas-pas", LevelSubnets = 2, MaxFirstFraction = 0,
            };
            using var trainer = new Trainer(options, new RunDirectory(dir), resume: false);
            var parameters = trainer.Net.named_parameters().ToArray();
            var poisoned = parameters.Last(p => p.name.StartsWith("head.", StringComparison.Ordinal) && p.name.EndsWith("bias", StringComparison.Ordinal)).parameter;
            var untouched = parameters.First(p => p.name.StartsWith("stem.", StringComparison.Ordinal)).parameter;
            using var before = untouched.detach().clone();
            using var emaBefore = trainer.EmaNet.parameters().First().detach().clone();
            using (no_grad())
            {
                using var nan = float.NaN.ToScalar();
                poisoned.fill_(nan);
            }   // every subnet's logits, so every loss and score, become NaN

            var error = Assert.Throws<TrainingException>(() => trainer.Run());
            Assert.Contains("diverged", error.Message);
            Assert.Contains("5 steps in a row", error.Message);

            var steps = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToArray();
            Assert.Equal(4, steps.Length);   // the fifth skipped step stops the run before its record
            Assert.All(steps, s => Assert.Equal("non-finite loss", (string?)s["skipped"]));
            Assert.All(steps, s => Assert.Null(s["loss_total"]));
            Assert.All(steps, s => Assert.Contains(s["non_finite_gradients"]!.AsArray(), g => ((string)g!["parameter"]!).StartsWith("head.", StringComparison.Ordinal)));
            var unscorable = steps.SelectMany(s => s["non_finite_scores"]?.AsArray() ?? []).ToArray();
            Assert.NotEmpty(unscorable);
            Assert.All(unscorable, u => Assert.Equal("non-finite", (string?)u!["scored_again"]));
            Assert.True(untouched.detach().allclose(before, rtol: 0, atol: 0), "a skipped step must not move the weights");
            Assert.True(trainer.EmaNet.parameters().First().detach().allclose(emaBefore, rtol: 0, atol: 0), "nor their average");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
