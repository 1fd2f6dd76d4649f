import { entraV1Issuer, entraV2Issuer, isTokenExchangeAudience } from "./constants";
import { audienceProblem, guidProblem } from "./validation";
import { TrustContractError, WorkloadSubject } from "./workload-subject";

/**
 * Option 2 of Rais, "Entra Agent ID Across Clouds", Part 3 ("Should the cloud federate the UAMI or the Agent Identity?"): the cloud trusts the Agent
 * Identity JWT the sidecar mints through the Blueprint's FIC, not the UAMI's token. The JWT must be minted for a
 * dedicated cloud-federation audience: a token minted for a downstream API (api://weather) must never buy cloud
 * credentials, or any holder of a Weather token could replay it at the cloud's STS (the confused deputy).
 */

/** Which identity the cloud contracts of an agent trust. `uami` is Option 1 (the default), `agentIdentity` Option 2. */
export type CloudPrincipal = "uami" | "agentIdentity";

export const CLOUD_PRINCIPALS: readonly CloudPrincipal[] = ["uami", "agentIdentity"];

/** A dedicated cloud-federation audience: an identifier URI exposed by an Entra app (normally the Blueprint). */
export interface CloudFederationAudience {
    /** The identifier URI the sidecar requests (`<uri>/.default`), e.g. `api://agentfed-finance-cloud`. */
    readonly identifierUri: string;
    /** The appId of the app exposing the URI: what a v2 token carries in `aud`. */
    readonly appId: string;
    /**
     * The app's `api.requestedAccessTokenVersion`: 2 gives `iss https://login.microsoftonline.com/<t>/v2.0` and
     * `aud <appId>`; 1 gives `iss https://sts.windows.net/<t>/` and `aud <identifierUri>`.
     */
    readonly tokenVersion: 1 | 2;
}

/** The audience a sidecar scope names: `api://weather/.default` and `api://weather/read` both give `api://weather`. */
export function scopeAudience(scope: string): string {
    // A scope is <resource>/<permission>; the resource (the token's audience) is everything before the last '/'.
    const afterScheme = scope.indexOf("://") + 3;
    const cut = scope.lastIndexOf("/");
    return cut > afterScheme ? scope.slice(0, cut) : scope;
}

/**
 * Whether two audiences name the same Entra resource: compared without case or trailing slashes, since Entra resolves
 * `api://weather/` and `API://weather` to the same app (and a GUID names one app in either case). The one comparison
 * every audience trap uses, so no spelling slips past one check that another refuses.
 */
export function sameEntraAudience(a: string, b: string): boolean {
    const norm = (x: string) => x.toLowerCase().replace(/\/+$/, "");
    return norm(a) === norm(b);
}

/**
 * Problems with a cloud-federation audience, given every downstream API audience the agent's sidecar calls.
 * Refuses the token-exchange audience (it is for FIC assertions only) and any downstream API's audience.
 */
export function cloudFederationAudienceProblem(audience: CloudFederationAudience, downstreamAudiences: readonly string[]): string | undefined {
    const uriProblem = audienceProblem(audience.identifierUri);
    if (uriProblem) return `identifier URI ${uriProblem}`;
    if ([audience.identifierUri, audience.appId].some((a) => typeof a === "string" && isTokenExchangeAudience(a)))
        return "is the token-exchange audience (api://AzureADTokenExchange or its GUID, in any spelling), which is reserved for FIC assertions";
    if (!/^(api|https):\/\//.test(audience.identifierUri))
        return `identifier URI must start with api:// or https:// (got ${JSON.stringify(audience.identifierUri)})`;
    const appIdProblem = guidProblem(audience.appId);
    if (appIdProblem) return `appId ${appIdProblem}`;
    const spellings = [audience.identifierUri, audience.appId];
    const clash = spellings.find((a) => downstreamAudiences.some((d) => sameEntraAudience(d, a)));
    if (clash) return `equals the audience of a downstream API the sidecar calls (${clash}): a token minted for that API would buy cloud credentials`;
    return undefined;
}

/**
 * The subject of an Agent Identity JWT minted for a cloud-federation audience. `subject` is the Agent Identity's
 * object id, which GCP pins through the `oid` claim. Only the audience spelling that arrives is listed, since the
 * clouds compare byte for byte and each extra spelling widens what they accept: a v2 token carries the app's appId,
 * a v1 token the identifier URI the sidecar requested.
 */
export function agentIdentityWorkloadSubject(tenantId: string, agentIdentityObjectId: string, audience: CloudFederationAudience): WorkloadSubject {
    const tenantProblem = guidProblem(tenantId);
    if (tenantProblem) throw new TrustContractError(`Agent Identity tenant id ${tenantProblem}`);
    const oidProblem = guidProblem(agentIdentityObjectId);
    if (oidProblem) throw new TrustContractError(`Agent Identity object id ${oidProblem}`);
    const problem = cloudFederationAudienceProblem(audience, []);
    if (problem) throw new TrustContractError(`Cloud-federation audience ${problem}`);
    return {
        source: "agent-identity",
        issuer: audience.tokenVersion === 2 ? entraV2Issuer(tenantId) : entraV1Issuer(tenantId),
        subject: agentIdentityObjectId,
        audiences: [audience.tokenVersion === 2 ? audience.appId : audience.identifierUri],
        tenantId,
    };
}

/**
 * Why an Option 2 agent on AWS needs an explicit `agentIdentity.tokenSubject`, or undefined. AWS can pin only `sub`
 * (an IAM OIDC provider has no `oid` condition key), and Microsoft's agent token claims sample ("Agent token
 * claims", Microsoft Entra Agent ID docs) shows a `sub` that differs from `oid`: defaulting to the object id would
 * make every AssumeRoleWithWebIdentity fail with AccessDenied.
 */
export function option2TokenSubjectProblem(option2: boolean, federatesToAws: boolean, tokenSubject: string | undefined): string | undefined {
    if (!option2 || !federatesToAws || tokenSubject !== undefined) return undefined;
    return "is not set: under Option 2 the AWS role pins the sub claim of the Agent Identity's tokens, which differs from its object id in Microsoft's agent token sample";
}
