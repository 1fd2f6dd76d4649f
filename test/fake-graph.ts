/**
 * A local HTTP server on 127.0.0.1 that STANDS IN FOR MICROSOFT GRAPH (beta) in tests. It speaks the request and
 * response shapes of the Blueprint FIC endpoints (201 with the created object, 204 on PATCH/DELETE, Graph's
 * `{ error: { code, message } }` bodies, 409 on a duplicate name or issuer+subject, 404 for unknown ids). It is a
 * stand-in, not Graph: permission checks are reduced to "the bearer token is the app-only test token".
 */
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";

export const APP_ONLY_TOKEN = "app-only-test-token";

interface Fic {
    id: string;
    name: string;
    issuer: string;
    subject: string;
    audiences: string[];
    description: string;
}

export interface FakeGraph {
    url: string;
    /** Blueprint object id -> its FICs. Pre-register a Blueprint with `blueprints.set(id, [])`. */
    blueprints: Map<string, Fic[]>;
    requests: { method: string; path: string; body: unknown; authorization: string | undefined }[];
    /** Answer the next N requests with 429 + Retry-After: 0. */
    throttleNext(n: number): void;
    close(): Promise<void>;
}

const PATH = /^\/beta\/applications\/([^/]+)\/microsoft\.graph\.agentIdentityBlueprint\/federatedIdentityCredentials(?:\/([^/]+))?$/;

function send(res: ServerResponse, status: number, body?: unknown): void {
    res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
    res.end(body === undefined ? undefined : JSON.stringify(body));
}

function graphError(res: ServerResponse, status: number, code: string, message: string): void {
    send(res, status, { error: { code, message, innerError: { "request-id": randomUUID(), date: new Date().toISOString() } } });
}

export async function startFakeGraph(): Promise<FakeGraph> {
    const blueprints = new Map<string, Fic[]>();
    const requests: FakeGraph["requests"] = [];
    let throttle = 0;

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const text = Buffer.concat(chunks).toString("utf8");
        const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
        const path = req.url ?? "";
        requests.push({ method: req.method ?? "", path, body, authorization: req.headers.authorization });

        if (throttle > 0) {
            throttle--;
            res.setHeader("retry-after", "0");
            return graphError(res, 429, "TooManyRequests", "Too many requests");
        }
        if (req.headers.authorization !== `Bearer ${APP_ONLY_TOKEN}`) {
            return graphError(res, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
        }
        if (path.startsWith("/v1.0/")) {
            return graphError(res, 400, "Request_BadRequest", "Agent Blueprints are not supported on the API version used in this request.");
        }
        const match = PATH.exec(path);
        if (!match) return graphError(res, 400, "BadRequest", `Resource not found for the segment in ${path}`);
        const [, appId, ficId] = match;
        // Graph's 404 for a missing application or FIC id, word for word.
        const notFound = (id: string | undefined) =>
            graphError(
                res,
                404,
                "Request_ResourceNotFound",
                `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
            );
        const fics = blueprints.get(appId!);
        if (!fics) return notFound(appId);

        if (req.method === "POST" && !ficId) {
            const b = body as Omit<Fic, "id">;
            if (fics.some((f) => f.name === b.name)) {
                return graphError(res, 409, "Request_MultipleObjectsWithSameKeyValue", `FederatedIdentityCredential with name ${b.name} already exists.`);
            }
            if (fics.some((f) => f.issuer === b.issuer && f.subject === b.subject)) {
                return graphError(
                    res,
                    409,
                    "Request_MultipleObjectsWithSameKeyValue",
                    "FederatedIdentityCredential with the same issuer and subject already exists.",
                );
            }
            const fic: Fic = { id: randomUUID(), name: b.name, issuer: b.issuer, subject: b.subject, audiences: b.audiences, description: b.description ?? "" };
            fics.push(fic);
            return send(res, 201, { "@odata.context": "https://graph.microsoft.com/beta/$metadata#federatedIdentityCredentials/$entity", ...fic });
        }
        if (req.method === "GET" && !ficId) return send(res, 200, { value: fics });
        const fic = fics.find((f) => f.id === ficId);
        if (!fic) return notFound(ficId);
        if (req.method === "GET")
            return send(res, 200, { "@odata.context": "https://graph.microsoft.com/beta/$metadata#federatedIdentityCredentials/$entity", ...fic });
        if (req.method === "PATCH") {
            const b = (body ?? {}) as Partial<Fic>;
            if (b.name !== undefined && b.name !== fic.name)
                return graphError(res, 400, "Request_BadRequest", "Property 'name' is read-only and cannot be set.");
            Object.assign(fic, b);
            return send(res, 204);
        }
        if (req.method === "DELETE") {
            fics.splice(fics.indexOf(fic), 1);
            return send(res, 204);
        }
        return graphError(res, 405, "MethodNotAllowed", "Method not allowed");
    };

    const server: Server = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => graphError(res, 500, "InternalServerError", String(err)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        blueprints,
        requests,
        throttleNext: (n) => {
            throttle = n;
        },
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
