using System.Text.Json.Nodes;
using ElasticVit.Data;
using ElasticVit.Distributed;
using ElasticVit.Spaces;
using ElasticVit.Training;
using Spectre.Console;

namespace ElasticVit.Cli.Commands;

/// <summary><c>train</c> and <c>eval</c>.</summary>
public static class TrainCommands
{
    /// <summary>The exit code of a training stopped by Ctrl-C (128 + SIGINT), checkpointed and resumable.</summary>
    public const int InterruptedExitCode = 130;

    public static readonly OptionSpec Run = new("run", "run directory written by 'train'", "DIR", Required: true);

    /// <summary>The record's defaults are the command's: one definition of each (the quickstart builds options from the record).</summary>
    private static readonly TrainOptions Defaults = new();

    public static IEnumerable<CommandSpec> All =>
    [
        new("train", "train a weight-sharing supernet with a conflict-aware sampler", [
            new("space", "search space (built-in name or JSON file)", "NAME", Defaults.Space),
            new("data", "dataset: fashion-mnist, cifar10, cifar100 or folder", "KIND", "fashion-mnist"),
            new("data-dir", "dataset folder (default for fashion-mnist: the Debian package's)", "DIR"),
            new("sampler", "uniform, sandwich, cas, cas-pas or random-level", "NAME", Defaults.Sampler),
            new("epochs", "training epochs (fractions allowed)", "E", OptionSpec.Text(Defaults.Epochs)),
            new("steps", "training steps (overrides --epochs)", "N"),
            new("minutes", "train for this many minutes of steps instead: the step count follows the run's own pace and is fixed at nine tenths of the budget (overrides --epochs)", "M"),
            new("max-first", "share of the steps that train the max subnet alone before sampling starts (0: the paper's recipe)", "F", OptionSpec.Text(Defaults.MaxFirstFraction)),
            new("level-subnets", "subnets drawn at each step's FLOPs level by cas and cas-pas, plus the level's min subnet (the paper: 3)", "N", OptionSpec.Text(Defaults.LevelSubnets)),
            new("space-min-share", "probability that a cas or cas-pas step trains the space's min subnet in place of its level's (the paper: 0)", "P", OptionSpec.Text(Defaults.SpaceMinShare)),
            new("bank-capacity", "PAS memory-bank entries per FLOPs level, all rescored at every epoch's start (the paper: 150)", "N", OptionSpec.Text(Defaults.BankCapacity)),
            new("paper", "the paper's recipe: --lr 0.0005 --level-subnets 3 --max-first 0 --space-min-share 0 --augment --residual-init standard --inplace-distillation on --bank-capacity 150 (all but --augment still overridable); the defaults are the short-budget recipe of bench/results/quality.md", null),
            new("batch-size", "images per step", "B", OptionSpec.Text(Defaults.BatchSize)),
            new("residual-init", "zero: every residual branch's last BatchNorm scale starts at 0 (BigNAS; the short-budget recipe); standard: at 1 (with --paper)", "I", Defaults.ZeroInitResiduals ? "zero" : "standard"),
            new("inplace-distillation", "on: min subnets learn from the step's larger subnets (METHOD.md §4; with --paper); off: from the labels like the others (the short-budget recipe)", "D", Defaults.InplaceDistillation ? "on" : "off"),
            new("augment", "augment training images with the dataset's shifts and flips (off in the short-budget recipe, on with --paper)", null),
            new("lr", "peak learning rate per 512 images, scaled linearly with the batch (the paper: 5e-4 over 600 ImageNet epochs; minutes on a CPU need far more)", "LR", OptionSpec.Text(Defaults.LrPer512)),
            new("seed", "random seed", "S", OptionSpec.Text(Defaults.Seed)),
            new("threads", "CPU threads (per rank under mpirun: default the cores left to each rank of the machine)", "T", OptionSpec.Text(Defaults.Threads)),
            new("shards", "data-parallel shards of each batch, one thread each (default: one per thread on cpu, 1 on cuda)", "S"),
            new("accumulate", "micro-batches per step, trained in turn with their gradients summed (one process doing the work of K ranks)", "K", OptionSpec.Text(Defaults.Accumulate)),
            new("checkpoint-every", "steps between checkpoints", "N", OptionSpec.Text(Defaults.CheckpointEvery)),
            new("probe-every", "steps between gradient-conflict probes (0: never)", "N", OptionSpec.Text(Defaults.ProbeEvery)),
            new("heldout-per-class", "held-out images per class carved from the training set", "N", OptionSpec.Text(Defaults.HeldOutPerClass)),
            new("train-limit", "use only the first N training images (quick experiments, tests)", "N"),
            new("device", "cpu or cuda", "DEV", Defaults.Device),
            new("teacher", "standalone subnet checkpoint (from 'extract') whose soft targets replace the labels for the level/max subnets", "FILE"),
            new("out", "run directory", "DIR", Required: true),
            new("resume", "continue the run in --out from its last checkpoint (--threads and --accumulate may change; the rest comes from the run)", null),
        ], RunTrain),
        new("eval", "BN-recalibrate a subnet of a trained supernet and measure held-out and test top-1", [
            Run, ArchCommands.Arch,
            new("calibration-batches", "batches of 64 training images for BN recalibration", "N", "32"),
            new("weights", "ema or raw supernet weights", "W", "ema"),
            ArchCommands.Json,
        ], RunEval),
    ];

