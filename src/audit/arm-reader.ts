/**
 * Reads the agents' UAMIs through Azure Resource Manager, read-only (api-version 2023-01-31, GA):
 *  - `GET {arm}{uamiId}` for its `principalId`
 *    (https://learn.microsoft.com/rest/api/managedidentity/user-assigned-identities/get);
 *  - `GET {arm}{uamiId}/federatedIdentityCredentials`, every `nextLink` followed
 *    (https://learn.microsoft.com/rest/api/managedidentity/federated-identity-credentials/list).
 * Permissions: `Microsoft.ManagedIdentity/userAssignedIdentities/read` and
 * `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read` (both in the built-in Reader role).
 */
import type { AuditError } from "./findings";
import { CloudRequestError, HttpOptions, readLinkedPages, requestJson } from "./http";
import type { DeclaredUami, UamiLive } from "./uami";

export const ARM_API_VERSION = "2023-01-31";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ArmReaderOptions {
    /** ARM root, e.g. https://management.azure.com (AGENTFED_ARM_ENDPOINT). */
    readonly endpoint: string;
    readonly token: () => Promise<string>;
    readonly http?: HttpOptions;
    readonly maxPages?: number;
}

function explain(err: unknown, permission: string): string {
    if (!(err instanceof CloudRequestError)) return err instanceof Error ? err.message : String(err);
    if (err.status === 401) return `${err.message}\nThe ARM token was refused (expired, or for another cloud's management endpoint).`;
    if (err.status === 403)
        return `${err.message}\nMissing permission: the audit's identity needs ${permission} (in the Reader role) on the UAMI's resource group.`;
    if (err.status === 404) return `${err.message} (AGENTFED_ARM_ENDPOINT must be the API's root).`;
    if (err.status === undefined) return `${err.message}\nAzure Resource Manager could not be reached: check AGENTFED_ARM_ENDPOINT and the network.`;
    return err.message;
}

/** Reads one UAMI: its principal id and every FIC on it. */
export async function readUami(uami: DeclaredUami, options: ArmReaderOptions): Promise<{ live: UamiLive; errors: AuditError[] }> {
    const errors: AuditError[] = [];
    const headers = { authorization: `Bearer ${await options.token()}` };
    let identity: UamiLive["identity"];
    try {
        const { status, body } = await requestJson(
            "entra",
            "GET",
            `${options.endpoint}${uami.resourceId}?api-version=${ARM_API_VERSION}`,
            headers,
            options.http,
        );
        const id = (body as { properties?: { principalId?: unknown } }).properties?.principalId;
        if (status === 404) identity = "not-found";
        else if (typeof id === "string" && GUID.test(id)) identity = { principalId: id };
        // A 200 without the documented properties.principalId is not the identity: the recreated-UAMI check cannot
        // run, and saying nothing would pass it in silence.
        else throw new Error(`Resource Manager answered ${uami.resourceId} without properties.principalId (a GUID): its object id could not be checked`);
    } catch (err) {
        errors.push({ cloud: "entra", resource: uami.resourceId, message: explain(err, "Microsoft.ManagedIdentity/userAssignedIdentities/read") });
    }
    let fics: UamiLive["fics"];
    try {
        const items = await readLinkedPages(
            "entra",
            `${options.endpoint}${uami.resourceId}/federatedIdentityCredentials?api-version=${ARM_API_VERSION}`,
            headers,
            {
                endpoint: options.endpoint,
                linkField: "nextLink",
                what: `FICs at ${uami.resourceId}/federatedIdentityCredentials`,
                maxPages: options.maxPages ?? 100,
                http: options.http,
            },
        );
        // Any item at all is a FIC the stack did not declare; one whose fields cannot be read is still reported, with
        // what could be read, rather than dropped.
        fics =
            items === "not-found"
                ? items
                : items.map((raw) => {
                      const item = (raw ?? {}) as { name?: unknown; properties?: { issuer?: unknown; subject?: unknown; audiences?: unknown } };
                      return {
                          name: typeof item.name === "string" ? item.name : "?",
                          issuer: typeof item.properties?.issuer === "string" ? item.properties.issuer : "?",
                          subject: typeof item.properties?.subject === "string" ? item.properties.subject : "?",
                          audiences: Array.isArray(item.properties?.audiences) ? item.properties.audiences.map(String) : [],
                      };
                  });
    } catch (err) {
        errors.push({
            cloud: "entra",
            resource: `${uami.resourceId}/federatedIdentityCredentials`,
            message: explain(err, "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read"),
        });
    }
    return { live: { ...(identity !== undefined ? { identity } : {}), ...(fics !== undefined ? { fics } : {}) }, errors };
}
