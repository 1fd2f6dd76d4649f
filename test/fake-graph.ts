/**
 * A local HTTP server on 127.0.0.1 that STANDS IN FOR MICROSOFT GRAPH in tests. It is a stand-in, not Graph:
 * permission checks are reduced to "the bearer token is the app-only test token", and only the endpoints the dynamic
 * providers call exist. What it answers follows Graph's documentation and observed answers.
 *
 * Blueprint FICs (Graph beta, agentIdentityBlueprint paths):
 *  - federatedIdentityCredential create/get/list/update/delete (Graph beta reference, agentIdentityBlueprint paths):
 *    201 with the created object, 200 with the object or `{ value: [...] }`, 204 on PATCH and DELETE; a FIC is
 *    addressed by its id or by its name, its alternate key (federatedIdentityCredential resource page).
 *  - a duplicate name: 409 `Request_MultipleObjectsWithSameKeyValue` "FederatedIdentityCredential with name <n>
 *    already exists." (Azure/azure-dev#1482);
 *  - a duplicate issuer+subject: 400 `InvalidFederatedIdentityCredentialValue` "The combination of issuer and subject
 *    must be unique for the application..." (Azure/azure-workload-identity#434);
 *  - unknown ids: 404 `Request_ResourceNotFound` "Resource '<id>' does not exist or one of its queried
 *    reference-property objects are not present." (Graph's wording, also what a FIC create answers when an object it
 *    references is not visible yet: microsoftgraph/msgraph-bicep-types#271);
 *  - throttling: 429 with Retry-After in seconds or as an HTTP date (Graph throttling guidance; RFC 9110 10.2.3).
 *
 * Agent ID objects (Graph v1.0; https://learn.microsoft.com/graph/api/<page>?view=graph-rest-1.0):
 *  - agentIdentityBlueprint (agentidentityblueprint-post/-get/-list/-update/-delete, -list-sponsors,
 *    -post-sponsors, -delete-sponsors): POST 201 with the object (`id`, `appId`, `identifierUris`, `tags`...), GET 200
 *    with the object wrapped in `value` as the get example shows it, list `{ value: [...] }` with `$filter` on `tags`,
 *    PATCH and DELETE 204, sponsors as `directoryObject`s, `$ref` POST and DELETE 204. A create without a sponsor is
 *    refused ("You must specify the displayName property and sponsors relationship"; the error wording is assumed).
 *  - agentIdentityBlueprintPrincipal (agentidentityblueprintprincipal-post/-get/-delete): POST `{ appId }` 201, GET
 *    and DELETE by id or by `(appId='…')`. A second principal for one appId: 409 `Request_MultipleObjectsWithSameKeyValue`
 *    "The service principal cannot be created, updated, or restored because the service principal name <appId> is
 *    already in use." (a service principal's answer: hashicorp/terraform-provider-azuread and
 *    Azure/reliable-web-app-pattern-java#185; assumed for this type). An appId Entra does not show yet: 400 "The appId
 *    '<appId>' of the service principal does not reference a valid application object." (the answer the azuread
 *    provider retries a new service principal on); an application that is not a Blueprint: 400
 *    `AgentBlueprintPrincipal_RequireAgentBlueprint` (Learn, "Microsoft agent identity platform error codes").
 *  - agentIdentity (agentidentity-post/-get/-list/-update/-delete, sponsors): POST 201 with `id`,
 *    `agentIdentityBlueprintId`, `servicePrincipalType: "ServiceIdentity"` and no `appId` (as documented); list with
 *    `$filter=agentIdentityBlueprintId eq '…'`, paged by `@odata.nextLink` (at most 100 per page); `tags` read back as
 *    the union of the identity's and its Blueprint's (agentIdentity resource page). Errors from Learn's error-code page
 *    (HTTP status not stated there; 400 assumed): `AgentIdentity_IncompatibleParentType` for an
 *    agentIdentityBlueprintId that is not a Blueprint's appId (an object id, say), `AgentIdentity_AgentBlueprintPrincipalDoesNotExist`
 *    for a Blueprint without (a visible) principal.
 *  - Delete moves an object to deleted items (restorable for 30 days, every delete page).
 *
 * Faults a real Graph shows under load are injected on demand: 5xx (optionally after committing the write), dropped
 * connections, requests that never answer, 200s whose body is not the object, redirects, and error bodies echoing the
 * token. Every request loop is bounded: a hanging request is dropped after HANG_LIMIT_MS, and close() destroys every
 * open connection.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo, Socket } from "node:net";

export const APP_ONLY_TOKEN = "app-only-test-token";
const HANG_LIMIT_MS = 5_000;

export interface Fic {
    id: string;
    name: string;
    issuer: string;
    subject: string;
    audiences: string[];
    description: string;
}

/**
 * A fault applied to the next request that matches `method` and contains `path` (any when unset), instead of or after
 * its normal answer; `skip` lets that many matching requests through first.
 */