    /// <summary>
    /// --threads, or when it is not given under mpirun, the cores left to each rank of this machine (the option's
    /// default, 2, would oversubscribe a 2-core machine running 2 ranks).
    /// </summary>
    public static int Threads(ParsedArgs a) =>
        a.Has("threads") || Communicator.LaunchedRanks == 1 ? a.Int("threads", 1, 256) : Communicator.DefaultThreadsPerRank;

    public static DatasetKind ParseDataset(string name) => name switch
    {
        "fashion-mnist" or "fmnist" => DatasetKind.FashionMnist,
        "cifar10" => DatasetKind.Cifar10,
        "cifar100" => DatasetKind.Cifar100,
        "folder" => DatasetKind.ImageFolder,
        _ => throw new UsageException($"--data must be fashion-mnist, cifar10, cifar100 or folder, got '{name}'"),
    };

    private static int RunTrain(ParsedArgs a)
    {
        var run = new RunDirectory(a.OutputPath("out", folder: true)!);
        var resume = a.Flag("resume");
        // Under mpirun rank 0 resolves the options (the run directory need exist on its machine only) and sends them to all.
        var sent = Communicator.World.FromRoot(() => System.Text.Encoding.UTF8.GetBytes(ResolveOptions(a, run, resume).ToJson()));
        return Train(TrainOptions.FromJson(JsonNode.Parse(sent)!.AsObject()), run, resume);
    }

