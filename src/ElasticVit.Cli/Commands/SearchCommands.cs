using ElasticVit.Distributed;
using ElasticVit.Latency;
using ElasticVit.Search;
using ElasticVit.Spaces;
using ElasticVit.Training;
using Spectre.Console;

namespace ElasticVit.Cli.Commands;

/// <summary><c>search</c>: evolutionary search of a trained supernet under one or more alternative budgets.</summary>
public static class SearchCommands
{
    /// <summary>Default search size: a few minutes on 2 cores for the Fashion-MNIST space (bench/results/search.md).</summary>
    public static readonly EvolutionOptions Defaults = new() { Population = 48, Generations = 8 };

    /// <summary>The record's fitness defaults are the command's.</summary>
    private static readonly FitnessOptions FitnessDefaults = new();

    /// <summary>What one search is asked to do: the run, each alternative's budget text, the report path and how to evolve and score.</summary>
    public sealed record Settings(string Run, IReadOnlyList<string> Budgets, string Out, EvolutionOptions Evolution, FitnessOptions Fitness);

    public static IEnumerable<CommandSpec> All =>
    [
        new("search", "evolutionary search of a trained supernet for the most accurate subnet under each budget", [
            TrainCommands.Run,
            new("budget", $"{BudgetSpec.Syntax}; ',' joins budgets that must all hold; each --budget is one alternative", "SPEC", Required: true, Repeatable: true),
            new("out", "search report JSON; the Pareto plots go next to it as NAME-pareto-METRIC.png", "FILE", "search.json"),
            new("population", $"subnets per generation (default {Defaults.Population}; --paper: {EvolutionOptions.Paper.Population})", "P"),
            new("generations", $"generations after the initial population (default {Defaults.Generations}; --paper: {EvolutionOptions.Paper.Generations})", "G"),
            new("paper", "the paper's search size: population 512, 40 generations", null),
            new("seed", "random seed (alternative i uses S + i)", "S", "0"),
            new("predictor", "pre-screen children with a ridge-regression accuracy predictor: on or off", "on|off", "off"),
            new("fitness-images", "held-out images per class scored for fitness (0: the whole held-out split)", "N", OptionSpec.Text(FitnessDefaults.ImagesPerClass)),
            new("calibration-batches", "batches of 64 training images for BN recalibration of each subnet", "N", OptionSpec.Text(FitnessDefaults.CalibrationBatches)),
            new("fitness-engine", "what scores each recalibrated subnet: ort (ONNX Runtime, in memory), torch, or auto (ort on CPU)", "auto|ort|torch", "auto"),
            new("threads", "CPU threads: T subnets are evaluated at once, each single-threaded on its own supernet copy (per rank under mpirun: default the cores left to each rank of the machine)", "T", "2"),
        ], RunSearch),
    ];

    private static int RunSearch(ParsedArgs a)
    {
        var evolution = (a.Flag("paper") ? EvolutionOptions.Paper : Defaults) with { Seed = a.Int("seed", 0), UsePredictor = a.Choice("predictor", "on", "off") == "on" };
        if (a.Has("population")) evolution = evolution with { Population = a.Int("population", 4, 100_000) };
        if (a.Has("generations")) evolution = evolution with { Generations = a.Int("generations", 0, 10_000) };
        var fitness = FitnessDefaults with
        {
            ImagesPerClass = a.Int("fitness-images", 0), CalibrationBatches = a.Int("calibration-batches", 1, 10_000), Workers = TrainCommands.Threads(a),
            Engine = a.Choice("fitness-engine", "auto", "ort", "torch") switch { "ort" => FitnessEngine.OnnxRuntime, "torch" => FitnessEngine.Torch, _ => FitnessEngine.Auto },
        };
        return Search(new Settings(a.RequiredString("run"), a.All("budget"), a.OutputPath("out")!, evolution, fitness));
    }

