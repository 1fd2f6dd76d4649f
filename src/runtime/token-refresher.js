// @ts-check
/**
 * The token refresher: a sidecar that keeps web-identity token files fresh for SDKs that read credentials from a
 * file (AWS_WEB_IDENTITY_TOKEN_FILE; a GCP `external_account` file credential source).
 *
 * It runs on a stock Node.js image with no dependencies: the container app passes this file's text to `node -e`.
 * Behaviour (also specified in docs/container-app.md, "Token refresher"):
 *  - For each target in AGENTFED_TOKEN_TARGETS (JSON list), it asks the Azure Container Apps managed-identity
 *    endpoint, `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=<resource>&client_id=$AZURE_CLIENT_ID` with
 *    header `X-IDENTITY-HEADER: $IDENTITY_HEADER` (both values change per replica, so they are read from the
 *    environment at every request).
 *  - A target with `sidecar` (Option 2: the clouds trust the Agent Identity) asks the Entra auth sidecar instead:
 *    `GET <url>/AuthorizationHeaderUnauthenticated/<api>?AgentIdentity=<client id>` returns
 *    `{ "authorizationHeader": "Bearer <Agent Identity JWT>" }`, minted for the entry's cloud-federation audience;
 *    its expiry is read from the JWT's `exp` claim.
 *  - A target with `exchange` first gets a UAMI token for api://AzureADTokenExchange, then presents it as a
 *    client assertion to Entra (client-credentials grant as the intermediary app) and writes that token instead.
 *  - Every request carries a credential (X-IDENTITY-HEADER, a client assertion) and follows no redirect: a 3xx
 *    answer is refused, never followed (fetch's own "follow" would send the identity header and the assertion on to
 *    whatever host the answer names). Each exchange, headers and body, has one time limit (REQUEST_TIMEOUT_MS), and
 *    a body is read up to MAX_BODY_BYTES and no further: a body that never ends is a timeout, a huge one is refused
 *    before it fills the container's memory.
 *  - The token must be a JWT (three base64url parts, a JSON header and payload, a signature): an empty or opaque
 *    `access_token` is refused, and the good file stays.
 *  - Its expiry comes from `expires_in` (seconds from now, on the local clock: no clock skew can spoil it), else
 *    `expires_on` (epoch seconds, as Azure Container Apps' identity endpoint returns it), else the JWT's `exp`; an
 *    absolute expiry is measured against the answer's `Date` header when it has one, the clock of the server that
 *    stated it, so a container clock that is ahead does not make a fresh token look expired. A value that is not a
 *    finite number of seconds, or is more than MAX_TOKEN_LIFETIME_MS ahead, is not believed and the next source is
 *    read. A token without a believable expiry, already expired, or with less than MIN_TOKEN_LIFETIME_MS left is
 *    refused like any failed request: never written, and retried with backoff (an endpoint handing out expired
 *    tokens once drove a loop of ~900 requests a second).
 *  - It writes the token atomically (a unique temp file + rename, mode 0644 on a volume only this app's containers
 *    mount; the temp file is removed if the write or the rename fails), then sleeps until half the token's remaining
 *    lifetime has passed, capped at 30 minutes and at least 60 s before expiry, so a file is never served within its
 *    last minute. Every token it writes has at least 2 minutes left, so that sleep is never shorter than a minute.
 *  - On failure it keeps the previous file (still valid until its expiry), logs one JSON line to stderr with the
 *    cause (HTTP status and error, or the network error's code: ECONNREFUSED, ECONNRESET, a timeout), and retries
 *    with exponential backoff from 2 s to 60 s, or after the Retry-After the endpoint asked for (seconds or an HTTP
 *    date, at most 5 minutes). It never logs a credential: every logged text is redacted of the identity header and
 *    the tokens in play, and of anything shaped like a token (the same rule as src/credentials.ts). A malformed
 *    AGENTFED_TOKEN_TARGETS or IDENTITY_HEADER is one clear JSON line, never a stack trace.
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { Buffer } = require("node:buffer");

const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
const MAX_SLEEP_MS = 30 * 60 * 1000;
const EXPIRY_MARGIN_MS = 60 * 1000;
/** A token with less time left than this is refused: never written, never a reason to ask again at once. */
const MIN_TOKEN_LIFETIME_MS = 2 * 60 * 1000;
const MIN_RETRY_MS = 2000;
const MAX_RETRY_MS = 60 * 1000;
const MAX_RETRY_AFTER_MS = 5 * 60 * 1000;
const REQUEST_TIMEOUT_MS = 15000;
/** A token answer is a few kilobytes; nothing larger is read. */
const MAX_BODY_BYTES = 256 * 1024;
/**
 * No token the refresher asks for lives longer than a day (Microsoft identity platform, "Configurable token lifetimes":
 * an access token lives at most 1 day), and the sidecar's Agent Identity tokens are Entra access tokens too: a stated
 * expiry more than twice that far ahead is not believed.
 */
