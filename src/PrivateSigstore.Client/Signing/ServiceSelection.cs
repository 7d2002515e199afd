using System.Globalization;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Client.Signing;

/// <summary>No service in a signing config fits the client's API versions, the current time or the selector.</summary>
public sealed class ServiceSelectionException(string message) : Exception(message);

/// <summary>
/// Chooses services from a signing config v0.2 as sigstore-go does (<c>pkg/root/signing_config.go SelectService</c> and
/// <c>SelectServices</c>): keep the services of the highest supported major API version that are valid now, newest
/// <c>validFor.start</c> first and at most one per operator; then apply the selector. Where sigstore-go picks at random
/// (ANY, EXACT), this picks the newest, so a signing is reproducible; an unset selector counts as ANY.
/// </summary>
public static class ServiceSelection
{
    /// <summary>The Rekor API versions this client writes: v1 (hashedrekord/dsse 0.0.1) and v2 (hashedrekord 0.0.2).</summary>
    public static readonly IReadOnlyList<uint> RekorVersions = [1, 2];

    /// <summary>The timestamp authority API version this client speaks (sigstore/timestamp-authority v1 paths).</summary>
    public static readonly IReadOnlyList<uint> TsaVersions = [1];

    /// <summary>The Fulcio API version this client speaks (v2 REST, listed as major version 1 in signing configs).</summary>
    public static readonly IReadOnlyList<uint> CaVersions = [1];

    /// <summary>True when <paramref name="service"/> may be used at <paramref name="now"/> (Go <c>Service.ValidAtTime</c>: an unset start or end does not bound).</summary>
    public static bool ValidAt(Service service, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(service);
        return !(service.ValidFor?.Start is { } start && now < start.ToDateTimeOffset())
            && !(service.ValidFor?.End is { } end && now > end.ToDateTimeOffset());
    }

    /// <summary>sigstore-go <c>SelectService</c>: the newest service valid now of the highest supported version.</summary>
    /// <exception cref="ServiceSelectionException">None fits.</exception>
    public static Service SelectService(IReadOnlyList<Service> services, IReadOnlyCollection<uint> supportedVersions, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(supportedVersions);
        foreach (var version in supportedVersions.OrderDescending())
        {
            if (NewestFirst(services).FirstOrDefault(s => s.MajorApiVersion == version && ValidAt(s, now)) is { } service)
            {
                return service;
            }
        }
        throw NoMatch(supportedVersions, now);
    }

    /// <summary>
    /// sigstore-go <c>SelectServices</c>: the services of the highest supported version with a service valid now, one per
    /// operator (the newest), then ALL of them, ANY one (the newest) or EXACT <c>count</c> (the newest).
    /// </summary>
    /// <exception cref="ServiceSelectionException">None fits, or EXACT asks for 0 or more services than there are.</exception>
    public static IReadOnlyList<Service> SelectServices(IReadOnlyList<Service> services, ServiceConfiguration? configuration, IReadOnlyCollection<uint> supportedVersions, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(supportedVersions);
        List<Service> selected = [];
        foreach (var version in supportedVersions.OrderDescending())
        {
            var operators = new HashSet<string>(StringComparer.Ordinal);
            selected = [.. NewestFirst(services).Where(s => s.MajorApiVersion == version && ValidAt(s, now) && operators.Add(s.Operator))];
            if (selected.Count != 0)
            {
                break;
            }
        }
        if (selected.Count == 0)
        {
            throw NoMatch(supportedVersions, now);
        }
        var selector = configuration?.Selector ?? ServiceSelector.Undefined;
        switch (selector)
        {
            case ServiceSelector.All:
                return selected;
            case ServiceSelector.Any or ServiceSelector.Undefined:
                return [selected[0]];
            case ServiceSelector.Exact:
                var count = configuration!.Count;
                if (count == 0)
                {
                    throw new ServiceSelectionException("service selector count must be greater than 0");
                }
                if (count > selected.Count)
                {
                    throw new ServiceSelectionException(string.Create(CultureInfo.InvariantCulture,
                        $"service selector count {count} must be less than or equal to the number of services ({selected.Count})"));
                }
                return [.. selected.Take((int)count)];
            default:
                throw new ServiceSelectionException($"invalid service selector {selector}");
        }
    }

    // Newest validFor.start first; a stable sort keeps the file's order among equal starts.
    private static IEnumerable<Service> NewestFirst(IReadOnlyList<Service> services) =>
        services.OrderByDescending(s => s.ValidFor?.Start?.ToDateTimeOffset() ?? DateTimeOffset.MinValue);

    private static ServiceSelectionException NoMatch(IReadOnlyCollection<uint> versions, DateTimeOffset now) =>
        new(string.Create(CultureInfo.InvariantCulture, $"no matching service found for API versions [{string.Join(", ", versions)}] and current time {now:O}"));
}
