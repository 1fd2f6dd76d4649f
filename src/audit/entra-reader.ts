/**
 * Reads what Entra holds for each application the FIC contracts target, through Microsoft Graph (fetch; there is
 * no Graph SDK dependency for two GET calls), read-only:
 *  - `GET /beta/applications/{id}/microsoft.graph.agentIdentityBlueprint/federatedIdentityCredentials` for a
 *    Blueprint, `GET /v1.0/applications/{id}/federatedIdentityCredentials` for a classic app ("List
 *    federatedIdentityCredentials", https://learn.microsoft.com/graph/api/federatedidentitycredential-list), every
 *    `@odata.nextLink` followed (https://learn.microsoft.com/graph/paging);
 *  - the application object with `$select=id,appId,passwordCredentials,keyCredentials`, to find secrets and
 *    certificates beside the FICs.
 * Permissions (application, admin-consented): `AgentIdentityBlueprint.Read.All` for Blueprints (least privileged;
 * `Application.Read.All` also works), `Application.Read.All` for classic apps.
 */
import { BlueprintKind } from "../contracts";
import { bearerTokenFromEnv, checkedBearerToken } from "../credentials";
import { applicationPath, EntraLive, EntraTarget, ficCollectionPath, LiveApplication, LiveFic } from "./entra";
import type { AuditError } from "./findings";
import { CloudRequestError, HttpOptions, readLinkedPages, requestJson } from "./http";

/** The Graph read permission per target kind, least privileged first. */
export const GRAPH_READ_PERMISSIONS: Record<BlueprintKind, string> = {
    agentIdentityBlueprint: "AgentIdentityBlueprint.Read.All (or Application.Read.All)",
    application: "Application.Read.All",
};

export interface GraphReaderOptions {
    /** Graph root, e.g. https://graph.microsoft.com (AGENTFED_GRAPH_ENDPOINT). */
    readonly endpoint: string;
    /** A bearer token for the Graph root. */
    readonly token: () => Promise<string>;
    readonly http?: HttpOptions;
    /** Safety bound on `@odata.nextLink` pages per collection. Default 100. */
    readonly maxPages?: number;
}

