/**
 * One way to send a request that carries a credential (a bearer token, an identity header, a client assertion), for
 * every client here that sends one: the audit's Graph, ARM and GCP IAM reads and the Blueprint FIC provider's Graph
 * calls. (The token refresher, one dependency-free file run with `node -e`, applies the same three rules in its own
 * code; the AWS SDK's Node handler follows no redirect at all.)
 *
 * 1. A redirect is never followed: a 3xx answer is refused with its status and the origin it points to. fetch's own
 *    "follow" drops only `Authorization` across origins (Fetch standard, HTTP-redirect fetch), not an identity header
 *    or a request body, and even a same-origin hop sends the token to a path nobody configured.
 * 2. The whole exchange, headers and body, has one time limit: a body that never ends is a timeout, said as such.
 * 3. The body is read up to a size limit and no further: a service (or whatever answers in its place) cannot make
 *    the process buffer a gigabyte.
 *
 * The errors thrown are plain `Error`s with a `code` (the Blueprint FIC provider is serialized into Pulumi state, and
 * a subclass of Error loses its message there); their messages never contain the credential.
 */

/** Codes of the failures this module itself detects. */
export type CredentialedFetchCode = "REDIRECT_REFUSED" | "TIMEOUT" | "BODY_TOO_LARGE";

export interface CredentialedFetchError extends Error {
    readonly code: CredentialedFetchCode;
    /** The HTTP status, when an answer arrived. */
    readonly status?: number;
}

/** Default bound on a response body: 8 MiB is far above any page these APIs return (a FIC list holds at most 20). */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface CredentialedRequest {
    readonly method: string;
    readonly headers: Record<string, string>;
    readonly body?: string;
    /** Time limit of the whole exchange: connection, headers and every byte of the body. */
    readonly timeoutMs: number;
    /** Bound on the body, in bytes. Default DEFAULT_MAX_BODY_BYTES. */
    readonly maxBodyBytes?: number;
}

export interface CredentialedAnswer {
    readonly status: number;
    readonly headers: Headers;
    /** The body as text (UTF-8). */
    readonly text: string;
}

function failure(code: CredentialedFetchCode, message: string, status?: number): CredentialedFetchError {
    return Object.assign(new Error(message), { name: "CredentialedFetchError", code, ...(status !== undefined ? { status } : {}) });
}

/** Whether an error is one of this module's, with that code. */
export function isCredentialedFetchError(err: unknown, code?: CredentialedFetchCode): err is CredentialedFetchError {
    const c = (err as { code?: unknown } | null)?.code;
    return (err as { name?: unknown } | null)?.name === "CredentialedFetchError" && (code === undefined || c === code);
}

/** Where a redirect points, as an origin only: enough to recognise it, nothing of its path or query. */
function redirectTarget(location: string | null, from: string): string {
    if (location === null) return "no Location";
    try {
        return new URL(location, from).origin;
    } catch {
        return "an unreadable Location";
    }
}

/** A timeout of fetch, of the body stream, or of the signal behind both. */
function isTimeout(err: unknown): boolean {
    const name = (err as { name?: unknown } | null)?.name;
    return name === "TimeoutError" || name === "AbortError";
}

/**
 * Sends the request with `redirect: "manual"`, refuses a 3xx, and reads the body within the time and size limits.
 * Network failures (refused, reset, unknown host) are rethrown as fetch raised them, for the caller to classify.
 */
export async function fetchWithCredential(url: string, request: CredentialedRequest): Promise<CredentialedAnswer> {
    const signal = AbortSignal.timeout(request.timeoutMs);
    const maxBytes = request.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const seconds = `${request.timeoutMs / 1000} s`;
    let response: Response;
    try {
        response = await fetch(url, {
            method: request.method,
            headers: request.headers,
            ...(request.body !== undefined ? { body: request.body } : {}),
            redirect: "manual",
            signal,
        });
    } catch (err) {
        if (isTimeout(err)) throw failure("TIMEOUT", `timed out: no answer within ${seconds}`);
        throw err;
    }
    if (response.status >= 300 && response.status <= 399) {
        await response.body?.cancel().catch(() => undefined);
        throw failure(
            "REDIRECT_REFUSED",
            `answered ${response.status}, a redirect to ${redirectTarget(response.headers.get("location"), url)}: refused, a request carrying a credential is never sent on to another location`,
            response.status,
        );
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body) {
        const reader = response.body.getReader();
        try {
            for (;;) {
                const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
                if (done || value === undefined) break;
                size += value.byteLength;
                if (size > maxBytes) {
                    await reader.cancel().catch(() => undefined);
                    throw failure(
                        "BODY_TOO_LARGE",
                        `answered ${response.status} with a body over ${maxBytes} bytes: refused, not read further`,
                        response.status,
                    );
                }
                chunks.push(value);
            }
        } catch (err) {
            if (isCredentialedFetchError(err)) throw err;
            if (isTimeout(err) || signal.aborted) {
                throw failure("TIMEOUT", `timed out: answered ${response.status} but the body did not end within ${seconds}`, response.status);
            }
            throw err;
        }
    }
    return { status: response.status, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") };
}
