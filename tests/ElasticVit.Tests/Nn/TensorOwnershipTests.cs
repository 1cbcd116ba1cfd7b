using ElasticVit.Data;
using ElasticVit.Export;
using ElasticVit.Supernet;
using ElasticVit.Tests.Data;
using ElasticVit.Tests.Search;
using ElasticVit.Training;
using TorchSharp;

namespace ElasticVit.Tests.Nn;

/// <summary>
/// The tensor half of docs/native-ownership.md: the work a search's fitness workers do on their own threads creates no
/// tensor outside a dispose scope (such a temporary is reachable from nowhere once its handle is read, so the finalizer
/// may free it while the native call still uses it). Counted with TorchSharp's per-thread statistics.
/// </summary>
public class TensorOwnershipTests
{
    [Fact]
    public void Recalibration_scoring_slice_copies_and_export_create_no_tensor_outside_a_dispose_scope()
    {
        var space = TestSpaces.Tiny;
        var images = DataFixtures.Synthetic(64, 10, 1, 28, 28);
        var normalization = new Normalization([0.5f], [0.25f]);
        using var net = new ElasticSupernet(space);
        using var evaluator = new SubnetEvaluator(net, images, normalization, calibrationBatches: 2, batchSize: 16);
        evaluator.AddEvalSet("set", images, normalization, batchSize: 32);
        var info = new ExportInfo(images.ClassNames, [0.5f], [0.25f]);
        var subnet = space.MaxSubnet;

        var outside = new Dictionary<string, long>();
        var worker = new Thread(() =>
        {
            long Count(Action work)
            {
                var before = DisposeScopeManager.Statistics.CreatedOutsideScopeCount;
                work();
                return DisposeScopeManager.Statistics.CreatedOutsideScopeCount - before;
            }
            outside["recalibrate"] = Count(() => evaluator.Recalibrate(subnet));
            outside["score"] = Count(() => evaluator.Count("set"));
            // Modules are made outside any scope (their parameters are kept, and TorchSharp's initialisers make a few
            // temporaries): extraction may make no more there than building the same model afresh does.
            StaticModel? fresh = null, extracted = null;
            var building = Count(() => fresh = new StaticModel(space, subnet));
            fresh!.Dispose();
            outside["extract"] = Count(() => extracted = StaticModel.Extract(net, subnet)) - building;
            using var model = extracted!;
            model.eval();
            outside["export"] = Count(() => OnnxExporter.Export(model, info));
        });
        worker.Start();
        worker.Join();
        Assert.Equal(["export", "extract", "recalibrate", "score"], outside.Keys.Order());
        Assert.All(outside, kv => Assert.True(kv.Value == 0, $"{kv.Key}: {kv.Value} tensors made outside a dispose scope"));
    }
}