/** Why Graph could not be read, in the words a user acts on. */
export function explainGraphError(err: unknown, kind: BlueprintKind): string {
    if (!(err instanceof CloudRequestError)) return err instanceof Error ? err.message : String(err);
    if (err.status === 401) {
        return `${err.message}\nThe token was refused (expired, or not issued for this Graph endpoint). Use an app-only token for <graph endpoint>/.default.`;
    }
    if (err.status === 403) {
        return (
            `${err.message}\nMissing permission: the audit's identity needs the Microsoft Graph application permission ${GRAPH_READ_PERMISSIONS[kind]}, ` +
            `admin-consented, in an app-only token. Delegated tokens carrying Directory.AccessAsUser.All (Azure CLI) are refused for Blueprints.`
        );
    }
    if (err.status === 400 && /not supported on the API version/i.test(err.serviceMessage)) {
        return `${err.message}\nThe object is an Agent ID Blueprint, but the contracts target it as a classic application: check blueprint.kind in the stack config.`;
    }
    if (err.status === 404) return `${err.message} (AGENTFED_GRAPH_ENDPOINT must be the API's root).`;
    if (err.status === undefined) return `${err.message}\nMicrosoft Graph could not be reached: check AGENTFED_GRAPH_ENDPOINT and the network.`;
    return err.message;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

function parseFic(item: unknown): LiveFic {
    const f = (item ?? {}) as Record<string, unknown>;
    const expression = f.claimsMatchingExpression as { value?: unknown; languageVersion?: unknown } | null | undefined;
    if (
        !isString(f.id) ||
        !isString(f.name) ||
        !isString(f.issuer) ||
        !(f.subject === null || f.subject === undefined || isString(f.subject)) ||
        !isStringArray(f.audiences)
    ) {
        throw new Error(`Graph returned a federatedIdentityCredential without id, name, issuer, subject or audiences: ${JSON.stringify(item).slice(0, 300)}`);
    }
    return {
        id: f.id,
        name: f.name,
        issuer: f.issuer,
        subject: isString(f.subject) ? f.subject : null,
        audiences: f.audiences,
        claimsMatchingExpression:
            expression && typeof expression === "object" && isString(expression.value)
                ? { value: expression.value, ...(typeof expression.languageVersion === "number" ? { languageVersion: expression.languageVersion } : {}) }
                : null,
    };
}

function parseApplication(body: unknown): LiveApplication {
    const a = (body ?? {}) as Record<string, unknown>;
    if (!isString(a.appId)) throw new Error(`Graph returned an application without appId: ${JSON.stringify(body).slice(0, 300)}`);
    // A credential entry that is not an object is still a credential someone put there: kept, with what can be read.
    const creds = (v: unknown) =>
        (Array.isArray(v) ? v : []).map((c: unknown) => (c !== null && typeof c === "object" ? (c as Record<string, unknown>) : { keyId: c }));
    const str = (v: unknown) => (isString(v) ? v : null);
    return {
        appId: a.appId,
        passwordCredentials: creds(a.passwordCredentials).map((c) => ({
            keyId: String(c.keyId),
            displayName: str(c.displayName),
            endDateTime: str(c.endDateTime),
        })),
        keyCredentials: creds(a.keyCredentials).map((c) => ({
            keyId: String(c.keyId),
            displayName: str(c.displayName),
            type: str(c.type) ?? "",
            usage: str(c.usage) ?? "",
            endDateTime: str(c.endDateTime),
        })),
    };
}

/** Every FIC of a collection, following `@odata.nextLink` on the same origin only (it carries the bearer token). */
async function listFics(target: EntraTarget, options: GraphReaderOptions, headers: Record<string, string>): Promise<LiveFic[] | "not-found"> {
    const items = await readLinkedPages("entra", `${options.endpoint}${ficCollectionPath(target)}`, headers, {
        endpoint: options.endpoint,
        linkField: "@odata.nextLink",
        what: `FICs at ${ficCollectionPath(target)} (an application holds at most 20)`,
        maxPages: options.maxPages ?? 100,
        http: options.http,
    });
    return items === "not-found" ? items : items.map(parseFic);
}

/** Reads one target. Each part (application, FICs) is read independently; a part that fails becomes an audit error. */
export async function readEntraTarget(target: EntraTarget, options: GraphReaderOptions): Promise<{ live: EntraLive; errors: AuditError[] }> {
    const errors: AuditError[] = [];
    let headers: Record<string, string>;
    try {
        headers = { authorization: `Bearer ${await options.token()}` };
    } catch (err) {
        return { live: {}, errors: [{ cloud: "entra", resource: applicationPath(target), message: err instanceof Error ? err.message : String(err) }] };
    }
    let application: EntraLive["application"];
    try {
        const { status, body } = await requestJson(
            "entra",
            "GET",
            `${options.endpoint}${applicationPath(target)}?$select=id,appId,passwordCredentials,keyCredentials`,
            headers,
            options.http,
        );
        application = status === 404 ? "not-found" : parseApplication(body);
    } catch (err) {
        errors.push({ cloud: "entra", resource: applicationPath(target), message: explainGraphError(err, target.kind) });
    }
    let fics: EntraLive["fics"];
    try {
        fics = await listFics(target, options, headers);
    } catch (err) {
        errors.push({ cloud: "entra", resource: ficCollectionPath(target), message: explainGraphError(err, target.kind) });
    }
    return { live: { ...(application !== undefined ? { application } : {}), ...(fics !== undefined ? { fics } : {}) }, errors };
}

/** The `tid` of a JWT access token, without verifying it; undefined for opaque tokens. */
export function tokenTenant(token: string): string | undefined {
    const payload = token.split(".")[1];
    if (payload === undefined) return undefined;
    try {
        const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { tid?: unknown };
        return typeof claims.tid === "string" ? claims.tid : undefined;
    } catch {
        return undefined;
    }
}

/**
 * A token source for an Azure resource (Graph, or Resource Manager): the token in `variable` when set, else an
 * app-only token from `@azure/identity` (environment service principal, workload identity federation as in CI, or
 * managed identity). The Azure CLI is deliberately not in the chain: its delegated tokens carry
 * Directory.AccessAsUser.All, which Graph refuses for Blueprints, and the audit must read as the same identity
 * everywhere.
 */
export function azureTokenSource(resource: string, variable: string, env: NodeJS.ProcessEnv, what: string): () => Promise<string> {
    let cached: Promise<string> | undefined;
    return () => {
        cached ??= (async () => {
            const given = bearerTokenFromEnv(env, variable);
            if (given) return given;
            const identity = await import("@azure/identity");
            const credential = new identity.ChainedTokenCredential(
                new identity.EnvironmentCredential(),
                new identity.WorkloadIdentityCredential(),
                new identity.ManagedIdentityCredential(env.AZURE_CLIENT_ID ? { clientId: env.AZURE_CLIENT_ID } : {}),
            );
            let token: string;
            try {
                token = (await credential.getToken(`${resource}/.default`)).token;
            } catch (err) {
                throw new Error(
                    `no app-only ${what} token (${(err as Error).message.split("\n")[0]}). Set AZURE_TENANT_ID + AZURE_CLIENT_ID with ` +
                        `AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE, run where a managed identity is attached, ` +
                        `or pass a token in ${variable}.`,
                    { cause: err },
                );
            }
            return checkedBearerToken(token, `@azure/identity (${what})`);
        })();
        return cached;
    };
}

/** Graph: `AGENTFED_GRAPH_TOKEN`, else the app-only chain above. */
export function graphTokenSource(endpoint: string, env: NodeJS.ProcessEnv): () => Promise<string> {
    return azureTokenSource(endpoint, "AGENTFED_GRAPH_TOKEN", env, "Microsoft Graph");
}
