using System.Text;

namespace ElasticVit.IO;

/// <summary>
/// The one way the project writes a file: readers see the old file or the complete new one, never a partial write.
/// The bytes go to a temporary file next to the target (<c>.NAME.PID.GUID.tmp</c>), are flushed to disk, then renamed
/// over it. A process killed mid-write leaves its temporary file behind; the next write of the same target removes
/// the temporaries of processes that are no longer running.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        RemoveStaleTemporaries(full);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The user named the target, not our temporary file: say which file could not be written.
            throw new IOException($"cannot write {full}: {e.Message.Replace(temp, full)}", e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));

    /// <summary>Deletes the temporary files of <paramref name="path"/> whose writing process has ended (killed mid-write).</summary>
    public static void RemoveStaleTemporaries(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory)) return;
        var prefix = $".{Path.GetFileName(full)}.";
        foreach (var temp in Directory.EnumerateFiles(directory, prefix + "*.tmp"))
        {
            var rest = Path.GetFileName(temp)[prefix.Length..];
            var dot = rest.IndexOf('.');
            if (dot <= 0 || !int.TryParse(rest[..dot], out var pid) || IsRunning(pid)) continue;
            try { File.Delete(temp); }
            catch (IOException) { }   // gone already, or another process is cleaning up at the same time
        }
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
