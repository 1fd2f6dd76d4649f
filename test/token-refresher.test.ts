import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, existsSync, statSync } from "node:fs";
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
                        access_token: `mi-token-for:${url.searchParams.get("resource")}`,
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
                const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
                const exp = Math.floor(Date.now() / 1000) + 3600;
                const jwt = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ aud: "api://agentfed-research-cloud", oid: agentIdentity, exp })}.c2ln`;
                return res.end(JSON.stringify({ authorizationHeader: `Bearer ${jwt}` }));
            }
            if (url.pathname.endsWith("/oauth2/v2.0/token")) {
                return res.end(JSON.stringify({ access_token: `exchanged-token-for:${form.scope}`, expires_in: 3599, token_type: "Bearer" }));
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
        assert.equal(readFileSync(file, "utf8"), "mi-token-for:api://agentfed-aws");
        const req = seen.at(-1)!;
        assert.deepEqual(
            [req.header, req.query["resource"], req.query["client_id"], req.query["api-version"]],
            [IDENTITY_HEADER, "api://agentfed-aws", UAMI_CLIENT_ID, "2019-08-01"],
        );
        assert.ok(result.delayMs > 25 * 60 * 1000 && result.delayMs <= 30 * 60 * 1000, `refreshes within 30 minutes, got ${result.delayMs}`);
        assert.equal(statSync(file).mode & 0o777, 0o644);
        assert.doesNotMatch(JSON.stringify(logs), /mi-token-for/, "never logs a token");
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
        assert.equal(readFileSync(file, "utf8"), "exchanged-token-for:api://agentfed-aws/.default");
        const [mi, token] = seen.slice(-2);
        assert.equal(mi!.query["resource"], "api://AzureADTokenExchange");
        assert.equal(token!.path, "/11111111-1111-1111-1111-111111111111/oauth2/v2.0/token");
        assert.deepEqual(
            [token!.form!["grant_type"], token!.form!["client_id"], token!.form!["client_assertion"]],
            ["client_credentials", exchange.clientId, "mi-token-for:api://AzureADTokenExchange"],
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
        const claims = JSON.parse(Buffer.from(readFileSync(file, "utf8").split(".")[1]!, "base64url").toString("utf8")) as { oid: string };
        assert.equal(claims.oid, sidecar.agentIdentity, "the file holds the bare JWT, without the Bearer prefix");
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
        assert.equal(readFileSync(file, "utf8"), "mi-token-for:api://AzureADTokenExchange");
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
            assert.equal(readFileSync(file, "utf8"), "mi-token-for:api://agentfed-aws");
        } finally {
            child.kill();
        }
    });
});
