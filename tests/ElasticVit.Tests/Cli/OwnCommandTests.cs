using ElasticVit.Cli.Commands;
using ElasticVit.Spaces;

namespace ElasticVit.Tests.Cli;

/// <summary>The quickstart's winners are timed by <c>latency measure</c> in a process of their own (<see cref="OwnCommand"/>).</summary>
public class OwnCommandTests
{
    private static readonly SearchSpace Space = SpaceLoader.Load("elasticvit-fmnist-lite");

    [Fact]
    public void Latency_measure_in_a_new_process_reports_every_subnet_in_the_order_given()
    {
        Subnet[] subnets = [Space.MinSubnet, Space.Resolve("mid")];
        var json = OwnCommand.Run(["latency", "measure", "--device", "ort-cpu", "--space", Space.Name, "--arch", subnets[0].Key, "--arch", subnets[1].Key,
            "--passes", "2", "--warmup", "1", "--min-runs", "3", "--min-ms", "1", "--quantile", "0.1", "--json"], TimeSpan.FromMinutes(5));
        var ms = QuickstartCommand.MeasuredMs(json, subnets);
        Assert.Equal(2, ms.Length);
        Assert.All(ms, m => Assert.True(m > 0 && double.IsFinite(m), $"latency {m} ms"));
        // The same output read against another order of subnets is refused, not misattributed.
        Assert.Throws<QuickstartException>(() => QuickstartCommand.MeasuredMs(json, subnets.Reverse().ToArray()));
    }

    [Fact]
    public void A_failing_command_is_one_line_naming_the_command_and_the_childs_last_error_line()
    {
        var e = Assert.Throws<QuickstartException>(() =>
            OwnCommand.Run(["latency", "measure", "--device", "ort-cpu", "--space", "no-such-space", "--arch", "min"], TimeSpan.FromMinutes(5)));
        Assert.StartsWith("'latency measure' in a new process failed: ", e.Message);
        Assert.Contains("no-such-space", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"key\": \"x\", \"latency_ms\": 0.1}")]
    public void Output_that_is_not_the_measurement_of_these_subnets_is_an_error(string output) =>
        Assert.Throws<QuickstartException>(() => QuickstartCommand.MeasuredMs(output, [Space.MinSubnet]));

    [Fact]
    public void One_subnet_is_read_from_the_single_object_latency_measure_prints_for_it()
    {
        var json = $"{{\"key\": \"{Space.MinSubnet.Key}\", \"latency_ms\": 0.125}}";
        Assert.Equal([0.125], QuickstartCommand.MeasuredMs(json, [Space.MinSubnet]));
    }
}
