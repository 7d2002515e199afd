using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Log;

internal static partial class LogMessages
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Opened log {Origin} at tree size {Size} in {ElapsedMs} ms")]
    public static partial void Opened(ILogger logger, string origin, ulong size, long elapsedMs);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "A batch of {Count} entries could not be stored; none of them was accepted")]
    public static partial void BatchFailed(ILogger logger, Exception exception, int count);
}
