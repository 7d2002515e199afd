namespace PrivateSigstore.Fulcio;

/// <summary>Marker for the Fulcio-compatible CA assembly.</summary>
public static class FulcioAssembly
{
    /// <summary>The assembly.</summary>
    public static System.Reflection.Assembly Assembly => typeof(FulcioAssembly).Assembly;
}
