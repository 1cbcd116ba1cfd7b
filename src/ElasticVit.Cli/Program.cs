using ElasticVit.Cli;

return CliHost.Run(CommandRegistry.All, args);
