/**
 * The one Microsoft Graph client every dynamic provider here uses: the Blueprint FIC provider and the Agent ID object
 * providers (Blueprint, Blueprint principal, Agent Identity). What it does for all of them, each rule tested against
 * the loopback stand-in for Graph (test/fake-graph.ts):
 *
 *  - Credentials: the bearer token is checked before it is sent (credentials.ts), never follows a redirect and is
 *    bounded in time and size (credentialed-fetch.ts), and every text Graph or the network sends back is redacted
 *    before a message can quote it.
 *  - Transient answers (429, 5xx, request timeouts, connection resets) are retried with bounded backoff: attempts and
 *    total time. `Retry-After` is honoured in both forms RFC 9110 allows (delay-seconds or an HTTP date), capped.
 *  - A request whose outcome is unknown (a 5xx, a timeout or a reset after the request left) "may have committed":
 *    callers of a non-idempotent POST look the object up by its alternate key before sending it again
 *    (`createIdempotently`), so a committed create is adopted, never duplicated.
 *  - Entra replicates new objects with a lag (a GET right after a POST can 404; a child created right after its parent
 *    can be refused as if the parent did not exist): callers wait within `consistencyWindowMs`, never forever.
 *  - Paging follows `@odata.nextLink` only to the configured Graph origin: a link elsewhere would carry the token there.
 *
 * Pulumi serializes a dynamic provider's closure, this module's functions included, into the state file. So this
 * module imports only types and pure helpers, keeps no module-level state (constants only), loads `@azure/identity`
 * with `require` at call time, and builds errors with a function rather than a subclass of Error (the serializer turns
 * `super(message)` into `Error.call(this, message)`, which sets no message).
 */
import type * as pulumi from "@pulumi/pulumi";
import { fetchWithCredential, isCredentialedFetchError } from "../credentialed-fetch";
import { bearerTokenProblem, redact } from "../credentials";

/** Returns a bearer token for Graph (scope `<graphEndpoint>/.default`). */
export type GraphTokenSource = (graphEndpoint: string) => Promise<string>;

/** Time, injected so tests assert the providers' waits without sleeping for real. */
export interface ProviderClock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

/** Bounds of every retry a provider makes. */
export interface RetryPolicy {
    /** Attempts per call for transient answers (429, 5xx, timeouts, resets). */
    readonly maxAttempts: number;
    /** Total time one provider operation may spend waiting and retrying. */
    readonly maxTotalMs: number;
    /** First backoff; doubles per attempt. */
    readonly baseDelayMs: number;
    /** Longest backoff between two attempts. */
    readonly maxDelayMs: number;
    /** Longest wait a Retry-After answer is honoured for. */
    readonly maxRetryAfterMs: number;
    /** How long after a create Entra may not show an object yet (subject visibility, read-after-write). */
    readonly consistencyWindowMs: number;
    /** Time limit of one HTTP request. */
    readonly requestTimeoutMs: number;
}

/**
 * Defaults: six attempts and two minutes for transient faults; a five-minute consistency window (Entra replication is
 * usually seconds; AVM #2673 waits 120 s before creating a FIC for a new UAMI, the azuread provider retries a new
 * principal's app role assignment for up to its 5-minute create timeout); 30 s per request.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
    maxAttempts: 6,
    maxTotalMs: 120_000,
    baseDelayMs: 1_000,
    maxDelayMs: 30_000,
    maxRetryAfterMs: 60_000,
    consistencyWindowMs: 300_000,
    requestTimeoutMs: 30_000,
};

/** What tests (and nothing else) pass to a provider factory: a fake clock and a shorter policy. */
export interface GraphProviderOptions {
    readonly clock?: ProviderClock;
    readonly retry?: Partial<RetryPolicy>;
}

/** The Graph root every provider defaults to when neither the inputs nor the stack configuration name one. */
export const DEFAULT_GRAPH_ENDPOINT = "https://graph.microsoft.com";

