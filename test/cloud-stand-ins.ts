/**
 * Loopback servers that STAND IN FOR the three read APIs the live trust audit calls. Each answers as its service
 * documents, so the audit's own clients (fetch for Graph and GCP IAM, the real AWS SDK for IAM and STS) parse real
 * wire formats. They are stand-ins, not the services: authorization is reduced to "the expected bearer token" (or,
 * for AWS, "a SigV4 Authorization header is present"), and only the calls the audit makes exist.
 *
 * - Microsoft Graph: List federatedIdentityCredentials (beta Blueprint cast, v1.0 classic apps) with `@odata.nextLink`
 *   paging (https://learn.microsoft.com/graph/paging), Get application / agentIdentityBlueprint with `$select`,
 *   Graph's `{ error: { code, message } }` bodies, v1.0's 400 for Blueprints, 429 with Retry-After.
 * - GCP IAM v1: providers.list with `showDeleted`, `pageSize`, `pageToken`/`nextPageToken`, and
 *   serviceAccounts.getIamPolicy (POST, `options.requestedPolicyVersion`), Google's `{ error: { code, message, status } }`.
 * - AWS IAM and STS Query APIs: form-encoded POSTs (`Action`, `Version`), XML answers with `<member>` lists,
 *   `ListRoles` paging by `Marker`/`IsTruncated`, trust policies URL-encoded per RFC 3986, and the documented
 *   `<ErrorResponse><Error><Type/><Code/><Message/></Error>` (https://docs.aws.amazon.com/IAM/latest/APIReference/).
 *
 * Every server listens on 127.0.0.1, answers each request once (no loops), and closes its connections on `close()`.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A scripted fault for the next matching requests. */
export interface Fault {
    /** Substring of `<METHOD> <path>` (or of the AWS Action) the fault applies to; all requests when absent. */
    readonly match?: string;
    /** How many matching requests get it. */
    times: number;
    readonly status?: number;
    readonly retryAfter?: string;
    /** Hold the answer this long (longer than the client's timeout simulates a hung service). */
    readonly delayMs?: number;
    /** AWS error code (Throttling, AccessDenied) or Graph/Google error code. */
    readonly code?: string;
    /** Drop the connection without an answer (the client sees a reset socket: ECONNRESET / UND_ERR_SOCKET). */
    readonly reset?: boolean;
    /** Answer 302 (or `redirectStatus`) to this location: a redirect the client must refuse, since it would carry the bearer token. */
    readonly redirectTo?: string;
    readonly redirectStatus?: number;
    /**
     * Answer `status` (default 401) with an error whose message repeats the credentials the request carried (its
     * Authorization header, an AWS session token): a service, or whatever answers in its place, that echoes them.
     */
    readonly echoCredentials?: boolean;
    /** Answer this status, content type and body verbatim (a proxy's HTML page, `null`, `{}`). */
    readonly raw?: { readonly status?: number; readonly contentType?: string; readonly body: string };
    /** Answer 200 and start a JSON body that never ends (a space every 20 ms until the client goes away). */
    readonly trickle?: boolean;
    /** Answer 200 with a body of this many bytes, streamed as the client reads. */
    readonly oversize?: number;
}

interface Base {
    readonly url: string;
    readonly requests: string[];
    readonly faults: Fault[];
    close(): Promise<void>;
}

