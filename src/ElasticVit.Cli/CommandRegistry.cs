using ElasticVit.Cli.Commands;

namespace ElasticVit.Cli;

/// <summary>Every command of the program; each lives in its own file under Commands/.</summary>
public static class CommandRegistry
{
    public static IReadOnlyList<CommandSpec> All { get; } =
    [
        .. QuickstartCommand.All,
        .. SpaceCommands.All,
        .. ArchCommands.All,
        .. TrainCommands.All,
        .. LatencyCommands.All,
        .. SearchCommands.All,
        .. ExportCommands.All,
        .. DeployCommands.All,
        .. ReportCommand.All,
    ];
}
