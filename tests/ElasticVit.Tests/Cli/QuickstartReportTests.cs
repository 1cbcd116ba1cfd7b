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
    public void Distinct_winners_need_no_note()
    {
        var results = new JsonArray(Row("a", 0.4, 0.35), Row("b", 0.6, 0.5), Row("a", 0.8, 0.35));
        Assert.Empty(QuickstartReport.SharedWinnerNotes(results));
    }
}
