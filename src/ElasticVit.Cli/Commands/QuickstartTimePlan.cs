using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElasticVit.IO;
using ElasticVit.Sampling;
using ElasticVit.Spaces;
using ElasticVit.Supernet;
using ElasticVit.Training;
using Spectre.Console;
using TorchSharp;

namespace ElasticVit.Cli.Commands;

/// <summary>
/// The quickstart's time plan: each stage's expected seconds and, once run, what it took. The stages after training are
/// planned before it starts: the latency table and its validation take fixed time (they time for a set number of
/// milliseconds), the search and the export in proportion to this machine's measured pace of the search's own work
/// (<see cref="SearchPace"/>), so on a slow or busy host the training gets less of a total budget instead of the whole
/// run ending late. Kept in quickstart.json, so a resumed quickstart keeps its plan and reports earlier sessions' stages.
/// </summary>
public sealed class QuickstartTimePlan
{
    public const string File = "quickstart.json";

    /// <summary>Training's start-up, checkpoints and closing evaluation beyond its budget of steps.</summary>
    public const double TrainingOverheadSeconds = 20;

    /// <summary>The shortest training a total budget may leave; a plan that needs more than the total says so.</summary>
    public const double MinTrainingMinutes = 1;

    /// <summary>
    /// The share of a total budget no stage is planned into: the pace is timed in the first seconds, and a shared host's
    /// speed drifts within a run. Session 22's quickstart timed 1.07 s per evaluation, then ran 29 % slower during the
    /// validation and took 2m59 for a search planned at 2m28 — 10 s over 15 minutes without this reserve (half a
    /// minute of 15).
    /// </summary>
    public const double ReserveFraction = 1.0 / 30;

    // What the fixed-time stages took on this project's 2-core machines (sessions 11–21): the table 51–61 s at 100 ms
    // per layer, its validation 43–45 s (it also re-times the table's 30 calibration subnets).
    private static readonly (string Name, double Seconds)[] FixedStages =
        [("latency table", 60), ("latency validation", 45), ("report", 5)];

    /// <summary>
    /// Export and checks per distinct winner, planned for three: <see cref="ExportEvaluationsPerWinner"/> of
    /// <see cref="SearchPace"/>'s evaluations (a winner's BN recalibration, export and test top-1 in ONNX Runtime and
    /// TorchSharp is work of the same kind as a fitness evaluation, on more images, so it follows the machine and the
    /// space) and the winner's latency measurement, a set time. Session 21's exports of one small winner (4–5 MFLOPs)
    /// took 18–20 s at 1.07–1.28 s per evaluation: 12–14 evaluations and about 3.5 s of measurement; session 22's of two
    /// and three distinct winners (4–13 MFLOPs, the larger budgets' larger) 18–20 evaluations per winner. A fixed ¾
    /// minute was half of what the four-stage space's larger winners took.
    /// </summary>
    public const int ExportEvaluationsPerWinner = 18, ExportWinners = 3;
    public const double ExportMeasurementSecondsPerWinner = 3.5;

    /// <summary>
    /// The search's cost in <see cref="SearchPace"/>'s evaluations: the quickstart's three budgets of 24 × 3 generations
    /// evaluate 162 distinct subnets (sessions 11–21), then score the winners on the whole held-out split and the test
    /// set. Measured in these evaluations besides 10 s: 137, 121 and 111 in session 21's three quickstarts (one subnet won
    /// every budget, so the searches stayed among small subnets), 158 and 166 in session 22's two (a larger subnet won the
    /// third budget, and the searches evaluated larger ones). Since session 25 a pilot places the budgets first
    /// (<see cref="ElasticVit.Search.KneeBudgets"/>): 46 evaluations (the min subnet, 24 slices, the banks' 21 best; since session 32 the levels' min subnets too, two more on the t1 space), then
    /// 147 in the searches, whose initial populations start from the pilot's subnets (session 25, on session 25's first
    /// quickstart supernet; 162 with the budgets at 25/50/75 %). Planned near the upper end; the plan's reserve
    /// (<see cref="ReserveFraction"/>) covers the rest and a host that slows down after its pace was timed.
    /// </summary>
    public const int SearchEvaluations = 195;
    public const double SearchFixedSeconds = 10;

