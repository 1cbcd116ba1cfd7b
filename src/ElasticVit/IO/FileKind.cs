using System.Runtime.InteropServices;

namespace ElasticVit.IO;

/// <summary>
/// What kind of file system object a path names, from the C library's stat(2) (.NET reports devices and pipes as
/// ordinary files of length 0). Linux on x86-64 and arm64; elsewhere unknown (null), and only the size checks apply.
/// </summary>
internal static class FileKind
{
    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat(string path, byte[] buffer);

    /// <summary>"regular file", "directory", "character device", "block device", "named pipe", "socket", or null when unknown.</summary>
    public static string? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        // st_mode's offset in struct stat: after st_dev, st_ino and (x86-64 only) st_nlink.
        var modeOffset = RuntimeInformation.ProcessArchitecture switch { Architecture.X64 => 24, Architecture.Arm64 => 16, _ => -1 };
        if (modeOffset < 0) return null;
        var buffer = new byte[256];   // larger than struct stat on both
        try
        {
            if (Stat(path, buffer) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
        return (BitConverter.ToUInt32(buffer, modeOffset) & 0xF000) switch
        {
            0x8000 => "regular file", 0x4000 => "directory", 0x2000 => "character device", 0x6000 => "block device",
            0x1000 => "named pipe", 0xC000 => "socket", _ => null,
        };
    }
}
