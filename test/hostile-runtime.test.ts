/**
 * The hostile-input corpus at run time (issue 24): what a careful attacker and a careless operator put through the
 * tools that hold real credentials, run as each is used. The live trust audit runs in-process against loopback
 * stand-ins of Graph, ARM, GCP IAM and AWS IAM/STS (test/cloud-stand-ins.ts); the token refresher runs against a
 * loopback stand-in for the Container Apps identity endpoint, Entra's token endpoint and the sidecar, and as deployed
 * (`node -e`) where the process itself is the point; the Blueprint FIC provider runs against the Graph stand-in of
 * test/fake-graph.ts; the doctor decodes and judges tokens as its CLI does. A loopback "evil" host stands in for an
 * attacker's server: a redirect is refused only if nothing at all reaches it.
 *
 * Each case passes only when its input is handled: refused with a clear message, reported as a finding, or failed
 * closed; never a credential in an output, never a redirect followed, never a silent pass, never a stack trace.
 * docs/testing.md states the counts per class, and the last test keeps them equal to this corpus.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { AuditCliDependencies, runAuditCli } from "../src/audit/cli";
import type { AuditReport } from "../src/audit/findings";
import { decodeToken } from "../src/doctor/inputs";
import { evaluateContracts } from "../src/doctor/evaluate";
import { blueprintFicProvider, BlueprintFicInputs } from "../src/providers/blueprint-fic-provider";
import { capture, INTERNAL } from "./cli-capture";
import {
    ArmStandIn,
    AwsStandIn,
    EvilHost,
    Fault,
    GcpStandIn,
    GraphStandIn,
    startArmStandIn,
    startAwsStandIn,
    startEvilHost,
    startGcpStandIn,
    startGraphStandIn,
} from "./cloud-stand-ins";
import { APP_ONLY_TOKEN, FakeGraph, startFakeGraph } from "./fake-graph";
import {
    ACCOUNT_ID,
    BLUEPRINT,
    CLASSIC_APP,
    cleanCloudState,
    deployedContracts,
    deployedOutputs,
    POOL_ID,
    PROJECT_NUMBER,
    uamiResourceId,
} from "./fixtures/deployed";
import { BLUEPRINT_OBJECT_ID, SEED_UAMI_TOKEN_CLAIMS, TENANT, UAMI_OID } from "./helpers";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const refresher = require("../src/runtime/token-refresher.js") as typeof import("../src/runtime/token-refresher.js");

const ROOT = path.resolve(__dirname, "..");
const dir = mkdtempSync(path.join(tmpdir(), "hostile-runtime-"));
const NOW = Date.parse("2026-01-31T12:00:00Z");
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
const jwt = (claims: object, header: object = { alg: "RS256", typ: "JWT" }, signature = "c2lnbmF0dXJlLWJ5dGVz") => `${b64(header)}.${b64(claims)}.${signature}`;
/** A Graph access token shaped like Entra's (the audit reads only its tid). */
const graphToken = () => jwt({ tid: TENANT, roles: ["AgentIdentityBlueprint.Read.All"] });
const POOL = `projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/${POOL_ID}`;
const WEATHER_SA = "weather-agent-llm@contoso-agents-prod.iam.gserviceaccount.com";
const PROVIDER_ARN = (deployedContracts().find((c) => c.kind === "aws-role") as { providerArn: string }).providerArn;
const BLUEPRINT_FICS = `/beta/applications/${BLUEPRINT.objectId}/microsoft.graph.agentIdentityBlueprint/federatedIdentityCredentials`;

let graph: GraphStandIn;
let arm: ArmStandIn;
let gcp: GcpStandIn;
let aws: AwsStandIn;
let evil: EvilHost;
let fakeGraph: FakeGraph;
let outputsFile: string;
let files = 0;
const nextFile = (name: string) => path.join(dir, `${files++}-${name}`);

// ------------------------------------------------------------------------------------------------------ the audit

function seed(): void {
    const state = cleanCloudState();
    arm.identities.clear();
    for (const [k, v] of state.identities) arm.identities.set(k, v);
    graph.applications.clear();
    for (const [k, v] of state.applications) graph.applications.set(k, v);
    gcp.pools.clear();
    for (const [k, v] of state.pools) gcp.pools.set(k, v);
    gcp.policies.clear();
    for (const [k, v] of state.policies) gcp.policies.set(k, v);
    aws.providers.clear();
    for (const [k, v] of state.awsProviders) aws.providers.set(k, v);
    aws.roles.splice(0, aws.roles.length, ...state.roles);
    for (const s of [graph, arm, gcp, aws]) {
        s.faults.length = 0;
        s.requests.length = 0;
    }
    graph.token = graphToken();
    evil.received.length = 0;
}

interface AuditRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
    readonly summary: string;
    readonly report: AuditReport | undefined;
}

/** One audit run, in-process, on freshly seeded clean state with `prepare` applied; --json and a summary file. */
async function audit(
    prepare: () => void,
    options: { env?: NodeJS.ProcessEnv; deps?: Partial<AuditCliDependencies>; args?: (summary: string) => string[] } = {},
): Promise<AuditRun> {
    seed();
    prepare();
    const summary = nextFile("summary.md");
    const args = options.args?.(summary) ?? ["--outputs", outputsFile, "--json", "--summary-file", summary];
    const deps: AuditCliDependencies = {
        now: () => NOW,
        http: { sleep: () => Promise.resolve(), now: () => NOW, timeoutMs: 2_000, backoffBaseMs: 1 },
        aws: { iamEndpoint: aws.url, stsEndpoint: aws.url, credentials: { accessKeyId: "AKIDSTANDIN", secretAccessKey: "stand-in" }, maxAttempts: 2 },
        ...options.deps,
        env: {
            AGENTFED_GRAPH_ENDPOINT: graph.url,
            AGENTFED_GCP_IAM_ENDPOINT: gcp.url,
            AGENTFED_ARM_ENDPOINT: arm.url,
            AGENTFED_GRAPH_TOKEN: graphToken(),
            AGENTFED_ARM_TOKEN: arm.token,
            AGENTFED_GCP_TOKEN: gcp.token,
            ...options.env,
        },
    };
    const r = await capture((io) => runAuditCli(args, io, deps));
    let report: AuditReport | undefined;
    try {
        report = JSON.parse(r.stdout) as AuditReport;
    } catch {
        report = undefined;
    }
    const text = existsSync(summary) && statSync(summary).isFile() ? readFileSync(summary, "utf8") : "";
    assert.doesNotMatch(r.stderr, INTERNAL, "an internal error or a stack trace reached the user");
    return { ...r, summary: text, report };
}