/**
 * The value Pulumi's engine passes for an input not known yet (an Output of a resource still to be created, during a
 * preview): `unknownValue` in @pulumi/pulumi's runtime/rpc. `check` and `diff` must not judge it.
 */
export const UNKNOWN_INPUT = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether an input (or any element of a list input) is not known yet. */
export function isUnknownInput(value: unknown): boolean {
    return value === UNKNOWN_INPUT || (Array.isArray(value) && value.some((v) => v === UNKNOWN_INPUT));
}

/** A Graph answer other than success, carrying what a user needs to act on it. */
export interface GraphRequestError extends Error {
    readonly status: number;
    readonly code: string | undefined;
}

/**
 * Builds a `GraphRequestError`. A function, not a subclass of Error: Pulumi's closure serializer turns `super(message)`
 * into `Error.call(this, message)`, which sets no message, so a deployed provider would report errors without text.
 */
export function graphRequestError(message: string, status: number, code: string | undefined): GraphRequestError {
    return Object.assign(new Error(message), { name: "GraphRequestError", status, code });
}

/**
 * An error for an object Graph created but the provider could not finish configuring (a follow-up PATCH refused). The
 * dynamic provider host reports an error carrying `id` and `properties` as "created, failed to initialize"
 * (ErrorResourceInitFailed): Pulumi keeps the object in state, and the next `pulumi up` updates it instead of creating
 * a second one.
 */
export function partiallyCreated(err: unknown, id: string, properties: object): Error {
    const base = err instanceof Error ? err : new Error(String(err));
    return Object.assign(base, { id, properties, reasons: [base.message] });
}

/** The clock of a deployed provider. */
export function systemClock(): ProviderClock {
    return { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
}

/**
 * The default token source: app-only credentials only. Order: a service principal from the environment
 * (AZURE_CLIENT_ID + AZURE_TENANT_ID + AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), a workload identity
 * token file (AZURE_FEDERATED_TOKEN_FILE, e.g. GitHub Actions OIDC), then a managed identity. Azure CLI user tokens
 * carry `Directory.AccessAsUser.All`, with which Graph ignores a client's Agent ID permissions (Graph's Agent ID write
 * pages, "Known issue"), so the chain deliberately omits the CLI. `purpose` and `permissions` only word the error.
 */
export function appOnlyGraphTokenSource(purpose: string, permissions: readonly string[]): GraphTokenSource {
    return async (graphEndpoint) => {
        // Loaded at call time: this function is serialized into state by Pulumi.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const identity = require("@azure/identity") as typeof import("@azure/identity");
        const credential = new identity.ChainedTokenCredential(
            new identity.EnvironmentCredential(),
            new identity.WorkloadIdentityCredential(),
            new identity.ManagedIdentityCredential(process.env.AZURE_CLIENT_ID ? { clientId: process.env.AZURE_CLIENT_ID } : {}),
        );
        try {
            const token = await credential.getToken(`${graphEndpoint}/.default`);
            return token.token;
        } catch (err) {
            throw new Error(
                `Could not get an app-only Microsoft Graph token to ${purpose} (${(err as Error).message}). ` +
                    `Run pulumi with a service principal holding ${permissions.join(", ")}: set AZURE_TENANT_ID, AZURE_CLIENT_ID and ` +
                    "AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE for OIDC). Azure CLI logins are refused by Graph for Blueprints.",
                { cause: err },
            );
        }
    };
}

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** One operation's context: its token, its clock and its budget. */
export interface Call {
    readonly getToken: GraphTokenSource;
    readonly clock: ProviderClock;
    readonly policy: RetryPolicy;
    readonly graphEndpoint: string;
    readonly startedAt: number;
    token?: string;
}

/** Starts one provider operation: its budget is counted from now. */
export function beginCall(getToken: GraphTokenSource, clock: ProviderClock, policy: RetryPolicy, graphEndpoint: string): Call {
    return { getToken, clock, policy, graphEndpoint, startedAt: clock.now() };
}

/** A Graph answer (any status), or a transport failure (timeout, reset, refused) with its cause. */
export type Answer =
    | {
          readonly kind: "http";
          readonly status: number;
          readonly json: Record<string, unknown> | undefined;
          readonly text: string;
          readonly retryAfter: string | null;
      }
    | { readonly kind: "transport"; readonly cause: string; readonly retryable: boolean };

/** The error code and message of a Graph error body (`{ error: { code, message } }`). */
export function graphError(answer: Answer): { code: string | undefined; message: string } {
    if (answer.kind !== "http") return { code: undefined, message: answer.cause };
    const error = (answer.json?.error ?? {}) as { code?: unknown; message?: unknown };
    return {
        code: typeof error.code === "string" ? error.code : undefined,
        message: typeof error.message === "string" ? error.message : answer.text.slice(0, 300),
    };
}

/** The HTTP status of an answer, 0 for a transport failure. */
export function statusOf(answer: Answer): number {
    return answer.kind === "http" ? answer.status : 0;
}

/** Whether the answer is an HTTP answer with one of these statuses. */
export function answered(answer: Answer, ...statuses: number[]): boolean {
    return answer.kind === "http" && statuses.includes(answer.status);
}

/** The JSON body of an HTTP answer (undefined for a transport failure or a body that is not a JSON object). */
export function jsonOf(answer: Answer): Record<string, unknown> | undefined {
    return answer.kind === "http" ? answer.json : undefined;
}

/**
 * Milliseconds a Retry-After header asks for: delay-seconds or an HTTP-date (RFC 9110, section 10.2.3). Undefined when
 * absent or unreadable; never negative.
 */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
    if (header === null || header.trim() === "") return undefined;
    const value = header.trim();
    if (/^\d+$/.test(value)) return Number(value) * 1000;
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    return Math.max(0, date - nowMs);
}