    /// <summary>Timing the search's pace, before the plan exists.</summary>
    public const string PacingStage = "search pace";

    /// <summary>
    /// From the command's start to the pacing: the launcher's setup and build (a minute or more on a fresh machine) and the
    /// CLI's own start. Spent before the plan exists, and part of the budget: the user's clock started with the command.
    /// </summary>
    public const string StartupStage = "setup and start";

    /// <summary>Stages after the pacing, in the order they run.</summary>
    public static readonly string[] Stages = ["training", "latency table", "latency validation", "search", "export and checks", "report"];

    private readonly string _path;
    private readonly JsonObject _state;

    private QuickstartTimePlan(string path, JsonObject state) => (_path, _state) = (path, state);

    /// <summary>The plan of an earlier session in <paramref name="dir"/>, or null.</summary>
    public static QuickstartTimePlan? Load(string dir)
    {
        var path = Path.Combine(dir, File);
        if (!System.IO.File.Exists(path)) return null;
        // A damaged plan is checked here, whole, so a resume fails in one line before any stage rather than in a later one.
        try
        {
            var state = JsonNode.Parse(System.IO.File.ReadAllText(path)) as JsonObject ?? throw new FormatException("not a JSON object");
            var plan = new QuickstartTimePlan(path, state);
            if (!(plan.TrainMinutes > 0)) throw new FormatException("'minutes' is not positive");
            if (plan.TotalMinutes is <= 0) throw new FormatException("'total_minutes' is not positive");
            _ = plan.Space;
            foreach (var stage in Stages) if (!(plan.PlannedSeconds(stage) >= 0)) throw new FormatException($"the planned seconds of '{stage}' are negative");
            _ = plan.Recorded;
            return plan;
        }
        catch (Exception e) when (QuickstartException.IsDamagedFile(e))
        {
            throw new QuickstartException($"{path} is not as the quickstart writes it ({QuickstartException.Describe(e)}); delete it to plan this --out again, or use a new --out");
        }
    }

    /// <summary>
    /// A new plan: the later stages' seconds from <paramref name="secondsPerEvaluation"/>, the training's minutes either
    /// given (<paramref name="trainMinutes"/>) or what <paramref name="totalMinutes"/> leaves after everything else,
    /// including the <paramref name="startupSeconds"/> from the command's start to the pacing and the
    /// <paramref name="pacingSeconds"/> that measuring the pace took.
    /// </summary>
    public static QuickstartTimePlan Create(string dir, string space, double? trainMinutes, double? totalMinutes, double secondsPerEvaluation,
        double pacingSeconds, double startupSeconds = 0)
    {
        if (trainMinutes is null == totalMinutes is null) throw new ArgumentException("give the training minutes or the total minutes, not both");
        var later = LaterStageSeconds(secondsPerEvaluation);
        var minutes = trainMinutes ?? TrainMinutesWithin(totalMinutes!.Value, later.Values.Sum() + pacingSeconds + startupSeconds);
        var planned = new JsonObject
        {
            [StartupStage] = Math.Round(startupSeconds, 1), [PacingStage] = Math.Round(pacingSeconds, 1), ["training"] = Math.Round(minutes * 60 + TrainingOverheadSeconds, 1),
        };
        foreach (var (stage, seconds) in later) planned[stage] = Math.Round(seconds, 1);
        var state = new JsonObject
        {
            ["minutes"] = Math.Round(minutes, 3), ["total_minutes"] = totalMinutes, ["space"] = space, ["created_at"] = DateTime.UtcNow.ToString("O"),
            ["search_seconds_per_evaluation"] = Math.Round(secondsPerEvaluation, 4), ["planned_seconds"] = planned, ["stages"] = new JsonObject(),
        };
        var plan = new QuickstartTimePlan(Path.Combine(dir, File), state);
        plan.Record(StartupStage, startupSeconds);   // spent already: planned as they were
        plan.Record(PacingStage, pacingSeconds);
        return plan;
    }

