/**
 * Pure wiring of the containers' environment: which variable each container needs, from which identity value.
 * No Pulumi import: components call these inside `apply`, and tests call them directly.
 */

/**
 * The Entra auth sidecar image, the default everywhere a sidecar runs (Container Apps and Kind).
 *
 * 1.1.x, not the 1.0.0 the Microsoft samples pin: only from 1.1.0 does the sidecar refuse callers that are not on the
 * replica's loopback (AzureAD/microsoft-identity-web, src/Microsoft.Identity.Web.Sidecar/CHANGELOG.md, 1.1.0:
 * its references 3897 loopback callers, 3871 AgentIdentity gated by AllowOverrides, 3794 per-route AllowOverrides, 3919
 * per-request options). 1.0.0 only filters the Host header (`AddHostFiltering` with `AllowedHosts = ["localhost"]`,
 * AzureAD/microsoft-identity-web#3579), which any caller that can reach the port sets. 1.1.2 is the newest 1.1.x tag on
 * mcr.microsoft.com/entra-sdk/auth-sidecar (MCR tag list, 2026-10-02); `MIN_SIDECAR_VERSION` is the floor config
 * enforces. Before bumping, read the sidecar CHANGELOG and pin the digest with
 * `crane digest <image>` (or `docker buildx imagetools inspect <image>`).
 */
export const DEFAULT_SIDECAR_IMAGE = "mcr.microsoft.com/entra-sdk/auth-sidecar:1.1.2-azurelinux3.0-distroless";

/** The oldest sidecar that answers loopback callers only (and gates `AgentIdentity`): 1.1.0, see `DEFAULT_SIDECAR_IMAGE`. */
export const MIN_SIDECAR_VERSION: readonly [number, number, number] = [1, 1, 0];

/** Port the Entra auth sidecar listens on; only loopback callers get past its caller check (sidecar >= 1.1.0). */
export const SIDECAR_PORT = 5000;
export const SIDECAR_URL = `http://localhost:${SIDECAR_PORT}`;
/**
 * The sidecar's health endpoint. Since 1.1.0 it is the one path the sidecar answers for non-loopback callers
 * (LocalCallerRestriction.cs: "the health endpoint is exempt so liveness/readiness probes, which target the pod's
 * routable address, continue to work"); it reveals nothing but "Healthy".
 */
export const SIDECAR_HEALTH_PATH = "/healthz";

/** A sidecar version read from an image tag: major, minor, patch, and whether it is a pre-release. */
export interface SidecarVersion {
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
    readonly preRelease: boolean;
}

/**
 * Microsoft's base-image suffix on the sidecar's tags (`1.1.2-azurelinux3.0-distroless`, MCR tag list): recognised
 * whole, and only at the end of the tag.
 */
const BASE_IMAGE_VARIANT = /^azurelinux\d+(?:\.\d+)*(?:-distroless)?$/;

/**
 * A sidecar tag's version: `<major>.<minor>.<patch>[-<pre-release>][-<base image>]`, an optional leading `v`. By
 * semver's rule (semver.org 2.0.0, items 9 and 11) everything after the version's first '-' is a pre-release, which
 * precedes the release: 1.1.0-rc1, 1.1.0-preview2, 1.1.0-rc.1 and 1.1.0-anything all come before 1.1.0. The one
 * exception is Microsoft's base-image suffix, which is a build variant of the release, not a pre-release of it;
 * it is matched whole (never a prefix like `rc`, which would miss `rc1-...`) and whatever else remains is the
 * pre-release.
 */
function sidecarTagVersion(tag: string): (Omit<SidecarVersion, "preRelease"> & { readonly preRelease: string | undefined }) | undefined {
    const match = /^v?(\d+)\.(\d+)\.(\d+)(?:-(.+))?$/.exec(tag);
    if (!match) return undefined;
    const suffix = match[4];
    let preRelease: string | undefined = suffix;
    if (suffix !== undefined) {
        const parts = suffix.split("-");
        // The longest trailing run of '-'-separated parts that is a base-image variant is not a pre-release.
        for (let i = 0; i < parts.length; i++) {
            if (BASE_IMAGE_VARIANT.test(parts.slice(i).join("-"))) {
                preRelease = i === 0 ? undefined : parts.slice(0, i).join("-");
                break;
            }
        }
    }
    return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), preRelease };
}