    /// <summary>
    /// Trains a new run with <paramref name="options"/>, or resumes it (the options then being the run's own), with a
    /// progress bar, Ctrl-C kept to the last checkpoint and, under mpirun, rank 0 speaking for the job: the work of the
    /// <c>train</c> command, which the quickstart calls directly.
    /// </summary>
    public static int Train(TrainOptions options, RunDirectory run, bool resume)
    {
        var world = Communicator.World;
        using var trainer = new Trainer(options, run, resume, world);
        var ranks = world.Size > 1 ? $", {world.Description} × {options.Threads} thread(s)" : "";
        var length = trainer.Budget is { } budget ? $"{budget.Seconds / 60:G4} minutes of steps (about {trainer.TotalSteps} so far: the count is fixed from the run's pace)" : $"{trainer.TotalSteps} steps";
        AnsiConsole.MarkupLine($"training [bold]{Markup.Escape(options.Space)}[/] with [bold]{options.Sampler}[/]: {length} of {options.BatchSize} images ({trainer.BatchesPerEpoch} per epoch{ranks}), {trainer.Data.Train.Count} training / {trainer.Data.HeldOut.Count} held-out images" + (resume ? $", resuming at step {trainer.Step}" : ""));
        var bar = new ProgressBar("train", trainer.TotalSteps);
        // mpirun ends every rank with SIGTERM when one fails or is killed: rank 0 says where the run stands.
        using var stopped = world.Size > 1 && world.IsRoot
            ? System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, _ =>
                Console.Error.WriteLine($"\nerror: the job was stopped during step {trainer.Step + 1} (a rank failed or was killed, or mpirun was interrupted); " +
                    $"resume from the last checkpoint with: mpirun -np {world.Size} elasticvit train --out {run.Path} --resume"))
            : null;
        using var cancel = new CancellationTokenSource();
        // First Ctrl-C: stop after the current step and checkpoint it; the run can be resumed. Unregistered when training
        // ends: in a quickstart the process goes on, and a Ctrl-C later must not reach a disposed token.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            trainer.Run(p => { bar.Total = p.TotalSteps; bar.Report(p.Step, $"loss {p.Loss:F3}{(double.IsNaN(p.LevelFlopsM) ? "" : $" level {p.LevelFlopsM:G3}M")} {p.ImagesPerSecond:F0} img/s"); }, cancel: cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"\ninterrupted after step {trainer.Step}, checkpointed; resume with: elasticvit train --out {run.Path} --resume");
            return InterruptedExitCode;
        }
        finally { Console.CancelKeyPress -= onCancel; }
        AnsiConsole.MarkupLine($"done: {trainer.TotalSteps} steps; run directory [bold]{Markup.Escape(run.Path)}[/]");
        return 0;
    }

    /// <summary>The run's options: from the command line for a new run, from its config.json with --resume.</summary>
    private static TrainOptions ResolveOptions(ParsedArgs a, RunDirectory run, bool resume)
    {
        TrainOptions options;
        if (resume)
        {
            if (!run.HasCheckpoint) throw new UsageException($"--resume: {run.Path} has no checkpoint to resume from");
            options = run.LoadOptions();
            // The machine may differ from the one that started the run (other cores, another number of ranks).
            if (a.Has("threads") || Communicator.LaunchedRanks > 1) options = options with { Threads = Threads(a) };
            // Resumed on another number of ranks, the same micro-batches need another --accumulate (ranks × K constant).
            if (a.Has("accumulate")) options = options with { Accumulate = a.Int("accumulate", 1, 4096) };
        }
        else
        {
            options = new TrainOptions
            {
                Space = a.RequiredString("space"),
                Dataset = ParseDataset(a.RequiredString("data")),
                DataDir = a.String("data-dir"),
                Sampler = a.Choice("sampler", "uniform", "sandwich", "cas", "cas-pas", "random-level"),
                Epochs = a.Double("epochs") is double e && e > 0 ? e : throw new UsageException("--epochs must be > 0"),
                Steps = a.Has("steps") ? a.Int("steps", 1) : null,
                Minutes = a.Has("minutes") ? (a.Has("steps") ? throw new UsageException("give --steps or --minutes, not both")
                    : a.Double("minutes") is double m && m > 0 && double.IsFinite(m) ? m : throw new UsageException("--minutes must be > 0")) : null,
                LevelSubnets = a.Int("level-subnets", 1, 16),
                SpaceMinShare = a.Double("space-min-share") is double share && share is >= 0 and <= 1 ? share : throw new UsageException("--space-min-share must be in [0, 1]"),
                BankCapacity = a.Int("bank-capacity", 1, 100_000),
                MaxFirstFraction = a.Double("max-first") is double f && f is >= 0 and < 1 ? f : throw new UsageException("--max-first must be in [0, 1)"),
                BatchSize = a.Int("batch-size", 2, 4096),
                Augment = a.Flag("augment"),
                ZeroInitResiduals = a.Choice("residual-init", "zero", "standard") == "zero",
                InplaceDistillation = a.Choice("inplace-distillation", "on", "off") == "on",
                LrPer512 = a.Double("lr") is double lr && lr > 0 ? lr : throw new UsageException("--lr must be > 0"),
                Seed = a.Int("seed", 0),
                Threads = Threads(a),
                Accumulate = a.Int("accumulate", 1, 4096),
                Shards = a.Has("shards") ? a.Int("shards", 1, 256) : null,
                CheckpointEvery = a.Int("checkpoint-every", 1),
                ProbeEvery = a.Int("probe-every", 0),
                HeldOutPerClass = a.Int("heldout-per-class", 1),
                TrainLimit = a.Has("train-limit") ? a.Int("train-limit", 1) : null,
                Device = a.Choice("device", "cpu", "cuda"),
                Teacher = a.String("teacher"),
            };
            if (a.Flag("paper"))
            {
                var paper = options.WithPaperRecipe();
                options = options with
                {
                    LrPer512 = a.Has("lr") ? options.LrPer512 : paper.LrPer512,
                    LevelSubnets = a.Has("level-subnets") ? options.LevelSubnets : paper.LevelSubnets,
                    MaxFirstFraction = a.Has("max-first") ? options.MaxFirstFraction : paper.MaxFirstFraction,
                    Augment = paper.Augment,
                    ZeroInitResiduals = a.Has("residual-init") ? options.ZeroInitResiduals : paper.ZeroInitResiduals,
                    InplaceDistillation = a.Has("inplace-distillation") ? options.InplaceDistillation : paper.InplaceDistillation,
                    SpaceMinShare = a.Has("space-min-share") ? options.SpaceMinShare : paper.SpaceMinShare,
                    BankCapacity = a.Has("bank-capacity") ? options.BankCapacity : paper.BankCapacity,
                };
            }
            SpaceLoader.Load(options.Space);
        }
        return options;
    }

    private static int RunEval(ParsedArgs a)
    {
        using var trained = TrainedRun.Open(a.RequiredString("run"), a.Choice("weights", "ema", "raw") == "ema");
        var subnet = trained.Space.Resolve(a.RequiredString("arch"));
        using var evaluator = trained.Evaluator(a.Int("calibration-batches", 1));
        var acc = evaluator.Evaluate(subnet, "heldout", "test");
        var cost = Complexity.Of(trained.Space, subnet);
        if (a.Flag("json"))
        {
            Console.WriteLine(new JsonObject
            {
                ["key"] = subnet.Key, ["flops_m"] = Math.Round(cost.FlopsM, 4), ["params_m"] = Math.Round(cost.ParamsM, 5),
                ["heldout_top1"] = acc["heldout"], ["test_top1"] = acc["test"],
            }.ToJsonString());
            return 0;
        }
        var table = new Table().AddColumns("subnet", "FLOPs (M)", "params (M)", "held-out top-1", "test top-1");
        table.AddRow(Markup.Escape(subnet.Key), $"{cost.FlopsM:F2}", $"{cost.ParamsM:F3}", $"{acc["heldout"]:P2}", $"{acc["test"]:P2}");
        AnsiConsole.Write(table);
        return 0;
    }
}
