import { TOKEN_EXCHANGE_AUDIENCE_ALIASES } from "./constants";
import { TrustContractError, WorkloadSubject } from "./workload-subject";

/** GCP's token exchange endpoint (RFC 8693). */
export const GCP_STS_TOKEN_URL = "https://sts.googleapis.com/v1/token";
/** The subject token type of an OIDC JWT. */
export const JWT_SUBJECT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";

/** Where a GCP workload identity provider lives. */
export interface GcpProviderLocation {
    /** Project number (digits): it appears in principal:// members and the STS audience. */
    readonly projectNumber: string;
    readonly poolId: string;
    readonly providerId: string;
}

/** A GCP workload identity pool provider and its single bound subject, as plain JSON. */
export interface GcpProviderContract extends GcpProviderLocation {
    readonly kind: "gcp-provider";
    /** Full resource name: projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>. */
    readonly name: string;
    /** `oidc.issuerUri`: must equal the token's `iss` exactly. */
    readonly issuer: string;
    /** `oidc.allowedAudiences`: compared byte for byte with the token's `aud`. */
    readonly allowedAudiences: readonly string[];
    /** CEL expressions, keyed by the attribute they produce. */
    readonly attributeMapping: Readonly<Record<string, string>>;
    /** CEL condition every token must satisfy. */
    readonly attributeCondition: string;
    /** The one principal granted roles/iam.workloadIdentityUser on the service account. */
    readonly principal: string;
    /** The service account the workload impersonates. */
    readonly serviceAccountEmail: string;
}