/** The tag of an image reference (`...:1.1.2-azurelinux3.0-distroless` -> `1.1.2-azurelinux3.0-distroless`), if any. */
function imageTag(image: string): string | undefined {
    const withoutDigest = image.split("@")[0] ?? "";
    const lastSegment = withoutDigest.split("/").pop() ?? "";
    const colon = lastSegment.indexOf(":");
    return colon < 0 ? undefined : lastSegment.slice(colon + 1);
}

/**
 * The sidecar version an image reference names in its tag, e.g. `...:1.1.2-azurelinux3.0-distroless` -> 1.1.2.
 * The version is read from the tag only, so a mirror in another registry is judged by the tag it keeps. Undefined
 * when the reference has no tag or the tag names no version.
 */
export function sidecarImageVersion(image: string): SidecarVersion | undefined {
    const tag = imageTag(image);
    const version = tag === undefined ? undefined : sidecarTagVersion(tag);
    return version && { major: version.major, minor: version.minor, patch: version.patch, preRelease: version.preRelease !== undefined };
}

/**
 * Why an image cannot be trusted to keep the sidecar private to the replica, or undefined. A digest-only reference
 * is refused as well: its version cannot be read, and the property depends on the version.
 *
 * The floor is semver precedence: a version below 1.1.0, or a pre-release of 1.1.0 itself (which precedes the
 * release that brought the loopback-only check), is refused. A pre-release of a later version (1.1.1-rc.1,
 * 1.2.0-preview) comes after 1.1.0 in precedence, on a line that already carries 1.1.0's changes, and passes the
 * floor; whether to run a pre-release in production at all is the operator's choice, not this check's.
 */
export function sidecarImageProblem(image: string): string | undefined {
    const tag = imageTag(image);
    const version = tag === undefined ? undefined : sidecarTagVersion(tag);
    const floor = MIN_SIDECAR_VERSION.join(".");
    if (!version) {
        return image.includes("@") && !/:[^/@]+@/.test(image)
            ? `pins only a digest (${JSON.stringify(image)}), so its sidecar version cannot be checked against ${floor}`
            : `has a tag that names no sidecar version (got ${JSON.stringify(image)}), so it cannot be checked against ${floor}`;
    }
    const { major, minor, patch, preRelease } = version;
    const [fMajor, fMinor, fPatch] = MIN_SIDECAR_VERSION;
    const cmp = major - fMajor || minor - fMinor || patch - fPatch;
    if (cmp < 0 || (cmp === 0 && preRelease !== undefined)) {
        const named =
            preRelease === undefined ? `${major}.${minor}.${patch}` : `${major}.${minor}.${patch}-${preRelease} (a pre-release, which precedes ${floor})`;
        return (
            `is sidecar ${named}, older than ${floor}: it answers every caller that can reach ` +
            "its port and sends Host: localhost, and ignores Sidecar__AllowOverrides (AgentIdentity is always honoured)"
        );
    }
    return undefined;
}

/** The fix to print with `sidecarImageProblem`. */
export const SIDECAR_IMAGE_FIX = `remove the key to use ${DEFAULT_SIDECAR_IMAGE}, or name a ${MIN_SIDECAR_VERSION.join(".")} or later tag (a digest goes after the tag: <repository>:<tag>@sha256:<digest>)`;

/** Where the refresher writes token files, on an EmptyDir volume shared with the agent. */
export const TOKEN_DIR = "/var/run/secrets/agentfed";
/** Where configuration files (e.g. the GCP credential configuration) are mounted from container-app secrets. */
export const CONFIG_DIR = "/etc/agentfed";

/**
 * Prefix of the sidecar's downstream API entries this stack adds itself (Option 2: the Agent Identity JWT minted
 * for a cloud-federation audience). Reserved: config refuses it for user-declared APIs, and the policy pack's
 * downstream-audience rule recognises these entries as cloud federation, not as downstream APIs.
 */
export const RESERVED_API_PREFIX = "Agentfed";