const MAX_TOKEN_LIFETIME_MS = 48 * 60 * 60 * 1000;

/**
 * @typedef {{ tenantId: string, clientId: string, scope: string, authorityHost?: string }} Exchange
 * @typedef {{ url: string, api: string, agentIdentity: string }} SidecarSource
 * @typedef {{ name: string, file: string, resource: string, exchange?: Exchange, sidecar?: SidecarSource }} Target
 * @typedef {{ token: string, expiresAtMs: number }} Token
 * @typedef {{ writeFileSync: typeof fs.writeFileSync, renameSync: typeof fs.renameSync, unlinkSync: typeof fs.unlinkSync, mkdirSync: typeof fs.mkdirSync }} FileSystem
 * @typedef {{ env: NodeJS.ProcessEnv, fetch: typeof fetch, now: () => number, log: (entry: object) => void, sleep?: (ms: number) => Promise<void>, fs?: FileSystem, requestTimeoutMs?: number, maxBodyBytes?: number }} Deps
 * @typedef {{ access_token?: unknown, expires_on?: unknown, expires_in?: unknown, error?: string, error_description?: string, message?: string, authorizationHeader?: unknown, title?: string, detail?: string }} TokenResponse
 * @typedef {{ status: number, ok: boolean, headers: Headers, body: TokenResponse, serverNowMs: number | undefined }} Answer
 */

/** An error that says when to try again (a throttled answer's Retry-After). */
class RetryLaterError extends Error {
    /**
     * @param {string} message
     * @param {number | undefined} retryAfterMs
     */
    constructor(message, retryAfterMs) {
        super(message);
        this.retryAfterMs = retryAfterMs;
    }
}

/**
 * Milliseconds a Retry-After header asks for: delay-seconds or an HTTP date (RFC 9110, section 10.2.3).
 * @param {string | null} header
 * @param {number} nowMs
 * @returns {number | undefined}
 */
function retryAfterMs(header, nowMs) {
    if (header === null || header.trim() === "") return undefined;
    const value = header.trim();
    if (/^\d+$/.test(value)) return Number(value) * 1000;
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

const REDACTED = "[redacted]";
/** Shapes of credentials, redacted whoever they belong to: the same list as src/credentials.ts (a test holds them equal). */
const CREDENTIAL_SHAPES = /** @type {[RegExp, string][]} */ ([
    [/eyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){0,2}/g, REDACTED],
    [/\b(Bearer)(\s+)[A-Za-z0-9\-._~+/]{12,}=*/gi, `$1$2${REDACTED}`],
    [/\bya29\.[A-Za-z0-9\-._~+/]+/g, REDACTED],
    [
        /\b(access_token|refresh_token|id_token|client_assertion|client_secret|subject_token|assertion)("?\s*[:=]\s*"?)[A-Za-z0-9\-._~+/%]{8,}=*/gi,
        `$1$2${REDACTED}`,
    ],
]);

/**
 * `text` with the given secrets (8 characters or more, and each line of a multi-line one) and every credential-shaped
 * string replaced by [redacted].
 * @param {string} text
 * @param {readonly (string | undefined)[]} secrets
 */
function redact(text, secrets) {
    let out = text;
    const forms = secrets
        .filter((s) => typeof s === "string")
        .flatMap((s) => [/** @type {string} */ (s), .../** @type {string} */ (s).split(/\r\n|\r|\n/).map((l) => l.trim())])
        .filter((s) => s.length >= 8)
        .sort((a, b) => b.length - a.length);
    for (const secret of forms) out = out.split(secret).join(REDACTED);
    for (const [shape, replacement] of CREDENTIAL_SHAPES) out = out.replace(shape, replacement);
    return out;
}

