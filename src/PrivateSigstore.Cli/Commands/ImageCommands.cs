using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Client;
using PrivateSigstore.Client.Oci;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Client.Signing;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Keys;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Cli.Commands;

/// <summary>
/// <c>psig sign-image</c>, <c>attest-image</c>, <c>verify-image</c> and <c>verify-image-attestation</c>: Sigstore
/// bundles attached to images in an OCI registry the way cosign 3 attaches them (an OCI 1.1 referrer, or the
/// referrers tag schema on registries without the referrers API), and the legacy cosign <c>.sig</c>/<c>.att</c> tags read.
/// </summary>
internal static class ImageCommands
{
    /// <summary>The image verification result's media type (psig's own machine-readable output).</summary>
    public const string ResultMediaType = "application/vnd.dev.privatesigstore.imageverification.v0.1+json";

    /// <summary>cosign's <c>--type</c> shorthands (cmd/cosign/cli/options/predicate.go <c>PredicateTypeMap</c>).</summary>
    private static readonly Dictionary<string, string> PredicateTypes = new(StringComparer.Ordinal)
    {
        ["custom"] = "https://cosign.sigstore.dev/attestation/v1",
        ["slsaprovenance"] = "https://slsa.dev/provenance/v0.2",
        ["slsaprovenance02"] = "https://slsa.dev/provenance/v0.2",
        ["slsaprovenance1"] = "https://slsa.dev/provenance/v1",
        ["spdx"] = "https://spdx.dev/Document",
        ["spdxjson"] = "https://spdx.dev/Document",
        ["cyclonedx"] = "https://cyclonedx.org/bom",
        ["link"] = "https://in-toto.io/Link/v1",
        ["vuln"] = "https://cosign.sigstore.dev/attestation/vuln/v1",
        ["openvex"] = "https://openvex.dev/ns",
    };

    public static Command SignImage(CliConsole console)
    {
        var image = new Argument<string>("image") { Description = "registry/repository:tag or registry/repository@sha256:<hex>" };
        var recursive = new Option<bool>("--recursive") { Description = "For a multi-platform index, also sign each platform manifest (as cosign --recursive)" };
        var flags = new SignCommands.SignerFlags();
        var registry = new RegistryOptions();
        var command = new Command("sign-image", "Sign an image in a registry: a Sigstore bundle (DSSE, cosign 3's sign statement over the manifest digest) attached as an OCI 1.1 referrer") { image, recursive };
        flags.ForImages();
        flags.AddTo(command);
        command.Options.Add(flags.V2DsseEntry);
        registry.AddTo(command);
        command.SetAction((parse, ct) => SignAsync(console, parse, flags, registry, parse.GetValue(image)!, parse.GetValue(recursive), null, ct));
        return command;
    }