/** The name of the network failure behind a fetch error (ECONNRESET, UND_ERR_SOCKET, TimeoutError...). */
function transportFailure(err: unknown): { cause: string; retryable: boolean } {
    if (isCredentialedFetchError(err, "TIMEOUT")) return { cause: `the request ${err.message}`, retryable: true };
    // A redirect (never followed: the request carries the token) or an oversized body will not heal by retrying.
    if (isCredentialedFetchError(err)) return { cause: err.message, retryable: false };
    const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string; name?: string } };
    if (e?.name === "TimeoutError" || e?.name === "AbortError") return { cause: "the request timed out", retryable: true };
    const code = e?.cause?.code ?? e?.code;
    const detail = [code, e?.cause?.message ?? e?.message].filter(Boolean).join(" ");
    // A host that does not resolve or a certificate that does not verify will not heal by waiting.
    const permanent = code === "ENOTFOUND" || /CERT|TLS|SSL/i.test(String(code ?? ""));
    return { cause: `the connection failed (${detail || "no detail"})`, retryable: !permanent };
}

/**
 * One request to Graph. The token is checked before it is sent; the request never follows a redirect and its answer
 * is bounded in time and size (fetchWithCredential); every text Graph or the network sends back is redacted before any
 * message can quote it.
 */
export async function sendOnce(call: Call, method: Method, path: string, body?: unknown): Promise<Answer> {
    if (call.token === undefined) {
        const token = await call.getToken(call.graphEndpoint).catch((err: unknown) => {
            throw graphRequestError(redact(err instanceof Error ? err.message : String(err)), 0, undefined);
        });
        const problem = bearerTokenProblem(token);
        if (problem) {
            throw graphRequestError(
                `The Microsoft Graph token from the credential chain ${problem}: not sent (its value is not shown). Check the credential the provider runs with.`,
                0,
                undefined,
            );
        }
        call.token = token;
    }
    const secrets = [call.token];
    try {
        const answer = await fetchWithCredential(`${call.graphEndpoint}${path}`, {
            method,
            headers: {
                authorization: `Bearer ${call.token}`,
                accept: "application/json",
                // "All Agent ID API calls require the OData-Version: 4.0 header" (Microsoft Entra Agent ID docs, AI-guided setup, common pitfalls).
                "odata-version": "4.0",
                ...(body === undefined ? {} : { "content-type": "application/json" }),
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            timeoutMs: call.policy.requestTimeoutMs,
        });
        let json: Record<string, unknown> | undefined;
        try {
            const parsed: unknown = answer.text ? JSON.parse(answer.text) : undefined;
            json = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
        } catch {
            json = undefined;
        }
        const error = json?.error as { message?: unknown } | undefined;
        if (error && typeof error === "object" && typeof error.message === "string")
            json = { ...json, error: { ...error, message: redact(error.message, secrets) } };
        return { kind: "http", status: answer.status, json, text: redact(answer.text, secrets), retryAfter: answer.headers.get("retry-after") };
    } catch (err) {
        const failure = transportFailure(err);
        return { kind: "transport", cause: redact(failure.cause, secrets), retryable: failure.retryable };
    }
}

/** Throttled, server-side or network failures: worth another attempt. */
export function isTransient(answer: Answer): boolean {
    return answer.kind === "transport" ? answer.retryable : answer.status === 429 || answer.status >= 500;
}

/** Whether Graph may have carried out a request whose answer was lost: a 429 was not processed, a 5xx or a timeout may have been. */
export function mayHaveCommitted(answer: Answer): boolean {
    return answer.kind === "transport" || (answer.status >= 500 && answer.status !== 501);
}

/** An answer in a few words: status, code and message, or the transport failure. */
export function describe(answer: Answer): string {
    if (answer.kind === "transport") return answer.cause;
    const { code, message } = graphError(answer);
    return `${answer.status}${code ? ` ${code}` : ""}: ${message}`;
}

/** How long to wait before attempt `attempt + 1`: Retry-After if Graph sent one (capped), else exponential backoff. */
export function backoffMs(call: Call, answer: Answer | undefined, attempt: number): number {
    const asked = answer?.kind === "http" ? retryAfterMs(answer.retryAfter, call.clock.now()) : undefined;
    if (asked !== undefined) return Math.min(asked, call.policy.maxRetryAfterMs);
    return Math.min(call.policy.baseDelayMs * 2 ** (attempt - 1), call.policy.maxDelayMs);
}

/** Waits `ms` if the operation's budget allows it; false when it would not. */
export async function waitWithinBudget(call: Call, ms: number, budgetMs = call.policy.maxTotalMs): Promise<boolean> {
    if (call.clock.now() - call.startedAt + ms > budgetMs) return false;
    await call.clock.sleep(ms);
    return true;
}

/** The message for a definitive (non-transient) refusal, naming the permission the call needs when Graph says 401/403. */
export function refusal(call: Call, method: Method, path: string, answer: Answer, permission: string): string {
    const where = `${method} ${call.graphEndpoint}${path} answered ${describe(answer)}`;
    if (answer.kind !== "http") return `${where}\nCheck the Graph endpoint (agentfed:blueprint.graphEndpoint) and the network path to it.`;
    if (answer.status === 401 || answer.status === 403) {
        return (
            `${where}\nThis call needs an app-only Microsoft Graph token with the application permission ${permission}, admin-consented ` +
            "(docs/entra-federation.md lists each call's permission). Tokens carrying Directory.AccessAsUser.All (Azure CLI) or " +
            "Directory.ReadWrite.All have their Agent ID permissions ignored by Graph."
        );
    }
    const { code } = graphError(answer);
    if (code === "AgentBlueprint_NotSupportedOnApiVersion" || code === "AgentIdentity_NotSupportedOnApiVersion") {
        return `${where}\nThis Graph endpoint does not serve Agent ID objects on ${path.split("/")[1]}: check agentfed:blueprint.graphEndpoint (a national cloud may not have Agent ID yet).`;
    }
    if (code === "Agent_Directory_QuotaExceeded" || code === "AgentBlueprint_LimitExceeded" || code === "AgentIdentity_LimitExceeded") {
        return `${where}\nSoft-deleted Agent ID objects count against these limits for 30 days: permanently delete unneeded ones from deleted items.`;
    }
    return where;
}

/** The hint of a non-create operation that ran out of retries. */
const RUN_AGAIN = "Run the same pulumi command again; if it keeps failing, check Graph's service health.";

/**
 * Sends one idempotent request (GET, PATCH, DELETE, or a POST of a reference that is idempotent), retrying transient
 * answers within the policy's bounds. Returns the last answer; throws when retries run out, saying what was tried and
 * what to do.
 */
export async function sendIdempotent(call: Call, method: Method, path: string, body?: unknown): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
        const answer = await sendOnce(call, method, path, body);
        if (!isTransient(answer)) return answer;
        const wait = backoffMs(call, answer, attempt);
        if (attempt >= call.policy.maxAttempts || !(await waitWithinBudget(call, wait))) throw exhausted(call, method, path, answer, attempt);
    }
}