export interface EnvVar {
    readonly name: string;
    readonly value: string;
}

/** A downstream API the sidecar mints Agent Identity tokens for. */
export interface DownstreamApi {
    /** Name used in the sidecar's route `/AuthorizationHeaderUnauthenticated/{name}`, e.g. `Weather`. */
    readonly name: string;
    /** Base URL of the API. */
    readonly baseUrl: string;
    /** Scopes, e.g. `api://weather/.default`. */
    readonly scopes: readonly string[];
    /** Request an app (not user) token. Default true: the agent acts as itself. */
    readonly requestAppToken?: boolean;
}

/**
 * What `Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated=true` opens on the sidecar's unauthenticated
 * route, to every process that can reach it (since 1.1.0: the replica's loopback). Read from the sidecar's source:
 * AuthorizationHeaderEndpoint.cs applies the caller's `optionsOverride.*` and `AgentIdentity` parameters only when
 * the route's flag is on; BindableDownstreamApiOptions.cs binds these overrides; DownstreamApiOptionsMerger.cs
 * merges them over the configured entry (`optionsOverride.BaseUrl` is always ignored).
 */
export const AGENT_IDENTITY_OVERRIDE_OPENS: readonly string[] = [
    "AgentIdentity, AgentUsername, AgentUserId: a token as any Agent Identity of the Blueprint, or as an agent user",
    "optionsOverride.Scopes: any scope, not only the entry's configured ones",
    "optionsOverride.RequestAppToken: an app token where the entry asks for a user token",
    "optionsOverride.AcquireTokenOptions.Tenant: a token from another tenant the Blueprint is present in",
    "optionsOverride.AcquireTokenOptions.FmiPath: a federated managed identity (FMI) path of the caller's choosing",
    "optionsOverride.AcquireTokenOptions.ManagedIdentity.UserAssignedClientId, Claims, ForceRefresh, PopPublicKey: the remaining token options",
];

/** The environment variable that turns the unauthenticated route's overrides on (sidecar >= 1.1.0). */
export const AGENT_IDENTITY_OVERRIDE_ENV = "Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated";

/**
 * The sidecar's other per-route override flags (AzureAD/microsoft-identity-web,
 * src/Microsoft.Identity.Web.Sidecar/Configuration/SidecarOptions.cs, `AllowOverridesOptions`; CHANGELOG 1.1.0, AzureAD/microsoft-identity-web#3794
 * per-route AllowOverrides). `GetAuthorizationHeader` and `CallDownstreamApi` default to `true`: the authenticated
 * routes honour overrides for any bearer token the sidecar accepts. This stack uses none of these routes, so all three
 * are written `false`, never left to a default.
 */
export const OTHER_OVERRIDE_ENVS: readonly string[] = [
    "Sidecar__AllowOverrides__GetAuthorizationHeader",
    "Sidecar__AllowOverrides__CallDownstreamApi",
    "Sidecar__AllowOverrides__CallDownstreamApiUnauthenticated",
];

/**
 * Why `containerApp.sidecar.allowAgentIdentityOverride: true` cannot hold for this agent, or undefined. The stack turns
 * the override on by itself for every agent that calls as an Agent Identity (`sidecarOverrideEnv`); an agent without one
 * (a classic app registration, or no API to call) has no Agent Identity to name, and the flag would only open
 * `AGENT_IDENTITY_OVERRIDE_OPENS` to every process in the replica.
 */
export function agentIdentityOverrideProblem(requested: boolean, callsAsAgentIdentity: boolean): string | undefined {
    if (!requested || callsAsAgentIdentity) return undefined;
    return (
        "is true, but this agent calls no API as an Agent Identity (no agentIdentity, or a classic app registration): " +
        "it would let any process in the replica choose the Agent Identity, scopes, tenant and FMI path of the tokens the sidecar mints"
    );
}