    /// <summary>
    /// Searches the run for each alternative budget, writes the report and its plots and prints the winners (under
    /// mpirun every rank searches, rank 0 reports): the work of the <c>search</c> command, which the quickstart calls directly.
    /// </summary>
    public static int Search(Settings settings)
    {
        var (output, evolution, fitnessOptions) = (settings.Out, settings.Evolution, settings.Fitness);
        var world = Communicator.World;
        var threads = fitnessOptions.Workers;

        // Everything that can fail cheaply fails before the supernet and the data are loaded.
        var runDir = new RunDirectory(settings.Run);
        var trainOptions = runDir.LoadOptions();
        if (!runDir.HasCheckpoint) throw new TrainingException($"{runDir.Path}: the run has no checkpoint yet");
        var space = SpaceLoader.Load(trainOptions.Space);
        var luts = new LutLoader(space);
        var alternatives = settings.Budgets.Select(b => ParseBudget(b, space, luts)).ToList();
        foreach (var alternative in alternatives) alternative.EnsureFeasible(space);

        using var run = TrainedRun.Open(runDir.Path, threads: 1);
        using var fitness = new SupernetFitness(run, fitnessOptions);
        var seeds = run.MemoryBankSubnets;
        AnsiConsole.MarkupLine(Markup.Escape(
            $"searching {space.Name} ({runDir.Path}) for {alternatives.Count} budget(s): population {evolution.Population}, {evolution.Generations} generations, " +
            $"fitness on {fitness.FitnessImages} held-out images ({(fitness.UsesOnnxRuntime ? "ONNX Runtime" : "TorchSharp")}) after BN recalibration on {fitness.CalibrationImages} training images" +
            (seeds.Count > 0 ? $", {seeds.Count} memory-bank subnets as seeds" : "") +
            (world.Size > 1 ? $"; {world.Description} × {threads} thread(s)" : "")));

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        SearchReport report;
        // Under mpirun every rank runs the same search and scores its share of each generation; rank 0 reports.
        try { report = SearchRunner.Run(space, alternatives, new DistributedEvaluator(fitness, world), evolution, Progress(alternatives, evolution, fitness), seeds, cancel.Token); }
        finally { Console.CancelKeyPress -= onCancel; }
        if (!world.IsRoot) return 0;

        var distinct = report.Alternatives.Select(r => r.Winner.Subnet).DistinctBy(s => s.Key).ToList();
        Console.Error.WriteLine($"scoring {distinct.Count} winner(s) on the whole held-out split ({run.Data.HeldOut.Count} images) and the test set ({run.Data.Test.Count}), for the report only");
        var winners = distinct.ToDictionary(s => s.Key, fitness.Report, StringComparer.Ordinal);
        // A rank's own rate times the ranks would flatter a job whose ranks wait for each other: the job's evaluations over its time.
        var perMinute = world.Size > 1 ? report.Evaluations / report.Elapsed.TotalMinutes : fitness.EvaluationsPerMinute;
        var context = new SearchOutput.Context(runDir.Path, space, evolution, fitness, seeds.Count, perMinute, world.Size);
        var plots = SearchPlots.Write(report, output);
        SearchOutput.Write(output, report, winners, context, plots);
        PrintWinners(report, winners);
        AnsiConsole.MarkupLine(Markup.Escape(
            $"{report.Evaluations} evaluations ({perMinute:F0}/min{(world.Size > 1 ? $", {world.Size} ranks" : "")}), {report.CacheHits} cache hits, {ProgressBar.Format(report.Elapsed)}; wrote {string.Join(", ", plots.Prepend(output))}"));
        return 0;
    }

    /// <summary>A budget as a table cell: "latency:/long/path/lut.json:1.2345,flops:20" → "lut ≤ 1.2345 ms, flops ≤ 20".</summary>
    public static string ShortBudget(string budget) => string.Join(", ", budget.Split(',').Select(part =>
    {
        var (first, last) = (part.IndexOf(':'), part.LastIndexOf(':'));
        if (first < 0) return part;
        var kind = part[..first];
        return kind == "latency" && last > first
            ? $"{Path.GetFileNameWithoutExtension(part[(first + 1)..last])} ≤ {part[(last + 1)..]} ms"
            : $"{kind} ≤ {part[(first + 1)..]}";
    }));

    private static BudgetSet ParseBudget(string text, SearchSpace space, LutLoader luts)
    {
        try { return BudgetSet.Parse(text, space, luts.Load); }
        catch (SearchException e) { throw new UsageException($"--budget: {e.Message}"); }
    }

    /// <summary>One progress bar per alternative, advanced per generation, showing the best fitness so far.</summary>
    private static Action<SearchProgress> Progress(IReadOnlyList<BudgetSet> alternatives, EvolutionOptions evolution, SupernetFitness fitness)
    {
        ProgressBar Start(int i)
        {
            var bar = new ProgressBar($"search {alternatives[i].Name}", evolution.Generations + 1);
            bar.Report(0, "initial population");
            return bar;
        }
        var current = Start(0);
        return p =>
        {
            var g = p.Generation;
            current.Report(g.Generation + 1, $"best {g.Best.Fitness:P2}, {g.Evaluations} evaluations, {fitness.EvaluationsPerMinute:F0}/min");
            if (g.Generation == g.Generations && p.Alternative + 1 < p.Alternatives) current = Start(p.Alternative + 1);
        };
    }

    /// <summary>A table of the winners' costs and accuracies, then their keys (too long for a table column).</summary>
    private static void PrintWinners(SearchReport report, IReadOnlyDictionary<string, (double HeldOut, double Test)> accuracy)
    {
        var latencies = report.Metrics.Where(m => m.Name.StartsWith("latency:", StringComparison.Ordinal)).ToList();
        var table = new Table().AddColumns(["#", "budget", "FLOPs (M)", "params (M)", .. latencies.Select(m => $"{Path.GetFileName(m.Name["latency:".Length..])} (ms)"),
            "fitness", "held-out top-1", "test top-1"]);
        foreach (var (r, i) in report.Alternatives.Select((r, i) => (r, i + 1)))
        {
            var (w, acc) = (r.Winner, accuracy[r.Winner.Key]);
            table.AddRow([$"{i}", Markup.Escape(ShortBudget(r.Budgets.Name)), $"{w.Costs["flops"]:F2}", $"{w.Costs["params"]:F3}",
                .. latencies.Select(m => $"{w.Costs[m.Name]:F3}"), $"{w.Fitness:P2}", $"{acc.HeldOut:P2}", $"{acc.Test:P2}"]);
        }
        AnsiConsole.Write(table);
        foreach (var (r, i) in report.Alternatives.Select((r, i) => (r, i + 1))) Console.WriteLine($"winner {i}: {r.Winner.Key}");
    }
}
