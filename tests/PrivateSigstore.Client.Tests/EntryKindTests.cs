using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core;

namespace PrivateSigstore.Client.Tests;

/// <summary>The client's kind reader agrees with the server's (<c>RekorEntries.ReadKind</c> in PrivateSigstore.Rekor.Entries).</summary>
public sealed class EntryKindTests
{
    [Fact]
    public void Reads_kind_and_version_of_a_stored_body()
    {
        Assert.Equal(("dsse", "0.0.1"), EntryKind.Read("{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"spec\":{}}"u8));
        Assert.Equal(("intoto", "0.0.2"), EntryKind.Read("{\"kind\":\"x\",\"apiVersion\":\"0.0.2\",\"kind\":\"intoto\"}"u8));
        Assert.Equal("entry body is not a JSON object", Assert.Throws<WireFormatException>(() => EntryKind.Read("[1]"u8)).Reason);
        Assert.Equal("entry body has no string kind and apiVersion", Assert.Throws<WireFormatException>(() => EntryKind.Read("{\"kind\":1}"u8)).Reason);
        Assert.StartsWith("parsing proposedEntry body failed", Assert.Throws<WireFormatException>(() => EntryKind.Read("{"u8)).Reason, StringComparison.Ordinal);
    }
}
