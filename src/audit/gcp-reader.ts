/**
 * Reads what GCP IAM holds for the stack's pools and impersonated service accounts, through the IAM REST API v1,
 * read-only:
 *  - `GET {root}/v1/projects/{number}/locations/global/workloadIdentityPools/{pool}/providers?showDeleted=true&pageSize=100`,
 *    every `nextPageToken` followed (https://cloud.google.com/iam/docs/reference/rest/v1/projects.locations.workloadIdentityPools.providers/list);
 *    permission `iam.googleapis.com/workloadIdentityPoolProviders.list` (the name Google's role reference and "Manage
 *    workload identity pools and providers" give it, and the one a custom role must list; the REST reference writes
 *    it without the `iam.googleapis.com/` prefix);
 *  - `POST {root}/v1/projects/-/serviceAccounts/{email}:getIamPolicy?options.requestedPolicyVersion=3` with an
 *    empty body (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/getIamPolicy), so
 *    conditional bindings are returned too; permission `iam.serviceAccounts.getIamPolicy`.
 * Both methods accept the OAuth scope `https://www.googleapis.com/auth/iam` (narrower than cloud-platform; IAM
 * offers no read-only scope, so read-only-ness comes from the identity's permissions). Tokens come from
 * `google-auth-library`'s application default credentials, or `AGENTFED_GCP_TOKEN`.
 */
import { bearerTokenFromEnv, checkedBearerToken } from "../credentials";
import type { AuditError } from "./findings";
import { GcpPool, GcpServiceAccount, LiveBinding, LiveProvider, poolName, serviceAccountResource } from "./gcp";
import { CloudRequestError, HttpOptions, requestJson } from "./http";

/** The one OAuth scope the audit asks Google for. */
export const GCP_AUDIT_SCOPE = "https://www.googleapis.com/auth/iam";

export interface GcpReaderOptions {
    /** IAM API root, e.g. https://iam.googleapis.com (AGENTFED_GCP_IAM_ENDPOINT). */
    readonly endpoint: string;
    readonly token: () => Promise<string>;
    readonly http?: HttpOptions;
    /** Safety bound on pages of providers. Default 100 (10,000 providers). */
    readonly maxPages?: number;
}

export function explainGcpError(err: unknown, permission: string, resource: string): string {
    if (!(err instanceof CloudRequestError)) return err instanceof Error ? err.message : String(err);
    if (err.status === 401) return `${err.message}\nThe access token was refused (expired, or not a Google OAuth token).`;
    if (err.status === 403) {
        const extra =
            permission === "iam.serviceAccounts.getIamPolicy" ? " IAM also answers 403 when the service account does not exist: check that it does." : "";
        return `${err.message}\nMissing permission: the audit's identity needs ${permission} on ${resource}.${extra}`;
    }
    if (err.status === 404) return `${err.message} (AGENTFED_GCP_IAM_ENDPOINT must be the API's root).`;
    if (err.status === undefined) return `${err.message}\nThe GCP IAM API could not be reached: check AGENTFED_GCP_IAM_ENDPOINT and the network.`;
    return err.message;
}

const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : fallback);

function parseProvider(item: unknown): LiveProvider {
    const p = (item ?? {}) as Record<string, unknown>;
    if (typeof p.name !== "string") throw new Error(`the IAM API returned a provider without a name: ${JSON.stringify(item).slice(0, 300)}`);
    const oidc = p.oidc as Record<string, unknown> | undefined;
    const mapping = p.attributeMapping && typeof p.attributeMapping === "object" ? (p.attributeMapping as Record<string, unknown>) : {};
    const other = ["aws", "saml", "x509"].find((k) => p[k] !== undefined);
    return {
        name: p.name,
        state: str(p.state, "STATE_UNSPECIFIED"),
        disabled: p.disabled === true,
        attributeCondition: str(p.attributeCondition),
        attributeMapping: Object.fromEntries(Object.entries(mapping).map(([k, v]) => [k, String(v)])),
        ...(oidc && typeof oidc === "object"
            ? {
                  oidc: {
                      issuerUri: str(oidc.issuerUri),
                      allowedAudiences: Array.isArray(oidc.allowedAudiences) ? oidc.allowedAudiences.map(String) : [],
                      ...(typeof oidc.jwksJson === "string" ? { jwksJson: oidc.jwksJson } : {}),
                  },
              }
            : {}),
        ...(other ? { otherProtocol: other } : {}),
        ...(typeof p.expireTime === "string" ? { expireTime: p.expireTime } : {}),
    };
}