async function listen(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<Base> {
    const requests: string[] = [];
    const faults: Fault[] = [];
    const timers = new Set<NodeJS.Timeout>();
    const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const line = `${req.method} ${req.url}`;
            const action = new URLSearchParams(body).get("Action") ?? "";
            requests.push(action ? `${line} ${action}` : line);
            const fault = faults.find((f) => f.times > 0 && (f.match === undefined || line.includes(f.match) || action === f.match));
            if (fault) {
                fault.times--;
                if (fault.reset) {
                    req.socket.destroy();
                    return;
                }
                if (fault.redirectTo !== undefined) {
                    res.writeHead(fault.redirectStatus ?? 302, { location: fault.redirectTo });
                    res.end();
                    return;
                }
                if (fault.echoCredentials) {
                    const carried = [req.headers.authorization, req.headers["x-amz-security-token"]].filter(Boolean).join(" and ");
                    const message = `the credentials ${carried} are not valid for this resource`;
                    if (action) {
                        res.writeHead(fault.status ?? 403, { "content-type": "text/xml" });
                        res.end(
                            `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>${message}</Message></Error>` +
                                `<RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>`,
                        );
                        return;
                    }
                    res.writeHead(fault.status ?? 401, { "content-type": "application/json" });
                    res.end(JSON.stringify({ error: { code: "InvalidAuthenticationToken", status: "UNAUTHENTICATED", message } }));
                    return;
                }
                if (fault.raw !== undefined) {
                    res.writeHead(fault.raw.status ?? 200, { "content-type": fault.raw.contentType ?? "application/json" });
                    res.end(fault.raw.body);
                    return;
                }
                if (fault.trickle) {
                    res.writeHead(200, { "content-type": "application/json" });
                    res.write('{"value": [');
                    const t = setInterval(() => res.write(" "), 20);
                    timers.add(t);
                    res.on("close", () => (clearInterval(t), timers.delete(t)));
                    return;
                }
                if (fault.oversize !== undefined) {
                    res.writeHead(200, { "content-type": "application/json" });
                    let sent = 0;
                    const chunk = Buffer.alloc(64 * 1024, 0x20);
                    const pump = () => {
                        while (sent < fault.oversize! && res.write(chunk)) sent += chunk.length;
                        if (sent >= fault.oversize!) res.end();
                    };
                    res.on("drain", pump);
                    pump();
                    return;
                }
                if (fault.delayMs !== undefined) {
                    const t = setTimeout(() => {
                        timers.delete(t);
                        if (!res.destroyed) handle(req, body, res);
                    }, fault.delayMs);
                    timers.add(t);
                    return;
                }
                res.setHeader("x-stand-in-fault", fault.code ?? String(fault.status));
                if (fault.retryAfter !== undefined) res.setHeader("retry-after", fault.retryAfter);
                (res as ServerResponse & { fault?: Fault }).fault = fault;
            }
            handle(req, body, res);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        requests,
        faults,
        close: () =>
            new Promise((resolve) => {
                for (const t of timers) clearTimeout(t);
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

const faultOf = (res: ServerResponse) => (res as ServerResponse & { fault?: Fault }).fault;

function json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
}

// ---------------------------------------------------------------------------------------------- Microsoft Graph

export interface StandInFic {
    id: string;
    name: string;
    issuer: string;
    subject: string | null;
    audiences: string[];
    description?: string;
    claimsMatchingExpression?: { value: string; languageVersion: number } | null;
}

export interface StandInApplication {
    kind: "agentIdentityBlueprint" | "application";
    appId: string;
    fics: StandInFic[];
    passwordCredentials: { keyId: string; displayName: string; endDateTime: string; hint: string }[];
    keyCredentials: { keyId: string; displayName: string; type: string; usage: string; endDateTime: string }[];
}

export interface GraphStandIn extends Base {
    /** Object id -> application. */
    readonly applications: Map<string, StandInApplication>;
    /** Items per page of FICs (Graph pages server-side). */
    pageSize: number;
    /** The bearer token it accepts. */
    token: string;
    /** Paths (substrings) answered 403 Authorization_RequestDenied. */
    readonly forbidden: string[];
    /** When set, the next link of the first page points there instead (a hostile or broken nextLink). */
    nextLinkOverride?: string;
}

const BLUEPRINT_FICS = /^\/beta\/applications\/([^/?]+)\/microsoft\.graph\.agentIdentityBlueprint\/federatedIdentityCredentials\/?$/;
const APP_FICS = /^\/(v1\.0|beta)\/applications\/([^/?]+)\/federatedIdentityCredentials\/?$/;
const BLUEPRINT = /^\/beta\/applications\/([^/?]+)\/microsoft\.graph\.agentIdentityBlueprint$/;
const APPLICATION = /^\/(v1\.0|beta)\/applications\/([^/?]+)$/;

function graphError(res: ServerResponse, status: number, code: string, message: string): void {
    json(res, status, { error: { code, message, innerError: { date: "2026-01-31T12:00:00", "request-id": "00000000-0000-0000-0000-000000000000" } } });
}

export async function startGraphStandIn(): Promise<GraphStandIn> {
    const state = { applications: new Map<string, StandInApplication>(), pageSize: 100, token: "graph-token", forbidden: [] as string[] } as Omit<
        GraphStandIn,
        keyof Base
    >;
    const base = await listen((req, _body, res) => {
        const fault = faultOf(res);
        if (fault?.status) return graphError(res, fault.status, fault.code ?? "TooManyRequests", "Too many requests");
        const url = new URL(req.url ?? "/", "http://stand-in");
        if (req.method !== "GET") return graphError(res, 405, "Request_BadRequest", "the audit only reads");
        if (req.headers.authorization !== `Bearer ${state.token}`) {
            return graphError(res, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.");
        }
        if (state.forbidden.some((p) => url.pathname.includes(p))) {
            return graphError(res, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
        }
        const notFound = (id: string) =>
            graphError(
                res,
                404,
                "Request_ResourceNotFound",
                `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
            );
        let m: RegExpExecArray | null;
        const list = (app: StandInApplication) => {
            const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
            const page = app.fics.slice(skip, skip + state.pageSize);
            const more = skip + state.pageSize < app.fics.length;
            const next = more ? (skip === 0 && state.nextLinkOverride) || `${base.url}${url.pathname}?$skiptoken=${skip + state.pageSize}` : undefined;
            json(res, 200, {
                "@odata.context": "https://graph.microsoft.com/beta/$metadata#applications('x')/federatedIdentityCredentials",
                ...(next ? { "@odata.nextLink": next } : {}),
                value: page.map((f) => ({ claimsMatchingExpression: null, description: "", ...f })),
            });
        };
        const object = (app: StandInApplication, id: string) => {
            const selected = (url.searchParams.get("$select") ?? "").split(",");
            const full: Record<string, unknown> = {
                id,
                appId: app.appId,
                displayName: "agent",
                passwordCredentials: app.passwordCredentials,
                keyCredentials: app.keyCredentials,
            };
            json(res, 200, Object.fromEntries(Object.entries(full).filter(([k]) => selected.includes(k))));
        };
        if ((m = BLUEPRINT_FICS.exec(url.pathname))) {
            const app = state.applications.get(m[1]!);
            return app && app.kind === "agentIdentityBlueprint" ? list(app) : notFound(m[1]!);
        }
        if ((m = APP_FICS.exec(url.pathname))) {
            const app = state.applications.get(m[2]!);
            if (!app) return notFound(m[2]!);
            if (app.kind === "agentIdentityBlueprint") {
                return graphError(res, 400, "Request_BadRequest", "Agent Blueprints are not supported on the API version used in this request.");
            }
            return list(app);
        }
        if ((m = BLUEPRINT.exec(url.pathname))) {
            const app = state.applications.get(m[1]!);
            return app && app.kind === "agentIdentityBlueprint" ? object(app, m[1]!) : notFound(m[1]!);
        }
        if ((m = APPLICATION.exec(url.pathname))) {
            const app = state.applications.get(m[2]!);
            if (!app) return notFound(m[2]!);
            if (app.kind === "agentIdentityBlueprint") {
                return graphError(res, 400, "Request_BadRequest", "Agent Blueprints are not supported on the API version used in this request.");
            }
            return object(app, m[2]!);
        }
        return graphError(res, 400, "BadRequest", `Resource not found for the segment in ${url.pathname}`);
    });
    return Object.assign<Omit<GraphStandIn, keyof Base>, Base>(state, base);
}

// ---------------------------------------------------------------------------------------------------- GCP IAM

export interface StandInProvider {
    name: string;
    displayName?: string;
    state: "ACTIVE" | "DELETED";
    disabled?: boolean;
    attributeMapping: Record<string, string>;
    attributeCondition?: string;
    oidc?: { issuerUri: string; allowedAudiences?: string[]; jwksJson?: string };
    aws?: { accountId: string };
    expireTime?: string;
}

export interface StandInBinding {
    role: string;
    members: string[];
    condition?: { expression: string; title: string };
}

export interface GcpStandIn extends Base {
    /** Pool resource name -> providers. */
    readonly pools: Map<string, StandInProvider[]>;
    /** Service account email -> bindings. */
    readonly policies: Map<string, StandInBinding[]>;
    token: string;
    /** Paths (substrings) answered 403 PERMISSION_DENIED. */
    readonly forbidden: string[];
    /** Server-side cap on providers per page (the API's documented maximum is 100). */
    maxPageSize: number;
}

function googleError(res: ServerResponse, status: number, grpc: string, message: string): void {
    json(res, status, { error: { code: status, message, status: grpc } });
}

export async function startGcpStandIn(): Promise<GcpStandIn> {
    const state = { pools: new Map(), policies: new Map(), token: "gcp-token", forbidden: [] as string[], maxPageSize: 100 } as Omit<GcpStandIn, keyof Base>;
    const base = await listen((req, body, res) => {
        const fault = faultOf(res);
        if (fault?.status) return googleError(res, fault.status, fault.code ?? "RESOURCE_EXHAUSTED", "Quota exceeded");
        const url = new URL(req.url ?? "/", "http://stand-in");
        if (req.headers.authorization !== `Bearer ${state.token}`) {
            return googleError(res, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token.");
        }
        const path = decodeURIComponent(url.pathname);
        const providers = /^\/v1\/(projects\/\d+\/locations\/global\/workloadIdentityPools\/[^/]+)\/providers$/.exec(path);
        if (req.method === "GET" && providers) {
            const pool = providers[1]!;
            if (state.forbidden.some((p) => path.includes(p))) {
                return googleError(
                    res,
                    403,
                    "PERMISSION_DENIED",
                    `Permission 'iam.workloadIdentityPoolProviders.list' denied on resource '//iam.googleapis.com/${pool}' (or it may not exist).`,
                );
            }
            const all = state.pools.get(pool);
            if (!all) return googleError(res, 404, "NOT_FOUND", `Requested entity was not found.`);
            const visible = url.searchParams.get("showDeleted") === "true" ? all : all.filter((p) => p.state !== "DELETED");
            const size = Math.min(Number(url.searchParams.get("pageSize") ?? "50"), state.maxPageSize);
            const start = Number(url.searchParams.get("pageToken") ?? "0");
            const page = visible.slice(start, start + size);
            return json(res, 200, {
                ...(page.length > 0 ? { workloadIdentityPoolProviders: page } : {}),
                ...(start + size < visible.length ? { nextPageToken: String(start + size) } : {}),
            });
        }
        const policy = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):getIamPolicy$/.exec(path);
        if (req.method === "POST" && policy) {
            const email = policy[1]!;
            if (body !== "") return googleError(res, 400, "INVALID_ARGUMENT", "The request body must be empty.");
            if (url.searchParams.get("options.requestedPolicyVersion") !== "3")
                return googleError(res, 400, "INVALID_ARGUMENT", "stand-in expects policy version 3");
            if (state.forbidden.some((p) => path.includes(p))) {
                return googleError(res, 403, "PERMISSION_DENIED", `Permission 'iam.serviceAccounts.getIamPolicy' denied on resource (or it may not exist).`);
            }
            const bindings = state.policies.get(email);
            if (!bindings) return googleError(res, 404, "NOT_FOUND", `Unknown service account`);
            return json(res, 200, { version: bindings.some((b) => b.condition) ? 3 : 1, etag: "BwXhqDjBd2g=", ...(bindings.length > 0 ? { bindings } : {}) });
        }
        return googleError(res, 404, "NOT_FOUND", `no such method: ${req.method} ${path}`);
    });
    return Object.assign<Omit<GcpStandIn, keyof Base>, Base>(state, base);
}

// -------------------------------------------------------------------------------------------------- AWS IAM/STS

export interface StandInRole {
    roleName: string;
    path?: string;
    /** The trust policy as JSON; the stand-in URL-encodes it as IAM does. */
    trustPolicy: unknown;
}

export interface AwsStandIn extends Base {
    accountId: string;
    /** Provider ARN -> client ids. */
    readonly providers: Map<string, { url: string; clientIds: string[] }>;
    readonly roles: StandInRole[];
    /** Roles per ListRoles page (IAM may return fewer than MaxItems). */
    pageSize: number;
    /** Actions answered AccessDenied. */
    readonly denied: string[];
}

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function awsXml(res: ServerResponse, action: string, namespace: string, result: string): void {
    res.writeHead(200, { "content-type": "text/xml" });
    res.end(
        `<${action}Response xmlns="${namespace}"><${action}Result>${result}</${action}Result>` +
            `<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></${action}Response>`,
    );
}

function awsError(res: ServerResponse, status: number, type: "Sender" | "Receiver", code: string, message: string): void {
    res.writeHead(status, { "content-type": "text/xml" });
    res.end(
        `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>${type}</Type><Code>${code}</Code>` +
            `<Message>${xmlEscape(message)}</Message></Error><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>`,
    );
}

export async function startAwsStandIn(accountId: string): Promise<AwsStandIn> {
    const state = { accountId, providers: new Map(), roles: [] as StandInRole[], pageSize: 100, denied: [] as string[] } as Omit<AwsStandIn, keyof Base>;
    const IAM = "https://iam.amazonaws.com/doc/2010-05-08/";
    const base = await listen((req, body, res) => {
        const params = new URLSearchParams(body);
        const action = params.get("Action") ?? "";
        const fault = faultOf(res);
        if (fault?.status) return awsError(res, fault.status, fault.status >= 500 ? "Receiver" : "Sender", fault.code ?? "Throttling", "Rate exceeded");
        if (req.method !== "POST" || !/^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? "")) {
            return awsError(res, 403, "Sender", "MissingAuthenticationToken", "Request is missing Authentication Token");
        }
        if (state.denied.includes(action)) {
            return awsError(
                res,
                403,
                "Sender",
                "AccessDenied",
                `User: arn:aws:sts::${state.accountId}:assumed-role/audit/ci is not authorized to perform: iam:${action}`,
            );
        }
        if (action === "GetCallerIdentity" && params.get("Version") === "2011-06-15") {
            return awsXml(
                res,
                action,
                "https://sts.amazonaws.com/doc/2011-06-15/",
                `<Arn>arn:aws:sts::${state.accountId}:assumed-role/agentfed-audit/ci</Arn><UserId>AROAEXAMPLE:ci</UserId><Account>${state.accountId}</Account>`,
            );
        }
        if (params.get("Version") !== "2010-05-08") return awsError(res, 400, "Sender", "InvalidAction", `unknown version for ${action}`);
        if (action === "GetOpenIDConnectProvider") {
            const arn = params.get("OpenIDConnectProviderArn") ?? "";
            const provider = state.providers.get(arn);
            if (!provider) return awsError(res, 404, "Sender", "NoSuchEntity", `OpenIDConnect Provider not found for arn ${arn}`);
            const members = (xs: string[]) => xs.map((x) => `<member>${xmlEscape(x)}</member>`).join("");
            return awsXml(
                res,
                action,
                IAM,
                `<ThumbprintList/><CreateDate>2025-01-01T00:00:00Z</CreateDate><ClientIDList>${members(provider.clientIds)}</ClientIDList><Url>${xmlEscape(provider.url)}</Url>`,
            );
        }
        if (action === "ListRoles") {
            const start = Number(params.get("Marker") ?? "0");
            const size = Math.min(Number(params.get("MaxItems") ?? "100"), state.pageSize);
            const page = state.roles.slice(start, start + size);
            const truncated = start + size < state.roles.length;
            const members = page
                .map(
                    (r) =>
                        `<member><Path>${r.path ?? "/"}</Path><RoleName>${xmlEscape(r.roleName)}</RoleName><RoleId>AROA${r.roleName.length}EXAMPLE</RoleId>` +
                        `<Arn>arn:aws:iam::${state.accountId}:role${r.path ?? "/"}${xmlEscape(r.roleName)}</Arn><CreateDate>2025-01-01T00:00:00Z</CreateDate>` +
                        `<AssumeRolePolicyDocument>${xmlEscape(encodeURIComponent(JSON.stringify(r.trustPolicy)))}</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration></member>`,
                )
                .join("");
            return awsXml(
                res,
                action,
                IAM,
                `<IsTruncated>${truncated}</IsTruncated><Roles>${members}</Roles>${truncated ? `<Marker>${start + size}</Marker>` : ""}`,
            );
        }
        return awsError(res, 400, "Sender", "InvalidAction", `The action ${action} is not valid for this web service.`);
    });
    return Object.assign<Omit<AwsStandIn, keyof Base>, Base>(state, base);
}

// ------------------------------------------------------------------------------------------ Azure Resource Manager

export interface StandInUamiFic {
    name: string;
    issuer: string;
    subject: string;
    audiences: string[];
}

export interface ArmStandIn extends Base {
    /** UAMI resource id (lower case) -> its principal id and FICs. */
    readonly identities: Map<string, { principalId: string; fics: StandInUamiFic[] }>;
    token: string;
    /** Paths (substrings) answered 403 AuthorizationFailed. */
    readonly forbidden: string[];
    pageSize: number;
}

/**
 * Stand-in for the Microsoft.ManagedIdentity resource provider (api-version 2023-01-31): Get user-assigned identity
 * and List federated identity credentials with `nextLink` paging, ARM's `{ error: { code, message } }` bodies.
 */
export async function startArmStandIn(): Promise<ArmStandIn> {
    const state = { identities: new Map(), token: "arm-token", forbidden: [] as string[], pageSize: 100 } as Omit<ArmStandIn, keyof Base>;
    const base = await listen((req, _body, res) => {
        const fault = faultOf(res);
        if (fault?.status) return json(res, fault.status, { error: { code: fault.code ?? "TooManyRequests", message: "throttled" } });
        const url = new URL(req.url ?? "/", "http://stand-in");
        if (url.searchParams.get("api-version") !== "2023-01-31")
            return json(res, 400, { error: { code: "InvalidApiVersionParameter", message: "stand-in expects 2023-01-31" } });
        if (req.headers.authorization !== `Bearer ${state.token}`)
            return json(res, 401, { error: { code: "InvalidAuthenticationToken", message: "The access token is invalid." } });
        const m =
            /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+)(\/federatedIdentityCredentials)?$/.exec(
                url.pathname,
            );
        if (!m) return json(res, 404, { error: { code: "NotFound", message: `no route ${url.pathname}` } });
        if (state.forbidden.some((p) => url.pathname.includes(p))) {
            const action = m[2]
                ? "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read"
                : "Microsoft.ManagedIdentity/userAssignedIdentities/read";
            return json(res, 403, {
                error: { code: "AuthorizationFailed", message: `The client does not have authorization to perform action '${action}' over scope '${m[1]}'.` },
            });
        }
        const identity = state.identities.get(m[1]!.toLowerCase());
        if (!identity) return json(res, 404, { error: { code: "ResourceNotFound", message: `The Resource '${m[1]}' was not found.` } });
        if (!m[2])
            return json(res, 200, {
                id: m[1],
                name: m[1]!.split("/").pop(),
                type: "Microsoft.ManagedIdentity/userAssignedIdentities",
                properties: { principalId: identity.principalId, clientId: "c", tenantId: "t" },
            });
        const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
        const page = identity.fics.slice(skip, skip + state.pageSize);
        const more = skip + state.pageSize < identity.fics.length;
        return json(res, 200, {
            value: page.map((f) => ({
                id: `${m[1]}/federatedIdentityCredentials/${f.name}`,
                name: f.name,
                type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
                properties: { issuer: f.issuer, subject: f.subject, audiences: f.audiences },
            })),
            ...(more ? { nextLink: `${base.url}${url.pathname}?api-version=2023-01-31&$skiptoken=${skip + state.pageSize}` } : {}),
        });
    });
    return Object.assign<Omit<ArmStandIn, keyof Base>, Base>(state, base);
}

// ------------------------------------------------------------------------------------------------- an evil host

export interface EvilHost {
    readonly url: string;
    /** Every request that reached it, with the headers and body it carried. */
    readonly received: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[];
    close(): Promise<void>;
}

/**
 * A loopback server that STANDS IN FOR AN ATTACKER's host, the target of a hostile redirect: it records whatever
 * reaches it and answers 200 with what a careless client would take for a token or a clean listing. A test proves a
 * client refused the redirect by finding `received` empty: no credential, no body, no request at all.
 */
export async function startEvilHost(): Promise<EvilHost> {
    const received: EvilHost["received"] = [];
    const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ value: [], access_token: "evil-token", expires_in: 3600, authorizationHeader: "Bearer evil-token" }));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        received,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