/**
 * Why a header value cannot be sent (a control character or a non-ASCII one), without quoting it.
 * @param {string} value
 * @returns {string | undefined}
 */
function headerValueProblem(value) {
    const chars = [...value];
    const at = chars.findIndex((ch) => {
        const code = ch.codePointAt(0) ?? 0;
        return code < 0x20 || code > 0x7e;
    });
    if (at < 0) return undefined;
    const code = chars[at]?.codePointAt(0) ?? 0;
    const what =
        code === 10 ? "a line feed (LF)" : code === 13 ? "a carriage return (CR)" : `the character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
    return `holds ${what} at character ${at + 1} of ${chars.length}`;
}

/**
 * A timeout of fetch, of the body stream, or of the signal behind both.
 * @param {unknown} err
 */
function isTimeout(err) {
    const name = /** @type {{ name?: string } | null} */ (err)?.name;
    return name === "TimeoutError" || name === "AbortError";
}

/**
 * Sends one request that carries a credential and reads its JSON answer. The three rules every credentialed request
 * here follows (the same as src/credentialed-fetch.ts): no redirect is followed (a 3xx is refused, naming only the
 * origin it points to); one time limit covers the headers and the whole body; the body is read up to MAX_BODY_BYTES
 * and no further. A network failure names its cause (fetch itself only says "fetch failed").
 * @param {Deps} deps
 * @param {string | URL} url
 * @param {RequestInit} init
 * @param {string} what who answers, for messages
 * @param {string} carries what credential the request carries, for messages
 * @returns {Promise<Answer>}
 */
async function request(deps, url, init, what, carries) {
    const timeoutMs = deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const maxBytes = deps.maxBodyBytes ?? MAX_BODY_BYTES;
    const seconds = `${timeoutMs / 1000} s`;
    const signal = AbortSignal.timeout(timeoutMs);
    /** @type {Response} */
    let response;
    try {
        response = await deps.fetch(url, { ...init, redirect: "manual", signal });
    } catch (err) {
        if (isTimeout(err)) throw new Error(`${what} did not answer within ${seconds} (timed out)`, { cause: err });
        const e = /** @type {{ message?: string, cause?: { code?: string, message?: string } }} */ (err);
        const cause = [e?.cause?.code, e?.cause?.message ?? e?.message].filter(Boolean).join(" ") || String(err);
        throw new Error(`${what} could not be reached: ${cause}`, { cause: err });
    }
    if (response.status >= 300 && response.status <= 399) {
        await response.body?.cancel().catch(() => undefined);
        /** @type {string} */
        let target;
        try {
            target = new URL(response.headers.get("location") ?? "", url).origin;
        } catch {
            target = "an unreadable Location";
        }
        throw new Error(`${what} answered ${response.status}, a redirect to ${target}: refused, ${carries} is never sent on to another location`);
    }
    /** @type {Uint8Array[]} */
    const chunks = [];
    let size = 0;
    if (response.body) {
        const reader = response.body.getReader();
        try {
            for (;;) {
                const { done, value } = /** @type {{ done: boolean, value?: Uint8Array }} */ (await reader.read());
                if (done || value === undefined) break;
                size += value.byteLength;
                if (size > maxBytes) {
                    await reader.cancel().catch(() => undefined);
                    throw new RangeError(`${what} answered ${response.status} with a body over ${maxBytes} bytes: refused, not read further`);
                }
                chunks.push(value);
            }
        } catch (err) {
            if (err instanceof RangeError) throw new Error(err.message, { cause: err });
            if (isTimeout(err) || signal.aborted) {
                throw new Error(`${what} answered ${response.status} but its body did not end within ${seconds} (timed out)`, { cause: err });
            }
            const e = /** @type {{ message?: string, cause?: { code?: string } }} */ (err);
            throw new Error(`${what} answered ${response.status} but its body could not be read: ${[e?.cause?.code, e?.message].filter(Boolean).join(" ")}`, {
                cause: err,
            });
        }
    }
    /** @type {TokenResponse} */
    let body = {};
    try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed;
    } catch {
        // Not JSON: the checks below say "no token".
    }
    const date = Date.parse(response.headers.get("date") ?? "");
    return { status: response.status, ok: response.ok, headers: response.headers, body, serverNowMs: Number.isNaN(date) ? undefined : date };
}

/**
 * Refuses a non-2xx answer, keeping a throttled answer's Retry-After.
 * @param {Deps} deps
 * @param {Answer} answer
 * @param {string} message
 */
function refuse(deps, answer, message) {
    const after = answer.status === 429 || answer.status === 503 ? retryAfterMs(answer.headers.get("retry-after"), deps.now()) : undefined;
    return new RetryLaterError(message, after);
}

/**
 * The header and payload of a JWT, or why the token is not one (without quoting it). An unsigned JWT (alg "none", or
 * an empty signature) is not one: no cloud accepts it, so writing it would only replace a good file with a useless one.
 * @param {unknown} token
 * @returns {{ claims: Record<string, unknown> } | { problem: string }}
 */
function decodeJwt(token) {
    if (typeof token !== "string" || token === "") return { problem: "is empty" };
    const parts = token.split(".");
    if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]*$/.test(p))) {
        return { problem: `is not a JWT (${token.length} characters, not three base64url parts)` };
    }
    /** @param {string} part */
    const object = (part) => {
        try {
            const value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
            return value !== null && typeof value === "object" && !Array.isArray(value) ? /** @type {Record<string, unknown>} */ (value) : undefined;
        } catch {
            return undefined;
        }
    };
    const header = object(parts[0] ?? "");
    const claims = object(parts[1] ?? "");
    if (!header || !claims) return { problem: "is not a JWT (its header or payload is not a JSON object)" };
    if (parts[2] === "" || String(header.alg).toLowerCase() === "none") return { problem: "is an unsigned JWT (alg none or an empty signature)" };
    return { claims };
}

/**
 * A token a source returned, if it is a JWT; otherwise the refusal, naming the source.
 * @param {unknown} token
 * @param {string} source
 * @returns {{ token: string, claims: Record<string, unknown> }}
 */
function checkedJwt(token, source) {
    const decoded = decodeJwt(token);
    if ("problem" in decoded) throw new Error(`${source} returned an access token that ${decoded.problem}; not written, the file keeps the previous token`);
    return { token: /** @type {string} */ (token), claims: decoded.claims };
}

/**
 * When a token expires, in ms on the local clock. In order: `expires_in` (seconds from now), `expires_on` (epoch
 * seconds), the JWT's `exp`; an absolute time is measured against the answer's Date header when it has one (the clock
 * that stated it), so a skewed container clock cannot make a fresh token look expired. A value that is not a finite
 * number, or lies more than MAX_TOKEN_LIFETIME_MS ahead, is not believed and the next one is read; none believable
 * throws: a token of unknown lifetime is never written.
 * @param {Deps} deps
 * @param {Pick<Answer, "body" | "serverNowMs">} answer
 * @param {Record<string, unknown>} claims the token's JWT claims
 * @param {string} source
 * @returns {number}
 */
function tokenExpiryMs(deps, answer, claims, source) {
    const now = deps.now();
    const { body, serverNowMs } = answer;
    /** @param {unknown} v */
    const seconds = (v) => (typeof v === "number" || (typeof v === "string" && v.trim() !== "") ? Number(v) : Number.NaN);
    /** @param {number} atMs */
    const believable = (atMs) => (Number.isFinite(atMs) && Math.abs(atMs) <= 8.64e15 && atMs - now <= MAX_TOKEN_LIFETIME_MS ? atMs : undefined);
    /** @param {number} epochSeconds */
    const absolute = (epochSeconds) => believable(serverNowMs === undefined ? epochSeconds * 1000 : now + (epochSeconds * 1000 - serverNowMs));
    const expiresIn = seconds(body.expires_in);
    const fromIn = expiresIn > 0 ? believable(now + expiresIn * 1000) : undefined;
    if (fromIn !== undefined) return fromIn;
    const expiresOn = seconds(body.expires_on);
    const fromOn = expiresOn > 0 ? absolute(expiresOn) : undefined;
    if (fromOn !== undefined) return fromOn;
    const fromExp = typeof claims.exp === "number" ? absolute(claims.exp) : undefined;
    if (fromExp !== undefined) return fromExp;
    /** @param {unknown} v */
    const shown = (v) => (v === undefined ? "none" : JSON.stringify(v).slice(0, 40));
    throw new Error(
        `${source} returned a token without a believable expiry (expires_in ${shown(body.expires_in)}, expires_on ${shown(body.expires_on)}, ` +
            `JWT exp ${shown(claims.exp)}; at most ${MAX_TOKEN_LIFETIME_MS / 3_600_000} h ahead is believed); not written`,
    );
}

/**
 * Parses and validates AGENTFED_TOKEN_TARGETS (the stack sets it: src/runtime/container-env.ts).
 * @param {string | undefined} text
 * @returns {Target[]}
 */
function parseTargets(text) {
    if (!text) throw new Error("AGENTFED_TOKEN_TARGETS is not set");
    /** @type {unknown} */
    let value;
    try {
        value = JSON.parse(text);
    } catch (err) {
        throw new Error(`AGENTFED_TOKEN_TARGETS is not JSON (${/** @type {Error} */ (err).message})`, { cause: err });
    }
    if (!Array.isArray(value) || value.length === 0) throw new Error("AGENTFED_TOKEN_TARGETS must be a non-empty JSON list");
    /** @param {unknown} v */
    const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
    /** @param {unknown} v */
    const isUrl = (v) => {
        try {
            return typeof v === "string" && /^https?:$/.test(new URL(v).protocol);
        } catch {
            return false;
        }
    };
    const files = new Set();
    return value.map((t, i) => {
        const where = `AGENTFED_TOKEN_TARGETS[${i}]`;
        if (!isObject(t) || typeof t.name !== "string" || typeof t.file !== "string" || typeof t.resource !== "string") {
            throw new Error(`${where} needs string name, file and resource`);
        }
        if (!path.isAbsolute(t.file)) throw new Error(`${where}.file must be an absolute path`);
        if (files.has(t.file)) throw new Error(`${where}.file ${JSON.stringify(t.file)} is another target's file too`);
        files.add(t.file);
        if (
            t.sidecar !== undefined &&
            (!isObject(t.sidecar) || !isUrl(t.sidecar.url) || typeof t.sidecar.api !== "string" || typeof t.sidecar.agentIdentity !== "string")
        ) {
            throw new Error(`${where}.sidecar needs string url, api and agentIdentity`);
        }
        if (
            t.exchange !== undefined &&
            (!isObject(t.exchange) ||
                typeof t.exchange.tenantId !== "string" ||
                typeof t.exchange.clientId !== "string" ||
                typeof t.exchange.scope !== "string" ||
                (t.exchange.authorityHost !== undefined && !isUrl(t.exchange.authorityHost)))
        ) {
            throw new Error(`${where}.exchange needs string tenantId, clientId and scope (and an http(s) authorityHost, if any)`);
        }
        return /** @type {Target} */ (t);
    });
}

