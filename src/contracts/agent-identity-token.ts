/**
 * The third leg: the token a downstream API receives from an agent on an Entra Agent ID Blueprint. The sidecar gets it
 * in two exchanges (Learn, "Agent autonomous app OAuth flow"): the UAMI's token is the client assertion for the
 * Blueprint's T1, requested with `fmi_path=<agent identity client id>`; T1 is then the client assertion for the
 * resource token, requested with `client_id=<agent identity client id>`. That token names the Agent Identity: `oid` is
 * its object id, `appid` (v1) or `azp` (v2) its client id, `xms_par_app_azp` the parent Blueprint's appId, `aud` the
 * API, `tid` and `iss` the tenant. A token whose `appid`/`azp` is the Blueprint itself is what the sidecar asks for
 * when it ignored `?AgentIdentity=` (sidecar 1.1.x with the override flag off): Entra gives a Blueprint no API token
 * (Learn, "Agent identity blueprints"), and an API must never accept one as the agent.
 */
import { audiencesOf, clipped, JwtClaims, lifetimeProblems, quoted, Verdict } from "./claims";
import { entraV1Issuer, entraV2Issuer, isTokenExchangeAudience } from "./constants";
import { sameEntraAudience } from "./agent-identity";

/** An Agent Identity a stack declares, as the doctor reads it from the stack outputs. */
export interface DeclaredAgentIdentity {
    /** Which agent calls as it: `the primary agent`, `agent class finance`. */
    readonly agent: string;
    readonly tenantId: string;
    /** The parent Blueprint's appId (the sidecar's `AzureAd__ClientId`). */
    readonly blueprintAppId: string;
    readonly objectId: string;
    readonly clientId: string;
}

/** A Blueprint of the stack, for recognising a token issued to the Blueprint itself. */
export interface DeclaredBlueprint {
    readonly agent: string;
    readonly tenantId: string;
    readonly appId: string;
}

/** Entra's clock-skew allowance, as for the other Entra verdicts here. */
const SKEW_SECONDS = 300;

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const same = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** The client a token was issued to: `azp` in a v2 access token, `appid` in a v1 one. */
export function tokenClientId(claims: JwtClaims): string | undefined {
    return text(claims.azp) ?? text(claims.appid);
}

/**
 * Why the token's client claims cannot be read as one client, or undefined: Entra writes `azp` in a v2 access token
 * and `appid` in a v1 one, as strings. A token carrying both with different values, or either as a non-string, is no
 * token Entra issued, and which one an API reads is the API's library's choice: refused rather than read as `azp`.
 */
function clientClaimConflict(claims: JwtClaims): string | undefined {
    for (const name of ["azp", "appid"] as const)
        if (claims[name] !== undefined && typeof claims[name] !== "string") return `${name} ${quoted(claims[name])} is not a string`;
    const { azp, appid } = claims as { azp?: string; appid?: string };
    if (azp !== undefined && appid !== undefined && azp.toLowerCase() !== appid.toLowerCase())
        return `azp ${clipped(azp)} and appid ${clipped(appid)} name different clients; Entra writes one of them (azp in v2, appid in v1)`;
    return undefined;
}

/**
 * Whether `claims` is the declared Agent Identity's token for a downstream API. `apiAudiences` are the audiences of
 * the stack's downstream APIs when known (the offline plan knows them; deployed outputs do not): a v1 token's `aud`
 * is the identifier URI and is compared with them, a v2 token's is the API's appId, which only the API knows.
 */
export function evaluateAgentIdentityToken(identity: DeclaredAgentIdentity, claims: JwtClaims, now: number, apiAudiences: readonly string[] = []): Verdict {
    const reasons: string[] = [];
    const tid = text(claims.tid);
    if (!same(tid, identity.tenantId)) reasons.push(`tid ${quoted(claims.tid)} is not the stack's tenant ${identity.tenantId}`);
    // Entra writes the tenant in lowercase in iss; an outputs file may carry it as the user once typed it (a stack
    // deployed before config lowercased GUIDs, or a hand-edited file), which must not fail Entra's own token.
    const tenant = identity.tenantId.toLowerCase();
    const iss = text(claims.iss);
    if (iss !== entraV2Issuer(tenant) && iss !== entraV1Issuer(tenant))
        reasons.push(`iss ${quoted(claims.iss)} is neither ${entraV2Issuer(tenant)} nor ${entraV1Issuer(tenant)}`);
    if (!same(text(claims.oid), identity.objectId)) reasons.push(`oid ${quoted(claims.oid)} is not the Agent Identity's object id ${identity.objectId}`);
    const client = tokenClientId(claims);
    const clientConflict = clientClaimConflict(claims);
    if (clientConflict) reasons.push(clientConflict);
    else if (!same(client, identity.clientId)) reasons.push(`appid/azp ${quoted(client ?? null)} is not the Agent Identity's client id ${identity.clientId}`);
    const parent = text(claims.xms_par_app_azp);
    if (parent !== undefined && !same(parent, identity.blueprintAppId))
        reasons.push(`xms_par_app_azp ${clipped(parent)} is not the agent's Blueprint ${identity.blueprintAppId}`);
    const audiences = audiencesOf(claims);
    if (audiences.length === 0) reasons.push("the token has no aud");
    for (const aud of audiences) {
        if (isTokenExchangeAudience(aud)) reasons.push(`aud ${clipped(aud)} is the token-exchange audience: this is a federation assertion, not an API token`);
        else if (apiAudiences.length > 0 && !/^[0-9a-f-]{36}$/i.test(aud) && !apiAudiences.some((a) => sameEntraAudience(a, aud)))
            reasons.push(`aud ${clipped(aud)} is none of the stack's downstream APIs (${apiAudiences.join(", ")})`);
    }
    reasons.push(...lifetimeProblems(claims, now, SKEW_SECONDS, "AADSTS700024"));
    return { accepted: reasons.length === 0, reasons };
}

/**
 * When `claims` was issued to one of the stack's Blueprints itself (its `appid`/`azp` is the Blueprint's appId), the
 * cause and the fix; otherwise undefined.
 */
export function blueprintTokenDiagnosis(blueprints: readonly DeclaredBlueprint[], claims: JwtClaims): string | undefined {
    const clients = [text(claims.azp), text(claims.appid)];
    const blueprint = blueprints.find((b) => clients.some((client) => same(client, b.appId)));
    if (!blueprint) return undefined;
    return (
        `this token was issued to Blueprint ${blueprint.appId} (${blueprint.agent}) itself, not to an Agent Identity: the sidecar ignored ` +
        "?AgentIdentity= and asked as the Blueprint. Cause: Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated is not true on that " +
        "sidecar (1.1.x ignores AgentIdentity without it), or the request named no ?AgentIdentity=. Fix: declare agentIdentity { objectId, clientId } " +
        "(or { displayName } to have the stack create it) for the agent and redeploy (the stack turns the flag on), and call /AuthorizationHeaderUnauthenticated/<api>?AgentIdentity=$AGENT_IDENTITY_CLIENT_ID"
    );
}
