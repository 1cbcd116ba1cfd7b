using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ElasticVit.Data;

namespace ElasticVit.Training;

/// <summary>The resolved configuration of a supernet training run (saved as config.json in the run directory).</summary>
public sealed record TrainOptions
{
    [JsonRequired]
    public string Space { get; init; } = "elasticvit-fmnist";
    [JsonRequired]
    public DatasetKind Dataset { get; init; } = DatasetKind.FashionMnist;
    public string? DataDir { get; init; }
    [JsonRequired]
    public string Sampler { get; init; } = "cas-pas";
    public double? Epochs { get; init; } = 1;
    public long? Steps { get; init; }
    /// <summary>A wall-clock budget for the steps instead of a step count: the run fixes its steps from its own pace (<see cref="TimeBudget"/>).</summary>
    public double? Minutes { get; init; }
    /// <summary>Subnets drawn at each step's FLOPs level by the CAS and PAS samplers (the paper: 3), plus the level's min subnet.</summary>
    public int LevelSubnets { get; init; } = 1;
    /// <summary>
    /// Probability that a CAS/PAS step's min subnet is the space's min subnet instead of its level's
    /// (<see cref="Sampling.SamplerOptions.SpaceMinShare"/>; the paper: 0). 0 in the short-budget recipe too: at 1/3 the min
    /// subnet gained 0.15–1.8 points in two quickstarts and one of them returned two distinct winners instead of three
    /// (bench/results/quality.md, session 29).
    /// </summary>
    public double SpaceMinShare { get; init; }
    /// <summary>
    /// Share of the steps that train the max subnet alone before the sampler takes over (once-for-all's order: the
    /// largest network first, then the elastic dimensions); 0, the paper's recipe, samples from the first step.
    /// </summary>
    public double MaxFirstFraction { get; init; } = 0.3;

    /// <summary>
    /// The paper's recipe (METHOD.md §4) instead of the short-budget defaults: lr 5e-4 per 512 images, three level
    /// subnets plus the level min at every step from the first, augmented images, standard initialisation, in-place
    /// distillation, the paper's memory-bank capacity.
    /// </summary>
    public TrainOptions WithPaperRecipe() => this with { LrPer512 = 5e-4, LevelSubnets = 3, MaxFirstFraction = 0, SpaceMinShare = PaperSampler.SpaceMinShare, Augment = true, ZeroInitResiduals = false, InplaceDistillation = true, BankCapacity = PaperSampler.BankCapacity };

    /// <summary>
    /// PAS memory-bank capacity per FLOPs level (the paper: 150, and 50 for levels of 500 MFLOPs and more, which get at
    /// most their 50 either way). All banks are rescored at every epoch's first batch, one forward per entry:
    /// in a run of two or three epochs, 150-entry banks hold nearly every subnet the run explored, and rescoring them cost
    /// 9–12 % of a ten-minute quickstart's training time (bench/results/quality.md, session 14). The short-budget recipe
    /// keeps a small elite instead.
    /// </summary>
    public int BankCapacity { get; init; } = 24;

    /// <summary>The sampler settings this run's recipe implies.</summary>
    public Sampling.SamplerOptions SamplerOptions() =>
        new() { LevelSubnets = LevelSubnets, SpaceMinShare = SpaceMinShare, BankCapacity = BankCapacity, LargeLevelBankCapacity = Math.Min(BankCapacity, PaperSampler.LargeLevelBankCapacity) };

    /// <summary>The paper's sampler settings (SamplerOptions' defaults).</summary>
    private static readonly Sampling.SamplerOptions PaperSampler = new();

