using System.Buffers.Binary;
using System.Text.Json.Nodes;
using ElasticVit.Data;
using ElasticVit.IO;
using ElasticVit.Latency;
using ElasticVit.Spaces;
using ElasticVit.Tests.Data;
using ElasticVit.Tests.Latency;
using ElasticVit.Tests.Search;
using ElasticVit.Training;

namespace ElasticVit.Tests.Fuzzing;

/// <summary>
/// The inputs issue 18 found escaping validation, one test each, so none comes back: every one is now refused with a
/// one-line <see cref="UserError"/> before any work is done.
/// </summary>
public sealed class ReportedInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evit-reported-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_subnet_json_with_a_duplicated_key_is_refused_naming_the_key()
    {
        var json = SubnetJson.Serialize(TestSpaces.Fmnist.MinSubnet);
        var duplicated = "{\"stem\":{\"width\":8,\"depth\":1,\"kernel\":3}," + json[1..];
        var e = Assert.Throws<SpaceException>(() => SubnetJson.Parse(duplicated, TestSpaces.Fmnist, "dup.json"));
        Assert.Contains("dup.json", e.Message);
        Assert.Contains("stem", e.Message);
    }

    [Theory]
    [InlineData("step", "\"30\"")]
    [InlineData("payload_bytes", "\"256\"")]
    [InlineData("adam_steps", null)]
    public void A_checkpoint_header_with_a_field_retyped_or_missing_is_refused(string field, string? value)
    {
        var header = new JsonObject
        {
            ["format"] = TrainCheckpointHeader.Format, ["step"] = 30, ["total_steps"] = 100, ["space"] = "elasticvit-fmnist",
            ["sampler_state"] = new JsonObject(), ["probe_rng"] = new string('a', 64), ["adam_steps"] = new JsonObject(),
        };
        var path = Path.Combine(_dir, "run.ckpt");
        CheckpointFile.Write(path, header, new byte[256]);
        // Edited by hand: the whole-file checksum refuses it.
        var text = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(path));
        var edited = field == "payload_bytes" ? text.Replace("\"payload_bytes\":256", "\"payload_bytes\":\"256\"") : text.Replace("\"step\":30", "\"step\":20");
        File.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(edited));
        Assert.Contains("checksum", Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path)).Message);
        // Written with a valid checksum but the wrong type (or without the field): the typed reader names the field.
        if (value is null) header.Remove(field);
        else header[field] = JsonNode.Parse(value);
        if (field != "payload_bytes")
        {
            CheckpointFile.Write(path, header, new byte[256]);
            var e = Assert.Throws<CheckpointException>(() => TrainCheckpointHeader.Parse(CheckpointFile.Read(path).Header, path));
            Assert.Contains(field, e.Message);
        }
    }

    [Fact]
    public void A_model_file_larger_than_any_onnx_model_is_refused_before_it_is_read()
    {
        // A sparse file: 3 GiB of length, no data; reading it would take seconds and gigabytes, the check takes neither.
        var path = Path.Combine(_dir, "huge.onnx");
        using (var f = File.Create(path)) f.SetLength(3L << 30);
        var error = Assert.Throws<ElasticVit.Export.OnnxException>(() => ElasticVit.Export.OnnxClassifier.Load(path));
        Assert.Contains("more than the 2,147,483,648", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    /// <summary>Every reader of the input gate, each given a path.</summary>
    public static TheoryData<string> Readers => ["space", "subnet", "lut", "checkpoint", "subnet-checkpoint", "idx"];

    private static void Read(string reader, string path)
    {
        switch (reader)
        {
            case "space": SpaceLoader.Load(path); break;
            case "subnet": TestSpaces.Tiny.Resolve(path); break;
            case "lut": LatencyTable.Load(path); break;
            case "checkpoint": CheckpointFile.Read(path); break;
            case "subnet-checkpoint": ElasticVit.Export.SubnetCheckpoint.Load(path); break;
            case "idx": DataFiles.ReadAll(path); break;
            default: throw new ArgumentException(reader);
        }
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void A_device_that_never_ends_is_refused_before_it_is_read(string reader)
    {
        // /dev/zero reports a length of 0 and never ends: read to the end, it fills the memory.
        var error = Assert.ThrowsAny<UserError>(() => Read(reader, "/dev/zero"));
        Assert.Equal("/dev/zero: is a character device, not a regular file", error.Message);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task A_named_pipe_is_refused_at_once_instead_of_waiting_for_a_writer(string reader)
    {
        var fifo = Path.Combine(_dir, "input.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) await mkfifo.WaitForExitAsync();
        // Opening a pipe for reading blocks until a writer comes: a hang is caught by a bound no machine is slow enough to reach.
        var read = Task.Run(() => Assert.ThrowsAny<UserError>(() => Read(reader, fifo)));
        var error = await read.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal($"{fifo}: is a named pipe, not a regular file", error.Message);
    }

    [Fact]
    public void A_directory_given_as_a_file_is_refused_naming_it()
    {
        var error = Assert.ThrowsAny<UserError>(() => LatencyTable.Load(_dir));
        Assert.Equal($"{_dir}: is a directory, not a file", error.Message);
    }

    [Fact]
    public void A_dataset_file_that_inflates_beyond_the_limit_is_refused_while_it_is_decompressed()
    {
        var path = Path.Combine(_dir, "bomb-idx3-ubyte.gz");
        using (var gz = new System.IO.Compression.GZipStream(File.Create(path), System.IO.Compression.CompressionLevel.SmallestSize))
            gz.Write(new byte[1 << 20]);
        Assert.True(new FileInfo(path).Length < 4096);
        var error = Assert.Throws<DataException>(() => DataFiles.ReadAll(path, maxBytes: 100_000));
        Assert.Equal($"{path}: decompresses to more than the 100,000 bytes a dataset file may have", error.Message);
        Assert.Equal(1 << 20, DataFiles.ReadAll(path).Length);   // within the real limit it is read whole
    }

    [Fact]
    public void A_flipped_bit_in_the_checkpoint_header_is_caught_by_the_checksum()
    {
        var path = Path.Combine(_dir, "run.ckpt");
        CheckpointFile.Write(path, new JsonObject { ["format"] = TrainCheckpointHeader.Format, ["step"] = 30 }, new byte[64]);
        var bytes = File.ReadAllBytes(path);
        var at = System.Text.Encoding.UTF8.GetString(bytes).IndexOf("\"step\":30", StringComparison.Ordinal) + 7;
        bytes[at] ^= 0x01;   // '3' → '2': step 20
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum mismatch", Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path)).Message);
    }

    [Fact]
    public void Latency_tables_with_a_negative_weight_term_or_an_overwhelming_overhead_are_refused()
    {
        var space = ProfilingTestData.Tiny;
        var path = Path.Combine(_dir, "lut.json");
        var table = LatencyTestData.RandomTable(space, seed: 2);
        File.WriteAllText(path, (table with { MsPerMParam = -0.5 }).ToJson());
        Assert.Contains("ms_per_mparam", Assert.Throws<LatencyException>(() => LatencyTable.Load(path)).Message);
        File.WriteAllText(path, (table with { OverheadMs = -1000 }).ToJson());
        var e = Assert.Throws<LatencyException>(() => new LookupTablePredictor(LatencyTable.Load(path), space).RequirePlausible());
        Assert.Contains("overhead_ms", e.Message);
        // A moderately negative fitted overhead (an intercept) is a valid table.
        File.WriteAllText(path, (table with { OverheadMs = -0.001 }).ToJson());
        Assert.True(new LookupTablePredictor(LatencyTable.Load(path), space).RequirePlausible().PredictMs(space.MinSubnet) > 0);
    }

    [Theory]
    [InlineData("\"resolutions\": [24, 28, 32]", "\"resolutions\": [24, 28, 1000000000]", "resolutions")]
    [InlineData("\"widths\": [32, 48]", "\"widths\": [32, 2000000000]", "widths")]
    [InlineData("\"flops_bound_m\": 100", "\"flops_bound_m\": -1", "flops_bound_m")]
    public void Space_numbers_beyond_any_network_are_refused_before_counting(string valid, string huge, string field)
    {
        Assert.Contains(valid, TestSpaces.TinyJson);
        var e = Assert.Throws<SpaceException>(() => SpaceLoader.Parse(TestSpaces.TinyJson.Replace(valid, huge), "huge.json"));
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void Temporary_files_of_a_killed_writer_are_removed_by_the_next_write()
    {
        var target = Path.Combine(_dir, "model.onnx");
        var dead = Path.Combine(_dir, $".model.onnx.{int.MaxValue - 7}.0123abcd.tmp");   // no process has this id
        var mine = Path.Combine(_dir, $".model.onnx.{Environment.ProcessId}.4567cdef.tmp");
        var other = Path.Combine(_dir, $".other.onnx.{int.MaxValue - 7}.89abcdef.tmp");
        foreach (var f in new[] { dead, mine, other }) File.WriteAllText(f, "partial");
        AtomicFile.WriteAllText(target, "complete");
        Assert.Equal("complete", File.ReadAllText(target));
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(mine));    // a running process (this one) may still be writing it
        Assert.True(File.Exists(other));   // another target's
    }

    [Fact]
    public void A_target_that_cannot_be_written_is_named_in_the_error_not_the_temporary_file()
    {
        var target = Path.Combine(_dir, "model.onnx");
        Directory.CreateDirectory(target);   // a folder where the file should go: the final rename fails
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(target, "complete"));
        Assert.StartsWith($"cannot write {target}: ", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
        Assert.Empty(Directory.EnumerateFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Dataset_problems_are_user_errors()
    {
        var all = SplitForTest();
        Assert.Contains("would leave none", Assert.Throws<DataException>(() => HeldOutSplit.Carve(all, 6000, 0)).Message);
        foreach (var kind in new[] { DatasetKind.Cifar10, DatasetKind.ImageFolder })
            Assert.Contains("--data-dir", Assert.Throws<DataException>(() => Datasets.Load(kind, null)).Message);
    }

    [Fact]
    public void Idx_files_with_no_images_or_absurd_sizes_are_refused_before_allocating()
    {
        var empty = Path.Combine(_dir, "empty-idx3-ubyte");
        File.WriteAllBytes(empty, DataFixtures.IdxImages(0, 28, 28));
        Assert.Contains("no images", Assert.Throws<DataException>(() => Idx.ReadImages(empty)).Message);

        var huge = Path.Combine(_dir, "huge-idx3-ubyte");
        var header = DataFixtures.IdxImages(0, 1, 1);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 46341);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 46341);
        File.WriteAllBytes(huge, header);
        Assert.Contains("46341", Assert.Throws<DataException>(() => Idx.ReadImages(huge)).Message);
    }

    [Fact]
    public void A_training_set_smaller_than_one_batch_is_a_training_error()
    {
        var options = new TrainOptions { Steps = 1, BatchSize = 64, TrainLimit = 10, HeldOutPerClass = 5, Threads = 1 };
        var e = Assert.Throws<TrainingException>(() => new Trainer(options, new RunDirectory(Path.Combine(_dir, "run")), resume: false));
        Assert.Contains("smaller than one batch", e.Message);
    }

    private static LabeledImages SplitForTest()
    {
        var labels = Enumerable.Range(0, 40).Select(i => i % 10).ToArray();
        return new LabeledImages(new byte[40], labels, Enumerable.Range(0, 10).Select(c => $"c{c}").ToArray(), 1, 1, 1);
    }
}
