using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PrivateSigstore.Hosting;

/// <summary>Options of one service component: a configuration section and a check that names the bad setting.</summary>
public interface IServiceOptions
{
    /// <summary>Checks the settings; throws an <see cref="ArgumentException"/> whose message names the first bad one (e.g. "Rekor:Hostname ...").</summary>
    void Validate();
}

/// <summary>
/// Options of a service that keeps state in a data directory of its own: <see cref="ServiceApp.BuildAsync{TOptions}"/> brings
/// it to 0700 and everything in it to 0600 before anything opens it (<see cref="OwnerOnlyFiles.SecureDirectory"/>), so a
/// directory created by an older version or by hand with a looser mode is repaired at start (issue 20 #6).
/// </summary>
public interface IDataDirectoryOptions
{
    /// <summary>The directory to secure, or null when the service has none of its own (e.g. an operator-managed repository).</summary>
    string? SecuredDataDirectory { get; }
}

/// <summary>
/// Options bound once and validated twice: eagerly, so that building a service with a bad setting throws at once with a
/// message naming it, and through <c>AddOptions&lt;T&gt;().ValidateOnStart()</c>, so that the registered
/// <see cref="IOptions{TOptions}"/> can never hold an unchecked value.
/// </summary>
public static class ServiceOptions
{
    /// <summary>Binds section <paramref name="section"/> of the configuration to a new <typeparamref name="T"/>, validates it and registers it.</summary>
    public static T BindServiceOptions<T>(this IHostApplicationBuilder builder, string section) where T : class, IServiceOptions, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new T();
        try
        {
            builder.Configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // "Failed to convert configuration value at 'Rekor:Storage' to type ...": the message names the setting.
            throw new ArgumentException(ex.Message, ex);
        }
        builder.Services.AddServiceOptions(options);
        return options;
    }

    /// <summary>Validates <paramref name="options"/> (throwing on a bad setting) and registers it as <see cref="IOptions{TOptions}"/>, validated on start.</summary>
    public static IServiceCollection AddServiceOptions<T>(this IServiceCollection services, T options) where T : class, IServiceOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddOptions<T>().Configure(target => CopyInto(options, target)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>, Validator<T>>();
        return services;
    }

    /// <summary>Shallow copy of the public settable properties (typed options handed in by a host such as the Stack).</summary>
    private static void CopyInto<T>(T source, T target)
    {
        if (ReferenceEquals(source, target)) return;
        foreach (var p in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0) p.SetValue(target, p.GetValue(source));
        }
    }

    private sealed class Validator<T> : IValidateOptions<T> where T : class, IServiceOptions
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
