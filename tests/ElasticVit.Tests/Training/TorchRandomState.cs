namespace ElasticVit.Tests.Training;

/// <summary>
/// Tests that seed libtorch's global random generator and then build models from it: run alone, because any test
/// running at the same time may draw from the same generator and change the weights they build.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public static class TorchRandomState
{
    public const string Name = "torch random state";
}