/** The error of a request that ran out of retries; `hint` says what the next run does (default: run it again). */
export function exhausted(call: Call, method: Method, path: string, answer: Answer, attempts: number, hint = RUN_AGAIN): GraphRequestError {
    const seconds = Math.round((call.clock.now() - call.startedAt) / 1000);
    const asked = answer.kind === "http" ? retryAfterMs(answer.retryAfter, call.clock.now()) : undefined;
    const why =
        asked !== undefined && asked > call.policy.maxRetryAfterMs
            ? `Graph asked to wait ${Math.round(asked / 1000)} s (Retry-After), longer than this provider waits: run pulumi up again after that.`
            : hint;
    return graphRequestError(
        `${method} ${call.graphEndpoint}${path} failed after ${attempts} attempt(s) over ${seconds} s; last answer ${describe(answer)}.\n${why}`,
        statusOf(answer),
        graphError(answer).code,
    );
}

/**
 * The object in a 200 or 201 body, or undefined when the body is not one object (an HTML page, a collection). Graph's
 * get examples for agentIdentityBlueprint and federatedIdentityCredential wrap the entity in `value`; both shapes are
 * read.
 */
export function entityOf(json: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    if (!json) return undefined;
    const wrapped = json.value;
    if (wrapped !== null && typeof wrapped === "object" && !Array.isArray(wrapped)) return wrapped as Record<string, unknown>;
    if (Array.isArray(wrapped)) return undefined;
    return json;
}