    [JsonRequired]
    public int BatchSize { get; init; } = 64;
    /// <summary>
    /// Whether training batches get the dataset's augmentation (pad-and-crop shifts and flips). Off in the short-budget
    /// recipe: a run of minutes sees each image about once, and plain images scored 0.85 points higher at 6 minutes
    /// (bench/results/quality.md); it also lets PAS score an explored subnet with its training forward.
    /// </summary>
    public bool Augment { get; init; }
    /// <summary>
    /// Residual branches start at zero (<see cref="Supernet.ElasticSupernet.ZeroInitResidualBranches"/>): +1.9 points at
    /// 6 minutes on top of training without augmentation (bench/results/quality.md).
    /// </summary>
    public bool ZeroInitResiduals { get; init; } = true;
    /// <summary>
    /// In-place distillation (METHOD.md §4, on with the paper's recipe): min subnets learn from the mean prediction of the
    /// step's larger subnets by the adaptive α-divergence. Off in the short-budget recipe, where every subnet learns from
    /// the labels (or the <see cref="Teacher"/>): a level subnet still far from converged is a poor teacher, and labels
    /// scored 2.0 points higher at 6 minutes (bench/results/quality.md, session 7).
    /// </summary>
    public bool InplaceDistillation { get; init; }
    [JsonRequired]
    public int Seed { get; init; } = 0;
    [JsonRequired]
    public int Threads { get; init; } = 2;
    /// <summary>
    /// Data-parallel shards per batch, each trained by its own thread on Threads / Shards torch threads
    /// (<see cref="ShardedSupernet"/>); null: one per thread on the CPU, one on a GPU.
    /// </summary>
    public int? Shards { get; init; }

    /// <summary>The shard count the run uses: <see cref="Shards"/>, or its default for the device.</summary>
    [JsonIgnore]
    public int EffectiveShards => Shards ?? (Device == "cpu" ? Threads : 1);
    /// <summary>
    /// Micro-batches per step, trained one after another with their gradients summed before the update: the batch of
    /// a step that does not fit at once, and the single-process equivalent of that many ranks of a job.
    /// </summary>
    public int Accumulate { get; init; } = 1;
    [JsonRequired]
    public int CheckpointEvery { get; init; } = 200;
    [JsonRequired, JsonPropertyName("heldout_per_class")]
    public int HeldOutPerClass { get; init; } = 500;
    /// <summary>Peak learning rate per 512 images (scaled linearly with the batch size); the short-budget default (bench/results/quality.md).</summary>
    [JsonRequired, JsonPropertyName("lr_per_512")]
    public double LrPer512 { get; init; } = 0.02;
    [JsonRequired]
    public double WeightDecay { get; init; } = 0.05;
    /// <summary>Share of the run spent warming up (the paper: 5 of 600 epochs).</summary>
    [JsonRequired]
    public double WarmupFraction { get; init; } = 0.05;
    [JsonRequired]
    public double ClipFactor { get; init; } = 0.1;
    public double? EmaDecay { get; init; }
    [JsonRequired]
    public int ProbeEvery { get; init; } = 50;
    public string? Teacher { get; init; }
    public int? TrainLimit { get; init; }
    [JsonRequired]
    public string Device { get; init; } = "cpu";

    [JsonIgnore]
    public double PeakLr => LrPer512 * BatchSize / 512.0;

    /// <summary>
    /// The run's config.json: every option under its snake_case name; unknown names are refused. Configs written
    /// before an option existed get the value that reproduces how those runs trained (<see cref="LegacyDefaults"/>).
    /// </summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <inheritdoc cref="ToJson"/>
    public static TrainOptions FromJson(JsonObject config)
    {
        foreach (var (name, value) in LegacyDefaults)
            if (!config.ContainsKey(name)) config[name] = JsonNode.Parse(value);
        return config.Deserialize<TrainOptions>(Json) ?? throw new JsonException("the run configuration is null");
    }

    /// <summary>Options added after runs were already written, with the behaviour those runs had.</summary>
    private static readonly (string Name, string Value)[] LegacyDefaults =
    [
        ("level_subnets", "3"), ("max_first_fraction", "0"), ("augment", "true"), ("zero_init_residuals", "false"), ("inplace_distillation", "true"),
        ("shards", "1"),   // runs from before sharding trained one batch on one thread
        ("accumulate", "1"),
        ("space_min_share", "0"),
    ];

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = true,
    };
}