export type Fault = { readonly method?: string; readonly path?: string; skip?: number } & (
    | {
          readonly kind: "status";
          readonly status: number;
          readonly retryAfter?: string;
          /** Carry the request out first, then answer with this status (a POST Graph committed but answered 5xx). */
          readonly commit?: boolean;
      }
    /** Destroy the connection without an answer (ECONNRESET / "other side closed" at the client). */
    | { readonly kind: "reset"; readonly commit?: boolean }
    /** Never answer; the client's timeout ends the request (the server drops it after HANG_LIMIT_MS). */
    | { readonly kind: "hang"; readonly commit?: boolean }
    /** Answer 200 with this body instead (a proxy's page, an empty object...). */
    | { readonly kind: "body"; readonly body: string }
    /** Answer a redirect to `location` (a hostile or misconfigured endpoint): the provider must not follow it. */
    | { readonly kind: "redirect"; readonly status: number; readonly location: string }
    /** Answer `status` with a Graph error whose message repeats the Authorization header it received. */
    | { readonly kind: "echo"; readonly status: number }
);

/** An agentIdentityBlueprint as the stand-in stores it. */
export interface AgentIdBlueprint {
    id: string;
    appId: string;
    displayName: string;
    description: string | null;
    identifierUris: string[];
    tags: string[];
    sponsors: string[];
}

/** An agentIdentityBlueprintPrincipal. */
export interface AgentIdPrincipal {
    id: string;
    appId: string;
    displayName: string;
    accountEnabled: boolean;
}

/** An agentIdentity. */
export interface AgentIdIdentity {
    id: string;
    displayName: string;
    agentIdentityBlueprintId: string;
    tags: string[];
    sponsors: string[];
    accountEnabled: boolean;
}

/** The Agent ID directory of the stand-in, by object id; `deleted` holds what a DELETE moved to deleted items. */
export interface AgentIdDirectory {
    blueprints: Map<string, AgentIdBlueprint>;
    principals: Map<string, AgentIdPrincipal>;
    identities: Map<string, AgentIdIdentity>;
    deleted: { kind: string; id: string }[];
}

export interface FakeGraph {
    url: string;
    /** Blueprint object id -> its FICs. Pre-register a Blueprint with `blueprints.set(id, [])`. */
    blueprints: Map<string, Fic[]>;
    /** Blueprints, principals and Agent Identities (a Blueprint created here also gets an entry in `blueprints`). */
    agentId: AgentIdDirectory;
    /** Page size of the Agent Identity list (Graph: "The default and maximum page size is 100"). */
    pageSize: number;
    requests: { method: string; path: string; body: unknown; authorization: string | undefined; odataVersion: string | undefined }[];
    /** Queue faults; each applies to the next request its `method` matches. */
    fault(...faults: Fault[]): void;
    /** Answer the next N requests with 429 and this Retry-After (seconds or an HTTP date). */
    throttleNext(n: number, retryAfter?: string): void;
    /** Subjects Entra does not show yet: a POST naming one answers 404 like Graph, for the next `forPosts` POSTs. */
    hideSubject(subject: string, forPosts: number): void;
    /**
     * A parent Entra does not show yet: the next `forPosts` POSTs of a Blueprint principal for this appId, or of an
     * Agent Identity under it, are refused as Graph refuses a reference it cannot see.
     */
    hideParent(appId: string, forPosts: number): void;
    /** Read-after-write lag: the next `forReads` GETs do not show FICs or Agent ID objects created after this call. */
    lagReads(forReads: number): void;
    /** Forget every Blueprint, Agent ID object, request, fault, hidden subject and lag: a fresh stand-in for the next test. */
    reset(): void;
    close(): Promise<void>;
}

const PATH = /^\/beta\/applications\/([^/]+)\/microsoft\.graph\.agentIdentityBlueprint\/federatedIdentityCredentials(?:\/([^/?]+))?$/;