/**
 * Requests a managed-identity token from the ACA endpoint. Azure Container Apps documents the answer as
 * `{ access_token, expires_on (epoch seconds, a string), resource, token_type, client_id }` ("Managed identities in
 * Azure Container Apps", REST endpoint reference): no `expires_in`, so `expires_on` is read against the answer's Date.
 * @param {Deps} deps
 * @param {string} resource
 * @returns {Promise<Token>}
 */
async function managedIdentityToken(deps, resource) {
    const endpoint = deps.env.IDENTITY_ENDPOINT;
    const header = deps.env.IDENTITY_HEADER;
    if (!endpoint || !header) {
        throw new Error("IDENTITY_ENDPOINT/IDENTITY_HEADER are not set: no managed identity is attached to this container app revision");
    }
    const problem = headerValueProblem(header);
    if (problem)
        throw new Error(`IDENTITY_HEADER ${problem}: not sent (its value is not shown). The platform sets it: check what altered this container's environment`);
    /** @type {URL} */
    let url;
    try {
        url = new URL(endpoint);
    } catch {
        throw new Error("IDENTITY_ENDPOINT is not a URL: the platform sets it, check what altered this container's environment");
    }
    url.searchParams.set("api-version", "2019-08-01");
    url.searchParams.set("resource", resource);
    if (deps.env.AZURE_CLIENT_ID) url.searchParams.set("client_id", deps.env.AZURE_CLIENT_ID);
    const source = "the managed-identity endpoint";
    const answer = await request(deps, url, { headers: { "X-IDENTITY-HEADER": header } }, source, "the X-IDENTITY-HEADER");
    const body = answer.body;
    if (!answer.ok || body.access_token === undefined) {
        throw refuse(
            deps,
            answer,
            `managed-identity endpoint answered ${answer.status} for resource ${resource}: ${body.error_description ?? body.message ?? "no token"}`,
        );
    }
    const { token, claims } = checkedJwt(body.access_token, source);
    return { token, expiresAtMs: tokenExpiryMs(deps, answer, claims, source) };
}

