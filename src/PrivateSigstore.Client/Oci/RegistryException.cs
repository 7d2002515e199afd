using System.Net;

namespace PrivateSigstore.Client.Oci;

/// <summary>A registry refused or failed a request; <see cref="Exception.Message"/> is one line for a person.</summary>
public sealed class RegistryException : Exception
{
    public RegistryException() : this("registry error")
    {
    }

    public RegistryException(string message) : base(message)
    {
    }

    public RegistryException(string message, Exception inner) : base(message, inner)
    {
    }

    public RegistryException(string message, HttpStatusCode? status) : base(message) => Status = status;

    /// <summary>The HTTP status the registry answered, when it answered.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>True for 404: what was asked for does not exist (or the route is unknown).</summary>
    public bool IsNotFound => Status == HttpStatusCode.NotFound;
}
