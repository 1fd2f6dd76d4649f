/**
 * The credential rules every client here follows (src/credentials.ts, src/credentialed-fetch.ts): a token is checked
 * before it is used and never echoed; every text that can carry one is redacted; a request that carries one never
 * follows a redirect, and its answer is bounded in time and size. The servers below listen on 127.0.0.1 only: a
 * plain answering server, and an "evil" one that records every request it receives, so a test can prove that a
 * credential never reached it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fetchWithCredential, isCredentialedFetchError } from "../src/credentialed-fetch";
import {
    bearerTokenFromEnv,
    bearerTokenProblem,
    checkedBearerToken,
    CREDENTIAL_SHAPES,
    CredentialSet,
    headerValueProblem,
    redact,
    REDACTED,
} from "../src/credentials";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const refresher = require("../src/runtime/token-refresher.js") as typeof import("../src/runtime/token-refresher.js");

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
const JWT = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ tid: "t", oid: "o", exp: 2_000_000_000 })}.c2lnbmF0dXJlLWJ5dGVz`;

describe("credentials: checked before use, never echoed", () => {
    it("accepts RFC 6750 b64tokens: JWTs, Google access tokens, padded values", () => {
        for (const token of [JWT, "ya29.a0AfB_byC-example_token", "abc+/def==", "arm-token"]) assert.equal(bearerTokenProblem(token), undefined, token);
    });

    it("refuses a line break, a carriage return, a control character, a space, a non-ASCII character, saying where and never what", () => {
        const cases: [string, RegExp][] = [
            [`${JWT}\nX-Evil: 1`, /holds a line feed \(LF\) at character \d+ of \d+/],
            [`${JWT}\r`, /holds a carriage return \(CR\)/],
            [`abc\u0000def`, /holds a control character \(U\+0000\) at character 4 of 7/],
            [`abc def`, /holds a space at character 4/],
            [`tökenvalue`, /holds a non-ASCII character \(U\+00F6\) at character 2/],
            [`abc=def`, /holds the character "=" at character 4/],
            ["", /is empty/],
        ];
        for (const [token, problem] of cases) assert.match(bearerTokenProblem(token) ?? "", problem, JSON.stringify(token));
        assert.match(headerValueProblem("guid\nX") ?? "", /line feed/);
        assert.equal(headerValueProblem("853b9a84-5bfa-4b22-a3f3-0b9a43d9ad8a"), undefined);
    });

    it("names the environment variable of a bad token, trims a trailing newline, and never prints the value", () => {
        const secret = `${JWT}\nsecond-line-of-the-token`;
        assert.throws(
            () => bearerTokenFromEnv({ AGENTFED_GRAPH_TOKEN: secret }, "AGENTFED_GRAPH_TOKEN"),
            (err: Error) => {
                assert.match(
                    err.message,
                    /^AGENTFED_GRAPH_TOKEN is not usable as a bearer token: it holds a line feed \(LF\) at character \d+ .*nothing was sent/,
                );
                assert.ok(!err.message.includes(JWT) && !err.message.includes("second-line"), err.message);
                return true;
            },
        );
        assert.equal(bearerTokenFromEnv({ T: `${JWT}\n` }, "T"), JWT);
        assert.equal(bearerTokenFromEnv({ T: "  " }, "T"), undefined);
        assert.throws(() => checkedBearerToken("a\rb-token", "@azure/identity"), /the token from @azure\/identity is not usable.*carriage return/);
    });
});

describe("credentials: one redaction for every text that can carry one", () => {
    it("replaces the credentials in play, each line of a multi-line one, and every JWT, Bearer value, Google token and token field", () => {
        const opaque = "opaque-arm-token-0123456789";
        const text = [
            `Headers.append: "Bearer ${opaque}" is an invalid header value.`,
            `invalid token ${JWT} for audience x`,
            `first half eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ0`,
            `Authorization: Bearer someOtherOpaqueTokenValue123`,
            `ya29.a0AfB_byC-example_token expired`,
            `access_token=abcdefgh12345678&x=1 {"client_assertion":"zzzzzzzzzzzzzzzz"}`,
            `line one-of-a-secret and line two-of-a-secret`,
        ].join("\n");
        const out = redact(text, [opaque, "line one-of-a-secret\nline two-of-a-secret"]);
        for (const leaked of [
            opaque,
            JWT,
            "eyJhbGciOiJSUzI1NiJ9",
            "someOtherOpaqueTokenValue123",
            "ya29.",
            "abcdefgh12345678",
            "zzzzzzzzzzzzzzzz",
            "of-a-secret",
        ]) {
            assert.ok(!out.includes(leaked), `${leaked} leaked:\n${out}`);
        }
        assert.match(out, /Bearer \[redacted\]" is an invalid header value/);
        assert.match(out, /for audience x/);
    });

    it("the token refresher, a single dependency-free file, redacts with the same shapes and the same result", () => {
        const shapes = (list: readonly (readonly [RegExp, string])[]) => list.map(([r, replacement]) => [r.source, r.flags, replacement]);
        assert.deepEqual(shapes(refresher.CREDENTIAL_SHAPES), shapes(CREDENTIAL_SHAPES));
        const text = `IDENTITY_HEADER per-replica-secret-value, token ${JWT}, Bearer someOtherOpaqueTokenValue123, client_assertion=abcdefgh12345678`;
        assert.equal(refresher.redact(text, ["per-replica-secret-value"]), redact(text, ["per-replica-secret-value"]));
    });

    it("leaves ordinary report text alone: bearer-token prose, GCP conditions, GUIDs, URLs", () => {
        const text =
            "refusing to follow nextLink: the request carries the bearer token. condition \"assertion.tid == '11111111-1111-1111-1111-111111111111'\" " +
            "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0 client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
        assert.equal(redact(text, ["short"]), text);
    });

    it("a credential set knows the environment's secrets and every token added, and nothing shorter than a credential", () => {
        const set = new CredentialSet({ AGENTFED_GCP_TOKEN: "gcp-env-token-value", AWS_SESSION_TOKEN: "FwoGZXIvYXdzEXAMPLESESSION", HOME: "/home/user" });
        set.add("graph-obtained-token");
        set.add("abc");
        assert.equal(
            set.redact("gcp-env-token-value FwoGZXIvYXdzEXAMPLESESSION graph-obtained-token /home/user abc"),
            `${REDACTED} ${REDACTED} ${REDACTED} /home/user abc`,
        );
    });
});

/** A loopback server whose every answer the test scripts; `seen` records each request's headers and body. */
async function server(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
    const seen: { url: string; headers: IncomingMessage["headers"]; body: string }[] = [];
    const s: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            seen.push({ url: req.url ?? "", headers: req.headers, body });
            handle(req, res, body);
        });
    });
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
        seen,
        close: () => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve()))),
    };
}

