using System.Text.Json.Nodes;
using ElasticVit.Data;
using ElasticVit.Training;

namespace ElasticVit.Tests.Training;

/// <summary>The run configuration (config.json): one record, its JSON names, and configs of runs from earlier versions.</summary>
public class TrainOptionsTests
{
    [Fact]
    public void A_configuration_round_trips_through_its_json()
    {
        var options = new TrainOptions
        {
            Space = "s.json", Dataset = DatasetKind.Cifar10, DataDir = "/data", Steps = 12, Minutes = 1.5, LevelSubnets = 2, BatchSize = 32,
            Augment = true, Seed = 7, Threads = 3, Shards = 3, Accumulate = 2, SpaceMinShare = 0.25, EmaDecay = 0.99, Teacher = "t.ckpt", TrainLimit = 100, LrPer512 = 0.01,
        };
        Assert.Equal(options, TrainOptions.FromJson(JsonNode.Parse(options.ToJson())!.AsObject()));
        var json = JsonNode.Parse(options.ToJson())!.AsObject();
        Assert.Equal(0.01, (double)json["lr_per_512"]!);
        Assert.Equal(500, (int)json["heldout_per_class"]!);
        Assert.Equal("Cifar10", (string)json["dataset"]!);
        Assert.False(json.ContainsKey("peak_lr"));
    }

    [Fact]
    public void A_configuration_from_before_sharding_and_the_short_budget_recipe_trains_as_it_did()
    {
        // config.json as the first supernet runs wrote it.
        var old = JsonNode.Parse("""
            {"space": "elasticvit-fmnist", "dataset": "FashionMnist", "data_dir": null, "sampler": "cas-pas", "epochs": 1, "steps": 60,
             "minutes": null, "batch_size": 64, "seed": 0, "threads": 2, "checkpoint_every": 200, "heldout_per_class": 500,
             "lr_per_512": 0.0005, "weight_decay": 0.05, "warmup_fraction": 0.05, "clip_factor": 0.1, "ema_decay": null,
             "probe_every": 50, "teacher": null, "train_limit": null, "device": "cpu"}
            """)!.AsObject();
        var options = TrainOptions.FromJson(old);
        Assert.Equal((3, 0.0, true, false, true, 1, 1),
            (options.LevelSubnets, options.MaxFirstFraction, options.Augment, options.ZeroInitResiduals, options.InplaceDistillation, options.Shards, options.Accumulate));
        Assert.Equal((60L, 0.0005), (options.Steps!.Value, options.LrPer512));
        Assert.Equal(0, options.SamplerOptions().SpaceMinShare);
    }

    [Theory]
    [InlineData("{\"thread\": 2}", "thread")]
    [InlineData("{}", "space")]
    public void Unknown_and_missing_fields_are_refused(string edit, string field)
    {
        var json = JsonNode.Parse(new TrainOptions().ToJson())!.AsObject();
        foreach (var (name, value) in JsonNode.Parse(edit)!.AsObject()) json[name] = value?.DeepClone();
        if (edit == "{}") json.Remove(field);
        var e = Assert.ThrowsAny<System.Text.Json.JsonException>(() => TrainOptions.FromJson(json));
        Assert.Contains(field, e.Message);
    }
}
