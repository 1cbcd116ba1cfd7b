using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ElasticVit.Latency;
using ElasticVit.Spaces;
using ElasticVit.Tests.Latency;
using ElasticVit.Tests.Search;
using ElasticVit.Training;

namespace ElasticVit.Tests.Fuzzing;

/// <summary>
/// Mutational fuzzing of every text the program reads from users: each case is a valid input mutated by
/// <see cref="Mutator"/> (seeded, so a failure names a reproducible case). A case may be accepted or refused, but only
/// with the project's <see cref="UserError"/>; any other exception is a hole in the validation. Where the program would
/// write a result, nothing may be written for a refused input.
/// </summary>
public sealed class InputFuzzTests : IDisposable
{
    /// <summary>Cases per format: 1,000 in the suite; ELASTICVIT_FUZZ_CASES sets more for a long run (bench/results/fuzzing.md).</summary>
    private static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("ELASTICVIT_FUZZ_CASES"), out var n) && n > 0 ? n : 1000;
    private readonly string _dir = Directory.CreateTempSubdirectory("evit-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Runs <paramref name="cases"/> mutations of <paramref name="valid"/>; returns how many were refused.</summary>
    private static int Fuzz(string format, string valid, int seed, Action<string> read)
    {
        read(valid);   // the seed itself must be accepted
        var mutator = new Mutator(seed);
        var refused = 0;
        for (var i = 0; i < Cases; i++)
        {
            var text = mutator.Next(valid);
            try { read(text); }
            catch (UserError e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message), $"{format} case {i}: empty message");
                Assert.DoesNotContain('\n', e.Message.TrimEnd());
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{format} case {i} (seed {seed}) escaped validation with {e.GetType().Name}: {e.Message}\ninput: {Escape(text)}");
            }
        }
        return refused;
    }

    private static string Escape(string text) => text.Length > 400 ? text[..400] + "…" : text;

    [Fact]
    public void Subnet_keys()
    {
        var space = TestSpaces.Fmnist;
        var refused = Fuzz("subnet key", space.NamedModels["mid"].Key, 101, key => SubnetKey.Parse(key, space));
        Assert.InRange(refused, Cases / 2, Cases);
    }

    [Fact]
    public void Subnet_json()
    {
        var space = TestSpaces.Fmnist;
        var refused = Fuzz("subnet JSON", SubnetJson.Serialize(space.NamedModels["mid"], indented: true), 102, json => SubnetJson.Parse(json, space, "fuzz.json"));
        Assert.InRange(refused, Cases / 2, Cases);
    }

    [Fact]
    public void Space_json()
    {
        var valid = TestSpaces.TinyJson;
        var refused = Fuzz("space JSON", valid, 103, json =>
        {
            var space = SpaceLoader.Parse(json, "fuzz-space.json");
            Complexity.Of(space, space.MaxSubnet);   // what a loaded space is used for first
        });
        Assert.InRange(refused, Cases / 2, Cases);
    }

    [Fact]
    public void Latency_table_json()
    {
        var space = ProfilingTestData.Tiny;
        var table = LatencyTestData.RandomTable(space, seed: 5, overheadMs: 0.02, scale: 1.1) with { };
        var path = Path.Combine(_dir, "lut.json");
        var refused = Fuzz("latency table", table.ToJson(), 104, json =>
        {
            File.WriteAllText(path, json);
            var loaded = LatencyTable.Load(path);
            if (loaded.MissingKeys(space).Count == 0 && loaded.Device.Space == space.Name)
                new LookupTablePredictor(loaded, space).PredictMs(space.MinSubnet);
        });
        Assert.InRange(refused, Cases / 2, Cases);
    }

    [Fact]
    public void Latency_csv_and_nothing_written_when_refused()
    {
        var space = ProfilingTestData.Tiny;
        var rng = new Random(6);
        var csv = new StringBuilder("# device: fuzz-phone\n# threads: 1\nlayer_key,latency_ms,runs,iqr_ms\n");
        foreach (var key in LatencyTable.RequiredKeys(space))
            csv.Append(CultureInfo.InvariantCulture, $"{key},{0.01 + rng.NextDouble():R},{10 + rng.Next(90)},{rng.NextDouble() * 0.01:R}\n");
        csv.Append("model_key,latency_ms\n");
        csv.Append(CultureInfo.InvariantCulture, $"{space.MinSubnet.Key},2.5\n{space.MaxSubnet.Key},4.0\n");
        var path = Path.Combine(_dir, "phone.csv");
        var output = Path.Combine(_dir, "phone.json");
        var refused = Fuzz("latency CSV", csv.ToString(), 105, text =>
        {
            File.WriteAllText(path, text);
            if (File.Exists(output)) File.Delete(output);
            try
            {
                var imported = LatencyCsvImport.Read(path, space: space);
                imported.Table.Save(output);
            }
            catch (UserError)
            {
                Assert.False(File.Exists(output), "a refused CSV wrote its output");
                throw;
            }
        });
        Assert.InRange(refused, Cases / 4, Cases);
    }

    [Fact]
    public void Checkpoint_files_damaged_anywhere()
    {
        var path = Path.Combine(_dir, "run.ckpt");
        CheckpointFile.Write(path, ValidHeader(), Payload());
        var valid = File.ReadAllBytes(path);
        var rng = new Random(106);
        for (var i = 0; i < Cases; i++)
        {
            var bytes = (byte[])valid.Clone();
            switch (rng.Next(3))
            {
                case 0: bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8)); break;
                case 1: bytes = bytes[..rng.Next(bytes.Length)]; break;
                default: bytes = [.. bytes, .. new byte[1 + rng.Next(8)]]; break;
            }
            File.WriteAllBytes(path, bytes);
            var e = Record.Exception(() => TrainCheckpointHeader.Parse(CheckpointFile.Read(path).Header, path));
            Assert.True(e is CheckpointException, $"damaged checkpoint case {i}: {(e is null ? "accepted" : $"{e.GetType().Name}: {e.Message}")}");
        }
    }

    [Fact]
    public void Checkpoint_headers_edited_and_resealed()
    {
        // The checksum is recomputed after the edit, so every mutation reaches the typed reading of the header.
        var path = Path.Combine(_dir, "edited.ckpt");
        var payload = Payload();
        var refused = Fuzz("checkpoint header", ValidHeader().ToJsonString(), 107, json =>
        {
            File.WriteAllBytes(path, Sealed(json, payload));
            TrainCheckpointHeader.Parse(CheckpointFile.Read(path).Header, path);
        });
        Assert.InRange(refused, Cases / 2, Cases);
    }

    private static JsonObject ValidHeader() => new()
    {
        ["format"] = TrainCheckpointHeader.Format, ["step"] = 30, ["total_steps"] = 100, ["space"] = "elasticvit-fmnist",
        ["sampler_state"] = new JsonObject { ["name"] = "cas-pas" }, ["probe_rng"] = new string('a', 64), ["sampler_started"] = true,
        ["time_budget"] = new JsonObject { ["elapsed_seconds"] = 12.5, ["frozen"] = false },
        ["adam_steps"] = new JsonObject { ["stem.conv.weight"] = 30, ["head.classifier.weight"] = 21 },
        ["saved_at"] = "2026-11-30T00:00:00Z",
    };

    private static byte[] Payload() => Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    /// <summary>A checkpoint file with exactly this header text and a valid checksum (the file format, written by hand).</summary>
    private static byte[] Sealed(string headerJson, byte[] payload)
    {
        // payload_bytes must stay what the payload is, or the header's mutation would be caught as truncation only.
        var header = Encoding.UTF8.GetBytes(headerJson.TrimEnd().EndsWith('}') && headerJson.TrimStart().StartsWith('{')
            ? headerJson.TrimEnd()[..^1] + $",\"payload_bytes\":{payload.Length}}}"
            : headerJson);
        var body = "EVITCKP2"u8.ToArray().Concat(BitConverter.GetBytes(header.Length)).Concat(header).Concat(payload).ToArray();
        return [.. body, .. SHA256.HashData(body)];
    }
}
