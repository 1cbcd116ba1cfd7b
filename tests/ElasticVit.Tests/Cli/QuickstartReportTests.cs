using System.Text.Json.Nodes;
using ElasticVit.Cli.Reporting;

namespace ElasticVit.Tests.Cli;

public class QuickstartReportTests
{
    private static JsonObject Row(string key, double budgetMs, double predictedMs) => new()
    {
        ["key"] = key, ["budget"] = FormattableString.Invariant($"latency:/runs/q/lut.json:{budgetMs}"), ["predicted_ms"] = predictedMs,
    };

    [Fact]
    public void Budgets_that_returned_the_previous_budgets_winner_are_named_once_per_run_of_them()
    {
        var results = new JsonArray(Row("a", 0.4, 0.35), Row("a", 0.6, 0.35), Row("a", 0.8, 0.35), Row("b", 1.0, 0.9), Row("b", 1.2, 0.9));
        var notes = QuickstartReport.SharedWinnerNotes(results).ToList();
        Assert.Equal(2, notes.Count);
        Assert.StartsWith("Budgets 2 and 3 (up to 0.800 ms) returned budget 1's winner (0.350 ms predicted)", notes[0]);
        Assert.StartsWith("Budget 5 (up to 1.200 ms) returned budget 4's winner (0.900 ms predicted)", notes[1]);
    }

    [Fact]
    public void The_knee_sentence_gives_the_pilot_the_front_and_the_budgets_it_placed()
    {
        var knee = new JsonObject
        {
            ["metric"] = "latency:/runs/q/lut.json", ["unit"] = "ms", ["tolerance"] = 0.005, ["min_cost"] = 0.1771, ["max_cost"] = 0.5752,
            ["best_fitness"] = 0.9153, ["knee_cost"] = 0.2205, ["limits"] = new JsonArray(0.1771, 0.1988, 0.2205),
            ["pilot"] = new JsonArray(Pilot(0.88), Pilot(0.9153), Pilot(0.9201), Pilot(0.90)), ["placement"] = "even",
        };
        const string start = "The budgets were placed by a pilot: 4 subnets across the predicted range 0.177–0.575 ms scored first (into the search's cache). " +
            "Their best fitness was 91.53 % (the highest score, 92.01 %, set aside: one subnet's score may be luck), and the front came within 0.5 points of it " +
            "at 0.221 ms; above it, by the pilot, a slower subnet buys little accuracy. ";
        Assert.Equal(start + "The budgets (0.177, 0.199, 0.221 ms) spread evenly from the min subnet's own latency, the first budget's, to there (the front had too few steps for one budget each).",
            QuickstartReport.KneeSentence(knee));
        knee["placement"] = "front steps";
        Assert.Equal(start + "The budgets (0.177, 0.199, 0.221 ms) sit on the pilot's front up to there, each at a subnet that beats every cheaper one, " +
            "their fitness rising in about equal steps.", QuickstartReport.KneeSentence(knee));
        // Where the two highest scores tie nothing was set aside (and search.json files written before the rule say nothing of it).
        knee["pilot"] = new JsonArray(Pilot(0.88), Pilot(0.9153));
        Assert.Contains("Their best fitness was 91.53 %, and the front came", QuickstartReport.KneeSentence(knee));
    }

    private static JsonObject Pilot(double fitness) => new() { ["fitness"] = fitness };

    [Fact]
    public void Distinct_winners_need_no_note()
    {
        var results = new JsonArray(Row("a", 0.4, 0.35), Row("b", 0.6, 0.5), Row("a", 0.8, 0.35));
        Assert.Empty(QuickstartReport.SharedWinnerNotes(results));
    }

    private static JsonObject Evaluated(string key, double fitness, double ms) => new()
    {
        ["key"] = key, ["fitness"] = fitness, ["latency_ms"] = new JsonObject { ["/runs/q/lut.json"] = ms },
    };

    private static JsonObject Search(params JsonObject[] evaluated) => new()
    {
        ["settings"] = new JsonObject { ["fitness_images"] = 3000 }, ["evaluated"] = new JsonArray(evaluated),
    };

    [Fact]
    public void A_shared_winner_note_names_the_best_subnet_only_the_larger_budgets_allow_and_the_fitness_images_noise()
    {
        var results = new JsonArray(Row("a", 0.4, 0.35), Row("a", 0.6, 0.35));
        // Within the first budget, or over the last: not among the subnets only the larger budget allows.
        var search = Search(Evaluated("a", 0.90, 0.35), Evaluated("fast", 0.95, 0.38), Evaluated("over", 0.96, 0.70),
            Evaluated("close", 0.897, 0.45), Evaluated("worse", 0.85, 0.55));
        var note = Assert.Single(QuickstartReport.SharedWinnerNotes(results, search));
        Assert.Contains("the best of the 2 evaluated subnets that only the larger budget allows scored 89.70 % (0.450 ms predicted) against the winner's 90.00 %, on the same 3,000 held-out images (one standard error: ±0.55 points)", note);
        Assert.EndsWith("not measurably better here.", note);

        var clearlyWorse = Search(Evaluated("a", 0.90, 0.35), Evaluated("worse", 0.85, 0.55));
        Assert.EndsWith("the slower subnets scored lower.", Assert.Single(QuickstartReport.SharedWinnerNotes(results, clearlyWorse)));
    }

    [Fact]
    public void Without_an_evaluated_subnet_above_the_first_budget_the_note_keeps_to_the_search_answer()
    {
        var results = new JsonArray(Row("a", 0.4, 0.35), Row("a", 0.6, 0.35));
        var note = Assert.Single(QuickstartReport.SharedWinnerNotes(results, Search(Evaluated("a", 0.90, 0.35), Evaluated("fast", 0.91, 0.39))));
        Assert.EndsWith("scored higher on its fitness images.", note);
    }
}