/**
 * The sidecar's four per-route override flags, from one function for Container Apps and Kind. An agent on an Entra
 * Agent ID Blueprint calls its APIs as its Agent Identity, and the sidecar picks the Agent Identity only from the
 * request's `?AgentIdentity=` (its docs/sidecar/faq.md in the 1.1.x documentation: agent identities are "selected
 * purely via request query parameters"); from 1.1.0 that parameter is ignored on `/AuthorizationHeaderUnauthenticated`
 * unless `GetAuthorizationHeaderUnauthenticated` is true (CHANGELOG 1.1.0, AzureAD/microsoft-identity-web#3871; AuthorizationHeaderEndpoint.cs),
 * and the sidecar then asks for the token as the Blueprint itself, which Entra does not give API tokens to (Learn,
 * "Agent identity blueprints": a Blueprint can only provision and deprovision agent identities). So the flag is on
 * exactly for agents that call as an Agent Identity; what bounds it is the loopback-only check (1.1.0 and later,
 * outside Development), the sidecar port outside ingress, and the three other flags written `false` here.
 */
export function sidecarOverrideEnv(callsAsAgentIdentity: boolean): EnvVar[] {
    return [{ name: AGENT_IDENTITY_OVERRIDE_ENV, value: String(callsAsAgentIdentity) }, ...OTHER_OVERRIDE_ENVS.map((name) => ({ name, value: "false" }))];
}

/**
 * The sidecar's host settings, the same on Container Apps and Kind. It listens on every interface so that the
 * platform's HTTP probes (which connect to the replica's address, never its loopback; exec probes do not exist on
 * Container Apps) reach `/healthz`; every other path answers 403 to non-loopback callers since 1.1.0. That check
 * runs only outside the Development environment (Program.cs: `if (!app.Environment.IsDevelopment())
 * app.UseLocalCallerRestriction()`), so the environment is pinned to Production here rather than left to a default.
 */
export function sidecarHostEnv(): EnvVar[] {
    return [
        { name: "ASPNETCORE_URLS", value: `http://+:${SIDECAR_PORT}` },
        { name: "ASPNETCORE_ENVIRONMENT", value: "Production" },
    ];
}

/** The `DownstreamApis__*` entries of the sidecar, from one list; the same function builds them for Container Apps and Kind. */
export function downstreamApiEnv(apis: readonly DownstreamApi[]): EnvVar[] {
    return apis.flatMap((api) => [
        { name: `DownstreamApis__${api.name}__BaseUrl`, value: api.baseUrl },
        ...api.scopes.map((scope, i) => ({ name: `DownstreamApis__${api.name}__Scopes__${i}`, value: scope })),
        { name: `DownstreamApis__${api.name}__RequestAppToken`, value: String(api.requestAppToken ?? true) },
    ]);
}

export interface SidecarEnvInput {
    readonly tenantId: string;
    /** The Blueprint's appId (AzureAd__ClientId). The UAMI's client id here gives AADSTS700016. */
    readonly blueprintAppId: string;
    /** The UAMI's client id, which the sidecar uses to request its managed-identity assertion. */
    readonly uamiClientId: string;
    readonly downstreamApis: readonly DownstreamApi[];
    /**
     * Honour `?AgentIdentity=` and `optionsOverride.*` on `/AuthorizationHeaderUnauthenticated/{api}` (sidecar
     * 1.1.0 ignores both otherwise): true for an agent that calls as an Agent Identity (`sidecarOverrideEnv`; what it
     * opens: `AGENT_IDENTITY_OVERRIDE_OPENS`).
     */
    readonly allowAgentIdentityOverride: boolean;
}

/** The Entra auth sidecar's settings on Azure Container Apps: the UAMI's assertion is its client credential. */
export function sidecarEnv(input: SidecarEnvInput): EnvVar[] {
    return [
        ...sidecarHostEnv(),
        { name: "AzureAd__Instance", value: "https://login.microsoftonline.com/" },
        { name: "AzureAd__TenantId", value: input.tenantId },
        { name: "AzureAd__ClientId", value: input.blueprintAppId },
        { name: "AzureAd__ClientCredentials__0__SourceType", value: "SignedAssertionFromManagedIdentity" },
        { name: "AzureAd__ClientCredentials__0__ManagedIdentityClientId", value: input.uamiClientId },
        ...downstreamApiEnv(input.downstreamApis),
        ...sidecarOverrideEnv(input.allowAgentIdentityOverride),
    ];
}