/**
 * Exchanges a UAMI assertion for an access token of the intermediary app (client-credentials with a FIC).
 * @param {Deps} deps
 * @param {Exchange} exchange
 * @returns {Promise<Token>}
 */
async function exchangeToken(deps, exchange) {
    const assertion = await managedIdentityToken(deps, TOKEN_EXCHANGE_AUDIENCE);
    const authority = exchange.authorityHost ?? "https://login.microsoftonline.com";
    const form = new URLSearchParams({
        grant_type: "client_credentials",
        client_id: exchange.clientId,
        scope: exchange.scope,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion.token,
    });
    const source = "Entra's token endpoint";
    const answer = await request(
        deps,
        `${authority}/${exchange.tenantId}/oauth2/v2.0/token`,
        { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form },
        source,
        "the client assertion",
    );
    const body = answer.body;
    if (!answer.ok || body.access_token === undefined) {
        throw refuse(deps, answer, `Entra token exchange answered ${answer.status}: ${body.error_description ?? body.error ?? "no token"}`);
    }
    const { token, claims } = checkedJwt(body.access_token, source);
    return { token, expiresAtMs: tokenExpiryMs(deps, answer, claims, source) };
}

/**
 * The `exp` claim of a JWT, in ms. The token is not verified here: the cloud's STS verifies it.
 * @param {string} jwt
 * @returns {number}
 */
