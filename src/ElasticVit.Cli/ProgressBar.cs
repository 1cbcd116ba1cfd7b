namespace ElasticVit.Cli;

/// <summary>
/// A one-line progress bar on stderr: redrawn in place on a terminal (at most 5×/s), and printed as plain lines every
/// 10% when stderr is redirected (logs, CI).
/// </summary>
public sealed class ProgressBar(string label, long total)
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private long _lastDraw = -1;
    private int _lastDecile = -1;
    private long _start = -1;

    /// <summary>The count that completes the bar; may change on the way (a time-budgeted training re-plans its steps).</summary>
    public long Total { get; set; } = total;

    /// <summary>A bar for work reported as (phase, done, total), each phase with its own total, the phase shown as the status.</summary>
    public static Action<string, int, int> ForPhases(string label)
    {
        var bar = new ProgressBar(label, 1);
        return (phase, done, total) =>
        {
            bar.Total = total;
            bar.Report(done, phase);
        };
    }

    public void Report(long done, string status = "")
    {
        if (_start < 0) _start = done;
        var fraction = Total == 0 ? 1 : Math.Clamp((double)done / Total, 0, 1);
        var rate = (done - _start) / Math.Max(1e-9, _clock.Elapsed.TotalSeconds);
        var eta = rate > 0 && done < Total ? TimeSpan.FromSeconds((Total - done) / rate) : TimeSpan.Zero;
        var line = $"{label} [{new string('#', (int)(fraction * 24)).PadRight(24, '-')}] {done}/{Total} {fraction:P0} ETA {Format(eta)} {status}";
        if (_interactive)
        {
            var now = _clock.ElapsedMilliseconds;
            if (now - _lastDraw < 200 && done < Total) return;
            _lastDraw = now;
            var width = Math.Max(40, SafeWidth() - 1);
            Console.Error.Write("\r" + (line.Length > width ? line[..width] : line.PadRight(width)));
            if (done >= Total) Console.Error.WriteLine();
        }
        else
        {
            var decile = (int)(fraction * 10);
            if (decile == _lastDecile && done < Total) return;
            _lastDecile = decile;
            Console.Error.WriteLine(line);
        }
    }

    private static int SafeWidth()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 120; }
        catch (IOException) { return 120; }
    }

    public static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : $"{t.Minutes}m{t.Seconds:00}s";
}
