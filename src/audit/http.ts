/**
 * The audit's HTTP client for Microsoft Graph and the GCP IAM REST API (AWS goes through its SDK). Read-only GETs
 * and one read-only POST (`getIamPolicy`), each bounded: a timeout per attempt, a fixed number of attempts, retries
 * only on throttling (429), server faults (5xx) and transient network faults, honouring `Retry-After` given as
 * seconds or as an HTTP date (RFC 9110 §10.2.3), as Graph's throttling guidance asks. Its own module: the Blueprint
 * FIC provider has its own client with write semantics (idempotency) this one does not need.
 */
import { CredentialedAnswer, fetchWithCredential, isCredentialedFetchError } from "../credentialed-fetch";
import { bearerTokenProblem, redact } from "../credentials";
import type { Cloud } from "./findings";

export interface HttpOptions {
    /** Per-attempt time limit on the whole exchange, the body included. Default 20 s. */
    readonly timeoutMs?: number;
    /** Bound on one answer's body. Default 8 MiB. */
    readonly maxBodyBytes?: number;
    /** Attempts in all, the first included. Default 5. */
    readonly maxAttempts?: number;
    /** A `Retry-After` longer than this is not waited for: the read fails with a clear error instead. Default 60 s. */
    readonly maxRetryAfterMs?: number;
    /** Backoff without `Retry-After`: base * 2^(attempt-1), capped at 8 s. Default 1 s. */
    readonly backoffBaseMs?: number;
    /** Injected for tests. */
    readonly sleep?: (ms: number) => Promise<void>;
    /** Injected for tests: the clock `Retry-After` dates are measured against. */
    readonly now?: () => number;
}

/** A request that failed for good: carries what the reader needs to explain it. */
export class CloudRequestError extends Error {
    constructor(
        message: string,
        readonly cloud: Cloud,
        /** HTTP status, or undefined when no answer came (network, timeout). */
        readonly status: number | undefined,
        /** The service's own error code (`Authorization_RequestDenied`, `PERMISSION_DENIED`), when it gave one. */
        readonly code: string | undefined,
        /** The service's own message. */
        readonly serviceMessage: string,
    ) {
        super(message);
        this.name = "CloudRequestError";
    }
}