export interface KindSidecarEnvInput {
    readonly tenantId: string;
    /** The Blueprint's appId (AzureAd__ClientId). */
    readonly blueprintAppId: string;
    /** Where the projected service-account token is mounted: the sidecar's signed assertion. */
    readonly tokenFile: string;
    /** Entra authority root. */
    readonly instance: string;
    /** The APIs the agent asks the sidecar for; without one every call answers 400 "No scopes found". */
    readonly downstreamApis: readonly DownstreamApi[];
    /** Honour `?AgentIdentity=`: true when the workload calls as an Agent Identity, as on Container Apps. */
    readonly allowAgentIdentityOverride: boolean;
}

/**
 * The sidecar's settings on Kind: the projected service-account token is its client credential. Same host
 * settings, downstream entries and override flags (`sidecarOverrideEnv`) as on Container Apps.
 */
export function kindSidecarEnv(input: KindSidecarEnvInput): EnvVar[] {
    return [
        ...sidecarHostEnv(),
        { name: "AzureAd__Instance", value: input.instance },
        { name: "AzureAd__TenantId", value: input.tenantId },
        { name: "AzureAd__ClientId", value: input.blueprintAppId },
        { name: "AzureAd__ClientCredentials__0__SourceType", value: "SignedAssertionFilePath" },
        { name: "AzureAd__ClientCredentials__0__SignedAssertionFileDiskPath", value: input.tokenFile },
        ...downstreamApiEnv(input.downstreamApis),
        ...sidecarOverrideEnv(input.allowAgentIdentityOverride),
    ];
}

/**
 * The agent's Agent Identity client id, beside `SIDECAR_URL`: the value of `?AgentIdentity=` on every token request
 * (set only for an agent that calls as an Agent Identity; an agent on a classic app registration calls as the app).
 */
export const AGENT_IDENTITY_CLIENT_ID_ENV = "AGENT_IDENTITY_CLIENT_ID";
/** Prefix of the per-API request variables: `AGENTFED_AUTHORIZATION_URL_<API NAME IN CAPITALS>`. */
export const AUTHORIZATION_URL_ENV_PREFIX = "AGENTFED_AUTHORIZATION_URL_";

/**
 * The exact request an agent makes for a downstream API's Authorization header: the sidecar's unauthenticated route
 * (loopback only), naming the Agent Identity when the agent has one. The sidecar answers
 * `{ "authorizationHeader": "Bearer <jwt>" }`; the JWT's `oid` is the Agent Identity's object id.
 */
export function authorizationHeaderUrl(api: string, agentIdentityClientId: string | undefined): string {
    const route = `${SIDECAR_URL}/AuthorizationHeaderUnauthenticated/${encodeURIComponent(api)}`;
    return agentIdentityClientId === undefined ? route : `${route}?AgentIdentity=${encodeURIComponent(agentIdentityClientId)}`;
}

/**
 * What tells the agent container who it is: `SIDECAR_URL`, its Agent Identity's client id (when it has one) and, for
 * each downstream API, the request to make (`AGENTFED_AUTHORIZATION_URL_WEATHER` for `Weather`; API names are letters
 * and digits, unique without case, so the capitalised names never collide). The same on Container Apps and Kind.
 */
export function agentSidecarEnv(agentIdentityClientId: string | undefined, apis: readonly DownstreamApi[]): EnvVar[] {
    return [
        { name: "SIDECAR_URL", value: SIDECAR_URL },
        ...(agentIdentityClientId === undefined ? [] : [{ name: AGENT_IDENTITY_CLIENT_ID_ENV, value: agentIdentityClientId }]),
        ...apis.map((api) => ({
            name: `${AUTHORIZATION_URL_ENV_PREFIX}${api.name.toUpperCase()}`,
            value: authorizationHeaderUrl(api.name, agentIdentityClientId),
        })),
    ];
}

/** The agent's own settings on Container Apps: which UAMI to ask for tokens, and the sidecar's (`agentSidecarEnv`). */
export function agentBaseEnv(uamiClientId: string, agentIdentityClientId?: string, apis: readonly DownstreamApi[] = []): EnvVar[] {
    return [{ name: "AZURE_CLIENT_ID", value: uamiClientId }, ...agentSidecarEnv(agentIdentityClientId, apis)];
}

