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
 *  - It writes the token atomically (temp file + rename, mode 0644 on a volume only this app's containers mount),
 *    then sleeps until half the token's remaining lifetime has passed, capped at 30 minutes and at least 60 s
 *    before expiry, so a file is never served within its last minutes.
 *  - On failure it keeps the previous file (still valid until its expiry), logs one JSON line to stderr, and
 *    retries with exponential backoff from 2 s to 60 s. It never logs a token.
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { Buffer } = require("node:buffer");

const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
const MAX_SLEEP_MS = 30 * 60 * 1000;
const EXPIRY_MARGIN_MS = 60 * 1000;
const MIN_RETRY_MS = 2000;
const MAX_RETRY_MS = 60 * 1000;

/**
 * @typedef {{ tenantId: string, clientId: string, scope: string, authorityHost?: string }} Exchange
 * @typedef {{ url: string, api: string, agentIdentity: string }} SidecarSource
 * @typedef {{ name: string, file: string, resource: string, exchange?: Exchange, sidecar?: SidecarSource }} Target
 * @typedef {{ token: string, expiresAtMs: number }} Token
 * @typedef {{ env: NodeJS.ProcessEnv, fetch: typeof fetch, now: () => number, log: (entry: object) => void }} Deps
 * @typedef {{ access_token?: unknown, expires_on?: unknown, expires_in?: unknown, error?: string, error_description?: string, message?: string, authorizationHeader?: unknown, title?: string, detail?: string }} TokenResponse
 */

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
    const response = await deps.fetch(url, { headers: { "X-IDENTITY-HEADER": header }, signal: AbortSignal.timeout(15000) });
    const body = await jsonBody(response);
    if (!response.ok || typeof body.access_token !== "string") {
        throw new Error(
            `managed-identity endpoint answered ${response.status} for resource ${resource}: ${body.error_description ?? body.message ?? "no token"}`,
        );
    }
    return { token: body.access_token, expiresAtMs: Number(body.expires_on) * 1000 };
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
    const response = await deps.fetch(`${authority}/${exchange.tenantId}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form,
        signal: AbortSignal.timeout(15000),
    });
    const body = await jsonBody(response);
    if (!response.ok || typeof body.access_token !== "string") {
        throw new Error(`Entra token exchange answered ${response.status}: ${body.error_description ?? body.error ?? "no token"}`);
    }
    return { token: body.access_token, expiresAtMs: deps.now() + Number(body.expires_in) * 1000 };
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
    const response = await deps.fetch(url, { signal: AbortSignal.timeout(15000) });
    const body = await jsonBody(response);
    const header = body.authorizationHeader;
    if (!response.ok || typeof header !== "string" || !header.startsWith("Bearer ")) {
        throw new Error(`Entra auth sidecar answered ${response.status} for ${sidecar.api}: ${body.detail ?? body.title ?? "no authorization header"}`);
    }
    const token = header.slice("Bearer ".length);
    return { token, expiresAtMs: jwtExpiryMs(token) };
}

/**
 * Writes a token atomically: readers see the old file or the new one, never a partial write.
 * @param {string} file
 * @param {string} token
 */
function writeAtomically(file, token) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, token, { mode: 0o644 });
    fs.renameSync(temp, file);
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
        writeAtomically(target.file, token.token);
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
        const delayMs = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** failures);
        deps.log({
            level: "error",
            target: target.name,
            event: "refresh-failed",
            error: err instanceof Error ? err.message : String(err),
            retryInS: delayMs / 1000,
        });
        return { delayMs, ok: false };
    }
}

/**
 * Runs forever: one independent loop per target.
 * @param {Deps} deps
 */
function main(deps = { env: process.env, fetch, now: Date.now, log: (entry) => process.stderr.write(`${JSON.stringify(entry)}\n`) }) {
    const targets = parseTargets(deps.env.AGENTFED_TOKEN_TARGETS);
    for (const target of targets) {
        let failures = 0;
        const loop = async () => {
            const { delayMs, ok } = await refreshOnce(deps, target, failures);
            failures = ok ? 0 : failures + 1;
            setTimeout(loop, delayMs);
        };
        void loop();
    }
}

module.exports = {
    parseTargets,
    managedIdentityToken,
    exchangeToken,
    sidecarToken,
    jwtExpiryMs,
    writeAtomically,
    nextRefreshDelay,
    refreshOnce,
    main,
    TOKEN_EXCHANGE_AUDIENCE,
};