export interface JsonResponse {
    readonly status: number;
    /** A JSON object (a 2xx answer), or the service's error body (a 404). */
    readonly body: Record<string, unknown>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `Retry-After` in milliseconds: delta-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`), measured
 * against `now`. Undefined when absent or unreadable; never negative.
 */
export function retryAfterMs(header: string | null, now: number): number | undefined {
    if (header === null) return undefined;
    const value = header.trim();
    if (/^\d+$/.test(value)) return Number(value) * 1000;
    if (!/[a-z]/i.test(value)) return undefined; // "1.5", "-1": not a valid delta-seconds, not a date
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Network faults worth another attempt: a timeout, a connection reset or dropped mid-answer, a temporary DNS failure
 * (EAI_AGAIN is "try again"), an unreachable network. Anything else (a refused connection, an unknown host, a
 * certificate problem, a redirect, a URL fetch will not use) is configuration, not weather: retrying it only delays
 * the message.
 */
const TRANSIENT_CODES = new Set([
    "ECONNRESET",
    "ETIMEDOUT",
    "EPIPE",
    "ECONNABORTED",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "ENETDOWN",
    "EAI_AGAIN",
    "UND_ERR_SOCKET",
    "UND_ERR_CLOSED",
    "UND_ERR_CONNECT_TIMEOUT",
    "UND_ERR_HEADERS_TIMEOUT",
    "UND_ERR_BODY_TIMEOUT",
    "TIMEOUT", // fetchWithCredential: no answer, or no end of the body, within the time limit
]);

function transient(err: unknown): boolean {
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return true;
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as NodeJS.ErrnoException).code;
    return code !== undefined && TRANSIENT_CODES.has(code);
}

function networkReason(err: unknown): string {
    if (isCredentialedFetchError(err, "TIMEOUT")) return err.message;
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return "timed out";
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === "ECONNREFUSED") return "connection refused";
    if (cause?.code === "ENOTFOUND") return "host not found";
    return cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/** The service's error code and message from a Graph (`{error:{code,message}}`) or Google (`{error:{status,message}}`) body. */
function serviceError(body: unknown, text: string): { code: string | undefined; message: string } {
    const error = (body as { error?: { code?: unknown; status?: unknown; message?: unknown } } | undefined)?.error;
    if (error && typeof error === "object") {
        const code = typeof error.status === "string" ? error.status : typeof error.code === "string" ? error.code : undefined;
        return { code, message: typeof error.message === "string" ? error.message : text.slice(0, 300) };
    }
    return { code: undefined, message: text.slice(0, 300) };
}

/** The bearer tokens a request carries, so that nothing the request reports can repeat them. */
function bearerTokensIn(headers: Record<string, string>): string[] {
    return Object.entries(headers)
        .filter(([name]) => name.toLowerCase() === "authorization")
        .map(([, value]) => value.replace(/^Bearer\s+/i, ""));
}

/** What a JSON value is, for a message (never its content). */
function jsonKind(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Sends one request, retrying as described above, and returns the parsed JSON object of a 2xx answer, or of a 404
 * that carries the service's JSON error body (the readers decide what a missing object means). Every other answer,
 * or none, throws `CloudRequestError`: a 2xx that is not a JSON object, a 404 without the service's error body (the
 * endpoint is not the API, and "not found" would hide that), a redirect (refused: the request carries a bearer
 * token), a body over the size limit, a body that does not end in time. The bearer token is checked before it is
 * sent, and no message repeats it.
 */
export async function requestJson(
    cloud: Cloud,
    method: "GET" | "POST",
    url: string,
    headers: Record<string, string>,
    options: HttpOptions = {},
): Promise<JsonResponse> {
    const timeoutMs = options.timeoutMs ?? 20_000;
    const maxAttempts = options.maxAttempts ?? 5;
    const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    const backoffBaseMs = options.backoffBaseMs ?? 1_000;
    const sleep = options.sleep ?? realSleep;
    const now = options.now ?? Date.now;
    const where = `${method} ${url}`;
    const tokens = bearerTokensIn(headers);
    for (const token of tokens) {
        const problem = bearerTokenProblem(token);
        if (problem) throw new CloudRequestError(`${where}: not sent, the bearer token ${problem} (its value is not shown)`, cloud, undefined, undefined, "");
    }
    const clean = (text: string) => redact(text, tokens);
    let lastProblem = "";

    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        let answer: CredentialedAnswer;
        try {
            answer = await fetchWithCredential(url, {
                method,
                headers: { accept: "application/json", ...headers },
                ...(method === "POST" ? { body: "" } : {}),
                timeoutMs,
                ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
            });
        } catch (err) {
            if (isCredentialedFetchError(err, "REDIRECT_REFUSED") || isCredentialedFetchError(err, "BODY_TOO_LARGE")) {
                throw new CloudRequestError(`${where} ${err.message}`, cloud, err.status, undefined, err.message);
            }
            lastProblem = clean(networkReason(err));
            if (!transient(err) || attempt === maxAttempts) {
                throw new CloudRequestError(
                    `${where}: ${lastProblem}${attempt > 1 ? ` (after ${attempt} attempts)` : ""}`,
                    cloud,
                    undefined,
                    undefined,
                    lastProblem,
                );
            }
            await sleep(Math.min(backoffBaseMs * 2 ** (attempt - 1), 8_000));
            continue;
        }
        const { status, text } = answer;
        let body: unknown;
        try {
            body = text === "" ? undefined : JSON.parse(text);
        } catch {
            body = undefined;
        }
        const ok = status >= 200 && status <= 299;
        if (ok) {
            if (body === undefined) {
                throw new CloudRequestError(`${where}: answered ${status} without a JSON body`, cloud, status, undefined, clean(text.slice(0, 300)));
            }
            if (!isObject(body)) {
                throw new CloudRequestError(
                    `${where}: answered ${status} with ${jsonKind(body)}, not the JSON object the API documents`,
                    cloud,
                    status,
                    undefined,
                    "",
                );
            }
            return { status, body };
        }
        if (status === 404) {
            if (isObject(body) && isObject(body.error)) return { status, body };
            throw new CloudRequestError(
                `${where}: answered 404 without the service's JSON error body, so it is not the API the audit reads: check the endpoint`,
                cloud,
                status,
                undefined,
                clean(text.slice(0, 300)),
            );
        }
        const { code, message } = serviceError(body, clean(text));
        lastProblem = `answered ${status}${code ? ` ${code}` : ""}: ${clean(message)}`;
        const retryable = status === 429 || status >= 500;
        if (!retryable || attempt === maxAttempts) {
            const tries = retryable ? ` (after ${attempt} attempts)` : "";
            throw new CloudRequestError(`${where} ${lastProblem}${tries}`, cloud, status, code, clean(message));
        }
        const wait = retryAfterMs(answer.headers.get("retry-after"), now());
        if (wait !== undefined && wait > maxRetryAfterMs) {
            throw new CloudRequestError(
                `${where} ${lastProblem}; the service asks to retry after ${Math.ceil(wait / 1000)} s, longer than the audit waits (${maxRetryAfterMs / 1000} s): rerun later`,
                cloud,
                status,
                code,
                clean(message),
            );
        }
        await sleep(wait ?? Math.min(backoffBaseMs * 2 ** (attempt - 1), 8_000));
    }
    /* c8 ignore next */
    throw new CloudRequestError(`${where}: ${lastProblem}`, cloud, undefined, undefined, lastProblem);
}

