using System.Text.Json.Nodes;
using ElasticVit.Cli.Commands;
using ElasticVit.Tests.Data;
using ElasticVit.Tests.Search;
using ElasticVit.Training;

namespace ElasticVit.Tests.Cli;

/// <summary>The quickstart's time plan, from known (fake) paces: nothing here times this machine.</summary>
[Collection(ElasticVit.Tests.Training.TorchRandomState.Name)]
public class QuickstartTimePlanTests(TinyRun tiny) : IClassFixture<TinyRun>
{
    private static double Later(double pace) => QuickstartTimePlan.LaterStageSeconds(pace).Values.Sum();

    [Fact]
    public void Only_the_search_and_the_export_follow_the_measured_pace()
    {
        var (quick, slow) = (QuickstartTimePlan.LaterStageSeconds(0.5), QuickstartTimePlan.LaterStageSeconds(1.5));
        Assert.Equal(QuickstartTimePlan.Stages.Skip(1), quick.Keys);
        string[] paced = ["search", "export and checks"];
        foreach (var stage in quick.Keys.Except(paced)) Assert.Equal(quick[stage], slow[stage]);
        Assert.Equal(QuickstartTimePlan.SearchEvaluations * 1.0, slow["search"] - quick["search"], 9);
        Assert.Equal(QuickstartTimePlan.ExportWinners * QuickstartTimePlan.ExportEvaluationsPerWinner * 1.0, slow["export and checks"] - quick["export and checks"], 9);
        Assert.Equal(QuickstartTimePlan.ExportWinners * (QuickstartTimePlan.ExportEvaluationsPerWinner * 0.5 + QuickstartTimePlan.ExportMeasurementSecondsPerWinner), quick["export and checks"], 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => QuickstartTimePlan.LaterStageSeconds(0));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public void A_total_budget_gives_training_what_the_other_stages_and_the_reserve_leave_so_the_plan_adds_up_to_it(double pace)
    {
        var minutes = QuickstartTimePlan.TrainMinutesWithin(15, Later(pace) + 12);
        Assert.Equal(15 * 60 * (1 - QuickstartTimePlan.ReserveFraction), minutes * 60 + QuickstartTimePlan.TrainingOverheadSeconds + Later(pace) + 12, 6);
        Assert.InRange(QuickstartTimePlan.ReserveFraction, 0.01, 0.1);
    }

    [Fact]
    public void A_slower_machine_trains_for_less_of_the_same_total()
    {
        Assert.True(QuickstartTimePlan.TrainMinutesWithin(15, Later(1.2)) < QuickstartTimePlan.TrainMinutesWithin(15, Later(0.8)));
        // Where the other stages alone fill the budget, training keeps its minimum and the plan says it runs over.
        Assert.Equal(QuickstartTimePlan.MinTrainingMinutes, QuickstartTimePlan.TrainMinutesWithin(5, Later(2)));
    }

    [Fact]
    public void A_plan_is_kept_in_its_directory_and_a_resume_reads_the_same_minutes_and_stages()
    {
        using var dir = new TempDir();
        Assert.Null(QuickstartTimePlan.Load(dir.Path));
        var plan = QuickstartTimePlan.Create(dir.Path, "elasticvit-fmnist-lite", trainMinutes: null, totalMinutes: 15, secondsPerEvaluation: 1.0, pacingSeconds: 12);
        Assert.Equal(QuickstartTimePlan.TrainMinutesWithin(15, Later(1.0) + 12), plan.TrainMinutes, 3);
        Assert.Equal(Later(1.0), QuickstartTimePlan.Stages.Skip(1).Sum(plan.PlannedSeconds), 6);
        Assert.Contains("14.5 min in all, 0.5 min of --total-minutes 15 kept in reserve", plan.Describe());
        plan.Record("training", 530);

        var resumed = QuickstartTimePlan.Load(dir.Path)!;
        Assert.Equal(plan.TrainMinutes, resumed.TrainMinutes);
        Assert.Equal(15, resumed.TotalMinutes);
        Assert.Equal("elasticvit-fmnist-lite", resumed.Space);
        var stages = JsonNode.Parse(File.ReadAllText(dir.File(QuickstartTimePlan.File)))!["stages"]!.AsObject();
        Assert.Equal([QuickstartTimePlan.StartupStage, QuickstartTimePlan.PacingStage, "training"], stages.Select(s => s.Key));
        Assert.Equal(12, (double)stages[QuickstartTimePlan.PacingStage]!["actual_seconds"]!);
        Assert.Equal(530, (double)stages["training"]!["actual_seconds"]!);
        Assert.Equal(resumed.PlannedSeconds("training"), (double)stages["training"]!["planned_seconds"]!);
    }

    [Fact]
    public void The_setup_and_build_before_the_plan_come_out_of_the_training_so_the_command_still_ends_within_the_total()
    {
        using var dir = new TempDir();
        var fresh = QuickstartTimePlan.Create(dir.Path, "elasticvit-fmnist-lite", trainMinutes: null, totalMinutes: 15, secondsPerEvaluation: 1.0, pacingSeconds: 12, startupSeconds: 90);
        Assert.Equal(QuickstartTimePlan.TrainMinutesWithin(15, Later(1.0) + 12) - 1.5, fresh.TrainMinutes, 3);
        Assert.Equal(90, fresh.PlannedSeconds(QuickstartTimePlan.StartupStage));
        Assert.Contains("14.5 min in all, 0.5 min of --total-minutes 15 kept in reserve", fresh.Describe());
        var stages = JsonNode.Parse(File.ReadAllText(dir.File(QuickstartTimePlan.File)))!["stages"]!.AsObject();
        Assert.Equal(90, (double)stages[QuickstartTimePlan.StartupStage]!["actual_seconds"]!);
    }

    [Fact]
    public void Given_training_minutes_are_kept_and_the_total_is_what_the_stages_add_up_to()
    {
        using var dir = new TempDir();
        var plan = QuickstartTimePlan.Create(dir.Path, "elasticvit-fmnist-lite", trainMinutes: 20, totalMinutes: null, secondsPerEvaluation: 1.0, pacingSeconds: 10);
        Assert.Equal(20, plan.TrainMinutes);
        Assert.Null(plan.TotalMinutes);
        Assert.Equal(20 * 60 + QuickstartTimePlan.TrainingOverheadSeconds, plan.PlannedSeconds("training"));
        Assert.Contains($"{(10 + 20 * 60 + QuickstartTimePlan.TrainingOverheadSeconds + Later(1.0)) / 60:F1} min in all", plan.Describe());
        Assert.Throws<ArgumentException>(() => QuickstartTimePlan.Create(dir.Path, "s", 20, 15, 1.0, 0));
    }

    [Fact]
    public void A_total_too_short_for_the_other_stages_is_said_in_the_plan()
    {
        using var dir = new TempDir();
        var plan = QuickstartTimePlan.Create(dir.Path, "elasticvit-fmnist-lite", trainMinutes: null, totalMinutes: 3, secondsPerEvaluation: 1.0, pacingSeconds: 10);
        Assert.Equal(QuickstartTimePlan.MinTrainingMinutes, plan.TrainMinutes);
        Assert.Contains("more than --total-minutes 3 allows", plan.Describe());
    }

    [Fact]
    public void A_plan_written_before_the_search_was_paced_keeps_its_fixed_stages()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File(QuickstartTimePlan.File), """{"minutes": 9.75, "space": "elasticvit-fmnist-lite", "stages": {}}""");
        var plan = QuickstartTimePlan.Load(dir.Path)!;
        Assert.Equal(9.75 * 60 + QuickstartTimePlan.TrainingOverheadSeconds, plan.PlannedSeconds("training"));
        Assert.Equal(140, plan.PlannedSeconds("search"));
        Assert.Null(plan.TotalMinutes);
    }

    [Fact]
    public void The_search_pace_is_a_positive_time_per_evaluation_of_the_searchs_own_work()
    {
        using var run = TrainedRun.Open(tiny.Path, threads: 1);
        var pace = SearchPace.Measure(run.Space, run.Data, new FitnessOptions { ImagesPerClass = 2, CalibrationBatches = 1, Workers = 2 });
        Assert.True(pace > 0 && double.IsFinite(pace), $"{pace}");
    }
}
