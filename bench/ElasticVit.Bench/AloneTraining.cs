using System.Diagnostics;
using ElasticVit.Data;
using ElasticVit.Nn;
using ElasticVit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElasticVit.Bench;

/// <summary>What <see cref="AloneTraining.Train"/> did.</summary>
public sealed record AloneRun(long Steps, double Seconds, double FinalLoss);

/// <summary>
/// A network trained alone — a subnet as a static model, or a hand-designed <see cref="Baseline"/> — with a supernet
/// run's recipe: its batch and learning rate, label-smoothed CE, AdamW with the trainer's decay groups, cosine schedule
/// with warm-up, adaptive gradient clipping, EMA, and the run's augmentation setting. What the inherited weights of a
/// subnet are compared with.
/// </summary>
public static class AloneTraining
{
    /// <summary>
    /// Trains <paramref name="model"/> (and its EMA copy <paramref name="ema"/>) for <paramref name="steps"/> steps, or for
    /// <paramref name="seconds"/> of steps when no step count is given (the count then fixed from the pace of the first
    /// 5 % of the time, so the schedule still ends where the time does; sessions before 20 ran that first 5 % at a
    /// learning rate near zero and then skipped the warm-up). <paramref name="report"/> gets (step, total, mean loss of the last 100).
    /// </summary>
    public static AloneRun Train(nn.Module<Tensor, Tensor> model, nn.Module<Tensor, Tensor> ema, RunData data, TrainOptions options,
        long? steps, double? seconds = null, Action<long, long, double>? report = null)
    {
        if (steps is null && seconds is null) throw new ArgumentException("give steps or seconds");
        var total = steps ?? long.MaxValue;
        BatchCounters.Drop(model);   // before the EMA pairs the two models' tensors by name
        BatchCounters.Drop(ema);
        var emaUpdater = new Ema(ema, model, options.EmaDecay ?? Ema.ForRun(steps ?? 2000));
        emaUpdater.CopyFromSource();
        var adam = new ElasticVit.Training.AdamW(Trainer.ParameterGroups(model)) { WeightDecay = options.WeightDecay };
        var loader = new BatchLoader(data.Train, data.Normalization, LoaderOptions.Training(options.BatchSize, options.Seed, options.Augment ? data.Augmentation : Augmentation.None));
        var schedule = new CosineSchedule(options.PeakLr, total, (long)Math.Round(options.WarmupFraction * total));
        var clock = Stopwatch.StartNew();
        var losses = new List<double>();
        long step = 0;
        var paceFixed = false;
        model.train();
        for (var epoch = 0; step < total; epoch++)
            foreach (var batch in loader.HostBatches(epoch))
            {
                if (step >= total) break;
                using var scope = NewDisposeScope();
                var (x, y) = batch.ToTensors();
                adam.ZeroGrad();
                var loss = Losses.LabelSmoothedCrossEntropy(model.forward(x), y);
                loss.backward();
                AdaptiveGradientClipping.Apply(model.parameters(), options.ClipFactor);
                adam.Step(schedule.At(step));
                emaUpdater.Update();
                losses.Add(loss.item<float>());
                step++;
                // A time budget: a provisional step count from the pace of the first 10 steps, so the warm-up already runs
                // on a schedule of about the right length (with no count at all its learning rate stayed near zero), then
                // the final count from the pace of the first 5 % of the time.
                if (steps is null && !paceFixed && (step == 10 || clock.Elapsed.TotalSeconds >= 0.05 * seconds!.Value))
                {
                    paceFixed = step > 10;
                    total = Math.Max(step + 1, (long)(seconds!.Value / (clock.Elapsed.TotalSeconds / step)));
                    schedule = new CosineSchedule(options.PeakLr, total, (long)Math.Round(options.WarmupFraction * total));
                    if (options.EmaDecay is null) emaUpdater.Decay = Ema.ForRun(total);
                }
                if (step % 100 == 0 || step == total) report?.Invoke(step, total, losses.TakeLast(100).Average());
            }
        return new AloneRun(step, clock.Elapsed.TotalSeconds, losses.TakeLast(Math.Max(1, losses.Count / 10)).Average());
    }

    /// <summary>BN statistics recomputed as a cumulative average over the calibration batches the supernet's subnets get (<see cref="SubnetEvaluator"/>).</summary>
    public static void Recalibrate(nn.Module<Tensor, Tensor> model, RunData data, TrainOptions options, int batches)
    {
        var norms = model.modules().OfType<BatchNorm2d>().ToArray();
        var loader = new BatchLoader(data.Train, data.Normalization, LoaderOptions.Calibration(64, options.Seed));
        using (no_grad())
        {
            foreach (var bn in norms) bn.reset_running_stats();
            model.train();
            var i = 0;
            foreach (var batch in loader.HostBatches(0).Take(batches))
            {
                foreach (var bn in norms) bn.momentum = 1.0 / (i + 1);
                using var scope = NewDisposeScope();
                model.forward(batch.ToTensors().Images);
                i++;
            }
        }
        foreach (var bn in norms) bn.momentum = 0.1;
        model.eval();
    }
}
