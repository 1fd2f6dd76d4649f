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
 *  - A target with `sidecar` (Option 2 of seed 001) asks the Entra auth sidecar instead:
 *    `GET <url>/AuthorizationHeaderUnauthenticated/<api>?AgentIdentity=<client id>` returns
 *    `{ "authorizationHeader": "Bearer <Agent Identity JWT>" }`, minted for the entry's cloud-federation audience;
 *    its expiry is read from the JWT's `exp` claim.
 *  - A target with `exchange` first gets a UAMI token for api://AzureADTokenExchange, then presents it as a
 *    client assertion to Entra (client-credentials grant as the intermediary app) and writes that token instead.
 *  - The token's expiry comes from `expires_on` (epoch seconds), else `expires_in` (seconds from now), else the JWT's
 *    `exp`. A token without a readable expiry, already expired, or with less than MIN_TOKEN_LIFETIME_MS left is
 *    refused like any failed request: never written, and retried with backoff (an endpoint handing out expired
 *    tokens once drove a loop of ~900 requests a second; issue 19).
 *  - It writes the token atomically (a unique temp file + rename, mode 0644 on a volume only this app's containers
 *    mount; the temp file is removed if the write or the rename fails), then sleeps until half the token's remaining
 *    lifetime has passed, capped at 30 minutes and at least 60 s before expiry, so a file is never served within its
 *    last minute. Every token it writes has at least 2 minutes left, so that sleep is never shorter than a minute.
 *  - On failure it keeps the previous file (still valid until its expiry), logs one JSON line to stderr with the
 *    cause (HTTP status and error, or the network error's code: ECONNREFUSED, ECONNRESET, a timeout), and retries
 *    with exponential backoff from 2 s to 60 s, or after the Retry-After the endpoint asked for (seconds or an HTTP
 *    date, at most 5 minutes). It never logs a token.
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

/**
 * @typedef {{ tenantId: string, clientId: string, scope: string, authorityHost?: string }} Exchange
 * @typedef {{ url: string, api: string, agentIdentity: string }} SidecarSource
 * @typedef {{ name: string, file: string, resource: string, exchange?: Exchange, sidecar?: SidecarSource }} Target
 * @typedef {{ token: string, expiresAtMs: number }} Token
 * @typedef {{ writeFileSync: typeof fs.writeFileSync, renameSync: typeof fs.renameSync, unlinkSync: typeof fs.unlinkSync, mkdirSync: typeof fs.mkdirSync }} FileSystem
 * @typedef {{ env: NodeJS.ProcessEnv, fetch: typeof fetch, now: () => number, log: (entry: object) => void, sleep?: (ms: number) => Promise<void>, fs?: FileSystem, requestTimeoutMs?: number }} Deps
 * @typedef {{ access_token?: unknown, expires_on?: unknown, expires_in?: unknown, error?: string, error_description?: string, message?: string, authorizationHeader?: unknown, title?: string, detail?: string }} TokenResponse
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

/**
 * Calls fetch, turning a network failure into an error that names its cause (fetch itself only says "fetch failed").
 * @param {Deps} deps
 * @param {string | URL} url
 * @param {RequestInit} init
 * @param {string} what
 * @returns {Promise<Response>}
 */
async function request(deps, url, init, what) {
    const timeoutMs = deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    try {
        return await deps.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
        const e = /** @type {{ name?: string, message?: string, cause?: { code?: string, message?: string } }} */ (err);
        const cause =
            e?.name === "TimeoutError" || e?.name === "AbortError"
                ? `timed out after ${timeoutMs} ms`
                : [e?.cause?.code, e?.cause?.message ?? e?.message].filter(Boolean).join(" ") || String(err);
        throw new Error(`${what} could not be reached: ${cause}`, { cause: err });
    }
}

/**
 * Refuses a non-2xx answer, keeping a throttled answer's Retry-After.
 * @param {Deps} deps
 * @param {Response} response
 * @param {string} message
 */
function refuse(deps, response, message) {
    const after = response.status === 429 || response.status === 503 ? retryAfterMs(response.headers.get("retry-after"), deps.now()) : undefined;
    return new RetryLaterError(message, after);
}

/**
 * When a token expires, in ms: `expires_on` (epoch seconds), else `expires_in` (seconds from now), else the JWT's
 * `exp`. Throws when none of them is readable: a token of unknown lifetime is never written.
 * @param {Deps} deps
 * @param {TokenResponse} body
 * @param {string} token
 * @param {string} source
 * @returns {number}
 */
function tokenExpiryMs(deps, body, token, source) {
    const expiresOn = typeof body.expires_on === "number" || typeof body.expires_on === "string" ? Number(body.expires_on) : Number.NaN;
    if (Number.isFinite(expiresOn) && expiresOn > 0) return expiresOn * 1000;
    const expiresIn = typeof body.expires_in === "number" || typeof body.expires_in === "string" ? Number(body.expires_in) : Number.NaN;
    if (Number.isFinite(expiresIn) && expiresIn > 0) return deps.now() + expiresIn * 1000;
    try {
        return jwtExpiryMs(token);
    } catch {
        throw new Error(
            `${source} returned a token without a readable expiry (expires_on ${JSON.stringify(body.expires_on ?? null)}, no expires_in, no JWT exp); not written`,
        );
    }
}

/**
 * Reads a JSON body, or an empty object when there is none.
 * @param {Response} response
 * @returns {Promise<TokenResponse>}
 */
async function jsonBody(response) {
    try {
        return /** @type {TokenResponse} */ (await response.json());
    } catch {
        return {};
    }
}

/**
 * Parses and validates AGENTFED_TOKEN_TARGETS.
 * @param {string | undefined} text
 * @returns {Target[]}
 */
function parseTargets(text) {
    if (!text) throw new Error("AGENTFED_TOKEN_TARGETS is not set");
    /** @type {unknown} */
    const value = JSON.parse(text);
    if (!Array.isArray(value) || value.length === 0) throw new Error("AGENTFED_TOKEN_TARGETS must be a non-empty JSON list");
    return value.map((t, i) => {
        if (!t || typeof t.name !== "string" || typeof t.file !== "string" || typeof t.resource !== "string") {
            throw new Error(`AGENTFED_TOKEN_TARGETS[${i}] needs string name, file and resource`);
        }
        if (!path.isAbsolute(t.file)) throw new Error(`AGENTFED_TOKEN_TARGETS[${i}].file must be an absolute path`);
        if (
            t.sidecar !== undefined &&
            (typeof t.sidecar.url !== "string" || typeof t.sidecar.api !== "string" || typeof t.sidecar.agentIdentity !== "string")
        ) {
            throw new Error(`AGENTFED_TOKEN_TARGETS[${i}].sidecar needs string url, api and agentIdentity`);
        }
        return /** @type {Target} */ (t);
    });
}

/**
 * Requests a managed-identity token from the ACA endpoint.
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
    const url = new URL(endpoint);
    url.searchParams.set("api-version", "2019-08-01");
    url.searchParams.set("resource", resource);
    if (deps.env.AZURE_CLIENT_ID) url.searchParams.set("client_id", deps.env.AZURE_CLIENT_ID);
    const response = await request(deps, url, { headers: { "X-IDENTITY-HEADER": header } }, "the managed-identity endpoint");
    const body = await jsonBody(response);
    if (!response.ok || typeof body.access_token !== "string") {
        throw refuse(
            deps,
            response,
            `managed-identity endpoint answered ${response.status} for resource ${resource}: ${body.error_description ?? body.message ?? "no token"}`,
        );
    }
    return { token: body.access_token, expiresAtMs: tokenExpiryMs(deps, body, body.access_token, "the managed-identity endpoint") };
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
    const response = await request(
        deps,
        `${authority}/${exchange.tenantId}/oauth2/v2.0/token`,
        { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form },
        "Entra's token endpoint",
    );
    const body = await jsonBody(response);
    if (!response.ok || typeof body.access_token !== "string") {
        throw refuse(deps, response, `Entra token exchange answered ${response.status}: ${body.error_description ?? body.error ?? "no token"}`);
    }
    return { token: body.access_token, expiresAtMs: tokenExpiryMs(deps, body, body.access_token, "Entra's token endpoint") };
}

/**
 * The `exp` claim of a JWT, in ms. The token is not verified here: the cloud's STS verifies it.
 * @param {string} jwt
 * @returns {number}
 */
function jwtExpiryMs(jwt) {
    const payload = jwt.split(".")[1];
    /** @type {{ exp?: unknown }} */
    let claims;
    try {
        claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8"));
    } catch {
        throw new Error("the sidecar returned a token that is not a JWT");
    }
    if (typeof claims.exp !== "number") throw new Error("the sidecar returned a JWT without an exp claim");
    return claims.exp * 1000;
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
    const response = await request(deps, url, {}, "the Entra auth sidecar");
    const body = await jsonBody(response);
    const header = body.authorizationHeader;
    if (!response.ok || typeof header !== "string" || !header.startsWith("Bearer ")) {
        throw refuse(
            deps,
            response,
            `Entra auth sidecar answered ${response.status} for ${sidecar.api}: ${body.detail ?? body.title ?? "no authorization header"}`,
        );
    }
    const token = header.slice("Bearer ".length);
    return { token, expiresAtMs: jwtExpiryMs(token) };
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
            error: err instanceof Error ? err.message : String(err),
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
 * Runs forever: one independent loop per target.
 * @param {Deps} deps
 */
function main(deps = { env: process.env, fetch, now: Date.now, log: (entry) => process.stderr.write(`${JSON.stringify(entry)}\n`) }) {
    const targets = parseTargets(deps.env.AGENTFED_TOKEN_TARGETS);
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
    writeAtomically,
    nextRefreshDelay,
    refreshOnce,
    runTarget,
    main,
    TOKEN_EXCHANGE_AUDIENCE,
    MIN_TOKEN_LIFETIME_MS,
    MIN_RETRY_MS,
};