/**
 * Every entity of a collection, following `@odata.nextLink` (Graph pages directory collections, e.g. 100 Agent
 * Identities per page) only while it stays on the configured Graph origin: a link elsewhere would receive the token.
 * Undefined when Graph answers 404 (the parent of the collection does not exist, or is not visible yet). `permission`
 * words a 401/403.
 */
export async function listAll(call: Call, path: string, permission: string, maxPages = 50): Promise<Record<string, unknown>[] | undefined> {
    const items: Record<string, unknown>[] = [];
    let next: string | undefined = path;
    for (let page = 1; next !== undefined; page++) {
        const answer = await sendIdempotent(call, "GET", next);
        if (page === 1 && answered(answer, 404)) return undefined;
        const json = jsonOf(answer);
        if (!answered(answer, 200) || !json || !Array.isArray(json.value)) {
            throw graphRequestError(
                answered(answer, 200)
                    ? `GET ${call.graphEndpoint}${next} answered 200 with a body that is not a collection; nothing was changed. Run the command again; if it persists, check for a proxy between you and Graph.`
                    : refusal(call, "GET", next, answer, permission),
                statusOf(answer),
                graphError(answer).code,
            );
        }
        for (const entry of json.value as unknown[]) {
            if (entry !== null && typeof entry === "object" && !Array.isArray(entry)) items.push(entry as Record<string, unknown>);
        }
        const link = json["@odata.nextLink"];
        next = typeof link === "string" ? sameOriginPath(call, link) : undefined;
        if (next !== undefined && page >= maxPages) {
            throw graphRequestError(`GET ${call.graphEndpoint}${path} returned more than ${maxPages} pages; refused to read further.`, 200, undefined);
        }
    }
    return items;
}

