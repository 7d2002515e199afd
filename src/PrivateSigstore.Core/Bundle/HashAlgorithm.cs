using System.Diagnostics.CodeAnalysis;

namespace PrivateSigstore.Core.Bundle;

/// <summary>
/// Hash algorithms (<c>dev.sigstore.common.v1.HashAlgorithm</c>). JSON carries the proto name given on
/// each member; <see cref="Unspecified"/> is the proto zero value and is omitted when written.
/// </summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores",
    Justification = "Digit groups are separated as in the proto names and .NET's own SHA3_256.")]
public enum HashAlgorithm
{
    /// <summary><c>HASH_ALGORITHM_UNSPECIFIED</c> (0): not set.</summary>
    Unspecified = 0,

    /// <summary><c>SHA2_256</c> (1).</summary>
    Sha2_256 = 1,

    /// <summary><c>SHA2_384</c> (2).</summary>
    Sha2_384 = 2,

    /// <summary><c>SHA2_512</c> (3).</summary>
    Sha2_512 = 3,

    /// <summary><c>SHA3_256</c> (4), deprecated upstream (used for LMS).</summary>
    Sha3_256 = 4,

    /// <summary><c>SHA3_384</c> (5), deprecated upstream (used for LMS).</summary>
    Sha3_384 = 5,
}