    /// <summary>Planned seconds of every stage after training, the search's and the export's from the measured pace of the search's evaluations.</summary>
    public static Dictionary<string, double> LaterStageSeconds(double secondsPerEvaluation)
    {
        if (!(secondsPerEvaluation > 0) || !double.IsFinite(secondsPerEvaluation)) throw new ArgumentOutOfRangeException(nameof(secondsPerEvaluation));
        var seconds = FixedStages.ToDictionary(f => f.Name, f => f.Seconds);
        seconds["search"] = SearchEvaluations * secondsPerEvaluation + SearchFixedSeconds;
        seconds["export and checks"] = ExportWinners * (ExportEvaluationsPerWinner * secondsPerEvaluation + ExportMeasurementSecondsPerWinner);
        return Stages.Skip(1).ToDictionary(s => s, s => seconds[s]);
    }

    /// <summary>The training minutes a total budget leaves after the other stages and the reserve, at least <see cref="MinTrainingMinutes"/>.</summary>
    public static double TrainMinutesWithin(double totalMinutes, double laterSeconds) =>
        Math.Max(MinTrainingMinutes, (PlannableSeconds(totalMinutes) - laterSeconds - TrainingOverheadSeconds) / 60);

    /// <summary>The seconds of a total budget the stages may be planned into: all but the reserve.</summary>
    private static double PlannableSeconds(double totalMinutes) => totalMinutes * 60 * (1 - ReserveFraction);

    /// <summary>The training minutes of the first session (a resume keeps the run's own plan).</summary>
    public double TrainMinutes => (double)_state["minutes"]!;

    /// <summary>The whole quickstart's budget, when the training's minutes were derived from it.</summary>
    public double? TotalMinutes => (double?)_state["total_minutes"];

    /// <summary>The space of the first session (quickstart.json files older than the option: the four-transformer-stage space they used).</summary>
    public string Space => (string?)_state["space"] ?? "elasticvit-fmnist";

    // quickstart.json files from before the search was planned from its pace kept one fixed plan.
    private static readonly Dictionary<string, double> LegacyPlan = new()
        { ["latency table"] = 60, ["latency validation"] = 45, ["search"] = 140, ["export and checks"] = 45, ["report"] = 5 };

    public double PlannedSeconds(string stage) =>
        _state["planned_seconds"] is JsonObject planned ? (double)planned[stage]!
        : stage == "training" ? TrainMinutes * 60 + TrainingOverheadSeconds : LegacyPlan[stage];

    private JsonObject Recorded => _state["stages"] is null ? (JsonObject)(_state["stages"] = new JsonObject()) : _state["stages"]!.AsObject();   // older quickstart.json files have none

    public void Record(string stage, double seconds)
    {
        Recorded[stage] = new JsonObject { ["planned_seconds"] = PlannedSeconds(stage), ["actual_seconds"] = Math.Round(seconds, 1) };
        Save();
    }