/** One file the refresher keeps fresh (mirrors the JSDoc `Target` of token-refresher.js). */
export interface TokenTarget {
    readonly name: string;
    readonly file: string;
    /** The resource requested from the managed-identity endpoint. */
    readonly resource: string;
    /** Set for a client-credentials exchange through an intermediary app (AWS `exchange` mode). */
    readonly exchange?: { readonly tenantId: string; readonly clientId: string; readonly scope: string };
    /**
     * Set for Option 2: the token is the Agent Identity JWT the Entra auth sidecar mints for the cloud-federation
     * entry `api` (GET <url>/AuthorizationHeaderUnauthenticated/<api>?AgentIdentity=<agentIdentity>), not a
     * managed-identity token. `resource` then names the audience the entry's scope requests.
     */
    readonly sidecar?: { readonly url: string; readonly api: string; readonly agentIdentity: string };
}

/** The sidecar entries Option 2 adds: one per cloud, each requesting that cloud's dedicated federation audience. */
export const GCP_FEDERATION_API = `${RESERVED_API_PREFIX}GcpFederation`;
export const AWS_FEDERATION_API = `${RESERVED_API_PREFIX}AwsFederation`;

/**
 * A sidecar entry that mints the Agent Identity JWT for a cloud's STS (Option 2). The base URL is the STS the token
 * is presented to; the sidecar only uses the entry's scope, through /AuthorizationHeaderUnauthenticated.
 */
export function cloudFederationApi(name: string, stsUrl: string, audienceUri: string): DownstreamApi {
    return { name, baseUrl: stsUrl, scopes: [`${audienceUri}/.default`], requestAppToken: true };
}

/** An Option 2 token target: the refresher asks the sidecar, which mints the Agent Identity JWT. */
export function sidecarTokenTarget(name: string, file: string, api: string, audienceUri: string, agentIdentityClientId: string): TokenTarget {
    return { name, file, resource: audienceUri, sidecar: { url: SIDECAR_URL, api, agentIdentity: agentIdentityClientId } };
}

/** The refresher's settings. */
export function refresherEnv(uamiClientId: string, targets: readonly TokenTarget[]): EnvVar[] {
    return [
        { name: "AZURE_CLIENT_ID", value: uamiClientId },
        { name: "AGENTFED_TOKEN_TARGETS", value: JSON.stringify(targets) },
    ];
}

/** GCP: the subject-token file the refresher writes, and the credential configuration file the agent reads. */
export const GCP_SUBJECT_TOKEN_FILE = `${TOKEN_DIR}/gcp-subject-token`;
export const GCP_CREDENTIAL_FILE_NAME = "gcp-credential-config.json";

/** The agent's GCP settings: Google client libraries read GOOGLE_APPLICATION_CREDENTIALS. */
export function gcpAgentEnv(projectId: string): EnvVar[] {
    return [
        { name: "GOOGLE_APPLICATION_CREDENTIALS", value: `${CONFIG_DIR}/${GCP_CREDENTIAL_FILE_NAME}` },
        { name: "GOOGLE_CLOUD_PROJECT", value: projectId },
    ];
}

/** The refresher keeps the GCP subject token fresh: the UAMI's token for api://AzureADTokenExchange. */
export const GCP_TOKEN_TARGET: TokenTarget = { name: "gcp", file: GCP_SUBJECT_TOKEN_FILE, resource: "api://AzureADTokenExchange" };

/** AWS: the web-identity token file the refresher writes and the SDK reads. */
export const AWS_WEB_IDENTITY_TOKEN_FILE = `${TOKEN_DIR}/aws-web-identity-token`;

/** The agent's AWS settings: the SDK's web-identity provider reads these. */
export function awsAgentEnv(roleArn: string, region: string, sessionName: string): EnvVar[] {
    return [
        { name: "AWS_ROLE_ARN", value: roleArn },
        { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: AWS_WEB_IDENTITY_TOKEN_FILE },
        { name: "AWS_REGION", value: region },
        { name: "AWS_ROLE_SESSION_NAME", value: sessionName },
    ];
}
