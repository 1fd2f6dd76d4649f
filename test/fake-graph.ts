/**
 * A local HTTP server on 127.0.0.1 that STANDS IN FOR MICROSOFT GRAPH (beta) in tests. It is a stand-in, not Graph:
 * permission checks are reduced to "the bearer token is the app-only test token", and only the Blueprint FIC
 * endpoints exist. What it answers follows Graph's documentation and observed answers:
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
 * Faults a real Graph shows under load are injected on demand: 5xx (optionally after committing the write), dropped
 * connections, requests that never answer, and 200s whose body is not the FIC. Every request loop is bounded: a
 * hanging request is dropped after HANG_LIMIT_MS, and close() destroys every open connection.
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
 * A fault applied to the next request that matches `method` (any when unset), instead of or after its normal answer;
 * `skip` lets that many matching requests through first.
 */
export type Fault = { readonly method?: string; skip?: number } & (
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

export interface FakeGraph {
    url: string;
    /** Blueprint object id -> its FICs. Pre-register a Blueprint with `blueprints.set(id, [])`. */
    blueprints: Map<string, Fic[]>;
    requests: { method: string; path: string; body: unknown; authorization: string | undefined; odataVersion: string | undefined }[];
    /** Queue faults; each applies to the next request its `method` matches. */
    fault(...faults: Fault[]): void;
    /** Answer the next N requests with 429 and this Retry-After (seconds or an HTTP date). */
    throttleNext(n: number, retryAfter?: string): void;
    /** Subjects Entra does not show yet: a POST naming one answers 404 like Graph, for the next `forPosts` POSTs. */
    hideSubject(subject: string, forPosts: number): void;
    /** Read-after-write lag: the next `forReads` GETs do not show FICs created after this call. */
    lagReads(forReads: number): void;
    /** Forget every Blueprint, request, fault, hidden subject and lag: a fresh stand-in for the next test. */
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

export async function startFakeGraph(): Promise<FakeGraph> {
    const blueprints = new Map<string, Fic[]>();
    const requests: FakeGraph["requests"] = [];
    const faults: Fault[] = [];
    const hidden = new Map<string, number>();
    let lag = { reads: 0, since: new Set<string>() };

    /** Graph's behaviour, without faults. */
    const answer = (method: string, path: string, body: Record<string, unknown> | undefined, authorization: string | undefined): Reply => {
        if (authorization !== `Bearer ${APP_ONLY_TOKEN}`) {
            return graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
        }
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

        const index = faults.findIndex((f) => f.method === undefined || f.method === method);
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
    return {
        url: `http://127.0.0.1:${port}`,
        blueprints,
        requests,
        fault: (...f) => faults.push(...f),
        throttleNext: (n, retryAfter = "0") => {
            for (let i = 0; i < n; i++) faults.push({ kind: "status", status: 429, retryAfter });
        },
        hideSubject: (subject, forPosts) => hidden.set(subject, forPosts),
        lagReads: (forReads) => {
            lag = { reads: forReads, since: new Set() };
        },
        reset: () => {
            blueprints.clear();
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
