using System.Diagnostics;

namespace PrivateSigstore.Cli;

/// <summary>Opens a URL in the desktop's browser (xdg-open, open, or the Windows shell); says nothing when there is none, as the URL is printed anyway.</summary>
internal static class SystemBrowser
{
    public static Task OpenAsync(Uri url, CancellationToken cancellationToken)
    {
        // Linux without a display (ssh, containers, CI): no browser to open.
        if (OperatingSystem.IsLinux() && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY")))
        {
            return Task.CompletedTask;
        }
        var start = OperatingSystem.IsWindows() ? new ProcessStartInfo(url.AbsoluteUri) { UseShellExecute = true }
            : new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open", url.AbsoluteUri) { RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            using var process = Process.Start(start);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // No opener installed: the person uses the printed URL.
        }
        return Task.CompletedTask;
    }
}
