/**
 * Pure wiring of the containers' environment: which variable each container needs, from which identity value.
 * No Pulumi import: components call these inside `apply`, and tests call them directly.
 */

/** The Entra auth sidecar image the Microsoft samples pin; the default everywhere a sidecar runs. */
export const DEFAULT_SIDECAR_IMAGE = "mcr.microsoft.com/entra-sdk/auth-sidecar:1.0.0-azurelinux3.0-distroless";

/** Port the Entra auth sidecar listens on, inside the replica only. */
export const SIDECAR_PORT = 5000;
export const SIDECAR_URL = `http://localhost:${SIDECAR_PORT}`;
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

export interface SidecarEnvInput {
    readonly tenantId: string;
    /** The Blueprint's appId (AzureAd__ClientId). The UAMI's client id here gives AADSTS700016. */
    readonly blueprintAppId: string;
    /** The UAMI's client id, which the sidecar uses to request its managed-identity assertion. */
    readonly uamiClientId: string;
    readonly downstreamApis: readonly DownstreamApi[];
    /** Honour `?AgentIdentity=` on `/AuthorizationHeaderUnauthenticated/{api}` (ignored since sidecar 1.1.0 otherwise). */
    readonly allowAgentIdentityOverride: boolean;
}

/** The Entra auth sidecar's settings on Azure Container Apps: the UAMI's assertion is its client credential. */
export function sidecarEnv(input: SidecarEnvInput): EnvVar[] {
    const env: EnvVar[] = [
        { name: "ASPNETCORE_URLS", value: `http://+:${SIDECAR_PORT}` },
        { name: "AzureAd__Instance", value: "https://login.microsoftonline.com/" },
        { name: "AzureAd__TenantId", value: input.tenantId },
        { name: "AzureAd__ClientId", value: input.blueprintAppId },
        { name: "AzureAd__ClientCredentials__0__SourceType", value: "SignedAssertionFromManagedIdentity" },
        { name: "AzureAd__ClientCredentials__0__ManagedIdentityClientId", value: input.uamiClientId },
    ];
    for (const api of input.downstreamApis) {
        env.push({ name: `DownstreamApis__${api.name}__BaseUrl`, value: api.baseUrl });
        api.scopes.forEach((scope, i) => env.push({ name: `DownstreamApis__${api.name}__Scopes__${i}`, value: scope }));
        env.push({ name: `DownstreamApis__${api.name}__RequestAppToken`, value: String(api.requestAppToken ?? true) });
    }
    if (input.allowAgentIdentityOverride) {
        env.push({ name: "Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated", value: "true" });
    }
    return env;
}

/** The agent's own settings: which UAMI to ask for tokens, and where the sidecar is. */
export function agentBaseEnv(uamiClientId: string): EnvVar[] {
    return [
        { name: "AZURE_CLIENT_ID", value: uamiClientId },
        { name: "SIDECAR_URL", value: SIDECAR_URL },
    ];
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

/**
 * What an agent's container app needs for its cloud federations: the GCP subject-token target (the UAMI's token
 * under Option 1, the sidecar-minted Agent Identity JWT under Option 2) and, under Option 2, the sidecar entries
 * that mint that JWT for each cloud's dedicated audience. The AWS target comes from the AWS federation itself.
 */
export function cloudFederationWiring(
    agentIdentity: { readonly clientId: string; readonly cloudFederationAudience: { readonly identifierUri: string } } | undefined,
    clouds: { readonly gcp: boolean; readonly awsAudienceUri: string | undefined },
): { gcpTarget: TokenTarget | undefined; sidecarApis: DownstreamApi[] } {
    if (!agentIdentity) return { gcpTarget: clouds.gcp ? GCP_TOKEN_TARGET : undefined, sidecarApis: [] };
    const gcpAudienceUri = agentIdentity.cloudFederationAudience.identifierUri;
    return {
        gcpTarget: clouds.gcp ? sidecarTokenTarget("gcp", GCP_SUBJECT_TOKEN_FILE, GCP_FEDERATION_API, gcpAudienceUri, agentIdentity.clientId) : undefined,
        sidecarApis: [
            ...(clouds.gcp ? [cloudFederationApi(GCP_FEDERATION_API, "https://sts.googleapis.com", gcpAudienceUri)] : []),
            ...(clouds.awsAudienceUri ? [cloudFederationApi(AWS_FEDERATION_API, "https://sts.amazonaws.com", clouds.awsAudienceUri)] : []),
        ],
    };
}