/** Every line of every secret (8 characters or more) is absent from stdout, stderr and the summary file. */
function assertNoLeak(run: { stdout: string; stderr: string; summary?: string }, secrets: readonly string[]): void {
    const sinks = { stdout: run.stdout, stderr: run.stderr, summary: run.summary ?? "" };
    for (const secret of secrets) {
        for (const piece of [secret, ...secret.split(/\r\n|\r|\n/)].filter((p) => p.length >= 8)) {
            for (const [sink, text] of Object.entries(sinks)) assert.ok(!text.includes(piece), `${JSON.stringify(piece)} reached ${sink}:\n${text}`);
        }
    }
}

const messages = (r: AuditRun) => (r.report?.errors ?? []).map((e) => `${e.resource}: ${e.message}`).join("\n");
const findingsOf = (r: AuditRun) => (r.report?.findings ?? []).map((f) => [f.severity, f.resource.split("/").pop()] as const);

/** A run that must end as could-not-audit (exit 2) with this message, and leak nothing. */
async function couldNotAudit(r: Promise<AuditRun>, message: RegExp, secrets: readonly string[] = []): Promise<AuditRun> {
    const run = await r;
    assert.equal(run.code, 2, `exit code ${run.code}\n${run.stdout}${run.stderr}`);
    assert.match(`${messages(run)}\n${run.stderr}`, message);
    assertNoLeak(run, secrets);
    return run;
}

/** A redirect must be refused at once: exit 2 with the redirect named, and nothing at all at the evil host. */
async function redirectRefused(r: Promise<AuditRun>, message: RegExp): Promise<void> {
    await couldNotAudit(r, message);
    assert.deepEqual(evil.received, [], "a request reached the evil host");
}

// ------------------------------------------------------------------------------------------------ the refresher

const IDENTITY_HEADER = "853b9a84-5bfa-4b22-a3f3-0b9a43d9ad8a";

/**
 * A loopback server that STANDS IN FOR the Container Apps identity endpoint, Entra's token endpoint or the Entra auth
 * sidecar, scripted per case. Its good answers have the documented shapes: the identity endpoint's
 * `{ access_token, expires_on (epoch seconds, a string), resource, token_type }` ("Managed identities in Azure Container
 * Apps", REST endpoint reference), Entra's client-credentials `{ access_token, expires_in }`, the sidecar's
 * `{ authorizationHeader: "Bearer <JWT>" }`; Node's HTTP server adds the `Date` header an origin server sends (RFC 9110,
 * section 6.6.1). The hostile answers are the cases themselves.
 */
async function tokenEndpoint(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
    const seen: { url: string; headers: IncomingMessage["headers"]; body: string }[] = [];
    const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            seen.push({ url: req.url ?? "", headers: req.headers, body });
            handle(req, res, body);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        seen,
        close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
    };
}

const json = (res: ServerResponse, body: unknown, status = 200) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
};

/** A good token file already in place: a refusal must leave it untouched. */
function goodFile(): { file: string; content: string } {
    const file = nextFile("token");
    const content = jwt({ aud: "api://AzureADTokenExchange", exp: Math.floor(Date.now() / 1000) + 1800, good: true });
    writeFileSync(file, content);
    return { file, content };
}

type Log = { level?: string; event?: string; error?: string; expiresAt?: string };

/** One refresh of one target against `url`, in-process, with the real fetch; what it logged and whether it wrote. */
async function refreshAt(
    url: string,
    body: (res: ServerResponse) => void,
    options: { now?: () => number; env?: Record<string, string>; requestTimeoutMs?: number; target?: object } = {},
) {
    const endpoint = await tokenEndpoint((_req, res) => body(res));
    const { file, content } = goodFile();
    const logs: Log[] = [];
    try {
        const result = await refresher.refreshOnce(
            {
                env: { IDENTITY_ENDPOINT: `${endpoint.url}${url}`, IDENTITY_HEADER, AZURE_CLIENT_ID: "22222222-2222-2222-2222-222222222222", ...options.env },
                fetch,
                now: options.now ?? Date.now,
                log: (e: object) => logs.push(e),
                ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
            },
            { name: "aws", file, resource: "api://agentfed-aws", ...options.target },
            0,
        );
        return { result, logs, error: String(logs.at(-1)?.error ?? ""), written: readFileSync(file, "utf8"), previous: content, endpoint };
    } finally {
        await endpoint.close();
    }
}

/** The refresher must refuse: not written, the previous file kept, the cause logged. */
function refused(r: Awaited<ReturnType<typeof refreshAt>>, message: RegExp): void {
    assert.equal(r.result.ok, false, `written: ${JSON.stringify(r.logs)}`);
    assert.equal(r.written, r.previous, "the good file was overwritten");
    assert.match(r.error, message);
}