describe("credentialed requests: no redirect, one time limit, one size limit", () => {
    let evil: Awaited<ReturnType<typeof server>>;
    let origin: Awaited<ReturnType<typeof server>>;
    let mode: { status?: number; location?: string; trickle?: boolean; bytes?: number } = {};
    before(async () => {
        evil = await server((_req, res) => res.end('{"access_token":"evil"}'));
        origin = await server((_req, res) => {
            if (mode.status) {
                res.writeHead(mode.status, mode.location ? { location: mode.location } : {});
                return void res.end();
            }
            res.writeHead(200, { "content-type": "application/json" });
            if (mode.trickle) {
                res.write('{"value": [');
                const t = setInterval(() => res.write(" "), 20);
                return void res.on("close", () => clearInterval(t));
            }
            if (mode.bytes) {
                // Streams its body in 64 KiB chunks while the client reads; stops when the client goes away.
                let sent = 0;
                const chunk = Buffer.alloc(64 * 1024, 0x20);
                const pump = () => {
                    while (sent < mode.bytes! && res.write(chunk)) sent += chunk.length;
                    if (sent >= mode.bytes!) res.end();
                };
                res.on("drain", pump);
                return void pump();
            }
            res.end('{"value":[]}');
        });
    });
    after(() => Promise.all([evil.close(), origin.close()]));

    const headers = { authorization: `Bearer ${JWT}`, "x-identity-header": "per-replica-secret" };

    for (const status of [301, 302, 303, 307, 308]) {
        it(`a ${status} to another host is refused: the other host never receives the request, its credential or its body`, async () => {
            mode = { status, location: `${evil.url}/steal?x=1` };
            await assert.rejects(
                fetchWithCredential(`${origin.url}/v1/things`, { method: "POST", headers, body: "client_assertion=secret-assertion", timeoutMs: 2_000 }),
                (err: Error) => {
                    assert.ok(isCredentialedFetchError(err, "REDIRECT_REFUSED"));
                    assert.equal(
                        err.message,
                        `answered ${status}, a redirect to ${evil.url}: refused, a request carrying a credential is never sent on to another location`,
                    );
                    return true;
                },
            );
            assert.equal(evil.seen.length, 0);
        });
    }

    it("a redirect to the same host is refused too (a path nobody configured); a 200 is an answer", async () => {
        mode = { status: 302, location: "/elsewhere" };
        await assert.rejects(
            fetchWithCredential(`${origin.url}/v1`, { method: "GET", headers, timeoutMs: 2_000 }),
            /answered 302, a redirect to http:\/\/127\.0\.0\.1/,
        );
        mode = {};
        assert.equal((await fetchWithCredential(`${origin.url}/v1`, { method: "GET", headers, timeoutMs: 2_000 })).text, '{"value":[]}');
    });

    it("a body that never ends is a timeout, said as such, within the one time limit", async () => {
        mode = { trickle: true };
        const started = Date.now();
        await assert.rejects(fetchWithCredential(`${origin.url}/v1`, { method: "GET", headers, timeoutMs: 300 }), (err: Error) => {
            assert.ok(isCredentialedFetchError(err, "TIMEOUT"));
            assert.equal(err.message, "timed out: answered 200 but the body did not end within 0.3 s");
            return true;
        });
        assert.ok(Date.now() - started < 2_000);
    });

    it("a body over the size limit is refused without reading it all", async () => {
        mode = { bytes: 64 * 1024 * 1024 };
        await assert.rejects(
            fetchWithCredential(`${origin.url}/v1`, { method: "GET", headers, timeoutMs: 5_000, maxBodyBytes: 256 * 1024 }),
            (err: Error) => isCredentialedFetchError(err, "BODY_TOO_LARGE") && /with a body over 262144 bytes: refused, not read further/.test(err.message),
        );
    });
});