interface Reply {
    status: number;
    body?: unknown;
    headers?: Record<string, string>;
}

function graphError(status: number, code: string, message: string): Reply {
    return { status, body: { error: { code, message, innerError: { "request-id": randomUUID(), date: new Date().toISOString() } } } };
}

const entity = (fic: Fic) => ({ "@odata.context": "https://graph.microsoft.com/beta/$metadata#federatedIdentityCredentials/$entity", ...fic });

const notFoundError = (id: string | undefined) =>
    graphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The object id at the end of a bind or reference URL (`…/users/<id>`, `…/groups/<id>`, `…/directoryObjects/<id>`). */
function boundId(url: unknown): string | undefined {
    const match = typeof url === "string" ? /\/(?:users|groups|directoryObjects)\/([^/]+)$/.exec(url) : null;
    return match && GUID.test(match[1]!) ? match[1]!.toLowerCase() : undefined;
}

export async function startFakeGraph(): Promise<FakeGraph> {
    const blueprints = new Map<string, Fic[]>();
    const agentId: AgentIdDirectory = { blueprints: new Map(), principals: new Map(), identities: new Map(), deleted: [] };
    const requests: FakeGraph["requests"] = [];
    const faults: Fault[] = [];
    const hidden = new Map<string, number>();
    let lag = { reads: 0, since: new Set<string>() };
    let base = "";
    let pageSize = 100;

    /** Whether a POST referencing `key` is to be refused as not visible yet (counts the POST down). */
    const hiddenNow = (key: string): boolean => {
        const left = hidden.get(key.toLowerCase()) ?? 0;
        if (left <= 0) return false;
        hidden.set(key.toLowerCase(), left - 1);
        return true;
    };
    /** Whether a read shows the object (read-after-write lag); call once per GET via `readDone`. */
    const shown = (id: string) => lag.reads <= 0 || !lag.since.has(id);
    const readDone = () => {
        if (lag.reads > 0) lag.reads--;
    };
    const created = (id: string) => {
        if (lag.reads > 0) lag.since.add(id);
    };
    const blueprintByAppId = (appId: string) => [...agentId.blueprints.values()].find((b) => b.appId.toLowerCase() === appId.toLowerCase());
    const principalByAppId = (appId: string) => [...agentId.principals.values()].find((p) => p.appId.toLowerCase() === appId.toLowerCase());

    const blueprintEntity = (b: AgentIdBlueprint) => ({
        "@odata.type": "#microsoft.graph.agentIdentityBlueprint",
        id: b.id,
        appId: b.appId,
        displayName: b.displayName,
        description: b.description,
        identifierUris: b.identifierUris,
        tags: b.tags,
        uniqueName: null,
        signInAudience: "AzureADMyOrg",
        api: { requestedAccessTokenVersion: 2, oauth2PermissionScopes: [] },
    });
    const principalEntity = (sp: AgentIdPrincipal) => ({
        "@odata.type": "#microsoft.graph.agentIdentityBlueprintPrincipal",
        id: sp.id,
        appId: sp.appId,
        displayName: sp.displayName,
        accountEnabled: sp.accountEnabled,
        servicePrincipalType: "Application",
        tags: [],
    });
    const identityEntity = (a: AgentIdIdentity) => ({
        "@odata.type": "#microsoft.graph.agentIdentity",
        id: a.id,
        displayName: a.displayName,
        agentIdentityBlueprintId: a.agentIdentityBlueprintId,
        accountEnabled: a.accountEnabled,
        servicePrincipalType: "ServiceIdentity",
        createdByAppId: "f98c895e-6ce2-4f5b-a31b-da7e48f25daa",
        // "The value is the union of strings set here and on the associated Agent Identity Blueprint entity's tags".
        tags: [...new Set([...a.tags, ...(blueprintByAppId(a.agentIdentityBlueprintId)?.tags ?? [])])],
    });
    const sponsorsOf = (ids: string[]): Reply => ({
        status: 200,
        body: { value: ids.map((id) => ({ "@odata.type": "#microsoft.graph.directoryObject", id })) },
    });
    /** POST …/sponsors/$ref and DELETE …/sponsors/{id}/$ref on an object's sponsor list. */
    const sponsorRef = (sponsors: string[], method: string, body: Record<string, unknown> | undefined, sponsorId: string | undefined): Reply => {
        if (method === "POST" && sponsorId === undefined) {
            const id = boundId(body?.["@odata.id"]);
            if (!id) return graphError(400, "Request_BadRequest", "Invalid object identifier in '@odata.id'.");
            if (sponsors.includes(id)) {
                return graphError(
                    400,
                    "Request_BadRequest",
                    "One or more added object references already exist for the following modified properties: 'sponsors'.",
                );
            }
            sponsors.push(id);
            return { status: 204 };
        }
        if (method === "DELETE" && sponsorId !== undefined) {
            const at = sponsors.indexOf(sponsorId.toLowerCase());
            if (at < 0) return notFoundError(sponsorId);
            sponsors.splice(at, 1);
            return { status: 204 };
        }
        return graphError(405, "MethodNotAllowed", "Method not allowed");
    };
    const sponsorsFromBinds = (binds: unknown): string[] | undefined => {
        if (!Array.isArray(binds) || binds.length === 0) return undefined;
        const ids = binds.map(boundId);
        return ids.every((id): id is string => id !== undefined) ? ids : undefined;
    };
    const readOnly = (b: Record<string, unknown>, keys: string[]): Reply | undefined => {
        const key = keys.find((k) => k in b);
        return key ? graphError(400, "Request_BadRequest", `Property '${key}' is read-only and cannot be set.`) : undefined;
    };

    /** Graph v1.0's Agent ID objects, without faults. */
    const agentIdAnswer = (method: string, url: string, body: Record<string, unknown> | undefined): Reply => {
        const parsed = new URL(url, "http://stand-in");
        const path = decodeURIComponent(parsed.pathname);
        const filter = parsed.searchParams.get("$filter") ?? "";
        let m: RegExpExecArray | null;

        // ---- agentIdentityBlueprint
        if (path === "/v1.0/applications/microsoft.graph.agentIdentityBlueprint") {
            if (method === "POST") {
                const b = body ?? {};
                if (typeof b.displayName !== "string" || b.displayName === "") return graphError(400, "Request_BadRequest", "displayName is required.");
                const sponsors = sponsorsFromBinds(b["sponsors@odata.bind"]);
                if (!sponsors) return graphError(400, "Request_BadRequest", "A sponsor is required to create an agent identity blueprint.");
                const bad = readOnly(b, ["appId", "id", "uniqueName"]);
                if (bad) return bad;
                const blueprint: AgentIdBlueprint = {
                    id: randomUUID(),
                    appId: randomUUID(),
                    displayName: b.displayName,
                    description: typeof b.description === "string" ? b.description : null,
                    identifierUris: Array.isArray(b.identifierUris) ? (b.identifierUris as string[]) : [],
                    tags: Array.isArray(b.tags) ? (b.tags as string[]) : [],
                    sponsors,
                };
                agentId.blueprints.set(blueprint.id, blueprint);
                blueprints.set(blueprint.id, []);
                created(blueprint.id);
                return {
                    status: 201,
                    body: {
                        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications/microsoft.graph.agentIdentityBlueprint/$entity",
                        ...blueprintEntity(blueprint),
                    },
                };
            }
            if (method === "GET") {
                const tag = /^tags\/any\(t:t eq '(.*)'\)$/.exec(filter)?.[1]?.replace(/''/g, "'");
                const value = [...agentId.blueprints.values()].filter((b) => shown(b.id) && (tag === undefined || b.tags.includes(tag))).map(blueprintEntity);
                readDone();
                return { status: 200, body: { value } };
            }
        }
        if ((m = /^\/v1\.0\/applications\/([^/]+)\/microsoft\.graph\.agentIdentityBlueprint(\/sponsors(?:\/\$ref|\/([^/]+)\/\$ref)?)?$/.exec(path))) {
            const [, id, sponsorsPart, sponsorId] = m;
            const blueprint = agentId.blueprints.get(id!);
            if (method === "GET") {
                const visible = blueprint && shown(blueprint.id);
                readDone();
                if (!visible) return notFoundError(id);
                return sponsorsPart ? sponsorsOf(blueprint.sponsors) : { status: 200, body: { value: blueprintEntity(blueprint) } };
            }
            if (!blueprint) return notFoundError(id);
            if (sponsorsPart) return sponsorRef(blueprint.sponsors, method, body, sponsorId);
            if (method === "PATCH") {
                const b = body ?? {};
                const bad = readOnly(b, ["appId", "id", "uniqueName"]);
                if (bad) return bad;
                if (typeof b.displayName === "string") blueprint.displayName = b.displayName;
                if ("description" in b) blueprint.description = typeof b.description === "string" && b.description !== "" ? b.description : null;
                if (Array.isArray(b.identifierUris)) blueprint.identifierUris = b.identifierUris as string[];
                return { status: 204 };
            }
            if (method === "DELETE") {
                agentId.blueprints.delete(blueprint.id);
                blueprints.delete(blueprint.id);
                agentId.deleted.push({ kind: "agentIdentityBlueprint", id: blueprint.id });
                return { status: 204 };
            }
        }

        // ---- agentIdentityBlueprintPrincipal
        if (path === "/v1.0/servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal" && method === "POST") {
            const appId = typeof body?.appId === "string" ? body.appId : "";
            const blueprint = blueprintByAppId(appId);
            if (!blueprint || hiddenNow(appId)) {
                return graphError(400, "Request_BadRequest", `The appId '${appId}' of the service principal does not reference a valid application object.`);
            }
            if (principalByAppId(appId)) {
                return graphError(
                    409,
                    "Request_MultipleObjectsWithSameKeyValue",
                    `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`,
                );
            }
            const principal: AgentIdPrincipal = { id: randomUUID(), appId: blueprint.appId, displayName: blueprint.displayName, accountEnabled: true };
            agentId.principals.set(principal.id, principal);
            created(principal.id);
            return {
                status: 201,
                body: {
                    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal/$entity",
                    ...principalEntity(principal),
                },
            };
        }
        if ((m = /^\/v1\.0\/servicePrincipals(?:\/([^/(]+)|\(appId='([^']+)'\))\/microsoft\.graph\.agentIdentityBlueprintPrincipal$/.exec(path))) {
            const [, id, appId] = m;
            const principal = id ? agentId.principals.get(id) : principalByAppId(appId!);
            if (method === "GET") {
                const visible = principal && shown(principal.id);
                readDone();
                return visible ? { status: 200, body: principalEntity(principal) } : notFoundError(id ?? appId);
            }
            if (!principal) return notFoundError(id ?? appId);
            if (method === "DELETE") {
                agentId.principals.delete(principal.id);
                agentId.deleted.push({ kind: "agentIdentityBlueprintPrincipal", id: principal.id });
                return { status: 204 };
            }
        }

        // ---- agentIdentity
        if (path === "/v1.0/servicePrincipals/microsoft.graph.agentIdentity") {
            if (method === "POST") {
                const b = body ?? {};
                const parent = typeof b.agentIdentityBlueprintId === "string" ? b.agentIdentityBlueprintId : "";
                if (typeof b.displayName !== "string" || b.displayName === "") return graphError(400, "Request_BadRequest", "displayName is required.");
                if (!blueprintByAppId(parent)) {
                    return graphError(
                        400,
                        "AgentIdentity_IncompatibleParentType",
                        "The specified Application (AppId) isn't an Agent Blueprint. The AgentIdentityBlueprintId must be set to the AppId of a valid agent identity blueprint.",
                    );
                }
                if (!principalByAppId(parent) || hiddenNow(parent)) {
                    return graphError(
                        400,
                        "AgentIdentity_AgentBlueprintPrincipalDoesNotExist",
                        "The required agent identity blueprint principal doesn't exist for the specified agent identity blueprint ID.",
                    );
                }
                const sponsors = sponsorsFromBinds(b["sponsors@odata.bind"]);
                if (!sponsors) return graphError(400, "Request_BadRequest", "A sponsor is required to create an agent identity.");
                const bad = readOnly(b, ["appId", "id"]);
                if (bad) return bad;
                const identity: AgentIdIdentity = {
                    id: randomUUID(),
                    displayName: b.displayName,
                    agentIdentityBlueprintId: blueprintByAppId(parent)!.appId,
                    tags: Array.isArray(b.tags) ? (b.tags as string[]) : [],
                    sponsors,
                    accountEnabled: true,
                };
                agentId.identities.set(identity.id, identity);
                created(identity.id);
                return {
                    status: 201,
                    body: { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity", ...identityEntity(identity) },
                };
            }
            if (method === "GET") {
                const parent = /^agentIdentityBlueprintId eq '(.*)'$/.exec(filter)?.[1];
                const all = [...agentId.identities.values()].filter((a) => shown(a.id) && (parent === undefined || a.agentIdentityBlueprintId === parent));
                readDone();
                const skip = Number(parsed.searchParams.get("$skiptoken") ?? "0");
                const page = all.slice(skip, skip + pageSize).map(identityEntity);
                const next = skip + pageSize < all.length;
                const nextLink = `${base}/v1.0/servicePrincipals/microsoft.graph.agentIdentity?${new URLSearchParams({ ...(filter ? { $filter: filter } : {}), $skiptoken: String(skip + pageSize) }).toString()}`;
                return { status: 200, body: { value: page, ...(next ? { "@odata.nextLink": nextLink } : {}) } };
            }
        }
        if ((m = /^\/v1\.0\/servicePrincipals\/([^/]+)\/microsoft\.graph\.agentIdentity(\/sponsors(?:\/\$ref|\/([^/]+)\/\$ref)?)?$/.exec(path))) {
            const [, id, sponsorsPart, sponsorId] = m;
            const identity = agentId.identities.get(id!);
            if (method === "GET") {
                const visible = identity && shown(identity.id);
                readDone();
                if (!visible) return notFoundError(id);
                return sponsorsPart ? sponsorsOf(identity.sponsors) : { status: 200, body: identityEntity(identity) };
            }
            if (!identity) return notFoundError(id);
            if (sponsorsPart) return sponsorRef(identity.sponsors, method, body, sponsorId);
            if (method === "PATCH") {
                const b = body ?? {};
                const bad = readOnly(b, ["appId", "id", "agentIdentityBlueprintId"]);
                if (bad) return bad;
                if (typeof b.displayName === "string") identity.displayName = b.displayName;
                if (typeof b.accountEnabled === "boolean") identity.accountEnabled = b.accountEnabled;
                return { status: 204 };
            }
            if (method === "DELETE") {
                agentId.identities.delete(identity.id);
                agentId.deleted.push({ kind: "agentIdentity", id: identity.id });
                return { status: 204 };
            }
        }
        return graphError(400, "BadRequest", `Resource not found for the segment in ${path}`);
    };

    /** Graph's behaviour, without faults. */
    const answer = (method: string, path: string, body: Record<string, unknown> | undefined, authorization: string | undefined): Reply => {
        if (authorization !== `Bearer ${APP_ONLY_TOKEN}`) {
            return graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
        }
        if (path.startsWith("/v1.0/")) return agentIdAnswer(method, path, body);
        const match = PATH.exec(path);
        if (!match) return graphError(400, "BadRequest", `Resource not found for the segment in ${path}`);
        const [, appId, key] = match;
        const notFound = (id: string | undefined) =>
            graphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
        const fics = blueprints.get(appId!);
        if (!fics) return notFound(appId);
        const visible = (f: Fic) => lag.reads <= 0 || !lag.since.has(f.id);

        if (method === "POST" && !key) {
            const b = body as Omit<Fic, "id">;
            const hiddenFor = hidden.get(b.subject) ?? 0;
            if (hiddenFor > 0) {
                hidden.set(b.subject, hiddenFor - 1);
                return notFound(b.subject);
            }
            if (fics.some((f) => f.name === b.name)) {
                return graphError(409, "Request_MultipleObjectsWithSameKeyValue", `FederatedIdentityCredential with name ${b.name} already exists.`);
            }
            if (fics.some((f) => f.issuer === b.issuer && f.subject === b.subject)) {
                return graphError(
                    400,
                    "InvalidFederatedIdentityCredentialValue",
                    `The combination of issuer and subject must be unique for the application. Issuer ${b.issuer} and Subject: ${b.subject} already exist. ` +
                        `paramName: FederatedIdentityCredential.Subject, paramValue: ${b.subject}, objectType: Microsoft.Online.DirectoryServices.Application`,
                );
            }
            const fic: Fic = { id: randomUUID(), name: b.name, issuer: b.issuer, subject: b.subject, audiences: b.audiences, description: b.description ?? "" };
            fics.push(fic);
            if (lag.reads > 0) lag.since.add(fic.id);
            return { status: 201, body: entity(fic) };
        }
        if (method === "GET" && !key) {
            const value = fics.filter(visible);
            if (lag.reads > 0) lag.reads--;
            return { status: 200, body: { value } };
        }
        // A FIC is addressed by its id or by its name (alternate key).
        const fic = fics.find((f) => f.id === key || f.name === decodeURIComponent(key ?? ""));
        if (method === "GET") {
            const shown = fic && visible(fic);
            if (lag.reads > 0) lag.reads--;
            return shown ? { status: 200, body: entity(fic) } : notFound(key);
        }
        if (!fic) return notFound(key);
        if (method === "PATCH") {
            const b = (body ?? {}) as Partial<Fic>;
            if (b.name !== undefined && b.name !== fic.name) return graphError(400, "Request_BadRequest", "Property 'name' is read-only and cannot be set.");
            Object.assign(fic, b);
            return { status: 204 };
        }
        if (method === "DELETE") {
            fics.splice(fics.indexOf(fic), 1);
            return { status: 204 };
        }
        return graphError(405, "MethodNotAllowed", "Method not allowed");
    };

    const send = (res: ServerResponse, reply: Reply) => {
        res.writeHead(reply.status, { ...(reply.body === undefined ? {} : { "content-type": "application/json" }), ...reply.headers });
        res.end(reply.body === undefined ? undefined : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body));
    };

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const text = Buffer.concat(chunks).toString("utf8");
        const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
        const method = req.method ?? "";
        const path = req.url ?? "";
        requests.push({ method, path, body, authorization: req.headers.authorization, odataVersion: req.headers["odata-version"] as string | undefined });

        const index = faults.findIndex((f) => (f.method === undefined || f.method === method) && (f.path === undefined || path.includes(f.path)));
        const next = index >= 0 ? faults[index] : undefined;
        const skipped = next !== undefined && (next.skip ?? 0) > 0;
        if (skipped) next.skip = next.skip! - 1;
        const fault = index >= 0 && !skipped ? faults.splice(index, 1)[0] : undefined;
        if (!fault) return send(res, answer(method, path, body, req.headers.authorization));
        if (fault.kind === "body") return send(res, { status: 200, body: fault.body });
        if (fault.kind === "redirect") return send(res, { status: fault.status, headers: { location: fault.location } });
        if (fault.kind === "echo") {
            return send(
                res,
                graphError(fault.status, "Authorization_RequestDenied", `The token in '${req.headers.authorization ?? ""}' lacks the privileges.`),
            );
        }
        if (fault.commit) answer(method, path, body, req.headers.authorization);
        if (fault.kind === "status") {
            const reply =
                fault.status === 429
                    ? graphError(429, "TooManyRequests", "Too many requests")
                    : graphError(fault.status, fault.status === 503 ? "serviceNotAvailable" : "generalException", "Transient failure (stand-in fault)");
            return send(res, { ...reply, headers: fault.retryAfter !== undefined ? { "retry-after": fault.retryAfter } : {} });
        }
        if (fault.kind === "reset") {
            res.socket?.destroy();
            return;
        }
        // hang: answer nothing; drop the request once the limit passes, so the server never waits forever.
        setTimeout(() => res.socket?.destroy(), HANG_LIMIT_MS).unref();
    };

    const sockets = new Set<Socket>();
    const server: Server = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => send(res, graphError(500, "InternalServerError", String(err))));
    });
    server.on("connection", (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    return {
        url: base,
        blueprints,
        agentId,
        get pageSize() {
            return pageSize;
        },
        set pageSize(size: number) {
            pageSize = size;
        },
        requests,
        fault: (...f) => faults.push(...f),
        throttleNext: (n, retryAfter = "0") => {
            for (let i = 0; i < n; i++) faults.push({ kind: "status", status: 429, retryAfter });
        },
        hideSubject: (subject, forPosts) => hidden.set(subject, forPosts),
        hideParent: (appId, forPosts) => hidden.set(appId.toLowerCase(), forPosts),
        lagReads: (forReads) => {
            lag = { reads: forReads, since: new Set() };
        },
        reset: () => {
            blueprints.clear();
            agentId.blueprints.clear();
            agentId.principals.clear();
            agentId.identities.clear();
            agentId.deleted.length = 0;
            pageSize = 100;
            requests.length = 0;
            faults.length = 0;
            hidden.clear();
            lag = { reads: 0, since: new Set() };
        },
        close: () =>
            new Promise((resolve) => {
                for (const socket of sockets) socket.destroy();
                server.close(() => resolve());
            }),
    };
}