/** A value safe to embed in a CEL single-quoted string literal (ids, GUIDs): no quote, backslash or control char. */
function celLiteral(what: string, value: string): string {
    if (value === "" || /['\\]/.test(value) || [...value].some((c) => c.charCodeAt(0) < 0x20)) {
        throw new TrustContractError(`${what} ${JSON.stringify(value)} cannot be pinned in a CEL condition (empty, quote, backslash or control character)`);
    }
    return `'${value}'`;
}

/** Resource name of a provider. */
export function gcpProviderName(l: GcpProviderLocation): string {
    return `projects/${l.projectNumber}/locations/global/workloadIdentityPools/${l.poolId}/providers/${l.providerId}`;
}

/** The STS audience an `external_account` credential presents: `//iam.googleapis.com/<provider name>`. */
export function gcpStsAudience(l: GcpProviderLocation): string {
    return `//iam.googleapis.com/${gcpProviderName(l)}`;
}

/** GCP caps `google.subject` at 127 bytes (attribute mapping reference); a longer value fails every exchange. */
export const GCP_MAX_GOOGLE_SUBJECT_BYTES = 127;

/**
 * Why `subject` cannot be a `google.subject` and the single-subject member built from it, or undefined. The one rule
 * both the contract builder and the configuration parsers apply, so a subject GCP would refuse is refused before any
 * resource is registered, never half-way through `pulumi up`.
 */
export function gcpSubjectProblem(subject: string): string | undefined {
    if (/[*\s]/.test(subject) || subject === "") return `subject ${JSON.stringify(subject)} cannot form a single-subject principal`;
    const bytes = Buffer.byteLength(subject, "utf8");
    if (bytes > GCP_MAX_GOOGLE_SUBJECT_BYTES)
        return `subject ${JSON.stringify(subject)} is ${bytes} bytes, longer than the ${GCP_MAX_GOOGLE_SUBJECT_BYTES} bytes GCP allows in google.subject`;
    return undefined;
}

/**
 * The single-subject member: principal://iam.googleapis.com/projects/<n>/locations/global/workloadIdentityPools/<pool>/subject/<sub>.
 * The subject is everything after `/subject/`, so a GitHub subject (`repo:owner/repo:environment:prod`) keeps its '/'.
 */
export function gcpSubjectPrincipal(projectNumber: string, poolId: string, subject: string): string {
    const problem = gcpSubjectProblem(subject);
    if (problem) throw new TrustContractError(problem);
    return `principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${poolId}/subject/${subject}`;
}

/**
 * Audiences the provider must allow for a subject. A token minted for the token-exchange audience carries the GUID
 * on the wire (Rais, "Entra Agent ID Across Clouds", Part 2) while people configure the URI, so both spellings are listed; any other audience is
 * listed exactly.
 */
export function gcpAllowedAudiences(subject: WorkloadSubject): string[] {
    // An Agent Identity subject lists the one spelling its tokens carry (appId for v2, identifier URI for v1).
    return subject.audiences.some((a) => TOKEN_EXCHANGE_AUDIENCE_ALIASES.includes(a)) ? [...TOKEN_EXCHANGE_AUDIENCE_ALIASES] : [...subject.audiences];
}

/**
 * The claim that identifies the workload: `oid` for an Agent Identity (Option 2 of
 * Rais, "Entra Agent ID Across Clouds", Part 3: the condition pins `assertion.oid == '<agent identity oid>'`), `sub`
 * for everything else.
 */
export function gcpSubjectClaim(subject: WorkloadSubject): "oid" | "sub" {
    return subject.source === "agent-identity" ? "oid" : "sub";
}

/**
 * `google.subject` is the claim the condition pins, so the principal:// member and GCP's audit logs name the same
 * identity (the UAMI for Option 1, the Agent Identity for Option 2); plus the tenant when the condition pins it.
 */
export function gcpAttributeMapping(subject: WorkloadSubject): Record<string, string> {
    const google = { "google.subject": `assertion.${gcpSubjectClaim(subject)}` };
    return subject.tenantId ? { ...google, "attribute.tid": "assertion.tid" } : google;
}

/**
 * The condition: tenant (when the issuer is Entra) and subject, both exact. Never tenant-only: every workload in
 * the tenant would then be accepted.
 */
export function gcpAttributeCondition(subject: WorkloadSubject): string {
    const pins = [`assertion.${gcpSubjectClaim(subject)} == ${celLiteral("subject", subject.subject)}`];
    if (subject.tenantId) pins.unshift(`assertion.tid == ${celLiteral("tenant id", subject.tenantId)}`);
    return pins.join(" && ");
}

/** A provider contract from what differs between identity sources: audiences, mapping and condition. */
function providerContract(
    location: GcpProviderLocation,
    serviceAccountEmail: string,
    subject: WorkloadSubject,
    trust: Pick<GcpProviderContract, "allowedAudiences" | "attributeMapping" | "attributeCondition">,
): GcpProviderContract {
    if (!/^\d+$/.test(location.projectNumber)) throw new TrustContractError(`GCP project number ${JSON.stringify(location.projectNumber)} is not numeric`);
    return {
        kind: "gcp-provider",
        ...location,
        name: gcpProviderName(location),
        issuer: subject.issuer,
        ...trust,
        principal: gcpSubjectPrincipal(location.projectNumber, location.poolId, subject.subject),
        serviceAccountEmail,
    };
}

/** The whole GCP contract for a workload subject. */
export function gcpProviderContract(location: GcpProviderLocation, serviceAccountEmail: string, subject: WorkloadSubject): GcpProviderContract {
    return providerContract(location, serviceAccountEmail, subject, {
        allowedAudiences: gcpAllowedAudiences(subject),
        attributeMapping: gcpAttributeMapping(subject),
        attributeCondition: gcpAttributeCondition(subject),
    });
}

/**
 * GitHub Actions through one shared provider (docs/ci-bootstrap.md; GitHub's "About security hardening with OpenID Connect"): the provider's
 * condition admits only tokens of one repository, pinned by its immutable ids (`repository_id`,
 * `repository_owner_id`: a deleted and re-created owner or repository of the same name gets other ids), and only
 * the listed environment subjects; each environment's service account then grants
 * roles/iam.workloadIdentityUser to exactly its own `principal://.../subject/<sub>`. `allowedAudiences` stays
 * empty: GCP then accepts exactly `https://iam.googleapis.com/<provider name>` (or the `//` form), which is what
 * google-github-actions/auth requests by default.
 */
export function gcpGitHubAttributeCondition(subject: WorkloadSubject, poolSubjects: readonly string[]): string {
    const github = subject.github;
    if (subject.source !== "github-actions" || !github) throw new TrustContractError("a GitHub provider condition needs a GitHub Actions workload subject");
    if (!poolSubjects.includes(subject.subject)) throw new TrustContractError(`subject ${subject.subject} is not among the pool's subjects`);
    const subjects = [...new Set(poolSubjects)].map((s) => celLiteral("subject", s)).join(", ");
    return [
        `assertion.repository_id == ${celLiteral("repository id", github.repositoryId)}`,
        `assertion.repository_owner_id == ${celLiteral("repository owner id", github.repositoryOwnerId)}`,
        `assertion.sub in [${subjects}]`,
    ].join(" && ");
}

/** The contract of one GitHub environment behind the shared GitHub provider: the condition, and its own binding. */
export function gcpGitHubProviderContract(
    location: GcpProviderLocation,
    serviceAccountEmail: string,
    subject: WorkloadSubject,
    poolSubjects: readonly string[],
): GcpProviderContract {
    return providerContract(location, serviceAccountEmail, subject, {
        allowedAudiences: [],
        attributeMapping: {
            "google.subject": "assertion.sub",
            "attribute.repository_id": "assertion.repository_id",
            "attribute.repository_owner_id": "assertion.repository_owner_id",
        },
        attributeCondition: gcpGitHubAttributeCondition(subject, poolSubjects),
    });
}

/** The audiences GCP accepts for a provider: the allowed list, or, when it is empty, the provider's own name. */
export function gcpAcceptedAudiences(contract: Pick<GcpProviderContract, "allowedAudiences" | "name">): readonly string[] {
    return contract.allowedAudiences.length > 0
        ? contract.allowedAudiences
        : [`//iam.googleapis.com/${contract.name}`, `https://iam.googleapis.com/${contract.name}`];
}

/** The `external_account` credential configuration the agent's Google client libraries read. */
export interface ExternalAccountCredentialConfig {
    readonly type: "external_account";
    readonly audience: string;
    readonly subject_token_type: string;
    readonly token_url: string;
    readonly service_account_impersonation_url: string;
    readonly credential_source: { readonly file: string; readonly format: { readonly type: "text" } };
}

/**
 * A file credential source: the token refresher keeps `subjectTokenFile` fresh with the subject token (the UAMI's
 * token for api://AzureADTokenExchange under Option 1, the sidecar-minted Agent Identity JWT under Option 2). (A URL source cannot work on Container Apps: the managed-identity endpoint and its
 * X-IDENTITY-HEADER change per replica.)
 */
export function externalAccountCredentialConfig(contract: GcpProviderContract, subjectTokenFile: string): ExternalAccountCredentialConfig {
    return {
        type: "external_account",
        audience: gcpStsAudience(contract),
        subject_token_type: JWT_SUBJECT_TOKEN_TYPE,
        token_url: GCP_STS_TOKEN_URL,
        service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${contract.serviceAccountEmail}:generateAccessToken`,
        credential_source: { file: subjectTokenFile, format: { type: "text" } },
    };
}