/** Runs the refresher as deployed: `node -e "<file text>\nmain();"` with only these environment variables. */
function asDeployed(env: Record<string, string>, until: (stderr: string) => boolean) {
    const code = `${readFileSync(path.join(ROOT, "src", "runtime", "token-refresher.js"), "utf8")}\nmain();`;
    const child = spawn(process.execPath, ["-e", code], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    return new Promise<{ exitCode: number | null; stderr: string }>((resolve) => {
        const done = () => (clearInterval(poll), clearTimeout(limit), resolve({ exitCode: child.exitCode, stderr }));
        const poll = setInterval(() => {
            if (until(stderr)) {
                child.kill();
                done();
            }
        }, 20);
        const limit = setTimeout(() => (child.kill(), done()), 10_000);
        child.on("exit", () => setTimeout(done, 20));
    });
}

// ------------------------------------------------------------------------------------------------- the provider

const T0 = Date.parse("2026-10-01T12:00:00Z");
function provider(token = APP_ONLY_TOKEN) {
    const clock = { t: T0 };
    return blueprintFicProvider(() => Promise.resolve(token), {
        retry: { maxAttempts: 2, requestTimeoutMs: 2_000 },
        clock: { now: () => clock.t, sleep: (ms) => ((clock.t += ms), Promise.resolve()) },
    }) as Required<pulumi.dynamic.ResourceProvider>;
}
const ficInputs = (): BlueprintFicInputs => ({
    graphEndpoint: fakeGraph.url,
    blueprintObjectId: BLUEPRINT_OBJECT_ID,
    name: "uami-mi-weather-agent",
    issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    subject: UAMI_OID,
    audiences: ["api://AzureADTokenExchange"],
});
function freshGraph(): void {
    fakeGraph.reset();
    fakeGraph.blueprints.set(BLUEPRINT_OBJECT_ID, []);
    evil.received.length = 0;
}

// --------------------------------------------------------------------------------------------------- the doctor

const AT = Date.parse("2025-05-31T12:00:00Z") / 1000;
/** Every contract's verdict on a whole token, as the doctor's CLI decodes and judges it. */
function verdicts(token: string) {
    const { claims, form } = decodeToken(token);
    return evaluateContracts(deployedContracts(), claims, AT, form);
}
const CLAIMS = { ...SEED_UAMI_TOKEN_CLAIMS, exp: AT + 3600 };
/** A token no key signed must be rejected by every contract; the same claims, signed, are accepted by the FIC. */
function unsignedRejected(token: string, reason: RegExp): void {
    assert.ok(
        verdicts(jwt(CLAIMS)).some((v) => v.accepted),
        "the signed control token must be accepted somewhere",
    );
    const all = verdicts(token);
    assert.ok(
        all.length > 0 && all.every((v) => !v.accepted),
        `accepted by ${all
            .filter((v) => v.accepted)
            .map((v) => v.contract)
            .join(", ")}`,
    );
    for (const v of all) assert.match(v.reasons[0]!, reason, v.contract);
}

// ------------------------------------------------------------------------------------------------------ the corpus

interface RuntimeCase {
    /** The class of hostile input, as docs/testing.md groups them. */
    readonly class: string;
    /** What the input is, in a few words. */
    readonly what: string;
    readonly run: () => Promise<void> | void;
}

const LEAKS = "A credential in an error text";
const REDIRECTS = "A redirect on a request that carries a credential";
const MISSING = "A declared object that is not found";
const SHAPES = "An answer that is not what the API documents";
const UNSIGNED = "A token no key signed, at the doctor";
const REFRESHER = "An answer or setting the token refresher cannot use";

const fault = (s: { faults: Fault[] }, f: Fault) => () => void s.faults.push(f);

const CASES: RuntimeCase[] = [
    // 1. Credentials never reach a message, a log, a summary or an artifact.
    ...(
        [
            [
                "AGENTFED_GRAPH_TOKEN",
                "a line feed",
                `${graphToken()}\nX-Injected: yes`,
                /AGENTFED_GRAPH_TOKEN is not usable as a bearer token: it holds a line feed \(LF\)/,
            ],
            ["AGENTFED_ARM_TOKEN", "a carriage return", "arm-token-0123456789\rX-Injected: yes", /AGENTFED_ARM_TOKEN is not usable .* carriage return \(CR\)/],
            ["AGENTFED_GCP_TOKEN", "a line feed", "ya29.gcp-token-0123456789\nsecond-line-of-it", /AGENTFED_GCP_TOKEN is not usable .* line feed \(LF\)/],
            ["AGENTFED_GRAPH_TOKEN", "a NUL control character", `${graphToken()}\u0000tail-of-it`, /AGENTFED_GRAPH_TOKEN .* control character \(U\+0000\)/],
            ["AGENTFED_GCP_TOKEN", "a non-ASCII character", "gcp-tökenvalue-0123456789", /AGENTFED_GCP_TOKEN .* non-ASCII character \(U\+00F6\)/],
        ] as const
    ).map(([variable, what, value, message]) => ({
        class: LEAKS,
        what: `${variable} holding ${what}`,
        run: async () => {
            const r = await couldNotAudit(
                audit(() => undefined, { env: { [variable]: value } }),
                message,
                [value],
            );
            assert.match(messages(r), /Its value is not shown/);
            const service = variable.includes("GRAPH") ? graph : variable.includes("ARM") ? arm : gcp;
            assert.deepEqual(service.requests, [], "nothing may be sent with that token");
        },
    })),
    {
        class: LEAKS,
        what: "Graph repeats the bearer token in a 401 body",
        run: async () => {
            const token = graphToken();
            await couldNotAudit(
                audit(fault(graph, { times: 9, echoCredentials: true, match: BLUEPRINT_FICS })),
                /answered 401 UNAUTHENTICATED: the credentials Bearer \[redacted\] are not valid/,
                [token],
            );
        },
    },
    {
        class: LEAKS,
        what: "Resource Manager repeats the bearer token in a 403 body",
        run: async () => {
            await couldNotAudit(
                audit(fault(arm, { times: 9, status: 403, echoCredentials: true })),
                /answered 403 UNAUTHENTICATED: the credentials Bearer \[redacted\] are not valid/,
                [arm.token],
            );
        },
    },
    {
        class: LEAKS,
        what: "GCP IAM repeats the bearer token in a 500, through five attempts",
        run: async () => {
            await couldNotAudit(
                audit(fault(gcp, { times: 99, status: 500, echoCredentials: true })),
                /answered 500 UNAUTHENTICATED: the credentials Bearer \[redacted\].*\(after 5 attempts\)/,
                [gcp.token],
            );
        },
    },
    {
        class: LEAKS,
        what: "AWS STS repeats the session token in its error",
        run: async () => {
            const sessionToken = "FwoGZXIvYXdzEBcaDStandInSessionToken0123456789";
            await couldNotAudit(
                audit(fault(aws, { times: 9, status: 403, echoCredentials: true, match: "GetCallerIdentity" }), {
                    env: { AWS_SESSION_TOKEN: sessionToken },
                    deps: {
                        aws: {
                            iamEndpoint: aws.url,
                            stsEndpoint: aws.url,
                            credentials: { accessKeyId: "ASIASTANDIN", secretAccessKey: "stand-in-secret-key", sessionToken },
                            maxAttempts: 1,
                        },
                    },
                }),
                /sts:GetCallerIdentity .*InvalidClientTokenId: the credentials .* and \[redacted\] are not valid/,
                [sessionToken],
            );
        },
    },
    {
        class: LEAKS,
        what: "a credential library's error text carries a JWT",
        run: async () => {
            const leaked = jwt({ tid: TENANT, note: "the assertion the library tried" });
            await couldNotAudit(
                audit(() => undefined, {
                    deps: { graphToken: () => Promise.reject(new Error(`AADSTS700024: client assertion ${leaked} is not within its valid time range`)) },
                }),
                /AADSTS700024: client assertion \[redacted\] is not within/,
                [leaked],
            );
        },
    },
    {
        class: LEAKS,
        what: "a credential library hands back a token with a line break",
        run: async () => {
            const token = "opaque-gcp-token-0123456789\nX-Injected: yes";
            await couldNotAudit(
                audit(() => undefined, { deps: { gcpToken: () => Promise.resolve(token) } }),
                /not sent, the bearer token holds a line feed \(LF\)/,
                [token],
            );
            assert.deepEqual(gcp.requests, []);
        },
    },
    {
        class: LEAKS,
        what: "the refresher's IDENTITY_HEADER holds a line break",
        run: async () => {
            const header = "853b9a84-5bfa-4b22\nX-Injected: yes";
            const r = await refreshAt("/msi/token", (res) => json(res, {}), { env: { IDENTITY_HEADER: header } });
            refused(r, /IDENTITY_HEADER holds a line feed \(LF\) at character 19 of 34: not sent \(its value is not shown\)/);
            assert.equal(r.endpoint.seen.length, 0);
            assertNoLeak({ stdout: JSON.stringify(r.logs), stderr: "" }, [header]);
        },
    },
    {
        class: LEAKS,
        what: "the identity endpoint repeats the identity header and a token in its error",
        run: async () => {
            const echoed = jwt({ note: "a token the endpoint had cached" });
            const r = await refreshAt("/msi/token", (res) =>
                json(res, { error: "invalid_request", error_description: `X-IDENTITY-HEADER ${IDENTITY_HEADER} does not match; cached ${echoed}` }, 400),
            );
            refused(r, /answered 400 for resource api:\/\/agentfed-aws: X-IDENTITY-HEADER \[redacted\] does not match; cached \[redacted\]/);
            assertNoLeak({ stdout: JSON.stringify(r.logs), stderr: "" }, [IDENTITY_HEADER, echoed]);
        },
    },
    {
        class: LEAKS,
        what: "Graph repeats the provider's bearer token in a 403",
        run: async () => {
            freshGraph();
            const token = `${APP_ONLY_TOKEN}-with-some-length`;
            fakeGraph.fault({ kind: "echo", status: 403 });
            await assert.rejects(provider(token).create(ficInputs()), (err: Error) => {
                assert.match(err.message, /answered 403 Authorization_RequestDenied: The token in 'Bearer \[redacted\]' lacks the privileges/);
                assert.ok(!err.message.includes(token), err.message);
                return true;
            });
        },
    },
    {
        class: LEAKS,
        what: "the provider's credential chain hands back a token with a line break",
        run: async () => {
            freshGraph();
            const token = "app-only-token-0123456789\r\nX-Injected: yes";
            await assert.rejects(provider(token).create(ficInputs()), (err: Error) => {
                assert.match(err.message, /^The Microsoft Graph token from the credential chain holds a carriage return \(CR\) .*: not sent/);
                assert.ok(!err.message.includes("app-only-token-0123456789"), err.message);
                return true;
            });
            assert.deepEqual(fakeGraph.requests, []);
        },
    },

    // 2. A request that carries a credential never follows a redirect.
    {
        class: REDIRECTS,
        what: "Graph answers 302 to another host",
        run: () =>
            redirectRefused(
                audit(() => graph.faults.push({ times: 9, redirectTo: `${evil.url}/steal`, match: BLUEPRINT_FICS })),
                /federatedIdentityCredentials answered 302, a redirect to http:\/\/127\.0\.0\.1:\d+: refused/,
            ),
    },
    {
        class: REDIRECTS,
        what: "Graph answers 302 to a path of its own host",
        run: async () => {
            await redirectRefused(
                audit(() => graph.faults.push({ times: 1, redirectTo: "/v1.0/elsewhere", match: BLUEPRINT_FICS })),
                /answered 302, a redirect to http:\/\/127\.0\.0\.1:\d+: refused/,
            );
            assert.ok(!graph.requests.some((q) => q.includes("/elsewhere")), "the redirect was followed on the same host");
        },
    },
    {
        class: REDIRECTS,
        what: "Resource Manager answers 307",
        run: () =>
            redirectRefused(audit(fault(arm, { times: 9, redirectTo: `${evil.url}/arm`, redirectStatus: 307 })), /answered 307, a redirect to .*: refused/),
    },
    {
        class: REDIRECTS,
        what: "GCP providers.list answers 301",
        run: () =>
            redirectRefused(
                audit(fault(gcp, { times: 9, redirectTo: `${evil.url}/gcp`, redirectStatus: 301, match: "/providers" })),
                /answered 301, a redirect to .*: refused/,
            ),
    },
    {
        class: REDIRECTS,
        what: "GCP getIamPolicy (a POST) answers 308",
        run: () =>
            redirectRefused(
                audit(fault(gcp, { times: 9, redirectTo: `${evil.url}/gcp`, redirectStatus: 308, match: ":getIamPolicy" })),
                /answered 308, a redirect to .*: refused/,
            ),
    },
    {
        class: REDIRECTS,
        what: "AWS STS answers 302",
        run: () => redirectRefused(audit(fault(aws, { times: 9, redirectTo: `${evil.url}/sts`, match: "GetCallerIdentity" })), /sts:GetCallerIdentity/),
    },
    {
        class: REDIRECTS,
        what: "AWS IAM ListRoles answers 307",
        run: () =>
            redirectRefused(
                audit(fault(aws, { times: 9, redirectTo: `${evil.url}/iam`, redirectStatus: 307, match: "ListRoles" })),
                /iam:ListRoles on the account's roles/,
            ),
    },
    {
        class: REDIRECTS,
        what: "the identity endpoint answers 302, as deployed (node -e)",
        run: async () => {
            evil.received.length = 0;
            const endpoint = await tokenEndpoint((_req, res) => (res.writeHead(302, { location: `${evil.url}/msi/token` }), res.end()));
            const file = nextFile("token");
            try {
                const r = await asDeployed(
                    {
                        IDENTITY_ENDPOINT: `${endpoint.url}/msi/token`,
                        IDENTITY_HEADER,
                        AZURE_CLIENT_ID: "22222222-2222-2222-2222-222222222222",
                        AGENTFED_TOKEN_TARGETS: JSON.stringify([{ name: "aws", file, resource: "api://agentfed-aws" }]),
                    },
                    (stderr) => stderr.includes("refresh-failed"),
                );
                assert.match(
                    r.stderr,
                    /the managed-identity endpoint answered 302, a redirect to http:\/\/127\.0\.0\.1:\d+: refused, the X-IDENTITY-HEADER is never sent on/,
                );
                assert.deepEqual(evil.received, []);
                assert.equal(existsSync(file), false, "the evil host's token was written");
            } finally {
                await endpoint.close();
            }
        },
    },
    {
        class: REDIRECTS,
        what: "Entra's token endpoint answers 307 to the exchange (a POST with the client assertion)",
        run: async () => {
            evil.received.length = 0;
            const exp = Math.floor(Date.now() / 1000) + 3600;
            const endpoint = await tokenEndpoint((req, res) => {
                if (req.url?.startsWith("/msi/token"))
                    return json(res, { access_token: jwt({ aud: "api://AzureADTokenExchange", exp }), expires_on: String(exp) });
                res.writeHead(307, { location: `${evil.url}/token` });
                res.end();
            });
            const { file, content } = goodFile();
            const logs: Log[] = [];
            try {
                const result = await refresher.refreshOnce(
                    { env: { IDENTITY_ENDPOINT: `${endpoint.url}/msi/token`, IDENTITY_HEADER }, fetch, now: Date.now, log: (e: object) => logs.push(e) },
                    {
                        name: "aws",
                        file,
                        resource: "api://agentfed-aws",
                        exchange: {
                            tenantId: TENANT,
                            clientId: "66666666-6666-6666-6666-666666666666",
                            scope: "api://x/.default",
                            authorityHost: endpoint.url,
                        },
                    },
                    0,
                );
                assert.equal(result.ok, false);
                assert.match(
                    String(logs.at(-1)?.error),
                    /Entra's token endpoint answered 307, a redirect to .*: refused, the client assertion is never sent on/,
                );
                assert.deepEqual(evil.received, []);
                assert.equal(readFileSync(file, "utf8"), content);
            } finally {
                await endpoint.close();
            }
        },
    },
    {
        class: REDIRECTS,
        what: "the sidecar answers 302",
        run: async () => {
            evil.received.length = 0;
            const sidecar = await tokenEndpoint(
                (_req, res) => (res.writeHead(302, { location: `${evil.url}/AuthorizationHeaderUnauthenticated/x` }), res.end()),
            );
            const { file, content } = goodFile();
            const logs: Log[] = [];
            try {
                const result = await refresher.refreshOnce(
                    { env: {}, fetch, now: Date.now, log: (e: object) => logs.push(e) },
                    {
                        name: "gcp",
                        file,
                        resource: "r",
                        sidecar: { url: sidecar.url, api: "AgentfedGcpFederation", agentIdentity: "aaaaaaaa-0000-4000-8000-000000000004" },
                    },
                    0,
                );
                assert.equal(result.ok, false);
                assert.match(String(logs.at(-1)?.error), /the Entra auth sidecar answered 302, a redirect to .*: refused/);
                assert.deepEqual(evil.received, []);
                assert.equal(readFileSync(file, "utf8"), content);
            } finally {
                await sidecar.close();
            }
        },
    },
    {
        class: REDIRECTS,
        what: "Graph answers the provider's create (a POST) with 307",
        run: async () => {
            freshGraph();
            fakeGraph.fault({ kind: "redirect", status: 307, location: `${evil.url}/steal`, method: "POST" });
            await assert.rejects(provider().create(ficInputs()), /POST .* answered 307, a redirect to http:\/\/127\.0\.0\.1:\d+: refused/);
            assert.deepEqual(evil.received, []);
            assert.equal(fakeGraph.requests.filter((r) => r.method === "POST").length, 1, "not retried");
        },
    },
    {
        class: REDIRECTS,
        what: "Graph answers the provider's read with 302",
        run: async () => {
            freshGraph();
            fakeGraph.fault({ kind: "redirect", status: 302, location: `${evil.url}/steal`, method: "GET" });
            await assert.rejects(
                provider().read(`${BLUEPRINT_OBJECT_ID}/federatedIdentityCredentials/x`, ficInputs()),
                /answered 302, a redirect to .*: refused/,
            );
            assert.deepEqual(evil.received, []);
        },
    },

    // 3. A declared object that is not found fails the run, and whatever was read is still judged.
    {
        class: MISSING,
        what: "the Blueprint answers 404 while its FIC list returns a backdoor",
        run: async () => {
            const r = await audit(() => {
                graph.faults.push({ times: 1, status: 404, code: "Request_ResourceNotFound", match: "agentIdentityBlueprint?$select" });
                graph.applications
                    .get(BLUEPRINT.objectId)!
                    .fics.push({ id: "bd", name: "debug", issuer: "https://x.example", subject: "s", audiences: ["api://AzureADTokenExchange"] });
            });
            assert.equal(r.code, 1);
            assert.deepEqual(findingsOf(r), [
                ["error", "microsoft.graph.agentIdentityBlueprint"],
                ["error", "debug"],
            ]);
        },
    },
    {
        class: MISSING,
        what: "a UAMI answers 404 while its FIC list returns a FIC",
        run: async () => {
            const r = await audit(() => {
                arm.faults.push({ times: 1, status: 404, code: "ResourceNotFound", match: "mi-weather-agent?api-version" });
                arm.identities
                    .get(uamiResourceId("weather").toLowerCase())!
                    .fics.push({ name: "laptop", issuer: "https://x.example", subject: "s", audiences: ["api://AzureADTokenExchange"] });
            });
            assert.equal(r.code, 1);
            assert.deepEqual(findingsOf(r), [
                ["error", "mi-weather-agent"],
                ["error", "laptop"],
            ]);
        },
    },
    {
        class: MISSING,
        what: "a classic app's FIC collection answers 404 while the app holds a live secret",
        run: async () => {
            const r = await audit(() => {
                graph.faults.push({ times: 1, status: 404, code: "Request_ResourceNotFound", match: `${CLASSIC_APP.objectId}/federatedIdentityCredentials` });
                graph.applications
                    .get(CLASSIC_APP.objectId)!
                    .passwordCredentials.push({ keyId: "k1", displayName: "debug", endDateTime: "2099-01-01T00:00:00Z", hint: "abc" });
            });
            assert.equal(r.code, 1);
            assert.deepEqual(findingsOf(r), [
                ["error", "federatedIdentityCredentials"],
                ["error", "k1"],
            ]);
        },
    },
    {
        class: MISSING,
        what: "the GCP pool answers 404",
        run: async () => {
            const r = await audit(() => gcp.pools.delete(POOL));
            assert.equal(r.code, 1);
            assert.deepEqual(findingsOf(r), [["error", POOL_ID]]);
        },
    },
    {
        class: MISSING,
        what: "an agent's service account answers 404",
        run: async () => {
            const r = await audit(() => gcp.policies.delete(WEATHER_SA));
            assert.equal(r.code, 1);
            assert.deepEqual(findingsOf(r), [["error", WEATHER_SA]]);
        },
    },
    {
        class: MISSING,
        what: "a declared GCP provider was purged",
        run: async () => {
            const r = await audit(() => gcp.pools.get(POOL)!.splice(0, 1));
            assert.equal(r.code, 1);
            assert.deepEqual(findingsOf(r), [["error", "entra-uami"]]);
        },
    },
    {
        class: MISSING,
        what: "the AWS OIDC provider answers NoSuchEntity",
        run: async () => {
            const r = await audit(() => aws.providers.delete(PROVIDER_ARN));
            assert.equal(r.code, 1);
            assert.deepEqual(findingsOf(r), [["error", PROVIDER_ARN.split("/").pop()]]);
        },
    },
    {
        class: MISSING,
        what: "a declared AWS role is not in the account",
        run: async () => {
            const r = await audit(() =>
                aws.roles.splice(
                    aws.roles.findIndex((x) => x.roleName === "agentfed-research-bedrock"),
                    1,
                ),
            );
            assert.equal(r.code, 1);
            assert.deepEqual(findingsOf(r), [["error", "agentfed-research-bedrock"]]);
        },
    },
    {
        class: MISSING,
        what: "a declared FIC was deleted",
        run: async () => {
            const r = await audit(() => graph.applications.get(BLUEPRINT.objectId)!.fics.pop());
            assert.equal(r.code, 1);
            assert.deepEqual(findingsOf(r), [["error", "uami-mi-finance-agent"]]);
        },
    },
    {
        class: MISSING,
        what: "every Graph object answers Graph's own 404 (another tenant's objects, stale outputs)",
        run: async () => {
            const r = await audit(() => graph.applications.clear());
            assert.equal(r.code, 1);
            assert.ok(r.report!.findings.filter((f) => f.cloud === "entra").length >= 4 && r.report!.findings.every((f) => f.severity === "error"));
        },
    },
    {
        class: MISSING,
        what: "AGENTFED_GRAPH_ENDPOINT ending in /v1.0",
        run: async () => {
            const r = await audit(() => undefined, { env: { AGENTFED_GRAPH_ENDPOINT: `${graph.url}/v1.0` } });
            assert.equal(r.code, 2);
            assert.match(
                r.stderr,
                /AGENTFED_GRAPH_ENDPOINT=".*\/v1\.0" must be a bare root URL, without a path: .*every object would answer 404\. Use http:\/\/127\.0\.0\.1:\d+/,
            );
            assert.deepEqual(graph.requests, []);
        },
    },
    {
        class: MISSING,
        what: "AGENTFED_ARM_ENDPOINT with a path",
        run: async () => {
            const r = await audit(() => undefined, { env: { AGENTFED_ARM_ENDPOINT: `${arm.url}/subscriptions/` } });
            assert.equal(r.code, 2);
            assert.match(r.stderr, /AGENTFED_ARM_ENDPOINT=".*\/subscriptions\/" must be a bare root URL, without a path/);
        },
    },
    {
        class: MISSING,
        what: "a Graph endpoint that is not Graph: 404 without Graph's error body, everywhere",
        run: async () => {
            const r = await audit(() => graph.faults.push({ times: 99, raw: { status: 404, contentType: "text/html", body: "<html>Not Found</html>" } }));
            assert.equal(r.code, 2);
            assert.match(
                messages(r),
                /answered 404 without the service's JSON error body, so it is not the API the audit reads: check the endpoint \(AGENTFED_GRAPH_ENDPOINT must be the API's root\)/,
            );
            assert.ok(!r.report!.findings.some((f) => f.cloud === "entra" && /not found/.test(f.message)), "a wrong endpoint is not 'not found'");
        },
    },

    // 4. An answer that is not what the API documents is a part not audited, never a pass or a TypeError.
    {
        class: SHAPES,
        what: "Resource Manager answers 200 {} for a UAMI",
        run: () =>
            couldNotAudit(
                audit(fault(arm, { times: 1, raw: { body: "{}" }, match: "mi-weather-agent?api-version" })),
                /without properties\.principalId \(a GUID\): its object id could not be checked/,
            ).then(() => undefined),
    },
    {
        class: SHAPES,
        what: "Resource Manager answers a UAMI's FIC list with 200 {}",
        run: () =>
            couldNotAudit(
                audit(fault(arm, { times: 1, raw: { body: "{}" }, match: "mi-weather-agent/federatedIdentityCredentials" })),
                /answered without a value array/,
            ).then(() => undefined),
    },
    {
        class: SHAPES,
        what: "STS answers 200 with an HTML page",
        run: () =>
            couldNotAudit(
                audit(fault(aws, { times: 9, raw: { contentType: "text/html", body: "<html>Sign in to the proxy</html>" }, match: "GetCallerIdentity" })),
                /sts:GetCallerIdentity answered 200 without an account id .*nothing was read/,
            ).then(() => undefined),
    },
    {
        class: SHAPES,
        what: "IAM GetOpenIDConnectProvider answers 200 with an HTML page",
        run: () =>
            couldNotAudit(
                audit(fault(aws, { times: 9, raw: { contentType: "text/html", body: "<html>proxy</html>" }, match: "GetOpenIDConnectProvider" })),
                /GetOpenIDConnectProvider .*UnreadableAnswer: answered 200 without the provider's Url/,
            ).then(() => undefined),
    },
    {
        class: SHAPES,
        what: "IAM ListRoles answers 200 with an HTML page",
        run: async () => {
            const r = await couldNotAudit(
                audit(fault(aws, { times: 9, raw: { contentType: "text/html", body: "<html>proxy</html>" }, match: "ListRoles" })),
                /iam:ListRoles .*UnreadableAnswer: answered 200 without a Roles list/,
            );
            assert.ok(!r.report!.findings.some((f) => f.cloud === "aws"), "no role may be reported missing from a list that was not read");
        },
    },
    {
        class: SHAPES,
        what: "GCP providers.list answers null",
        run: () =>
            couldNotAudit(
                audit(fault(gcp, { times: 1, raw: { body: "null" }, match: "/providers" })),
                /answered 200 with null, not the JSON object the API documents/,
            ).then(() => undefined),
    },
    {
        class: SHAPES,
        what: "GCP getIamPolicy answers an array",
        run: () =>
            couldNotAudit(audit(fault(gcp, { times: 1, raw: { body: "[]" }, match: ":getIamPolicy" })), /answered 200 with an array, not the JSON object/).then(
                () => undefined,
            ),
    },
    {
        class: SHAPES,
        what: "GCP getIamPolicy answers bindings [null]",
        run: () =>
            couldNotAudit(
                audit(fault(gcp, { times: 1, raw: { body: '{"bindings":[null]}' }, match: ":getIamPolicy" })),
                /with a binding that is not an object/,
            ).then(() => undefined),
    },
    {
        class: SHAPES,
        what: "Graph answers the Blueprint with 200 {} (no appId)",
        run: () =>
            couldNotAudit(
                audit(fault(graph, { times: 1, raw: { body: "{}" }, match: "agentIdentityBlueprint?$select" })),
                /Graph returned an application without appId/,
            ).then(() => undefined),
    },
    {
        class: SHAPES,
        what: "Graph's FIC list is a body that never ends",
        run: async () => {
            const started = Date.now();
            await couldNotAudit(
                audit(fault(graph, { times: 9, trickle: true, match: BLUEPRINT_FICS }), {
                    deps: { http: { sleep: () => Promise.resolve(), now: () => NOW, timeoutMs: 300, maxAttempts: 2, backoffBaseMs: 1 } },
                }),
                /federatedIdentityCredentials: timed out: answered 200 but the body did not end within 0\.3 s \(after 2 attempts\)/,
            );
            assert.ok(Date.now() - started < 5_000);
        },
    },
    {
        class: SHAPES,
        what: "Graph's FIC list is a body over the size limit",
        run: () =>
            couldNotAudit(
                audit(fault(graph, { times: 9, oversize: 4 * 1024 * 1024, match: BLUEPRINT_FICS }), {
                    deps: { http: { sleep: () => Promise.resolve(), now: () => NOW, timeoutMs: 5_000, maxBodyBytes: 256 * 1024, backoffBaseMs: 1 } },
                }),
                /federatedIdentityCredentials answered 200 with a body over 262144 bytes: refused, not read further/,
            ).then(() => undefined),
    },
    {
        class: SHAPES,
        what: "--summary-file is a directory",
        run: async () => {
            const directory = nextFile("summary-dir");
            mkdirSync(directory);
            const r = await audit(() => undefined, { args: () => ["--outputs", outputsFile, "--summary-file", directory] });
            assert.equal(r.code, 2);
            assert.match(r.stderr, /--summary-file .* is a directory; pass a file/);
            assert.deepEqual([graph.requests, gcp.requests, arm.requests], [[], [], []], "refused before anything was read");
        },
    },
    {
        class: SHAPES,
        what: "--summary-file in a directory that does not exist",
        run: async () => {
            const r = await audit(() => undefined, {
                args: () => ["--outputs", outputsFile, "--json", "--summary-file", path.join(dir, "no-such-dir", "summary.md")],
            });
            assert.equal(r.code, 2, "a clean audit whose report could not be written is not a pass");
            assert.match(r.stderr, /could not write --summary-file .*no such file.*the run fails since its report is incomplete/);
            assert.deepEqual(r.report, { findings: [], errors: [] });
        },
    },

    // 10. The doctor: a token no key signed is refused by every contract, without a key.
    {
        class: UNSIGNED,
        what: 'alg "none" with an empty signature',
        run: () => unsignedRejected(jwt(CLAIMS, { alg: "none" }, ""), /it is unsigned \(alg "none"/),
    },
    { class: UNSIGNED, what: 'alg "None" with a signature', run: () => unsignedRejected(jwt(CLAIMS, { alg: "None" }), /it is unsigned \(alg "None"/) },
    { class: UNSIGNED, what: 'alg "NONE", typ JWT', run: () => unsignedRejected(jwt(CLAIMS, { alg: "NONE", typ: "JWT" }, ""), /it is unsigned/) },
    {
        class: UNSIGNED,
        what: "RS256 with an empty signature",
        run: () => unsignedRejected(jwt(CLAIMS, { alg: "RS256" }, ""), /its signature is empty \(alg "RS256"/),
    },
    {
        class: UNSIGNED,
        what: "HS256, a shared secret",
        run: () => unsignedRejected(jwt(CLAIMS, { alg: "HS256" }), /signed with a shared secret \(alg "HS256"\)/),
    },
    { class: UNSIGNED, what: "a header without alg", run: () => unsignedRejected(jwt(CLAIMS, { typ: "JWT" }), /its header has no alg/) },

    // 11. The token refresher: what it cannot use is refused, the good file stays, and it says why.
    {
        class: REFRESHER,
        what: "an access_token that is not a JWT",
        run: async () =>
            refused(
                await refreshAt("/msi/token", (res) => json(res, { access_token: "opaque-token", expires_in: 3600 })),
                /returned an access token that is not a JWT \(12 characters/,
            ),
    },
    {
        class: REFRESHER,
        what: "an empty access_token",
        run: async () =>
            refused(
                await refreshAt("/msi/token", (res) => json(res, { access_token: "", expires_in: 3600 })),
                /returned an access token that is empty; not written/,
            ),
    },
    {
        class: REFRESHER,
        what: "an unsigned JWT (alg none)",
        run: async () =>
            refused(
                await refreshAt("/msi/token", (res) => json(res, { access_token: jwt({ exp: 2_000_000_000 }, { alg: "none" }, ""), expires_in: 3600 })),
                /is an unsigned JWT/,
            ),
    },
    {
        class: REFRESHER,
        what: "a 4 MiB body (the container has 0.5 GiB)",
        run: async () => {
            const r = await refreshAt("/msi/token", (res) => {
                res.writeHead(200, { "content-type": "application/json" });
                let sent = 0;
                const chunk = Buffer.alloc(64 * 1024, 0x20);
                const pump = () => {
                    while (sent < 4 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
                    if (sent >= 4 * 1024 * 1024) res.end();
                };
                res.on("drain", pump);
                pump();
            });
            refused(r, new RegExp(`answered 200 with a body over ${refresher.MAX_BODY_BYTES} bytes: refused, not read further`));
        },
    },
    {
        class: REFRESHER,
        what: "a body that never ends",
        run: async () => {
            const r = await refreshAt(
                "/msi/token",
                (res) => {
                    res.writeHead(200, { "content-type": "application/json" });
                    res.write('{"access_token": "');
                    const t = setInterval(() => res.write("a"), 20);
                    res.on("close", () => clearInterval(t));
                },
                { requestTimeoutMs: 300 },
            );
            refused(r, /the managed-identity endpoint answered 200 but its body did not end within 0\.3 s \(timed out\)/);
        },
    },
    {
        class: REFRESHER,
        what: 'expires_on "1e300" beside a JWT exp',
        run: async () => {
            const exp = Math.floor(Date.now() / 1000) + 3600;
            const r = await refreshAt("/msi/token", (res) => json(res, { access_token: jwt({ exp }), expires_on: "1e300" }));
            assert.equal(r.result.ok, true, r.error);
            // exp, read against the answer's Date header (whole seconds), is the expiry used.
            assert.ok(Math.abs(Date.parse(r.logs.at(-1)!.expiresAt!) - exp * 1000) < 2_000, `the believable exp is used: ${r.logs.at(-1)?.expiresAt}`);
            assert.doesNotMatch(JSON.stringify(r.logs), /Invalid time value/);
        },
    },
    {
        class: REFRESHER,
        what: 'expires_on "1e300" and nothing else',
        run: async () =>
            refused(
                await refreshAt("/msi/token", (res) => json(res, { access_token: jwt({}), expires_on: "1e300" })),
                /without a believable expiry \(expires_in none, expires_on "1e300", JWT exp none; at most 48 h ahead is believed\); not written/,
            ),
    },
    {
        class: REFRESHER,
        what: 'expires_in "Infinity", expires_on "-1", exp 1e300',
        run: async () =>
            refused(
                await refreshAt("/msi/token", (res) => json(res, { access_token: jwt({ exp: 1e300 }), expires_in: "Infinity", expires_on: "-1" })),
                /without a believable expiry/,
            ),
    },
    {
        class: REFRESHER,
        what: "the container clock an hour ahead, expires_in 3600 beside expires_on",
        run: async () => {
            const exp = Math.floor(Date.now() / 1000) + 3600;
            const r = await refreshAt("/msi/token", (res) => json(res, { access_token: jwt({ exp }), expires_on: String(exp), expires_in: 3600 }), {
                now: () => Date.now() + 3_600_000,
            });
            assert.equal(r.result.ok, true, r.error);
        },
    },
    {
        class: REFRESHER,
        what: "the container clock an hour ahead, expires_on only (as Container Apps answers), with the answer's Date",
        run: async () => {
            const exp = Math.floor(Date.now() / 1000) + 3600;
            const r = await refreshAt(
                "/msi/token",
                (res) => json(res, { access_token: jwt({ exp }), expires_on: String(exp), resource: "api://agentfed-aws", token_type: "Bearer" }),
                {
                    now: () => Date.now() + 3_600_000,
                },
            );
            assert.equal(r.result.ok, true, r.error);
        },
    },
    {
        class: REFRESHER,
        what: "the sidecar hands back a Bearer value that is not a JWT",
        run: async () => {
            const sidecar = await tokenEndpoint((_req, res) => json(res, { authorizationHeader: "Bearer not-a-jwt" }));
            const { file, content } = goodFile();
            const logs: Log[] = [];
            try {
                const result = await refresher.refreshOnce(
                    { env: {}, fetch, now: Date.now, log: (e: object) => logs.push(e) },
                    {
                        name: "gcp",
                        file,
                        resource: "r",
                        sidecar: { url: sidecar.url, api: "AgentfedGcpFederation", agentIdentity: "aaaaaaaa-0000-4000-8000-000000000004" },
                    },
                    0,
                );
                assert.equal(result.ok, false);
                assert.match(String(logs.at(-1)?.error), /the Entra auth sidecar returned an access token that is not a JWT/);
                assert.equal(readFileSync(file, "utf8"), content);
            } finally {
                await sidecar.close();
            }
        },
    },
    {
        class: REFRESHER,
        what: "AGENTFED_TOKEN_TARGETS that is not JSON, as deployed",
        run: async () => {
            const r = await asDeployed({ AGENTFED_TOKEN_TARGETS: "[{name: aws}]" }, () => false);
            assert.equal(r.exitCode, 2);
            const lines = r.stderr.trim().split("\n");
            assert.equal(lines.length, 1, r.stderr);
            const entry = JSON.parse(lines[0]!) as Log;
            assert.deepEqual([entry.level, entry.event], ["error", "bad-configuration"]);
            assert.match(String(entry.error), /^AGENTFED_TOKEN_TARGETS is not JSON \(/);
            assert.doesNotMatch(r.stderr, /\n\s+at /);
        },
    },
    {
        class: REFRESHER,
        what: "AGENTFED_TOKEN_TARGETS holding null and a second target on the same file, as deployed",
        run: async () => {
            for (const [targets, message] of [
                ["[null]", /AGENTFED_TOKEN_TARGETS\[0\] needs string name, file and resource/],
                [
                    JSON.stringify([
                        { name: "a", file: "/t/x", resource: "r" },
                        { name: "b", file: "/t/x", resource: "r" },
                    ]),
                    /AGENTFED_TOKEN_TARGETS\[1\]\.file "\/t\/x" is another target's file too/,
                ],
            ] as const) {
                const r = await asDeployed({ AGENTFED_TOKEN_TARGETS: targets }, () => false);
                assert.equal(r.exitCode, 2);
                assert.match(String((JSON.parse(r.stderr) as Log).error), message);
                assert.doesNotMatch(r.stderr, /\n\s+at /);
            }
        },
    },
];

before(async () => {
    [graph, arm, gcp, aws, evil, fakeGraph] = await Promise.all([
        startGraphStandIn(),
        startArmStandIn(),
        startGcpStandIn(),
        startAwsStandIn(ACCOUNT_ID),
        startEvilHost(),
        startFakeGraph(),
    ]);
    outputsFile = path.join(dir, "outputs.json");
    writeFileSync(outputsFile, JSON.stringify(deployedOutputs()));
});
after(() => Promise.all([graph.close(), arm.close(), gcp.close(), aws.close(), evil.close(), fakeGraph.close()]));

type Outcome = "handled" | "mishandled" | "internal error";
const outcomes = new Map<RuntimeCase, Outcome>();

describe("hostile input at run time (issue 24): the audit, the refresher, the Blueprint FIC provider, the doctor", () => {
    for (const c of CASES) {
        it(`${c.class}: ${c.what}`, async () => {
            try {
                await c.run();
                outcomes.set(c, "handled");
            } catch (err) {
                outcomes.set(c, err instanceof assert.AssertionError ? "mishandled" : "internal error");
                throw err;
            }
        });
    }

    it("states in docs/testing.md the counts this corpus produces: every input handled", () => {
        const byClass = new Map<string, { tried: number; handled: number }>();
        for (const c of CASES) {
            const entry = byClass.get(c.class) ?? { tried: 0, handled: 0 };
            entry.tried++;
            if (outcomes.get(c) === "handled") entry.handled++;
            byClass.set(c.class, entry);
        }
        const count = (o: Outcome) => CASES.filter((c) => outcomes.get(c) === o).length;
        assert.deepEqual([count("mishandled"), count("internal error")], [0, 0]);
        const text = readFileSync(path.join(ROOT, "docs", "testing.md"), "utf8");
        const start = text.indexOf("\n## Hostile input at run time\n");
        assert.ok(start >= 0, "docs/testing.md has no 'Hostile input at run time' section");
        const end = text.indexOf("\n## ", start + 1);
        const section = text.slice(start, end < 0 ? undefined : end);
        const totals = /\*\*(\d+)\*\* hostile inputs tried: \*\*(\d+)\*\* handled[^*]*\*\*(\d+)\*\* mishandled, \*\*(\d+)\*\* internal errors/.exec(section);
        assert.ok(totals, "docs/testing.md, Hostile input at run time: the totals sentence is missing");
        assert.deepEqual(totals.slice(1).map(Number), [CASES.length, count("handled"), count("mishandled"), count("internal error")]);
        const rows = [...section.matchAll(/^\| ([^|]+?) \| (\d+) \| (\d+) \|$/gm)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
        assert.deepEqual(
            rows,
            [...byClass].map(([name, n]) => [name, n.tried, n.handled]),
            "docs/testing.md, Hostile input at run time: the table must list each class of the corpus, in order, with its counts",
        );
    });
});
