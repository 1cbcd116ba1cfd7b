namespace ElasticVit.Distributed;

/// <summary>The process's place in its job, chosen from the environment once per process.</summary>
public static class Communicator
{
    private static readonly Lazy<ICommunicator> _world = new(FromEnvironment);

    /// <summary>
    /// Open MPI when the process was started by Open MPI's <c>mpirun</c> (which sets OMPI_COMM_WORLD_SIZE), else
    /// <see cref="SingleProcess"/>. Initialises MPI on first use.
    /// </summary>
    public static ICommunicator World => _world.Value;

    /// <summary>Whether <see cref="World"/> was created (so that finalising it does not initialise MPI first).</summary>
    public static bool IsCreated => _world.IsValueCreated;

    /// <summary>The world size mpirun announced in the environment, or 1.</summary>
    public static int LaunchedRanks =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"), out var size) && size > 0 ? size : 1;

    /// <summary>The rank mpirun announced in the environment (0 without mpirun), known before MPI is initialised.</summary>
    public static int LaunchedRank =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK"), out var rank) && rank > 0 ? rank : 0;

    /// <summary>
    /// Threads for each rank when none were asked for: the cores this process may use (mpirun binds a rank to one core
    /// by default) shared among the ranks on this machine.
    /// </summary>
    public static int DefaultThreadsPerRank =>
        Math.Max(1, Environment.ProcessorCount /
            (int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out var local) && local > 0 ? local : LaunchedRanks));

    private static ICommunicator FromEnvironment() =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is null ? SingleProcess.Instance : new OpenMpi();
}
