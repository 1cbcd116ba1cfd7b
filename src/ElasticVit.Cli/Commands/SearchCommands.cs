using ElasticVit.Cli.Reporting;
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

    /// <summary>Budgets on one cost (<c>flops</c>, <c>params</c> or <c>latency:LUT_FILE</c>) placed where the front rises, instead of given.</summary>
    public sealed record KneeRequest(string Metric, KneeOptions Options);

    /// <summary>
    /// What one search is asked to do: the run, each alternative's budget text (or, with <paramref name="Knee"/>, none: the
    /// budgets are placed by a pilot), the report path and how to evolve and score.
    /// </summary>
    public sealed record Settings(string Run, IReadOnlyList<string> Budgets, string Out, EvolutionOptions Evolution, FitnessOptions Fitness, KneeRequest? Knee = null);

    private static readonly KneeOptions KneeDefaults = new();

    /// <summary>The memory banks' best subnets of each FLOPs level scored with the knee's pilot (banks list round-robin over the levels, best first).</summary>
    private const int KneeBankSubnetsPerLevel = 3;

    public static IEnumerable<CommandSpec> All =>
    [
        new("search", "evolutionary search of a trained supernet for the most accurate subnet under each budget", [
            TrainCommands.Run,
            new("budget", $"{BudgetSpec.Syntax}; ',' joins budgets that must all hold; each --budget is one alternative (this or --knee-budgets is required)", "SPEC", Repeatable: true),
            new("knee-budgets", "instead of --budget: place budgets on this cost (flops, params or latency:LUT_FILE) where accuracy still rises with it — a pilot of subnets across the cost range is scored first, and the budgets spread from the min subnet's cost to the knee, the least cost within --knee-tolerance of the pilot's best", "METRIC"),
            new("knee-count", "budgets placed by --knee-budgets", "N", OptionSpec.Text(KneeDefaults.Count)),
            new("knee-tolerance", "with --knee-budgets: how close to the pilot's best fitness the knee is, in points of top-1", "POINTS", OptionSpec.Text(KneeDefaults.Tolerance * 100)),
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
        var knee = a.String("knee-budgets") is string metric
            ? new KneeRequest(metric, KneeDefaults with { Count = a.Int("knee-count", 1, 100), Tolerance = KneeTolerance(a) / 100 })
            : null;
        var budgets = a.Has("budget") ? a.All("budget") : [];
        if ((knee is null) == (budgets.Count == 0)) throw new UsageException("search needs either --budget (one or more) or --knee-budgets, not both");
        return Search(new Settings(a.RequiredString("run"), budgets, a.OutputPath("out")!, evolution, fitness, knee));
    }

    private static double KneeTolerance(ParsedArgs a) => a.Double("knee-tolerance") is double points && points >= 0 && points <= 100
        ? points
        : throw new UsageException($"--knee-tolerance: '{a.String("knee-tolerance")}' is not a number of points between 0 and 100");

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
        var kneeMetric = settings.Knee is { } k ? KneeMetric(k.Metric, space, luts) : null;

        using var run = TrainedRun.Open(runDir.Path, threads: 1);
        using var fitness = new SupernetFitness(run, fitnessOptions);
        var banks = run.MemoryBankSubnets;
        var budgetsText = kneeMetric is null ? $"{alternatives.Count} budget(s)" : $"{settings.Knee!.Options.Count} budget(s) on {kneeMetric.Metric} placed by a pilot";
        AnsiConsole.MarkupLine(Markup.Escape(
            $"searching {space.Name} ({runDir.Path}) for {budgetsText}: population {evolution.Population}, {evolution.Generations} generations, " +
            $"fitness on {fitness.FitnessImages} held-out images ({(fitness.UsesOnnxRuntime ? "ONNX Runtime" : "TorchSharp")}) after BN recalibration on {fitness.CalibrationImages} training images" +
            (banks.Count > 0 ? $", {banks.Count} memory-bank subnets as seeds" : "") +
            (world.Size > 1 ? $"; {world.Description} × {threads} thread(s)" : "")));

        var cache = new FitnessCache(new DistributedEvaluator(fitness, world));
        KneeChoice? knee = null;
        if (kneeMetric is not null)
        {
            knee = PlaceKneeBudgets(space, kneeMetric, cache, settings.Knee!.Options, evolution.Seed, banks.Take(KneeBankSubnetsPerLevel * space.Levels.Count).ToList());
            alternatives = knee.Limits.Select(limit => ParseBudget(KneeBudgetText(settings.Knee.Metric, limit), space, luts)).ToList();
        }
        // The pilot's subnets (scored already) join each search's initial population before the banks' where they meet its budget.
        var seeds = (knee?.Pilot.Select(p => p.Subnet) ?? []).Concat(banks).ToList();

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        SearchReport report;
        // Under mpirun every rank runs the same search and scores its share of each generation; rank 0 reports.
        try { report = SearchRunner.Run(space, alternatives, cache, evolution, Progress(alternatives, evolution, fitness), seeds, cancel.Token); }
        finally { Console.CancelKeyPress -= onCancel; }
        if (!world.IsRoot) return 0;

        var distinct = report.Alternatives.Select(r => r.Winner.Subnet).DistinctBy(s => s.Key).ToList();
        Console.Error.WriteLine($"scoring {distinct.Count} winner(s) on the whole held-out split ({run.Data.HeldOut.Count} images) and the test set ({run.Data.Test.Count}), for the report only");
        var winners = distinct.ToDictionary(s => s.Key, fitness.Report, StringComparer.Ordinal);
        // A rank's own rate times the ranks would flatter a job whose ranks wait for each other: the job's evaluations over its time.
        var perMinute = world.Size > 1 ? report.Evaluations / report.Elapsed.TotalMinutes : fitness.EvaluationsPerMinute;
        var context = new SearchOutput.Context(runDir.Path, space, evolution, fitness, banks.Count, perMinute, world.Size, knee);
        var plots = SearchPlots.Write(report, output);
        SearchOutput.Write(output, report, winners, context, plots);
        PrintWinners(report, winners);
        AnsiConsole.MarkupLine(Markup.Escape(
            $"{report.Evaluations} evaluations ({perMinute:F0}/min{(world.Size > 1 ? $", {world.Size} ranks" : "")}), {report.CacheHits} cache hits, {ProgressBar.Format(report.Elapsed)}; wrote {string.Join(", ", plots.Prepend(output))}"));
        return 0;
    }

    /// <summary>The cost the knee budgets are placed on, as a budget whose limit is never used (its cost and names are).</summary>
    private static IBudget KneeMetric(string metric, SearchSpace space, LutLoader luts)
    {
        try { return BudgetSpec.Parse(KneeBudgetText(metric, 1), space, luts.Load); }
        catch (SearchException e) { throw new UsageException($"--knee-budgets: '{metric}' is not flops, params or latency:LUT_FILE ({e.Message})"); }
    }

    /// <summary>A budget spec for a limit; "R" keeps every digit, so the parsed budget admits what the limit admits.</summary>
    private static string KneeBudgetText(string metric, double limit) => FormattableString.Invariant($"{metric}:{limit:R}");

    /// <summary>Scores the pilot into the search's cache and prints where the front rises and the budgets it places.</summary>
    private static KneeChoice PlaceKneeBudgets(SearchSpace space, IBudget metric, FitnessCache cache, KneeOptions options, int seed, IReadOnlyList<Subnet> banks)
    {
        Console.Error.WriteLine($"placing {options.Count} budget(s) on {metric.Metric}: scoring a pilot of the min subnet, one subnet per {100.0 / options.PilotStrata:0.#} % slice of its range, the levels' min subnets" +
            (banks.Count > 0 ? $" and the {banks.Count} best memory-bank subnets" : ""));
        var knee = KneeBudgets.Choose(space, metric, cache, options, seed, banks);
        var table = new Table().AddColumns("pilot", $"{metric.Metric} ({metric.Unit})", "fitness", "best so far");
        var runningBest = double.NegativeInfinity;
        foreach (var (p, i) in knee.Pilot.Select((p, i) => (p, i + 1)))
        {
            runningBest = Math.Max(runningBest, p.Fitness);
            table.AddRow($"{i}", $"{p.Cost:G4}", $"{p.Fitness:P2}", $"{runningBest:P2}");
        }
        AnsiConsole.Write(table);
        Console.Error.WriteLine(FormattableString.Invariant(
            $"front: best {knee.BestFitness:P2}{QuickstartReport.SetAside(knee.BestFitness, knee.Pilot.Max(p => p.Fitness))}; within {options.Tolerance * 100:0.##} points of it from {knee.KneeCost:G4} {metric.Unit} (range {knee.MinCost:G4}–{knee.MaxCost:G4}); budgets {string.Join(", ", knee.Limits.Select(l => $"{l:G4}"))} {metric.Unit}, {(knee.Placement == KneePlacement.FrontSteps ? "on the front's steps" : "evenly spread")}"));
        return knee;
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
