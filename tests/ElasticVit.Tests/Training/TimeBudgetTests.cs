using ElasticVit.Training;

namespace ElasticVit.Tests.Training;

/// <summary>The step plan of a time-budgeted run, fed step times it knows (no clock).</summary>
public class TimeBudgetTests
{
    [Fact]
    public void Plans_from_the_mean_pace_until_nine_tenths_of_the_budget_then_keeps_the_plan()
    {
        var budget = new TimeBudget(seconds: 100, provisionalSteps: 7);
        Assert.Equal(7, budget.TotalSteps);
        Assert.Equal(50, budget.AfterStep(1, 2));            // 2 s/step: 1 done + 98 s / 2 s
        for (var step = 2; step <= 30; step++) budget.AfterStep(step, 2);
        Assert.Equal(43, budget.AfterStep(31, 12));          // 72 s in 31 steps: 31 + 28 s / (72/31 s) = 31 + 12.06
        Assert.False(budget.Frozen);
        var total = budget.AfterStep(32, 20);                 // 92 s: frozen at 32 + 8 s / 2.875 s
        Assert.Equal(35, total);
        Assert.True(budget.Frozen);
        Assert.Equal(35, budget.AfterStep(33, 30));          // slower steps later no longer move the plan
        Assert.Equal(122, budget.ElapsedSeconds);
    }

    [Fact]
    public void A_pace_that_changes_early_moves_the_plan_and_a_budget_spent_ends_the_run()
    {
        var budget = new TimeBudget(seconds: 60, provisionalSteps: 1000);
        Assert.Equal(60, budget.AfterStep(1, 1));            // 1 + 59 s / 1 s
        Assert.Equal(30, budget.AfterStep(2, 3));            // mean 2 s: 2 + 56 s / 2 s
        var tiny = new TimeBudget(seconds: 1, provisionalSteps: 5);
        Assert.Equal(5, tiny.AfterStep(1, 0.2));              // 1 + 0.8 s / 0.2 s, not frozen yet (0.2 s of 1)
        Assert.Equal(1, new TimeBudget(seconds: 1, provisionalSteps: 5).AfterStep(1, 5));   // the first step took the whole budget
    }

    [Fact]
    public void Restore_continues_a_saved_plan_and_bad_budgets_fail()
    {
        var budget = new TimeBudget(60, 10);
        budget.Restore(elapsedSeconds: 20, totalSteps: 40, frozen: true);
        Assert.Equal(40, budget.AfterStep(21, 1));
        Assert.Equal(21, budget.ElapsedSeconds);
        Assert.Throws<TrainingException>(() => new TimeBudget(0, 10));
        Assert.Throws<TrainingException>(() => new TimeBudget(double.PositiveInfinity, 10));
    }
}