    private void Save() => AtomicFile.WriteAllText(_path, _state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The plan in one paragraph: each stage's minutes and the total, and whether the total budget is kept.</summary>
    public string Describe()
    {
        var later = Stages.Skip(1).Select(s => (Stage: s, Seconds: PlannedSeconds(s))).ToList();
        var spent = new[] { StartupStage, PacingStage }.Sum(stage => Recorded[stage] is JsonObject done ? (double)done["actual_seconds"]! : 0);
        var total = spent + PlannedSeconds("training") + later.Sum(s => s.Seconds);
        var pace = (double?)_state["search_seconds_per_evaluation"] is double p ? $" (search: {p:F2} s per fitness evaluation measured here)" : "";
        var text = $"plan: training {TrainMinutes:0.##} min, then {string.Join(", ", later.Select(s => $"{s.Stage} {s.Seconds / 60:0.#}"))} min{pace}: {total / 60:F1} min in all";
        if (TotalMinutes is double budget)
            text += total > PlannableSeconds(budget) + 1
                ? $" — more than --total-minutes {budget:0.##} allows, since training needs at least {MinTrainingMinutes:0.#} min"
                : $", {(budget * 60 - total) / 60:0.0} min of --total-minutes {budget:0.##} kept in reserve for a host whose speed drifts";
        return text;
    }

    public void PrintComparison()
    {
        var table = new Table().AddColumns("stage", "planned", "actual", "actual / planned");
        double planned = 0, actual = 0;
        foreach (var (name, node) in Recorded)
        {
            var (p, a) = ((double)node!["planned_seconds"]!, (double)node["actual_seconds"]!);
            (planned, actual) = (planned + p, actual + a);
            table.AddRow(name, ProgressBar.Format(TimeSpan.FromSeconds(p)), ProgressBar.Format(TimeSpan.FromSeconds(a)), $"{a / p:P0}");
        }
        table.AddRow("all", ProgressBar.Format(TimeSpan.FromSeconds(planned)), ProgressBar.Format(TimeSpan.FromSeconds(actual)), $"{actual / planned:P0}");
        AnsiConsole.Write(table);
    }
}

/// <summary>
/// The pace of the search's own work on this machine, now: the seconds per fitness evaluation (BN recalibration, the
/// subnet exported in memory and scored in ONNX Runtime on the held-out images) of random subnets of a freshly
/// initialised supernet, with the search's workers. Weights do not change the work, so an untrained supernet times the
/// same as the trained one the search will load. The subnets are the same on every machine and for every seed, so the
/// search's cost in these evaluations (<see cref="QuickstartTimePlan.SearchEvaluations"/>) is a property of the work,
/// not of the CPU.
/// </summary>
public static class SearchPace
{
    /// <summary>Evaluations per worker: one untimed (first sessions and kernels are slower), then these timed in each round.</summary>
    public const int TimedPerWorker = 3;

    /// <summary>
    /// Timed rounds of the same subnets; the faster counts, since a busy host only adds time. One round of a few seconds
    /// caught a slow moment in session 29 (0.75 s per evaluation against 0.50–0.53 s in the runs before it, while the
    /// search itself then ran at 0.45 s): the plan gave the search a minute and a half it did not use and took 45 s from
    /// the training. The plan's reserve covers a host that slows down later.
    /// </summary>
    public const int TimedRounds = 2;

    /// <summary>Evaluations the pacing runs, untimed ones included.</summary>
    public static int Evaluations(int workers) => workers * (1 + TimedRounds * TimedPerWorker);

    public static double Measure(SearchSpace space, RunData data, FitnessOptions options)
    {
        const int seed = 0;
        torch.set_num_threads(1);   // as the search runs: one thread per fitness worker
        torch.random.manual_seed(seed);
        using var net = new ElasticSupernet(space);
        net.eval();
        using var fitness = new SupernetFitness(net, data, options, seed);
        var rng = new SeededRandom(seed);
        Subnet[] Draw(int n) => Enumerable.Range(0, n).Select(_ => RandomSubnets.Draw(space, rng)).ToArray();
        fitness.Evaluate(Draw(options.Workers));
        var timed = Draw(TimedPerWorker * options.Workers);
        var fastest = double.PositiveInfinity;
        for (var round = 0; round < TimedRounds; round++)
        {
            var clock = Stopwatch.StartNew();
            fitness.Evaluate(timed);
            fastest = Math.Min(fastest, clock.Elapsed.TotalSeconds / timed.Length);
        }
        return fastest;
    }
}
