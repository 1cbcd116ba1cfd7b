using ElasticVit.IO;
using System.Reflection;
using System.Diagnostics;
using System.Text.Json;

namespace ElasticVit.Spaces;

/// <summary>
/// Loads search spaces from JSON, strictly: unknown keys, missing keys, empty or unsorted choice lists,
/// shrinking widths and transformer widths not divisible by the head dimension are errors that name
/// the file and the field. Built-in spaces ship as embedded resources.
/// </summary>
public static class SpaceLoader
{
    private const string ResourcePrefix = "spaces/";

    public static IReadOnlyList<string> BuiltInNames { get; } = typeof(SpaceLoader).Assembly
        .GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..^".json".Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>The largest space file read (the built-in ImageNet space is a few kilobytes).</summary>
    public const long MaxFileBytes = 1L << 20;

    /// <summary>
    /// Bounds of a space's numbers, far above any real network's: inputs up to 4,096 pixels a side, widths and other
    /// counts up to 16,384, stages up to 64 layers deep — so FLOPs and parameter counts cannot overflow.
    /// </summary>
    public const int MaxResolution = 4096, MaxInteger = 16384, MaxDepth = 64;

    private static readonly Dictionary<string, SearchSpace> Cache = new(StringComparer.Ordinal);

    /// <summary>A built-in space by name, or a space JSON file by path.</summary>
    public static SearchSpace Load(string nameOrPath)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(nameOrPath, out var cached)) return cached;
            SearchSpace space;
            if (BuiltInNames.Contains(nameOrPath))
            {
                using var stream = typeof(SpaceLoader).Assembly.GetManifestResourceStream(ResourcePrefix + nameOrPath + ".json")!;
                using var reader = new StreamReader(stream);
                space = Parse(reader.ReadToEnd(), nameOrPath + ".json (built-in)");
            }
            else if (File.Exists(nameOrPath))
            {
                space = Parse(InputFile.ReadText(nameOrPath, MaxFileBytes, m => new SpaceException(m)), nameOrPath);
            }
            else
            {
                throw new SpaceException($"unknown search space '{nameOrPath}': not a built-in space ({string.Join(", ", BuiltInNames)}) and not a file");
            }
            Cache[nameOrPath] = space;
            return space;
        }
    }

    public static SearchSpace Parse(string json, string source)
    {
        using (var doc = InputFile.ObjectDocument(json, source, m => new SpaceException(m)))
        {
            var f = new Fields(doc.RootElement, source, "");
            f.AllowOnly("name", "description", "input", "classes", "head_dim", "classifier_mul", "classifier_hidden",
                "resolutions", "stem", "stages", "flops_bound_m", "levels", "models");
            var headDim = f.Int("head_dim");
            var input = f.Object("input");
            input.AllowOnly("channels", "native_size");
            var stemF = f.Object("stem");
            stemF.AllowOnly("widths", "depth", "kernels", "stride");
            var (stemMin, stemMax) = stemF.Range("depth");
            var stem = new StemSpace(stemF.Choices("widths"), stemMin, stemMax, stemF.Choices("kernels"), stemF.Int("stride"));

            var stages = new List<StageSpace>();
            var stageArray = f.Array("stages");
            var previousMax = stem.Widths[^1];
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < stageArray.Count; i++)
            {
                var s = stageArray[i];
                var type = s.String("type");
                var name = s.String("name");
                if (!names.Add(name)) s.Fail("name", $"duplicate stage name '{name}'");
                var (dMin, dMax) = s.Range("depth");
                StageSpace stage;
                if (type == "mbconv")
                {
                    s.AllowOnly("name", "type", "stride", "se", "widths", "depth", "expansions", "kernels");
                    stage = new StageSpace(name, StageKind.MbConv, s.Int("stride"), s.Bool("se"), s.Choices("widths"), dMin, dMax,
                        s.Choices("expansions"), s.Choices("kernels"), [], []);
                }
                else if (type == "transformer")
                {
                    s.AllowOnly("name", "type", "stride", "widths", "depth", "mlp_ratios", "v_scales");
                    stage = new StageSpace(name, StageKind.Transformer, s.Int("stride"), true, s.Choices("widths"), dMin, dMax,
                        [], [], s.Choices("mlp_ratios"), s.Choices("v_scales"));
                    foreach (var w in stage.Widths.Where(w => w % headDim != 0))
                        s.Fail("widths", $"width {w} of transformer stage {name} is not divisible by head_dim {headDim}");
                }
                else
                {
                    s.Fail("type", $"unknown stage type '{type}' (expected mbconv or transformer)");
                    throw new UnreachableException();
                }
                if (stage.Stride is not (1 or 2)) s.Fail("stride", "must be 1 or 2");
                if (stage.MaxWidth < previousMax)
                    s.Fail("widths", $"widths must not decrease: the largest width {stage.MaxWidth} is below the previous stage's {previousMax}");
                previousMax = stage.MaxWidth;
                stages.Add(stage);
            }
            if (stages.Count == 0) f.Fail("stages", "must list at least one stage");

            var space = new SearchSpace
            {
                Name = f.String("name"),
                Description = f.OptionalString("description") ?? "",
                Input = new InputSpec(input.Int("channels"), input.Int("native_size", MaxResolution)),
                Classes = f.Int("classes"),
                HeadDim = headDim,
                ClassifierMul = f.Int("classifier_mul"),
                ClassifierHidden = f.Int("classifier_hidden"),
                Resolutions = f.Choices("resolutions", MaxResolution),
                Stem = stem,
                Stages = stages,
                FlopsBoundM = f.Double("flops_bound_m"),
                Levels = [],
                NamedModels = new Dictionary<string, Subnet>(),
            };

            // Levels and named models are subnets of the space itself, so they are parsed against it.
            var levels = new List<FlopsLevel>();
            var levelArray = f.Array("levels");
            for (var i = 0; i < levelArray.Count; i++)
            {
                var l = levelArray[i];
                l.AllowOnly("flops_m", "min_subnet");
                var flops = l.Double("flops_m");
                var min = ParseSubnet(l, "min_subnet", space);
                if (levels.Count > 0 && flops <= levels[^1].FlopsM) l.Fail("flops_m", "levels must be strictly increasing");
                var minFlops = Complexity.FlopsM(space, min);
                if (minFlops > flops + 2 * space.FlopsBoundM)
                    l.Fail("min_subnet", $"min subnet has {minFlops:F2}M FLOPs, above the level's range [{flops}, {flops + 2 * space.FlopsBoundM}]");
                levels.Add(new FlopsLevel(flops, min));
            }
            if (levels.Count == 0) f.Fail("levels", "must list at least one FLOPs level");

            var models = new Dictionary<string, Subnet>(StringComparer.Ordinal);
            if (f.Has("models"))
            {
                var m = f.Object("models");
                foreach (var name in m.Names()) models[name] = ParseSubnet(m, name, space);
            }
            return new SearchSpace
            {
                Name = space.Name, Description = space.Description, Input = space.Input, Classes = space.Classes,
                HeadDim = space.HeadDim, ClassifierMul = space.ClassifierMul, ClassifierHidden = space.ClassifierHidden,
                Resolutions = space.Resolutions, Stem = space.Stem, Stages = space.Stages, FlopsBoundM = space.FlopsBoundM,
                Levels = levels, NamedModels = models, SourceJson = json,
            };
        }
    }

    private static Subnet ParseSubnet(Fields f, string field, SearchSpace space)
    {
        var key = f.String(field);
        try { return Subnet.Parse(key, space); }
        catch (SpaceException e) { f.Fail(field, e.Message); throw new UnreachableException(); }
    }

    /// <summary>Typed, path-aware access to one JSON object; every failure names file and field.</summary>
    private sealed class Fields(JsonElement element, string source, string path)
    {
        public void Fail(string field, string problem) =>
            throw new SpaceException($"{source}: field '{Join(field)}': {problem}");

        private string Join(string field) => path.Length == 0 ? field : $"{path}.{field}";

        public void AllowOnly(params string[] allowed)
        {
            foreach (var p in element.EnumerateObject())
                if (!allowed.Contains(p.Name)) Fail(p.Name, $"unknown key (allowed: {string.Join(", ", allowed)})");
        }

        public bool Has(string field) => element.TryGetProperty(field, out _);
        public IEnumerable<string> Names() => element.EnumerateObject().Select(p => p.Name);

        private JsonElement Get(string field, JsonValueKind kind)
        {
            if (!element.TryGetProperty(field, out var v)) Fail(field, "missing");
            if (v.ValueKind != kind && !(kind == JsonValueKind.True && v.ValueKind == JsonValueKind.False))
                Fail(field, $"expected {kind.ToString().ToLowerInvariant()}, got {v.ValueKind.ToString().ToLowerInvariant()}");
            return v;
        }

        public string String(string field) => Get(field, JsonValueKind.String).GetString()!;
        public string? OptionalString(string field) => Has(field) ? String(field) : null;
        public bool Bool(string field) => Get(field, JsonValueKind.True).GetBoolean();
        /// <summary>A finite, positive number.</summary>
        public double Double(string field)
        {
            var v = Get(field, JsonValueKind.Number);
            if (!v.TryGetDouble(out var d) || !double.IsFinite(d) || d <= 0) Fail(field, $"expected a finite positive number, got {v.GetRawText()}");
            return d;
        }

        public int Int(string field, int max = MaxInteger)
        {
            var v = Get(field, JsonValueKind.Number);
            if (!v.TryGetInt32(out var i) || i <= 0 || i > max) Fail(field, $"expected an integer from 1 to {max}, got {v.GetRawText()}");
            return i;
        }

        public Fields Object(string field) => new(Get(field, JsonValueKind.Object), source, Join(field));

        public IReadOnlyList<Fields> Array(string field) =>
            Get(field, JsonValueKind.Array).EnumerateArray().Select((e, i) =>
            {
                var itemPath = $"{Join(field)}[{i}]";
                if (e.ValueKind != JsonValueKind.Object) throw new SpaceException($"{source}: field '{itemPath}': expected object");
                return new Fields(e, source, itemPath);
            }).ToArray();

        /// <summary>A non-empty, strictly increasing list of positive integers.</summary>
        public IReadOnlyList<int> Choices(string field, int max = MaxInteger)
        {
            var values = new List<int>();
            foreach (var e in Get(field, JsonValueKind.Array).EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var v) || v <= 0 || v > max)
                    Fail(field, $"choice {e.GetRawText()} is not an integer from 1 to {max}");
                values.Add(e.GetInt32());
            }
            if (values.Count == 0) Fail(field, "empty choice list");
            for (var i = 1; i < values.Count; i++)
                if (values[i] <= values[i - 1]) Fail(field, $"choices must be strictly increasing ({values[i - 1]} then {values[i]})");
            return values;
        }

        /// <summary>A [min, max] depth range.</summary>
        public (int Min, int Max) Range(string field)
        {
            var r = Get(field, JsonValueKind.Array).EnumerateArray()
                .Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) && v > 0 && v <= MaxDepth ? v : -1).ToArray();
            if (r.Length != 2 || r.Contains(-1) || r[0] > r[1]) Fail(field, $"expected [min, max] with 0 < min <= max <= {MaxDepth}");
            return (r[0], r[1]);
        }
    }
}