/** The path and query of a next link on the configured Graph origin; an error for any other origin. */
function sameOriginPath(call: Call, link: string): string {
    let url: URL;
    try {
        url = new URL(link, call.graphEndpoint);
    } catch {
        throw graphRequestError(`Graph returned an unreadable @odata.nextLink; nothing was changed.`, 200, undefined);
    }
    if (url.origin !== new URL(call.graphEndpoint).origin) {
        throw graphRequestError(
            `Graph returned an @odata.nextLink to ${url.origin}, not ${new URL(call.graphEndpoint).origin}: not followed, a request carrying a credential is never sent to another origin.`,
            200,
            undefined,
        );
    }
    return `${url.pathname}${url.search}`;
}

/** An OData string literal: single quotes doubled (OData ABNF, `SQUOTE-in-string`). */
export function odataString(value: string): string {
    return `'${value.replace(/'/g, "''")}'`;
}

/** Reads `agentfed:blueprint`'s graphEndpoint from the stack configuration Pulumi gives `configure`. */
export function configuredGraphEndpoint(config: pulumi.dynamic.Config): string | undefined {
    for (const key of ["agentfed:blueprint", "blueprint"]) {
        const raw = config.get(key);
        if (raw === undefined) continue;
        try {
            const endpoint = (JSON.parse(raw) as { graphEndpoint?: unknown }).graphEndpoint;
            if (typeof endpoint !== "string") return undefined;
            const url = new URL(endpoint);
            // https (config refuses anything else), or a loopback stand-in for Graph in tests.
            if (url.protocol === "https:" || (url.protocol === "http:" && url.hostname === "127.0.0.1")) return endpoint.replace(/\/$/, "");
        } catch {
            return undefined;
        }
    }
    return undefined;
}

/** The same list, compared as sets (order and case of GUIDs ignored). */
export function sameIdSet(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
    const norm = (x: readonly string[] | undefined) => [...new Set((x ?? []).map((s) => s.toLowerCase()))].sort().join(",");
    return norm(a) === norm(b);
}

/** Strings of a list-valued property of a Graph entity; undefined when it is not a list of strings. */
export function stringList(value: unknown): string[] | undefined {
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? [...value] : undefined;
}

/**
 * The shape of an idempotent create, for objects without a server-enforced unique key on POST: `lookup` finds the
 * object by an alternate key (a marker tag this stack writes, or an appId).
 */
export interface IdempotentCreate<T> {
    /** The collection to POST to, and the body. */
    readonly path: string;
    readonly body: unknown;
    /** The created object in a 201 body, or undefined when the body is not that object. */
    parse(json: Record<string, unknown> | undefined): T | undefined;
    /** The object by its alternate key, or undefined when Graph does not show one. */
    lookup(call: Call): Promise<T | undefined>;
    /** Whether a refusal means "an object this one references is not visible yet" (retried within the consistency window). */
    notYetVisible(answer: Answer): boolean;
    /** Whether a refusal means "this object exists already" (then it is looked up and adopted). */
    exists(answer: Answer): boolean;
    /** The message of a definitive refusal, with what to do. */
    explain(answer: Answer): string;
    /** What to say when Entra still does not show a referenced object at the end of the consistency window. */
    stillInvisible(answer: Answer): string;
    /** What the next run does about an attempt whose outcome stayed unknown. */
    readonly retryHint: string;
}