function jwtExpiryMs(jwt) {
    const decoded = decodeJwt(jwt);
    if ("problem" in decoded) throw new Error(`the token ${decoded.problem}`);
    if (typeof decoded.claims.exp !== "number") throw new Error("the sidecar returned a JWT without an exp claim");
    return decoded.claims.exp * 1000;
}

/**
 * Asks the Entra auth sidecar for the Agent Identity JWT of a cloud-federation entry (Option 2).
 * @param {Deps} deps
 * @param {SidecarSource} sidecar
 * @returns {Promise<Token>}
 */
async function sidecarToken(deps, sidecar) {
    const url = new URL(`/AuthorizationHeaderUnauthenticated/${encodeURIComponent(sidecar.api)}`, sidecar.url);
    url.searchParams.set("AgentIdentity", sidecar.agentIdentity);
    const source = "the Entra auth sidecar";
    const answer = await request(deps, url, {}, source, "a request for an Agent Identity token");
    const body = answer.body;
    const header = body.authorizationHeader;
    if (!answer.ok || typeof header !== "string" || !header.startsWith("Bearer ")) {
        throw refuse(
            deps,
            answer,
            `Entra auth sidecar answered ${answer.status} for ${sidecar.api}: ${body.detail ?? body.title ?? "no authorization header"}`,
        );
    }
    const { token, claims } = checkedJwt(header.slice("Bearer ".length), source);
    return { token, expiresAtMs: tokenExpiryMs(deps, { body: {}, serverNowMs: answer.serverNowMs }, claims, source) };
}

/**
 * Writes a token atomically: readers see the old file or the new one, never a partial write. The temp file is unique
 * (never another writer's) and removed when the write or the rename fails (disk full, read-only volume).
 * @param {string} file
 * @param {string} token
 * @param {FileSystem} [files]
 */
function writeAtomically(file, token, files = fs) {
    files.mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
        files.writeFileSync(temp, token, { mode: 0o644, flag: "wx" });
        files.renameSync(temp, file);
    } catch (err) {
        try {
            files.unlinkSync(temp);
        } catch {
            // Never created, or already gone.
        }
        const e = /** @type {{ code?: string, message?: string }} */ (err);
        throw new Error(`could not write ${file}: ${e?.code ?? ""} ${e?.message ?? String(err)}`.replace(/\s+/g, " ").trim(), { cause: err });
    }
}

/**
 * When to refresh next, in ms from now: half the remaining lifetime, at most 30 minutes, and never later than
 * one minute before expiry.
 * @param {number} nowMs
 * @param {number} expiresAtMs
 */
function nextRefreshDelay(nowMs, expiresAtMs) {
    const remaining = expiresAtMs - nowMs;
    return Math.max(0, Math.min(remaining / 2, MAX_SLEEP_MS, remaining - EXPIRY_MARGIN_MS));
}