    public static Command AttestImage(CliConsole console)
    {
        var image = new Argument<string>("image") { Description = "registry/repository:tag or registry/repository@sha256:<hex>" };
        var predicate = new Option<FileInfo>("--predicate") { Description = "Predicate JSON file", Required = true };
        var type = new Option<string>("--type") { Description = "Predicate type URI, or a cosign shorthand (slsaprovenance, slsaprovenance1, spdxjson, cyclonedx, vuln, openvex, link, custom)", DefaultValueFactory = _ => "custom" };
        var recursive = new Option<bool>("--recursive") { Description = "For a multi-platform index, also attest each platform manifest" };
        var flags = new SignCommands.SignerFlags();
        var registry = new RegistryOptions();
        var command = new Command("attest-image", "Attest an image: an in-toto statement about the manifest digest in a DSSE bundle, attached as an OCI 1.1 referrer") { image, predicate, type, recursive };
        flags.ForImages();
        flags.AddTo(command);
        command.Options.Add(flags.V2DsseEntry);
        registry.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            var file = parse.GetValue(predicate)!;
            JsonNode? predicateJson;
            try
            {
                predicateJson = StrictJson.Parse(File.ReadAllText(file.FullName));
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                throw new UsageException($"--predicate {file.Name}", e);
            }
            if (predicateJson is not JsonObject)
            {
                throw new UsageException($"--predicate {file.Name} must hold a JSON object");
            }
            return SignAsync(console, parse, flags, registry, parse.GetValue(image)!, parse.GetValue(recursive), (PredicateType(parse.GetValue(type)!), predicateJson), ct);
        });
        return command;
    }

    public static Command VerifyImage(CliConsole console) => Verify(console, attestation: false);

    public static Command VerifyImageAttestation(CliConsole console) => Verify(console, attestation: true);

    private static Command Verify(CliConsole console, bool attestation)
    {
        var image = new Argument<string>("image") { Description = "registry/repository:tag or registry/repository@sha256:<hex>" };
        var type = new Option<string>("--type") { Description = "Predicate type URI (or cosign shorthand) the attestation must have", DefaultValueFactory = _ => "custom" };
        var output = new Option<string>("--output") { Description = "text (default) or json: the machine-readable result on stdout", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        var options = new VerificationOptions();
        var registry = new RegistryOptions();
        var command = attestation
            ? new Command("verify-image-attestation", "Verify an image's attestations of --type (referrers API, referrers tag schema, legacy .att tag) against a trusted root and an identity or key") { image, type, output }
            : new Command("verify-image", "Verify an image's signatures (referrers API, referrers tag schema, legacy .sig tag) against a trusted root and an identity or key") { image, output };
        options.AddTo(command);
        registry.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var reference = ParseReference(parse.GetValue(image)!);
            var identity = options.Policy(parse);
            var verifier = new BundleVerifier(await options.MaterialAsync(parse, console, ct).ConfigureAwait(false), options.VerifierSettings(parse));
            var predicateType = attestation ? PredicateType(parse.GetValue(type)!) : null;
            using var http = registry.CreateHttpClient(parse);
            var store = new ImageSignatureStore(registry.Client(parse, http));
            var manifest = await ResolveAsync(console, store, reference, ct).ConfigureAwait(false);
            var (found, referrersApi) = await store.FindAsync(reference, manifest.Digest, legacySignatures: !attestation, legacyAttestations: attestation, ct).ConfigureAwait(false);
            var results = found.Select(f => ImageVerification.Verify(verifier, f, manifest.Digest, identity, predicateType)).ToList();
            if (parse.GetValue(options.Record) is not null)
            {
                // Each signature's record is the v0.2 governance record (issue 18): the image, its bundle as evidence, the trusted root, the approver.
                var root = await Gate.GovernanceRecord.RootAsync(parse.GetValue(options.TrustedRoot), verifier.Material, console, ct).ConfigureAwait(false);
                results = [.. results.Select(r => r.Record is null ? r : r with
                {
                    Record = Gate.GovernanceRecord.Complete(r.Record, new RecordArtifact("oci-image", reference.ByDigest(manifest.Digest), manifest.Digest), r.Signature.Bundle, root,
                        ModelCommands.Describe(parse, options), ModelCommands.KeyPem(parse, options)),
                })];
            }
            var verified = results.Count(r => r.IsVerified);
            var what = attestation ? $"attestation of type {predicateType}" : "signature";
            var whatPlural = attestation ? $"attestations of type {predicateType}" : "signatures";
            if (!referrersApi)
            {
                await console.Error.WriteLineAsync($"The registry has no referrers API; read the referrers tag {ImageSignatureStore.ReferrersTag(manifest.Digest)} and the legacy {(attestation ? ".att" : ".sig")} tag").ConfigureAwait(false);
            }
            foreach (var result in results)
            {
                var line = result.Skipped is not null ? $"skipped {result.Signature.Describe()}: {result.Skipped}"
                    : result.IsVerified ? $"verified {result.Signature.Describe()}"
                    : $"not verified {result.Signature.Describe()}: {result.Record!.FailedStep}: {result.Record.Reason}";
                await console.Error.WriteLineAsync(line).ConfigureAwait(false);
            }
            var document = ResultJson(reference, manifest, predicateType, results, verified > 0);
            if (parse.GetValue(options.Record) is { } recordFile)
            {
                await File.WriteAllTextAsync(recordFile.FullName, document + "\n", ct).ConfigureAwait(false);
            }
            if (parse.GetValue(output) == "json")
            {
                await console.Out.WriteLineAsync(document).ConfigureAwait(false);
            }
            if (verified > 0)
            {
                if (parse.GetValue(output) != "json")
                {
                    await console.Out.WriteLineAsync($"Verified OK: {verified} {(verified == 1 ? what : whatPlural)} for {reference.ByDigest(manifest.Digest)}").ConfigureAwait(false);
                }
                return ExitCodes.Verified;
            }
            var considered = results.Count(r => r.Skipped is null);
            await console.Error.WriteLineAsync(considered == 0
                ? $"Error: no {what} found for {reference.ByDigest(manifest.Digest)}{(results.Count > 0 ? $" ({results.Count} other signature{(results.Count == 1 ? "" : "s")} skipped)" : "")}"
                : $"Error: none of the {considered} {(considered == 1 ? what : whatPlural)} found for {reference.ByDigest(manifest.Digest)} verified").ConfigureAwait(false);
            if (verifier.Material.Source is { } source && considered > 0)
            {
                await console.Error.WriteLineAsync($"(trusted root: {source})").ConfigureAwait(false);
            }
            return ExitCodes.NotVerified;
        });
        return command;
    }

    private static string ResultJson(ImageReference reference, Manifest manifest, string? predicateType, List<ImageSignatureResult> results, bool verified)
    {
        var signatures = new JsonArray();
        foreach (var result in results)
        {
            var entry = new JsonObject
            {
                ["source"] = result.Signature.Source switch
                {
                    SignatureSource.ReferrersApi => "referrers-api",
                    SignatureSource.ReferrersTag => "referrers-tag",
                    SignatureSource.LegacySignatureTag => "legacy-sig-tag",
                    _ => "legacy-att-tag",
                },
                ["location"] = result.Signature.Location,
                ["predicateType"] = result.Signature.PredicateType,
                ["verdict"] = result.Skipped is not null ? "skipped" : result.Record!.Verdict,
            };
            if (result.Skipped is not null)
            {
                entry["reason"] = result.Skipped;
            }
            if (result.Record is { } record)
            {
                entry["record"] = JsonNode.Parse(record.ToJson());
            }
            signatures.Add((JsonNode)entry);
        }
        return new JsonObject
        {
            ["mediaType"] = ResultMediaType,
            ["image"] = reference.ToString(),
            ["digest"] = manifest.Digest,
            ["mediaTypeOfImage"] = manifest.MediaType,
            ["predicateType"] = predicateType,
            ["verdict"] = verified ? "verified" : "not-verified",
            ["signatures"] = signatures,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static async Task<int> SignAsync(CliConsole console, ParseResult parse, SignCommands.SignerFlags flags, RegistryOptions registry, string imageText,
        bool recursive, (string Type, JsonNode Predicate)? attestation, CancellationToken ct)
    {
        var reference = ParseReference(imageText);
        using var http = registry.CreateHttpClient(parse);
        var store = new ImageSignatureStore(registry.Client(parse, http));
        // Resolve (and so check access to) the image before asking for an identity token.
        var manifest = await ResolveAsync(console, store, reference, ct).ConfigureAwait(false);
        var targets = new List<Descriptor> { manifest.Descriptor };
        if (recursive)
        {
            targets.AddRange(ImageSignatureStore.Children(manifest));
        }
        using var signer = await flags.OpenAsync(console, parse, ct).ConfigureAwait(false);
        if (signer is null)
        {
            return ExitCodes.NotVerified;
        }
        foreach (var target in targets)
        {
            var statement = attestation is { } a ? Statement(reference, target.Digest, a.Type, a.Predicate.DeepClone()) : SignStatement(target.Digest);
            Bundle bundle;
            try
            {
                bundle = await signer.AttestAsync(statement, ct).ConfigureAwait(false);
            }
            catch (ServiceClientException e)
            {
                await console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
                return ExitCodes.NotVerified;
            }
            var json = BundleJson.Serialize(bundle);
            var predicateType = attestation?.Type ?? ImageSignatureStore.CosignSignPredicateType;
            var attached = await store.AttachBundleAsync(reference, target, Encoding.UTF8.GetBytes(json), "dsse-envelope", predicateType, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
            foreach (var entry in bundle.VerificationMaterial!.TlogEntries)
            {
                await console.Error.WriteLineAsync($"tlog entry created with index: {entry.LogIndex} ({entry.KindVersion?.Kind} {entry.KindVersion?.Version})").ConfigureAwait(false);
            }
            await console.Error.WriteLineAsync(attached.ReferrersApi
                ? $"Attached bundle to {reference.ByDigest(target.Digest)} as referrer {attached.ReferrerDigest} (referrers API)"
                : $"Attached bundle to {reference.ByDigest(target.Digest)} as referrer {attached.ReferrerDigest}; the registry has no referrers API, so it is listed in the referrers tag {reference.Registry}/{reference.Repository}:{attached.FallbackTag}").ConfigureAwait(false);
            if (signer.BundleOut is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, json, ct).ConfigureAwait(false);
                await console.Error.WriteLineAsync($"Wrote bundle to file {file.Name}").ConfigureAwait(false);
            }
        }
        await console.Out.WriteLineAsync($"Signed {reference.ByDigest(manifest.Digest)}{(targets.Count > 1 ? $" and {targets.Count - 1} platform manifest{(targets.Count == 2 ? "" : "s")}" : "")}").ConfigureAwait(false);
        return ExitCodes.Verified;
    }

    /// <summary>
    /// cosign 3's image signature (cmd/cosign/cli/sign/sign.go <c>signDigestBundle</c>): an in-toto v1 statement whose
    /// one subject is the manifest digest (no name), predicate type <c>https://sigstore.dev/cosign/sign/v1</c>, empty predicate.
    /// </summary>
    internal static byte[] SignStatement(string digest) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["_type"] = "https://in-toto.io/Statement/v1",
        ["subject"] = new JsonArray(new JsonObject { ["digest"] = new JsonObject { ["sha256"] = digest["sha256:".Length..] } }),
        ["predicateType"] = ImageSignatureStore.CosignSignPredicateType,
        ["predicate"] = new JsonObject(),
    }.ToJsonString());

    /// <summary>An attestation statement as cosign attest writes it: the subject named by the repository, the manifest digest.</summary>
    internal static byte[] Statement(ImageReference reference, string digest, string predicateType, JsonNode? predicate) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["_type"] = "https://in-toto.io/Statement/v1",
        ["subject"] = new JsonArray(new JsonObject { ["name"] = $"{reference.Registry}/{reference.Repository}", ["digest"] = new JsonObject { ["sha256"] = digest["sha256:".Length..] } }),
        ["predicateType"] = predicateType,
        ["predicate"] = predicate,
    }.ToJsonString());

    private static string PredicateType(string type)
    {
        if (PredicateTypes.TryGetValue(type, out var uri))
        {
            return uri;
        }
        return Uri.TryCreate(type, UriKind.Absolute, out _) ? type
            : throw new UsageException($"--type \"{type}\" is neither a URI nor one of {string.Join(", ", PredicateTypes.Keys)}");
    }

    internal static ImageReference ParseReference(string text)
    {
        try
        {
            return ImageReference.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"image \"{text}\": {e.Message}");
        }
    }

    /// <summary>The manifest <paramref name="reference"/> names (a tag resolved to its digest, said on stderr); an image manifest or index.</summary>
    internal static async Task<Manifest> ResolveAsync(CliConsole console, ImageSignatureStore store, ImageReference reference, CancellationToken ct)
    {
        Manifest manifest;
        try
        {
            manifest = await store.ResolveAsync(reference, ct).ConfigureAwait(false);
        }
        catch (RegistryException e) when (e.IsNotFound)
        {
            throw new RegistryException($"image {reference} not found: the registry answered 404 for {reference.Identifier} in {reference.Registry}/{reference.Repository}");
        }
        if (!reference.IsDigest)
        {
            await console.Error.WriteLineAsync($"Resolved tag {reference.Tag} to {manifest.Digest} ({reference.ByDigest(manifest.Digest)})").ConfigureAwait(false);
        }
        if (manifest.MediaType is not (OciMediaTypes.ImageManifest or OciMediaTypes.ImageIndex or OciMediaTypes.DockerManifest or OciMediaTypes.DockerManifestList))
        {
            throw new RegistryException($"{reference} is a {manifest.MediaType}, not an image manifest or index");
        }
        return manifest;
    }

    /// <summary>The registry flags every image command (and the gate, for images) takes.</summary>
    internal sealed class RegistryOptions
    {
        private readonly Option<bool> _insecure = new("--allow-insecure-registry") { Description = "Talk plain HTTP to the registry (loopback and test registries only; never over a network you do not control)" };
        private readonly Option<FileInfo?> _caBundle = new("--registry-cacert") { Description = "PEM bundle of the CA certificates that the registry's TLS certificate must chain to (a private CA; replaces the system roots)" };
        private readonly Option<FileInfo?> _dockerConfig = new("--registry-config") { Description = "docker config.json with registry credentials (default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json)" };
        private readonly Option<int> _retries = new("--registry-retries") { Description = "Retries for connection failures, 429 and 5xx (exponential backoff)", DefaultValueFactory = _ => 3 };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { _insecure, _caBundle, _dockerConfig, _retries })
            {
                command.Options.Add(option);
            }
        }

        public HttpClient CreateHttpClient(ParseResult parse)
        {
            X509Certificate2Collection? roots = null;
            if (parse.GetValue(_caBundle) is { } file)
            {
                try
                {
                    roots = [.. Core.Pem.GoPem.DecodeCertificates(File.ReadAllText(file.FullName)).Select(X509CertificateLoader.LoadCertificate)];
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or WireFormatException)
                {
                    throw new UsageException($"--registry-cacert {file.Name}", e);
                }
            }
            return new HttpClient(RegistryClient.CreateHandler(roots), disposeHandler: true) { Timeout = TimeSpan.FromMinutes(5) };
        }

        public RegistryClient Client(ParseResult parse, HttpClient http)
        {
            var path = parse.GetValue(_dockerConfig)?.FullName ?? DockerConfigCredentials.DefaultPath();
            IRegistryCredentials credentials;
            try
            {
                credentials = new DockerConfigCredentials(path);
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"docker config {path}: {e.Message}");
            }
            var retries = parse.GetValue(_retries);
            if (retries is < 0 or > 10)
            {
                throw new UsageException("--registry-retries must be 0 to 10");
            }
            return new RegistryClient(http, new RegistryClientOptions
            {
                AllowInsecure = parse.GetValue(_insecure),
                Credentials = credentials,
                MaxAttempts = retries + 1,
            });
        }
    }
}

