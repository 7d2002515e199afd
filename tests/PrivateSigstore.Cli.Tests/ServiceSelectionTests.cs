using PrivateSigstore.Cli.Commands;
using PrivateSigstore.Client.Signing;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.ProtoJson;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Cli.Tests;

/// <summary>Signing config v0.2 service selection, as sigstore-go's SelectService(s), and psig's use of it.</summary>
public sealed class ServiceSelectionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    private static Service S(string url, uint version, int startDays, int? endDays = null, string op = "op") => new()
    {
        Url = url,
        MajorApiVersion = version,
        Operator = op,
        ValidFor = new TimeRange
        {
            Start = ProtoTimestamp.FromDateTimeOffset(Now.AddDays(startDays)),
            End = endDays is { } e ? ProtoTimestamp.FromDateTimeOffset(Now.AddDays(e)) : null,
        },
    };

    private static readonly ServiceConfiguration Any = new() { Selector = ServiceSelector.Any };

    [Fact]
    public void The_highest_supported_version_wins_over_a_newer_lower_version()
    {
        var chosen = ServiceSelection.SelectServices([S("https://v1", 1, -1), S("https://v2", 2, -10)], Any, ServiceSelection.RekorVersions, Now);
        Assert.Equal("https://v2", Assert.Single(chosen).Url);
    }

    [Fact]
    public void Among_one_version_the_newest_valid_start_wins_and_future_or_expired_services_are_skipped()
    {
        Service[] services = [S("https://old", 2, -30), S("https://newest", 2, -2), S("https://future", 2, 1), S("https://expired", 2, -1, endDays: -1)];
        Assert.Equal("https://newest", Assert.Single(ServiceSelection.SelectServices(services, Any, [1, 2], Now)).Url);
        Assert.Equal("https://newest", ServiceSelection.SelectService(services, [1, 2], Now).Url);
    }

    [Fact]
    public void A_version_with_no_service_valid_now_falls_back_to_the_next_version()
    {
        var chosen = ServiceSelection.SelectServices([S("https://v1", 1, -5), S("https://v2-later", 2, 3)], Any, [1, 2], Now);
        Assert.Equal("https://v1", Assert.Single(chosen).Url);
    }

    [Fact]
    public void Restricting_the_versions_is_the_rekor_version_override()
    {
        Service[] services = [S("https://v1", 1, -1), S("https://v2", 2, -1)];
        Assert.Equal("https://v1", Assert.Single(ServiceSelection.SelectServices(services, Any, [1], Now)).Url);
        var e = Assert.Throws<ServiceSelectionException>(() => ServiceSelection.SelectServices([S("https://v1", 1, -1)], Any, [2], Now));
        Assert.Contains("no matching service", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void All_takes_the_newest_per_operator_and_exact_takes_count_newest()
    {
        Service[] services = [S("https://a-old", 2, -9, op: "a"), S("https://a-new", 2, -1, op: "a"), S("https://b", 2, -3, op: "b"), S("https://c", 2, -5, op: "c")];
        var all = ServiceSelection.SelectServices(services, new ServiceConfiguration { Selector = ServiceSelector.All }, [2], Now);
        Assert.Equal(["https://a-new", "https://b", "https://c"], all.Select(s => s.Url));
        var exact = ServiceSelection.SelectServices(services, new ServiceConfiguration { Selector = ServiceSelector.Exact, Count = 2 }, [2], Now);
        Assert.Equal(["https://a-new", "https://b"], exact.Select(s => s.Url));
        Assert.Throws<ServiceSelectionException>(() => ServiceSelection.SelectServices(services, new ServiceConfiguration { Selector = ServiceSelector.Exact, Count = 4 }, [2], Now));
        Assert.Throws<ServiceSelectionException>(() => ServiceSelection.SelectServices(services, new ServiceConfiguration { Selector = ServiceSelector.Exact, Count = 0 }, [2], Now));
    }

    [Fact]
    public void Psig_selects_rekor_v2_with_its_tsa_and_the_v1_log_on_request()
    {
        var config = new SigningConfig
        {
            MediaType = SigningConfigMediaType.V0_2,
            CaUrls = [S("https://ca", 1, -1)],
            RekorTlogUrls = [S("https://rekor-v1", 1, -1), S("https://rekor-v2", 2, -1)],
            RekorTlogConfig = Any,
            TsaUrls = [S("https://tsa/api/v1/timestamp", 1, -1)],
            TsaConfig = Any,
        };

        var chosen = SigningServices.Select(config, null, Now);
        Assert.Equal(new Uri("https://rekor-v2"), Assert.Single(chosen.Rekors).Url);
        Assert.Equal(2u, chosen.Rekors[0].Version);
        Assert.Equal(new Uri("https://tsa/api/v1/timestamp"), Assert.Single(chosen.TimestampAuthorities));
        Assert.Equal(new Uri("https://ca"), chosen.FulcioUrl);

        var v1 = SigningServices.Select(config, 1, Now);
        Assert.Equal(new Uri("https://rekor-v1"), v1.Rekors[0].Url);
        Assert.Equal(1u, v1.Rekors[0].Version);
        Assert.Single(v1.TimestampAuthorities); // a v1 signing is timestamped too when the config lists a TSA
    }

    [Fact]
    public void Psig_refuses_rekor_v2_without_a_tsa_naming_the_reason()
    {
        var config = new SigningConfig
        {
            MediaType = SigningConfigMediaType.V0_2,
            RekorTlogUrls = [S("https://rekor-v2", 2, -1)],
            RekorTlogConfig = Any,
        };
        var file = new FileInfo(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".json"));
        File.WriteAllText(file.FullName, SigningConfigJson.Serialize(config));
        try
        {
            var e = Assert.Throws<UsageException>(() => SigningServices.FromSigningConfig(file));
            Assert.Contains("needs a timestamp authority", e.Message, StringComparison.Ordinal);
            // A v1 signing from the same file (were there a v1 log) needs no TSA; here there is none, so that fails too.
            Assert.Throws<UsageException>(() => SigningServices.FromSigningConfig(file, rekorVersion: 1));
        }
        finally
        {
            file.Delete();
        }
    }
}
