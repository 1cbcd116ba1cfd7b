using ElasticVit.Cli.Reporting;

namespace ElasticVit.Cli.Commands;

/// <summary><c>report</c>: report.md and report.html with PNG charts for a quickstart/out directory.</summary>
public static class ReportCommand
{
    public static IEnumerable<CommandSpec> All =>
    [
        new("report", "write report.md and report.html with PNG charts for a quickstart output directory", [
            new("out", "quickstart output directory (holds supernet/, search.json, results.json)", "DIR", Required: true),
        ], a =>
        {
            var path = QuickstartReport.Write(a.RequiredString("out"));
            Console.WriteLine($"wrote {path} and report.html");
            return 0;
        }),
    ];
}