/**
 * Every item of a collection paged by next links (Graph's `@odata.nextLink`, ARM's `nextLink`), or "not-found" when a
 * page answers 404. A link is followed on the endpoint's own origin only, since the request carries the bearer
 * token; a repeated link, or more than `maxPages` pages, stops the read instead of looping.
 */
export async function readLinkedPages(
    cloud: Cloud,
    firstUrl: string,
    headers: Record<string, string>,
    options: { endpoint: string; linkField: "@odata.nextLink" | "nextLink"; what: string; maxPages: number; http?: HttpOptions | undefined },
): Promise<unknown[] | "not-found"> {
    const origin = new URL(options.endpoint).origin;
    const items: unknown[] = [];
    const visited = new Set<string>();
    let url: string | undefined = firstUrl;
    for (let page = 1; url !== undefined; page++) {
        if (page > options.maxPages) throw new Error(`more than ${options.maxPages} pages of ${options.what}: stopped`);
        if (visited.has(url)) throw new Error(`${options.linkField} repeated ${url} in ${options.what}: stopped`);
        visited.add(url);
        const { status, body } = await requestJson(cloud, "GET", url, headers, options.http);
        if (status === 404) return "not-found";
        const value = body.value;
        if (!Array.isArray(value)) throw new Error(`${url} answered without a value array`);
        items.push(...(value as unknown[]));
        const next = body[options.linkField];
        if (next === undefined || next === null || next === "") url = undefined;
        else if (typeof next !== "string" || new URL(next, options.endpoint).origin !== origin) {
            throw new Error(`refusing to follow ${options.linkField} ${JSON.stringify(next)}: it leaves ${origin}, and the request carries the bearer token`);
        } else url = new URL(next, options.endpoint).toString();
    }
    return items;
}

/**
 * The root URL of a cloud API, from an override or the default. The audit sends a bearer token there, so only
 * https is accepted, except plain http on a loopback address (the tests' stand-ins). It is a root: scheme, host and
 * port only. The audit adds the API's own path (/v1.0, /beta, /v1) to it, so an endpoint with a path (say one
 * ending in /v1.0) would make every declared object answer 404.
 */
export function apiRoot(value: string | undefined, fallback: string, variable: string): string {
    const raw = (value ?? "").trim() === "" ? fallback : value!.trim();
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        throw new Error(`${variable}=${JSON.stringify(raw)} is not an absolute URL`);
    }
    // A user name or password in the URL is a credential: refused without repeating it.
    if (url.username !== "" || url.password !== "") throw new Error(`${variable} must be a bare root URL: it carries a user name or password (not shown)`);
    const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
        throw new Error(`${variable}=${JSON.stringify(raw)} must use https:// (a bearer token is sent there); plain http is allowed only on loopback`);
    }
    if (url.search !== "" || url.hash !== "") throw new Error(`${variable}=${JSON.stringify(raw)} must be a bare root URL, without a query or fragment`);
    if (url.pathname !== "/") {
        throw new Error(
            `${variable}=${JSON.stringify(raw)} must be a bare root URL, without a path: the audit adds the API's own path (/v1.0, /beta, /v1) ` +
                `after ${url.pathname}, and every object would answer 404. Use ${url.origin}`,
        );
    }
    return url.origin;
}
