using System.Reflection;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Keys.Pkcs11;

/// <summary>
/// A loaded PKCS#11 module, shared by every <see cref="Pkcs11Token"/> of the process that uses the
/// same module path. A module may be initialized (C_Initialize) only once per process, so tokens
/// acquire the module and release it; the last release finalizes and unloads it.
/// </summary>
internal sealed class Pkcs11Module
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Pkcs11Module> Loaded = new(StringComparer.Ordinal);
    private static bool s_resolverRegistered;
    private int _references = 1;

    private Pkcs11Module(string path, Pkcs11InteropFactories factories, IPkcs11Library library)
    {
        Path = path;
        Factories = factories;
        Library = library;
    }

    /// <summary>The absolute module path (or the bare library name the loader resolved).</summary>
    public string Path { get; }

    /// <summary>Pkcs11Interop's factories for this module.</summary>
    public Pkcs11InteropFactories Factories { get; }

    /// <summary>The initialized library.</summary>
    public IPkcs11Library Library { get; }

    /// <summary>
    /// Loads and initializes the module at <paramref name="modulePath"/> (multi-threaded, OS locking)
    /// or takes another reference to the already loaded one. Throws
    /// <see cref="KeyConfigurationException"/> if the file is missing or does not load.
    /// </summary>
    public static Pkcs11Module Acquire(string modulePath)
    {
        // A bare file name ("libsofthsm2.so") is left to the dynamic loader's search path.
        var bareName = !modulePath.Contains('/', StringComparison.Ordinal) && !System.IO.Path.IsPathRooted(modulePath);
        var path = bareName ? modulePath : System.IO.Path.GetFullPath(modulePath);
        lock (Gate)
        {
            RegisterLibdlResolver();
            if (Loaded.TryGetValue(path, out var module))
            {
                module._references++;
                return module;
            }

            if (!bareName && !File.Exists(path))
            {
                throw new KeyConfigurationException($"PKCS#11 module {path} does not exist (for SoftHSM2: apt-get install softhsm2)");
            }

            var factories = new Pkcs11InteropFactories();
            IPkcs11Library library;
            try
            {
                library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, path, AppType.MultiThreaded);
            }
            catch (Exception e) when (e is Pkcs11Exception or UnmanagedException or DllNotFoundException or EntryPointNotFoundException or LibraryArchitectureException)
            {
                throw new KeyConfigurationException($"cannot load PKCS#11 module {path}: {e.Message}", e);
            }

            module = new Pkcs11Module(path, factories, library);
            Loaded.Add(path, module);
            return module;
        }
    }

    /// <summary>Drops one reference; the last one finalizes (C_Finalize) and unloads the module.</summary>
    public void Release()
    {
        lock (Gate)
        {
            if (--_references > 0)
            {
                return;
            }

            Loaded.Remove(Path);
            Library.Dispose();
        }
    }

    /// <summary>
    /// Pkcs11Interop loads modules through <c>[DllImport("libdl")]</c>, but glibc 2.34+ (Debian 12)
    /// ships only <c>libdl.so.2</c>, no <c>libdl.so</c>. The maintainer's fix (Pkcs11Interop issue
    /// #239) is a resolver mapping "libdl" to "libdl.so.2" on the Pkcs11Interop assembly, set once
    /// per process before the first load. Called under <see cref="Gate"/>.
    /// </summary>
    private static void RegisterLibdlResolver()
    {
        if (s_resolverRegistered)
        {
            return;
        }

        s_resolverRegistered = true;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(IPkcs11Library).Assembly, ResolveLibdl);
        }
        catch (InvalidOperationException)
        {
            // Another component of the process already registered a resolver for Pkcs11Interop; it stands.
        }
    }

    private static IntPtr ResolveLibdl(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == "libdl" && OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libdl.so.2", assembly, searchPath, out var handle)
            ? handle
            : IntPtr.Zero; // default probing
}