/**
 * POSTs an object at most once per confirmed absence. Before the first POST the object is looked up by its alternate
 * key (an earlier run may have created it and lost the answer); after an answer that may have committed, the lookup is
 * retried within the consistency window before any new POST (the read replica may not show a write seconds old), so a
 * committed create is adopted, not duplicated. Returns the object and whether it was adopted.
 */
export async function createIdempotently<T>(call: Call, spec: IdempotentCreate<T>): Promise<{ object: T; adopted: boolean }> {
    const { policy } = call;
    const existing = await spec.lookup(call);
    if (existing !== undefined) return { object: existing, adopted: true };
    let uncertain = false;
    for (let attempt = 1; ; attempt++) {
        if (uncertain) {
            const found = await lookupPatiently(call, spec);
            if (found !== undefined) return { object: found, adopted: true };
        }
        const answer = await sendOnce(call, "POST", spec.path, spec.body);
        if (answered(answer, 200, 201)) {
            const created = spec.parse(jsonOf(answer));
            if (created !== undefined) return { object: created, adopted: false };
            // Created, but the answer does not say as what: read it back by its key rather than guess.
            const readBack = await lookupPatiently(call, spec);
            if (readBack !== undefined) return { object: readBack, adopted: false };
            throw graphRequestError(
                `POST ${call.graphEndpoint}${spec.path} answered ${statusOf(answer)} without the created object, and it did not appear by its key: run pulumi up again.`,
                statusOf(answer),
                undefined,
            );
        }
        if (isTransient(answer)) {
            uncertain ||= mayHaveCommitted(answer);
            if (attempt >= policy.maxAttempts || !(await waitWithinBudget(call, backoffMs(call, answer, attempt)))) {
                throw exhausted(call, "POST", spec.path, answer, attempt, spec.retryHint);
            }
            continue;
        }
        if (spec.exists(answer)) {
            const found = await lookupPatiently(call, spec);
            if (found !== undefined) return { object: found, adopted: true };
            throw graphRequestError(spec.explain(answer), statusOf(answer), graphError(answer).code);
        }
        if (spec.notYetVisible(answer)) {
            if (await waitWithinBudget(call, backoffMs(call, undefined, attempt), policy.consistencyWindowMs)) continue;
            throw graphRequestError(spec.stillInvisible(answer), statusOf(answer), graphError(answer).code);
        }
        throw graphRequestError(spec.explain(answer), statusOf(answer), graphError(answer).code);
    }
}

/** The lookup, repeated with backoff until it finds the object or the consistency window ends. */
async function lookupPatiently<T>(call: Call, spec: IdempotentCreate<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
        const found = await spec.lookup(call);
        if (found !== undefined) return found;
        if (!(await waitWithinBudget(call, backoffMs(call, undefined, attempt), call.policy.consistencyWindowMs))) return undefined;
    }
}

/**
 * An idempotent write (PATCH, DELETE) on an object created moments ago: a 404 inside the consistency window after
 * `createdAt` is the read replica lagging behind the write (the Agent 365 CLI's changelog reports exactly this for a
 * PATCH right after a Blueprint's create), so it is retried; outside the window a 404 is returned to the caller.
 */
export async function sendAfterCreate(call: Call, method: Method, path: string, createdAt: string | undefined, body?: unknown): Promise<Answer> {
    const created = createdAt ? Date.parse(createdAt) : Number.NaN;
    for (let attempt = 1; ; attempt++) {
        const answer = await sendIdempotent(call, method, path, body);
        if (!answered(answer, 404) || Number.isNaN(created)) return answer;
        const windowLeft = created + call.policy.consistencyWindowMs - call.clock.now();
        const wait = backoffMs(call, undefined, attempt);
        if (wait > windowLeft || !(await waitWithinBudget(call, wait, call.policy.consistencyWindowMs))) return answer;
    }
}
