using ElasticVit.Cli;
using ElasticVit.Cli.Commands;
using ElasticVit.Spaces;

// Every command registers here; each lives in its own file under Commands/.
CommandSpec[] commands =
[
    .. SpaceCommands.All,
    .. ArchCommands.All,
    .. TrainCommands.All,
    .. SearchCommands.All,
];

return CliHost.Run(commands, args);
