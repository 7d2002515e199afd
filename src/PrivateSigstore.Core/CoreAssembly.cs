namespace PrivateSigstore.Core;

/// <summary>Marker type for the Core wire-format assembly (used by architecture tests).</summary>
public static class CoreAssembly
{
    /// <summary>The Core assembly.</summary>
    public static System.Reflection.Assembly Assembly => typeof(CoreAssembly).Assembly;
}