/**
 * Refreshes one target once. Returns the delay before the next attempt.
 * @param {Deps} deps
 * @param {Target} target
 * @param {number} failures consecutive failures so far
 * @returns {Promise<{ delayMs: number, ok: boolean }>}
 */
async function refreshOnce(deps, target, failures) {
    try {
        const token = target.sidecar
            ? await sidecarToken(deps, target.sidecar)
            : target.exchange
              ? await exchangeToken(deps, target.exchange)
              : await managedIdentityToken(deps, target.resource);
        const leftMs = token.expiresAtMs - deps.now();
        if (leftMs < MIN_TOKEN_LIFETIME_MS) {
            throw new Error(
                `the token source handed out a token ${leftMs <= 0 ? "that expired" : "expiring"} at ${new Date(token.expiresAtMs).toISOString()} ` +
                    `(${Math.round(leftMs / 1000)} s left; at least ${MIN_TOKEN_LIFETIME_MS / 1000} s required); not written`,
            );
        }
        writeAtomically(target.file, token.token, deps.fs);
        const delayMs = nextRefreshDelay(deps.now(), token.expiresAtMs);
        deps.log({
            level: "info",
            target: target.name,
            event: "token-written",
            file: target.file,
            expiresAt: new Date(token.expiresAtMs).toISOString(),
            nextRefreshInS: Math.round(delayMs / 1000),
        });
        return { delayMs, ok: true };
    } catch (err) {
        const backoffMs = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** failures);
        const asked = err instanceof RetryLaterError && err.retryAfterMs !== undefined ? Math.min(err.retryAfterMs, MAX_RETRY_AFTER_MS) : 0;
        const delayMs = Math.max(backoffMs, asked);
        deps.log({
            level: "error",
            target: target.name,
            event: "refresh-failed",
            error: redact(err instanceof Error ? err.message : String(err), [deps.env.IDENTITY_HEADER]),
            ...(asked > 0 ? { retryAfterS: asked / 1000 } : {}),
            retryInS: delayMs / 1000,
        });
        return { delayMs, ok: false };
    }
}

/**
 * Refreshes one target again and again, sleeping between attempts; `rounds` bounds it (tests), forever otherwise.
 * Every pause is at least MIN_RETRY_MS: whatever a token source answers, this never spins.
 * @param {Deps} deps
 * @param {Target} target
 * @param {number} [rounds]
 */
async function runTarget(deps, target, rounds = Number.POSITIVE_INFINITY) {
    const sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    let failures = 0;
    for (let round = 0; round < rounds; round++) {
        const { delayMs, ok } = await refreshOnce(deps, target, failures);
        failures = ok ? 0 : failures + 1;
        await sleep(Math.max(delayMs, MIN_RETRY_MS));
    }
}

/**
 * Runs forever: one independent loop per target. A configuration it cannot use is one JSON line on stderr and exit
 * code 2 (the platform restarts the container and shows the line), never a stack trace.
 * @param {Deps} deps
 */
function main(deps = { env: process.env, fetch, now: Date.now, log: (entry) => process.stderr.write(`${JSON.stringify(entry)}\n`) }) {
    /** @type {Target[]} */
    let targets;
    try {
        targets = parseTargets(deps.env.AGENTFED_TOKEN_TARGETS);
    } catch (err) {
        deps.log({
            level: "error",
            event: "bad-configuration",
            error: redact(err instanceof Error ? err.message : String(err), [deps.env.IDENTITY_HEADER]),
            fix: "AGENTFED_TOKEN_TARGETS is set by the stack (src/runtime/container-env.ts): redeploy the container app rather than edit it by hand",
        });
        process.exitCode = 2;
        return;
    }
    for (const target of targets) void runTarget(deps, target);
}

module.exports = {
    parseTargets,
    managedIdentityToken,
    exchangeToken,
    sidecarToken,
    jwtExpiryMs,
    tokenExpiryMs,
    retryAfterMs,
    redact,
    writeAtomically,
    nextRefreshDelay,
    refreshOnce,
    runTarget,
    main,
    CREDENTIAL_SHAPES,
    TOKEN_EXCHANGE_AUDIENCE,
    MIN_TOKEN_LIFETIME_MS,
    MIN_RETRY_MS,
    MAX_BODY_BYTES,
};
