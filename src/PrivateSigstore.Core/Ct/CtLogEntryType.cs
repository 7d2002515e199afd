namespace PrivateSigstore.Core.Ct;

/// <summary>RFC 6962 §3.1 <c>LogEntryType</c>, written as a uint16.</summary>
public enum CtLogEntryType
{
    /// <summary><c>x509_entry(0)</c>: the entry is a final X.509 certificate.</summary>
    X509 = 0,

    /// <summary><c>precert_entry(1)</c>: the entry is a precertificate's TBSCertificate plus its issuer key hash.</summary>
    Precert = 1,
}