/** Every provider of a pool, soft-deleted ones included; "not-found" when the pool does not exist. */
export async function readGcpPool(pool: GcpPool, options: GcpReaderOptions): Promise<{ live?: LiveProvider[] | "not-found"; errors: AuditError[] }> {
    const resource = poolName(pool);
    try {
        const headers = { authorization: `Bearer ${await options.token()}` };
        const providers: LiveProvider[] = [];
        const seenTokens = new Set<string>();
        let pageToken: string | undefined;
        for (let page = 1; ; page++) {
            if (page > (options.maxPages ?? 100)) throw new Error(`more than ${options.maxPages ?? 100} pages of providers in ${resource}: stopped`);
            const query = new URLSearchParams({ showDeleted: "true", pageSize: "100", ...(pageToken ? { pageToken } : {}) });
            const { status, body } = await requestJson("gcp", "GET", `${options.endpoint}/v1/${resource}/providers?${query.toString()}`, headers, options.http);
            if (status === 404) return { live: "not-found", errors: [] };
            const list = (body as { workloadIdentityPoolProviders?: unknown }).workloadIdentityPoolProviders ?? [];
            if (!Array.isArray(list)) throw new Error(`the IAM API answered ${resource}/providers with a non-array workloadIdentityPoolProviders`);
            providers.push(...list.map(parseProvider));
            const next = (body as { nextPageToken?: unknown }).nextPageToken;
            if (typeof next !== "string" || next === "") break;
            if (seenTokens.has(next)) throw new Error(`the IAM API repeated page token ${JSON.stringify(next)} for ${resource}: stopped`);
            seenTokens.add(next);
            pageToken = next;
        }
        return { live: providers, errors: [] };
    } catch (err) {
        return { errors: [{ cloud: "gcp", resource, message: explainGcpError(err, "iam.googleapis.com/workloadIdentityPoolProviders.list", resource) }] };
    }
}

/** A service account's IAM policy bindings (policy version 3); "not-found" on 404. */
export async function readServiceAccountPolicy(
    account: GcpServiceAccount,
    options: GcpReaderOptions,
): Promise<{ live?: LiveBinding[] | "not-found"; errors: AuditError[] }> {
    const resource = serviceAccountResource(account.email);
    try {
        const headers = { authorization: `Bearer ${await options.token()}` };
        const url = `${options.endpoint}/v1/projects/-/serviceAccounts/${encodeURIComponent(account.email)}:getIamPolicy?options.requestedPolicyVersion=3`;
        const { status, body } = await requestJson("gcp", "POST", url, headers, options.http);
        if (status === 404) return { live: "not-found", errors: [] };
        const bindings = (body as { bindings?: unknown }).bindings ?? [];
        if (!Array.isArray(bindings)) throw new Error(`the IAM API answered getIamPolicy for ${account.email} with non-array bindings`);
        if (!bindings.every((b) => b !== null && typeof b === "object" && !Array.isArray(b))) {
            throw new Error(`the IAM API answered getIamPolicy for ${account.email} with a binding that is not an object`);
        }
        return {
            live: bindings.map((b: Record<string, unknown>) => ({
                role: str(b.role),
                members: Array.isArray(b.members) ? b.members.map(String) : [],
                ...(b.condition && typeof b.condition === "object" ? { condition: b.condition } : {}),
            })),
            errors: [],
        };
    } catch (err) {
        return { errors: [{ cloud: "gcp", resource, message: explainGcpError(err, "iam.serviceAccounts.getIamPolicy", resource) }] };
    }
}

/**
 * The default token source: `AGENTFED_GCP_TOKEN` when set (e.g. `gcloud auth print-access-token`), else
 * application default credentials (google-github-actions/auth in CI, `gcloud auth application-default login` on a
 * laptop) with the IAM scope only.
 */
export function gcpTokenSource(env: NodeJS.ProcessEnv): () => Promise<string> {
    let cached: Promise<string> | undefined;
    return () => {
        cached ??= (async () => {
            const given = bearerTokenFromEnv(env, "AGENTFED_GCP_TOKEN");
            if (given) return given;
            const { GoogleAuth } = await import("google-auth-library");
            try {
                const token = await new GoogleAuth({ scopes: [GCP_AUDIT_SCOPE] }).getAccessToken();
                if (!token) throw new Error("the credentials returned no access token");
                return checkedBearerToken(token, "google-auth-library (application default credentials)");
            } catch (err) {
                throw new Error(
                    `no Google access token (${(err as Error).message.split("\n")[0]}). Use application default credentials (google-github-actions/auth ` +
                        `in CI, gcloud auth application-default login locally), or pass a token in AGENTFED_GCP_TOKEN.`,
                    { cause: err },
                );
            }
        })();
        return cached;
    };
}