/// <summary>The image commands' part of the shared signer flags: open the signer once, sign statements with it.</summary>
internal static partial class SignCommands
{
    internal sealed partial class SignerFlags
    {
        /// <summary>For the image commands, <c>--bundle</c> is an optional extra copy: the bundle goes to the registry.</summary>
        public void ForImages() => _bundle.Description = "Also write the bundle to this file (default: none; the bundle is stored in the registry)";

        /// <summary>
        /// The services and signing material (a key, or a Fulcio certificate for a fresh key); null after printing why
        /// a keyless signer could not be made.
        /// </summary>
        public async Task<ImageSigner?> OpenAsync(CliConsole console, ParseResult parse, CancellationToken ct)
        {
            var tufConfig = parse.GetValue(_signingConfig) is null && parse.GetValue(_rekor) is null
                ? await PsigTrust.TargetAsync(console, PsigTrust.SigningConfigTarget, optional: true, ct).ConfigureAwait(false)
                : null;
            var services = SigningServices.Resolve(parse.GetValue(_signingConfig), parse.GetValue(_fulcio), parse.GetValue(_rekor),
                parse.GetValue(_rekorVersion), parse.GetValue(_tsa), tufConfig) with
            {
                DsseMode = parse.GetValue(V2DsseEntry) == "dsse" ? RekorV2DsseMode.DsseRequest : RekorV2DsseMode.HashedRekordOverPae,
            };
            if (parse.GetValue(_key) is { } key)
            {
                if (parse.GetValue(_identity.Token) is not null || parse.GetValue(_identity.Issuer) is not null)
                {
                    throw new UsageException("--key cannot be combined with --identity-token or --oidc-issuer");
                }
                var (signingKey, token) = SigningServices.LoadKey(key, Environment.GetEnvironmentVariable("PSIG_KEY_PASSWORD"));
                return new ImageSigner(services, new SignerMaterial(signingKey), token, parse.GetValue(_bundle));
            }
            var identityToken = await _identity.GetAsync(console, parse, "give --key, --identity-token, or --oidc-issuer (with --oidc-client-id and --oidc-client-secret, --oidc-device, or --oidc-browser)", ct).ConfigureAwait(false);
            if (identityToken is null)
            {
                return null;
            }
            if (services.FulcioUrl is null)
            {
                throw new UsageException("keyless signing needs --fulcio-url or a signing config with a CA");
            }
            try
            {
                var material = await KeylessSigning.CreateAsync(new FulcioClient(SigningServices.HttpClient, services.FulcioUrl), identityToken, ct).ConfigureAwait(false);
                return new ImageSigner(services, material, null, parse.GetValue(_bundle));
            }
            catch (Exception e) when (e is ServiceClientException or ArgumentException or HttpRequestException)
            {
                await console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
                return null;
            }
        }
    }
}

/// <summary>An opened signer: signs in-toto statements into DSSE bundles with the chosen services.</summary>
internal sealed class ImageSigner(SigningServices services, SignerMaterial material, IDisposable? token, FileInfo? bundleOut) : IDisposable
{
    /// <summary>Where to also write each bundle (<c>--bundle</c>).</summary>
    public FileInfo? BundleOut => bundleOut;

    public Task<Bundle> AttestAsync(byte[] statement, CancellationToken ct)
    {
        try
        {
            return new BundleSigner(services.Writers(), services.TimestampClients()).AttestAsync(material, statement, cancellationToken: ct);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    public void Dispose()
    {
        material.Key.Dispose();
        token?.Dispose();
    }
}
