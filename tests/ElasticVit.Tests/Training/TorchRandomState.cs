namespace ElasticVit.Tests.Training;

/// <summary>
/// Tests that seed libtorch's global random generator and then build models from it (directly, through
/// <c>ExportTestModels</c>, or through a training run such as <c>TinyRun</c>): run alone, because any test running at the
/// same time may draw from the same generator and change the weights they build — a verdict would then depend on how
/// the test runner interleaved the tests, which a machine with more cores does differently.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public static class TorchRandomState
{
    public const string Name = "torch random state";
}
