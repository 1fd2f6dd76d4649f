import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const refresher = require("../src/runtime/token-refresher.js") as typeof import("../src/runtime/token-refresher.js");

/**
 * A local HTTP server on 127.0.0.1 that STANDS IN FOR the Azure Container Apps managed-identity endpoint
 * ($IDENTITY_ENDPOINT, which checks X-IDENTITY-HEADER) and for Entra's token endpoint (client-credentials with a
 * client assertion). It only reproduces the request and response shapes the refresher relies on.
 */
const IDENTITY_HEADER = "per-replica-secret-header";
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
/** A JWT shaped like Entra's (the refresher checks its form and reads exp; only the clouds verify signatures). */
const jwt = (claims: object) => `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}.c2lnbmF0dXJl`;
/** The claims of a JWT (a written token file, a form field). */
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
const fileClaims = (file: string) => claimsOf(readFileSync(file, "utf8"));
const UAMI_CLIENT_ID = "22222222-2222-2222-2222-222222222222";
let server: Server;
let base = "";
const seen: { path: string; query: Record<string, string>; header: string | undefined; form?: Record<string, string> }[] = [];
let failNext = 0;

before(async () => {
    server = createServer((req, res) => {
        const url = new URL(req.url ?? "", "http://127.0.0.1");
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
            seen.push({
                path: url.pathname,
                query: Object.fromEntries(url.searchParams),
                header: req.headers["x-identity-header"] as string | undefined,
                form,
            });
            res.setHeader("content-type", "application/json");
            if (failNext > 0) {
                failNext--;
                res.statusCode = 500;
                return res.end(JSON.stringify({ message: "transient" }));
            }
            if (url.pathname === "/msi/token") {
                if (req.headers["x-identity-header"] !== IDENTITY_HEADER) {
                    res.statusCode = 401;
                    return res.end(JSON.stringify({ message: "bad identity header" }));
                }
                const expiresOn = Math.floor(Date.now() / 1000) + 3600;
                return res.end(
                    JSON.stringify({
                        access_token: jwt({ aud: url.searchParams.get("resource"), exp: expiresOn }),
                        expires_on: String(expiresOn),
                        resource: url.searchParams.get("resource"),
                        token_type: "Bearer",
                    }),
                );
            }
            if (url.pathname.startsWith("/AuthorizationHeaderUnauthenticated/")) {
                // Stands in for the Entra auth sidecar: an Agent Identity JWT for the entry's audience.
                const agentIdentity = url.searchParams.get("AgentIdentity");
                if (!agentIdentity) {
                    res.statusCode = 400;
                    return res.end(JSON.stringify({ title: "AgentIdentity is required" }));
                }
                const exp = Math.floor(Date.now() / 1000) + 3600;
                return res.end(JSON.stringify({ authorizationHeader: `Bearer ${jwt({ aud: "api://agentfed-research-cloud", oid: agentIdentity, exp })}` }));
            }
            if (url.pathname.endsWith("/oauth2/v2.0/token")) {
                return res.end(JSON.stringify({ access_token: jwt({ scp: form.scope, exchanged: true }), expires_in: 3599, token_type: "Bearer" }));
            }
            res.statusCode = 404;
            return res.end("{}");
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function deps(env: Record<string, string>, logs: object[] = []) {
    return {
        env: { IDENTITY_ENDPOINT: `${base}/msi/token`, IDENTITY_HEADER, AZURE_CLIENT_ID: UAMI_CLIENT_ID, ...env },
        fetch,
        now: Date.now,
        log: (e: object) => logs.push(e),
    };
}

describe("token refresher", () => {
    it("requests the resource from $IDENTITY_ENDPOINT with X-IDENTITY-HEADER and the UAMI client id, and writes the token", async () => {
        const file = path.join(mkdtempSync(path.join(tmpdir(), "refresher-")), "tokens", "aws-web-identity-token");
        const logs: object[] = [];
        const result = await refresher.refreshOnce(deps({}, logs), { name: "aws", file, resource: "api://agentfed-aws" }, 0);
        assert.equal(result.ok, true);
        assert.equal(fileClaims(file).aud, "api://agentfed-aws");
        const req = seen.at(-1)!;
        assert.deepEqual(
            [req.header, req.query["resource"], req.query["client_id"], req.query["api-version"]],
            [IDENTITY_HEADER, "api://agentfed-aws", UAMI_CLIENT_ID, "2019-08-01"],
        );
        assert.ok(result.delayMs > 25 * 60 * 1000 && result.delayMs <= 30 * 60 * 1000, `refreshes within 30 minutes, got ${result.delayMs}`);
        assert.equal(statSync(file).mode & 0o777, 0o644);
        assert.doesNotMatch(JSON.stringify(logs), /eyJ/, "never logs a token");
    });

    it("exchanges a UAMI assertion for the intermediary app's token when the target says so", async () => {
        const file = path.join(mkdtempSync(path.join(tmpdir(), "refresher-")), "token");
        const exchange = {
            tenantId: "11111111-1111-1111-1111-111111111111",
            clientId: "66666666-6666-6666-6666-666666666666",
            scope: "api://agentfed-aws/.default",
            authorityHost: base,
        };
        const result = await refresher.refreshOnce(deps({}), { name: "aws", file, resource: "api://agentfed-aws", exchange }, 0);
        assert.equal(result.ok, true);
        assert.deepEqual(fileClaims(file), { scp: "api://agentfed-aws/.default", exchanged: true });
        const [mi, token] = seen.slice(-2);
        assert.equal(mi!.query["resource"], "api://AzureADTokenExchange");
        assert.equal(token!.path, "/11111111-1111-1111-1111-111111111111/oauth2/v2.0/token");
        assert.deepEqual(
            [token!.form!["grant_type"], token!.form!["client_id"], claimsOf(token!.form!["client_assertion"]!).aud],
            ["client_credentials", exchange.clientId, "api://AzureADTokenExchange"],
        );
    });

    it("Option 2: asks the sidecar for the Agent Identity JWT of the cloud-federation entry and refreshes before its exp", async () => {
        const file = path.join(mkdtempSync(path.join(tmpdir(), "refresher-")), "gcp-subject-token");
        const sidecar = { url: base, api: "AgentfedGcpFederation", agentIdentity: "aaaaaaaa-0000-4000-8000-000000000004" };
        const logs: object[] = [];
        const result = await refresher.refreshOnce(deps({}, logs), { name: "gcp", file, resource: "api://agentfed-research-cloud", sidecar }, 0);
        assert.equal(result.ok, true);
        const req = seen.at(-1)!;
        assert.deepEqual(
            [req.path, req.query["AgentIdentity"], req.header],
            ["/AuthorizationHeaderUnauthenticated/AgentfedGcpFederation", sidecar.agentIdentity, undefined],
        );
        assert.equal(fileClaims(file).oid, sidecar.agentIdentity, "the file holds the bare JWT, without the Bearer prefix");
        assert.ok(result.delayMs > 25 * 60 * 1000 && result.delayMs <= 30 * 60 * 1000, `refreshes from the JWT's exp, got ${result.delayMs}`);
        assert.doesNotMatch(JSON.stringify(logs), /eyJ/, "never logs a token");

        const failed = await refresher.refreshOnce(deps({}, logs), { name: "gcp", file, resource: "x", sidecar: { ...sidecar, agentIdentity: "" } }, 0);
        assert.equal(failed.ok, false);
        assert.match(JSON.stringify(logs.at(-1)), /sidecar answered 400 for AgentfedGcpFederation: AgentIdentity is required/);
        assert.throws(
            () => refresher.parseTargets('[{"name":"a","file":"/t","resource":"r","sidecar":{"api":"x"}}]'),
            /sidecar needs string url, api and agentIdentity/,
        );
        assert.throws(() => refresher.jwtExpiryMs("not-a-jwt"), /not a JWT|without an exp/);
    });

    it("keeps the previous file on failure and backs off exponentially up to 60 s", async () => {
        const file = path.join(mkdtempSync(path.join(tmpdir(), "refresher-")), "token");
        await refresher.refreshOnce(deps({}), { name: "gcp", file, resource: "api://AzureADTokenExchange" }, 0);
        failNext = 1;
        const logs: object[] = [];
        const result = await refresher.refreshOnce(deps({}, logs), { name: "gcp", file, resource: "api://AzureADTokenExchange" }, 3);
        assert.deepEqual([result.ok, result.delayMs], [false, 16000]);
        assert.equal(fileClaims(file).aud, "api://AzureADTokenExchange");
        assert.match(JSON.stringify(logs), /refresh-failed.*answered 500/);
        assert.equal((await refresher.refreshOnce(deps({ IDENTITY_HEADER: "wrong" }), { name: "gcp", file, resource: "x" }, 10)).delayMs, 60000);
    });

    it("says plainly when no managed identity is attached (the 'requests hang' failure mode)", async () => {
        await assert.rejects(refresher.managedIdentityToken({ ...deps({}), env: {} }, "api://x"), /no managed identity is attached/);
    });

    it("never schedules a refresh inside the last minute of a token's life", () => {
        assert.equal(refresher.nextRefreshDelay(0, 90_000), 30_000);
        assert.equal(refresher.nextRefreshDelay(0, 30_000), 0);
        assert.equal(refresher.nextRefreshDelay(0, 24 * 3600 * 1000), 30 * 60 * 1000);
    });

    it("refuses malformed targets", () => {
        assert.throws(() => refresher.parseTargets(undefined), /AGENTFED_TOKEN_TARGETS is not set/);
        assert.throws(() => refresher.parseTargets('[{"name":"a","file":"relative","resource":"r"}]'), /absolute path/);
    });

    it("runs as deployed: `node -e <file text>; main()` with only environment variables", async () => {
        const file = path.join(mkdtempSync(path.join(tmpdir(), "refresher-")), "token");
        const code = `${readFileSync(path.join(__dirname, "..", "src", "runtime", "token-refresher.js"), "utf8")}\nmain();`;
        const child = spawn(process.execPath, ["-e", code], {
            env: {
                IDENTITY_ENDPOINT: `${base}/msi/token`,
                IDENTITY_HEADER,
                AZURE_CLIENT_ID: UAMI_CLIENT_ID,
                AGENTFED_TOKEN_TARGETS: JSON.stringify([{ name: "aws", file, resource: "api://agentfed-aws" }]),
            },
            stdio: ["ignore", "ignore", "pipe"],
        });
        try {
            const deadline = Date.now() + 10_000;
            while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
            assert.equal(fileClaims(file).aud, "api://agentfed-aws");
        } finally {
            child.kill();
        }
    });
});

/**
 * A second loopback server that STANDS IN FOR the managed-identity endpoint under faults: each request takes the next
 * scripted answer (a token with a given expiry, an HTTP error with or without Retry-After, a dropped connection, or no
 * answer at all). Bounded: an unanswered request is dropped after 2 s, and close() destroys every connection.
 */
type Scripted =
    | { kind: "token"; expiresOn?: unknown; expiresIn?: unknown; token?: string }
    | { kind: "status"; status: number; retryAfter?: string }
    | { kind: "reset" }
    | { kind: "hang" };

/** The stand-in's token: a JWT without exp, so its lifetime is whatever the answer's fields say. */
const FAULTY_TOKEN = jwt({ sub: "faulty-endpoint" });

async function startFaultyIdentityEndpoint(script: Scripted[], fallback: Scripted) {
    const hits: number[] = [];
    const sockets = new Set<import("node:net").Socket>();
    const faulty = createServer((req, res) => {
        hits.push(Date.now());
        const next = script.shift() ?? fallback;
        res.setHeader("content-type", "application/json");
        if (next.kind === "reset") return void req.socket.destroy();
        if (next.kind === "hang") return void setTimeout(() => req.socket.destroy(), 2000).unref();
        if (next.kind === "status") {
            res.statusCode = next.status;
            if (next.retryAfter !== undefined) res.setHeader("retry-after", next.retryAfter);
            return void res.end(JSON.stringify({ error: "temporarily_unavailable", error_description: "stand-in fault" }));
        }
        res.end(
            JSON.stringify({
                access_token: next.token ?? FAULTY_TOKEN,
                token_type: "Bearer",
                expires_on: next.expiresOn,
                expires_in: next.expiresIn,
            }),
        );
    });
    faulty.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => faulty.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(faulty.address() as AddressInfo).port}/msi/token`,
        hits,
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                faulty.close(() => resolve());
            }),
    };
}

/** Deps with a fake clock: `waits` records every pause runTarget takes. */
function fakeTime(endpoint: string, logs: { error?: string; retryInS?: number; event?: string }[] = [], extra: object = {}) {
    const clock = { t: Date.parse("2026-10-01T12:00:00Z"), waits: [] as number[] };
    const d = {
        env: { IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER, AZURE_CLIENT_ID: UAMI_CLIENT_ID },
        fetch,
        now: () => clock.t,
        log: (e: object) => logs.push(e),
        sleep: (ms: number) => {
            clock.waits.push(ms);
            clock.t += ms;
            return Promise.resolve();
        },
        ...extra,
    };
    return { d, clock, logs };
}

const secondsFrom = (clock: { t: number }, s: number) => String(Math.floor(clock.t / 1000) + s);

describe("token refresher under faults (loopback stand-ins, fake clock)", () => {
    it("never spins on an endpoint that hands out expired tokens: nothing written, backoff from 2 s to 60 s", async () => {
        const endpoint = await startFaultyIdentityEndpoint([], { kind: "token", expiresOn: "1000000000" });
        try {
            const file = path.join(mkdtempSync(path.join(tmpdir(), "refresher-")), "token");
            const { d, clock, logs } = fakeTime(endpoint.url);
            await refresher.runTarget(d, { name: "aws", file, resource: "api://x" }, 10);
            assert.equal(endpoint.hits.length, 10, "one request per round, however fast the endpoint answers");
            assert.deepEqual(clock.waits, [2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000, 60_000]);
            assert.equal(existsSync(file), false, "an expired token is never written");
            // expires_on 1000000000 (2001-09-09) is read against the stand-in's Date header: expired by decades whatever the fake clock says.
            assert.match(String(logs[0]?.error), /handed out a token that expired at 20\d\d-.*\(-\d+ s left; at least 120 s required\); not written/);
        } finally {
            await endpoint.close();
        }
    });

    it("refuses a token inside its last minutes, and writes the next good one", async () => {
        const file = path.join(mkdtempSync(path.join(tmpdir(), "refresher-")), "token");
        const { d, clock, logs } = fakeTime("http://127.0.0.1:9/unused");
        for (const left of [30, 90, 119]) {
            const r = await refresher.refreshOnce(
                { ...d, fetch: () => Promise.resolve(Response.json({ access_token: jwt({ n: "short" }), expires_on: secondsFrom(clock, left) })) },
                { name: "gcp", file, resource: "r" },
                0,
            );
            assert.equal(r.ok, false, `${left} s left`);
        }
        assert.equal(existsSync(file), false);
        assert.match(String(logs.at(-1)?.error), /expiring at .*\(119 s left; at least 120 s required\); not written/);
        const ok = await refresher.refreshOnce(
            { ...d, fetch: () => Promise.resolve(Response.json({ access_token: jwt({ n: "long" }), expires_on: secondsFrom(clock, 600) })) },
            { name: "gcp", file, resource: "r" },
            0,
        );
        assert.deepEqual([ok.ok, ok.delayMs, fileClaims(file).n], [true, 300_000, "long"]);
    });

    it("reads the expiry from expires_in, else expires_on, else the JWT's exp, and refuses a token of unknown lifetime", async () => {
        const { d, clock, logs } = fakeTime("http://127.0.0.1:9/unused");
        const answer = (body: object) => ({ ...d, fetch: (() => Promise.resolve(Response.json(body))) as typeof fetch });
        const target = (n: string) => ({ name: n, file: path.join(mkdtempSync(path.join(tmpdir(), "refresher-")), "t"), resource: "r" });
        const now = Math.floor(clock.t / 1000);
        assert.equal((await refresher.refreshOnce(answer({ access_token: jwt({}), expires_on: "not-a-number", expires_in: "3600" }), target("a"), 0)).ok, true);
        // expires_in wins over an expires_on that says otherwise: it needs no clock but the local one.
        const both = await refresher.refreshOnce(answer({ access_token: jwt({}), expires_on: String(now + 600), expires_in: 3600 }), target("a2"), 0);
        assert.equal(both.delayMs, 30 * 60 * 1000);
        assert.equal((await refresher.refreshOnce(answer({ access_token: jwt({ exp: now + 3600 }) }), target("b"), 0)).ok, true);
        const unknown = await refresher.refreshOnce(answer({ access_token: jwt({}), expires_on: "soon" }), target("c"), 0);
        assert.equal(unknown.ok, false);
        assert.match(
            String(logs.at(-1)?.error),
            /returned a token without a believable expiry \(expires_in none, expires_on "soon", JWT exp none; at most 48 h ahead is believed\); not written/,
        );
    });

    it("retries 5xx, connection resets, timeouts and refused connections, logging each cause", async () => {
        const endpoint = await startFaultyIdentityEndpoint([{ kind: "status", status: 500 }, { kind: "reset" }, { kind: "hang" }], {
            kind: "token",
            expiresIn: 3600,
        });
        try {
            const file = path.join(mkdtempSync(path.join(tmpdir(), "refresher-")), "token");
            const { d, logs } = fakeTime(endpoint.url, [], { requestTimeoutMs: 100 });
            await refresher.runTarget(d, { name: "aws", file, resource: "api://x" }, 4);
            const errors = logs.filter((l) => l.event === "refresh-failed").map((l) => String(l.error));
            assert.equal(errors.length, 3);
            assert.match(errors[0]!, /answered 500 for resource api:\/\/x: stand-in fault/);
            assert.match(errors[1]!, /the managed-identity endpoint could not be reached: (UND_ERR_SOCKET|ECONNRESET)/);
            assert.match(errors[2]!, /the managed-identity endpoint did not answer within 0\.1 s \(timed out\)/);
            assert.equal(readFileSync(file, "utf8"), FAULTY_TOKEN);
            // A port nothing listens on any more: the connection is refused.
            const closed = createServer();
            await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
            const port = (closed.address() as AddressInfo).port;
            await new Promise<void>((resolve) => closed.close(() => resolve()));
            const refused = fakeTime(`http://127.0.0.1:${port}/msi/token`);
            await refresher.runTarget(refused.d, { name: "aws", file, resource: "api://x" }, 1);
            assert.match(String(refused.logs[0]?.error), /could not be reached: ECONNREFUSED/);
        } finally {
            await endpoint.close();
        }
    });

    it("waits what a 429 asks for, as seconds or as an HTTP date, capped at 5 minutes", async () => {
        const { d, clock, logs } = fakeTime("http://127.0.0.1:9/unused");
        const throttled = (retryAfter: string) => ({
            ...d,
            fetch: (() => Promise.resolve(new Response("{}", { status: 429, headers: { "retry-after": retryAfter } }))) as typeof fetch,
        });
        const target = { name: "gcp", file: "/nonexistent/never-written", resource: "r" };
        assert.equal((await refresher.refreshOnce(throttled("30"), target, 0)).delayMs, 30_000);
        assert.equal((await refresher.refreshOnce(throttled(new Date(clock.t + 45_000).toUTCString()), target, 0)).delayMs, 45_000);
        assert.equal((await refresher.refreshOnce(throttled("1"), target, 3)).delayMs, 16_000, "never shorter than its own backoff");
        assert.equal((await refresher.refreshOnce(throttled("86400"), target, 0)).delayMs, 300_000);
        assert.equal(logs.at(-1)?.retryInS, 300);
        assert.equal(refresher.retryAfterMs("garbage", clock.t), undefined);
    });

    it("leaves no temp file behind when the write or the rename fails (disk full, a directory in the way)", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "refresher-"));
        // The rename fails: the target is a non-empty directory.
        const target = path.join(dir, "token");
        mkdirSync(path.join(target, "occupied"), { recursive: true });
        assert.throws(() => refresher.writeAtomically(target, "t"), /could not write .*token/);
        // The write fails half-way: ENOSPC after the temp file was created.
        const full = {
            mkdirSync,
            renameSync,
            unlinkSync,
            writeFileSync: (file: string) => {
                writeFileSync(file, "partial");
                throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
            },
        } as unknown as Parameters<typeof refresher.writeAtomically>[2];
        assert.throws(() => refresher.writeAtomically(path.join(dir, "other"), "t", full), /could not write .*other: ENOSPC no space left on device/);
        assert.deepEqual(
            readdirSync(dir).filter((f) => f.endsWith(".tmp")),
            [],
        );
    });

    it("as deployed (`node -e`), an endpoint handing out expired tokens gets one request per backoff, not hundreds a second", async () => {
        const endpoint = await startFaultyIdentityEndpoint([], { kind: "token", expiresOn: "1000000000" });
        const file = path.join(mkdtempSync(path.join(tmpdir(), "refresher-")), "token");
        const code = `${readFileSync(path.join(__dirname, "..", "src", "runtime", "token-refresher.js"), "utf8")}\nmain();`;
        const child = spawn(process.execPath, ["-e", code], {
            env: {
                IDENTITY_ENDPOINT: endpoint.url,
                IDENTITY_HEADER,
                AZURE_CLIENT_ID: UAMI_CLIENT_ID,
                AGENTFED_TOKEN_TARGETS: JSON.stringify([{ name: "aws", file, resource: "api://x" }]),
            },
            stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        try {
            await new Promise((r) => setTimeout(r, 1_500));
            assert.equal(endpoint.hits.length, 1, `requests in 1.5 s: ${endpoint.hits.length}`);
            assert.match(stderr, /"event":"refresh-failed".*expired.*"retryInS":2/);
            assert.equal(existsSync(file), false);
        } finally {
            child.kill();
            await endpoint.close();
        }
    });
});
