/**
 * `npm run audit` end to end against loopback stand-ins of Microsoft Graph, GCP IAM and AWS IAM/STS
 * (test/cloud-stand-ins.ts): the CLI module runs in-process with its real readers (fetch; the real AWS SDK, so its
 * XML parsing and paginator run), only the endpoints, tokens and sleep injected. Each attack of issue #15 is
 * planted in otherwise clean state and must be reported with the resource named; paging, throttling, timeouts,
 * refused connections and missing permissions must each end in a clear message, never a pass.
 */
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { AuditCliDependencies, runAuditCli } from "../src/audit/cli";
import type { AuditReport } from "../src/audit/findings";
import { retryAfterMs } from "../src/audit/http";
import type { TrustContract } from "../src/contracts";
import { runPlan } from "../src/plan/run-plan";
import { createModeConfig } from "./fixtures/create-mode";
import { capture, INTERNAL } from "./cli-capture";
import { ArmStandIn, AwsStandIn, GcpStandIn, GraphStandIn, startArmStandIn, startAwsStandIn, startGcpStandIn, startGraphStandIn } from "./cloud-stand-ins";
import { agentClass, option2Class } from "./fixtures/agent-classes";
import {
    ACCOUNT_ID,
    BLUEPRINT,
    CLASSIC_APP,
    cleanCloudState,
    deployedContracts,
    deployedOutputs,
    INTERMEDIARY_URI,
    POOL_ID,
    PROJECT_NUMBER,
    uamiResourceId,
} from "./fixtures/deployed";
import { OTHER_TENANT, TENANT } from "./helpers";

const dir = mkdtempSync(path.join(tmpdir(), "audit-"));
const NOW = Date.parse("2026-01-31T12:00:00Z");
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
/** A Graph access token shaped like Entra's (the audit reads only its tid). */
const graphToken = (tid = TENANT) => `${b64({ typ: "JWT", alg: "RS256" })}.${b64({ tid, roles: ["AgentIdentityBlueprint.Read.All"] })}.c2ln`;
const POOL = `projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/${POOL_ID}`;
const PROVIDER_ARN = (deployedContracts().find((c) => c.kind === "aws-role") as { providerArn: string }).providerArn;
const WEATHER_SA = "weather-agent-llm@contoso-agents-prod.iam.gserviceaccount.com";

let graph: GraphStandIn;
let arm: ArmStandIn;
let gcp: GcpStandIn;
let aws: AwsStandIn;
let outputsFile: string;
let sleeps: number[];

function seed(contracts: TrustContract[] = deployedContracts(), outputs?: Record<string, unknown>): void {
    const state = cleanCloudState(contracts, outputs);
    arm.identities.clear();
    for (const [k, v] of state.identities) arm.identities.set(k, v);
    arm.forbidden.length = 0;
    arm.pageSize = 100;
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
    graph.forbidden.length = 0;
    gcp.forbidden.length = 0;
    aws.denied.length = 0;
    graph.pageSize = 100;
    graph.nextLinkOverride = undefined;
    graph.token = graphToken();
    gcp.maxPageSize = 100;
    aws.pageSize = 100;
    aws.accountId = ACCOUNT_ID;
    sleeps = [];
}

function deps(over: Partial<AuditCliDependencies> & { env?: NodeJS.ProcessEnv } = {}): AuditCliDependencies {
    return {
        now: () => NOW,
        http: { sleep: (ms) => (sleeps.push(ms), Promise.resolve()), now: () => NOW, timeoutMs: 2_000, backoffBaseMs: 1 },
        aws: { iamEndpoint: aws.url, stsEndpoint: aws.url, credentials: { accessKeyId: "AKIDSTANDIN", secretAccessKey: "stand-in" }, maxAttempts: 3 },
        ...over,
        env: {
            AGENTFED_GRAPH_ENDPOINT: graph.url,
            AGENTFED_GCP_IAM_ENDPOINT: gcp.url,
            AGENTFED_GRAPH_TOKEN: graphToken(),
            AGENTFED_ARM_ENDPOINT: arm.url,
            AGENTFED_ARM_TOKEN: arm.token,
            AGENTFED_GCP_TOKEN: gcp.token,
            ...over.env,
        },
    };
}

const audit = (args: string[] = ["--outputs", outputsFile, "--json"], d: AuditCliDependencies = deps()) => capture((io) => runAuditCli(args, io, d));
async function report(args?: string[], d?: AuditCliDependencies): Promise<AuditReport & { code: number; stderr: string }> {
    const r = await audit(args, d);
    assert.doesNotMatch(r.stderr, INTERNAL);
    return { ...(JSON.parse(r.stdout) as AuditReport), code: r.code, stderr: r.stderr };
}

before(async () => {
    [graph, arm, gcp, aws] = await Promise.all([startGraphStandIn(), startArmStandIn(), startGcpStandIn(), startAwsStandIn(ACCOUNT_ID)]);
    outputsFile = path.join(dir, "outputs.json");
    writeFileSync(outputsFile, JSON.stringify(deployedOutputs()));
});
after(() => Promise.all([graph.close(), arm.close(), gcp.close(), aws.close()]));
beforeEach(() => seed());

describe("audit: clean state", () => {
    it("passes with exit 0, reading every declared object through each cloud's own API", async () => {
        const r = await report();
        assert.deepEqual([r.code, r.findings, r.errors], [0, [], []]);
        assert.deepEqual(graph.requests.sort(), [
            `GET /beta/applications/${BLUEPRINT.objectId}/microsoft.graph.agentIdentityBlueprint/federatedIdentityCredentials`,
            `GET /beta/applications/${BLUEPRINT.objectId}/microsoft.graph.agentIdentityBlueprint?$select=id,appId,passwordCredentials,keyCredentials`,
            `GET /v1.0/applications/${CLASSIC_APP.objectId}/federatedIdentityCredentials`,
            `GET /v1.0/applications/${CLASSIC_APP.objectId}?$select=id,appId,passwordCredentials,keyCredentials`,
        ]);
        assert.deepEqual(
            gcp.requests.filter((q) => q.startsWith("GET")),
            [`GET /v1/${POOL}/providers?showDeleted=true&pageSize=100`],
        );
        assert.equal(gcp.requests.filter((q) => q.includes(":getIamPolicy?options.requestedPolicyVersion=3")).length, 3);
        assert.deepEqual(
            aws.requests.map((q) => q.split(" ").pop()),
            ["GetCallerIdentity", "GetOpenIDConnectProvider", "ListRoles"],
        );
    });

    it("prints a plain-text table by default", async () => {
        const r = await audit(["--outputs", outputsFile]);
        assert.equal(r.code, 0);
        assert.match(
            r.stdout,
            /^Live trust audit of --outputs .*outputs\.json \(entra, gcp, aws\), 2026-01-31T12:00:00.000Z\n\nNo findings: the clouds hold exactly the trusts the stack declares\.\n\nSummary: 0 errors, 0 warnings\.\n$/,
        );
    });
});

describe("audit: the attacks of issue #15, each reported with the resource named", () => {
    it("a backdoor FIC added to the Blueprint in the portal", async () => {
        graph.applications.get(BLUEPRINT.objectId)!.fics.push({
            id: "bd",
            name: "debug",
            issuer: "https://token.actions.githubusercontent.com",
            subject: "repo:someone/else:ref:refs/heads/main",
            audiences: ["api://AzureADTokenExchange"],
        });
        const r = await report();
        assert.equal(r.code, 1);
        assert.deepEqual(
            r.findings.map((f) => [f.severity, f.cloud, f.resource]),
            [["error", "entra", `/beta/applications/${BLUEPRINT.objectId}/microsoft.graph.agentIdentityBlueprint/federatedIdentityCredentials/debug`]],
        );
        assert.deepEqual(Object.keys(r.findings[0]!), ["severity", "cloud", "resource", "message"]);
    });

    it("a tampered FIC (subject changed) on a classic app registration, read through v1.0", async () => {
        graph.applications.get(CLASSIC_APP.objectId)!.fics[0]!.subject = "99999999-9999-9999-9999-999999999999";
        const r = await report();
        assert.equal(r.code, 1);
        assert.equal(r.findings.length, 1);
        assert.match(r.findings[0]!.resource, new RegExp(`^/v1\\.0/applications/${CLASSIC_APP.objectId}/federatedIdentityCredentials/uami-mi-research-agent$`));
        assert.match(r.findings[0]!.message, /subject is "9999.*\(declared "3333aaaa/);
    });

    it("a second provider in the GCP pool with a tid-only condition", async () => {
        gcp.pools.get(POOL)!.push({
            name: `${POOL}/providers/entra-any`,
            state: "ACTIVE",
            attributeMapping: { "google.subject": "assertion.sub" },
            attributeCondition: `assertion.tid == '${TENANT}'`,
            oidc: { issuerUri: `https://login.microsoftonline.com/${TENANT}/v2.0` },
        });
        const r = await report();
        assert.equal(r.code, 1);
        assert.deepEqual(
            r.findings.map((f) => [f.severity, f.cloud, f.resource]),
            [["error", "gcp", `${POOL}/providers/entra-any`]],
        );
        assert.match(r.findings[0]!.message, /compares no subject/);
    });

    it("a binding widened to a principalSet", async () => {
        gcp.policies.get(WEATHER_SA)!.push({ role: "roles/iam.workloadIdentityUser", members: [`principalSet://iam.googleapis.com/${POOL}/*`] });
        const r = await report();
        assert.equal(r.code, 1);
        assert.deepEqual(
            r.findings.map((f) => [f.severity, f.cloud, f.resource]),
            [["error", "gcp", `projects/-/serviceAccounts/${WEATHER_SA}`]],
        );
        assert.match(r.findings[0]!.message, /principalSet:\/\/.*\/\*/);
    });

    it("a second IAM role trusting the same OIDC provider", async () => {
        aws.roles.push({
            roleName: "debug-admin",
            trustPolicy: {
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Allow",
                        Principal: { Federated: PROVIDER_ARN },
                        Action: "sts:AssumeRoleWithWebIdentity",
                        Condition: { StringEquals: { [`sts.windows.net/${TENANT}/:aud`]: INTERMEDIARY_URI } },
                    },
                ],
            },
        });
        const r = await report();
        assert.equal(r.code, 1);
        assert.deepEqual(
            r.findings.map((f) => [f.severity, f.cloud, f.resource]),
            [["error", "aws", `arn:aws:iam::${ACCOUNT_ID}:role/debug-admin`]],
        );
        assert.match(r.findings[0]!.message, /sub not pinned/);
    });

    it("a declared role loosened to StringLike, and a client id added to the provider", async () => {
        const role = aws.roles.find((r) => r.roleName === "agentfed-weather-bedrock")!;
        const st = (role.trustPolicy as { Statement: { Condition: Record<string, Record<string, string>> }[] }).Statement[0]!;
        const sub = `sts.windows.net/${TENANT}/:sub`;
        st.Condition = { StringEquals: { [`sts.windows.net/${TENANT}/:aud`]: INTERMEDIARY_URI }, StringLike: { [sub]: "*" } };
        aws.providers.get(PROVIDER_ARN)!.clientIds.push("fb60f99c-7a34-4190-8149-302f77469936");
        const r = await report();
        assert.deepEqual(
            r.findings.map((f) => [f.severity, f.resource]),
            [
                ["error", PROVIDER_ARN],
                ["error", `arn:aws:iam::${ACCOUNT_ID}:role/agentfed-weather-bedrock`],
            ],
        );
        assert.match(r.findings[1]!.message, /:sub is matched with StringLike \["\*"\]/);
    });

    it("drift that only breaks the agent is a warning: exit 0 by default, 1 with --fail-on warning", async () => {
        gcp.pools.get(POOL)![0]!.disabled = true;
        aws.providers.get(PROVIDER_ARN)!.clientIds.length = 0;
        const r = await report();
        assert.equal(r.code, 0);
        assert.deepEqual(
            r.findings.map((f) => [f.severity, f.cloud]),
            [
                ["warning", "gcp"],
                ["warning", "aws"],
            ],
        );
        assert.equal((await report(["--outputs", outputsFile, "--json", "--fail-on", "warning"])).code, 1);
    });

    it("--clouds limits what is read", async () => {
        gcp.pools.get(POOL)!.push({ name: `${POOL}/providers/x-rogue`, state: "ACTIVE", attributeMapping: {}, attributeCondition: "" });
        const r = await report(["--outputs", outputsFile, "--json", "--clouds", "entra,aws"]);
        assert.deepEqual([r.code, r.findings], [0, []]);
        assert.equal(gcp.requests.length, 0);
    });
});

describe("audit: the agents' UAMIs (a FIC there passes every contract at once)", () => {
    it("a FIC added to an agent class's UAMI is an error naming it", async () => {
        arm.identities.get(uamiResourceId("finance").toLowerCase())!.fics.push({
            name: "laptop",
            issuer: "https://token.actions.githubusercontent.com",
            subject: "repo:someone/else:ref:refs/heads/main",
            audiences: ["api://AzureADTokenExchange"],
        });
        const r = await report();
        assert.equal(r.code, 1);
        assert.deepEqual(
            r.findings.map((f) => [f.severity, f.cloud, f.resource]),
            [["error", "entra", `${uamiResourceId("finance")}/federatedIdentityCredentials/laptop`]],
        );
        assert.match(
            r.findings[0]!.message,
            /agent class finance's UAMI.*passes every contract that trusts the UAMI.*az identity federated-credential delete --identity-name mi-finance-agent --resource-group rg-agentfed-prod --name laptop/,
        );
    });

    it("a UAMI recreated with a new object id is a warning (the contracts pin the deleted one); a deleted UAMI an error", async () => {
        arm.identities.get(uamiResourceId("weather").toLowerCase())!.principalId = "99999999-0000-4000-8000-000000000000";
        arm.identities.delete(uamiResourceId("research").toLowerCase());
        const r = await report();
        assert.deepEqual([r.code, r.errors], [1, []]);
        assert.deepEqual(
            r.findings.map((f) => [f.severity, f.resource.split("/").slice(-2).join("/")]),
            [
                ["error", "userAssignedIdentities/mi-research-agent"],
                ["error", "mi-research-agent/federatedIdentityCredentials"],
                ["warning", "userAssignedIdentities/mi-weather-agent"],
            ],
        );
    });

    it("pages through the UAMI's FICs, and names the Reader permission on a 403", async () => {
        arm.pageSize = 1;
        arm.identities
            .get(uamiResourceId("weather").toLowerCase())!
            .fics.push(...["a1", "a2", "a3"].map((name) => ({ name, issuer: "https://x.example", subject: "s", audiences: ["api://AzureADTokenExchange"] })));
        assert.deepEqual(
            (await report()).findings.map((f) => f.resource.split("/").pop()),
            ["a1", "a2", "a3"],
        );
        seed();
        arm.forbidden.push("mi-weather-agent/federatedIdentityCredentials");
        const denied = await report();
        assert.equal(denied.code, 2);
        assert.match(
            denied.errors[0]!.message,
            /needs Microsoft\.ManagedIdentity\/userAssignedIdentities\/federatedIdentityCredentials\/read \(in the Reader role\)/,
        );
    });
});

describe("audit: paging is followed to the end", () => {
    it("Graph @odata.nextLink, GCP nextPageToken and IAM Marker, one item a page, with the backdoor on the last page", async () => {
        graph.pageSize = 1;
        graph.applications
            .get(BLUEPRINT.objectId)!
            .fics.push({ id: "bd", name: "zz-last", issuer: "https://issuer.example", subject: "s", audiences: ["api://AzureADTokenExchange"] });
        gcp.maxPageSize = 1;
        gcp.pools.get(POOL)!.push({
            name: `${POOL}/providers/zz-last`,
            state: "ACTIVE",
            attributeMapping: {},
            attributeCondition: "",
            oidc: { issuerUri: "https://issuer.example" },
        });
        aws.pageSize = 1;
        aws.roles.push({
            roleName: "zz-last",
            trustPolicy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "sts:AssumeRoleWithWebIdentity" }] },
        });
        const r = await report();
        assert.deepEqual(
            r.findings.map((f) => f.resource.split("/").pop()),
            ["zz-last", "zz-last", "zz-last"],
        );
        assert.equal(graph.requests.filter((q) => q.includes("agentIdentityBlueprint/federatedIdentityCredentials")).length, 3);
        assert.equal(gcp.requests.filter((q) => q.includes("/providers?")).length, 4);
        assert.equal(aws.requests.filter((q) => q.endsWith("ListRoles")).length, aws.roles.length);
    });

    it("refuses a nextLink that leaves the Graph endpoint (it would carry the token), as could-not-audit", async () => {
        graph.pageSize = 1;
        graph.nextLinkOverride = "https://attacker.example/steal";
        const r = await report();
        assert.equal(r.code, 2);
        assert.match(r.errors.map((e) => e.message).join("\n"), /refusing to follow @odata\.nextLink "https:\/\/attacker\.example\/steal"/);
    });
});

describe("audit: throttling and faults", () => {
    it("retries a Graph 429 after Retry-After given in seconds, and a GCP 503 after an HTTP date", async () => {
        graph.faults.push({ times: 1, status: 429, retryAfter: "7", match: "federatedIdentityCredentials" });
        gcp.faults.push({ times: 1, status: 503, code: "UNAVAILABLE", retryAfter: new Date(NOW + 30_000).toUTCString(), match: "/providers" });
        const r = await report();
        assert.deepEqual([r.code, r.findings, r.errors], [0, [], []]);
        assert.deepEqual(
            sleeps.sort((a, b) => a - b),
            [7_000, 30_000],
        );
    });

    it("backs off exponentially without Retry-After, and gives up after 5 attempts with a clear could-not-audit", async () => {
        gcp.faults.push({ times: 99, status: 429, match: ":getIamPolicy" });
        const r = await report();
        assert.equal(r.code, 2);
        assert.equal(r.errors.length, 3);
        assert.match(r.errors[0]!.message, /answered 429 RESOURCE_EXHAUSTED: Quota exceeded \(after 5 attempts\)/);
        assert.deepEqual(sleeps.slice(0, 4), [1, 2, 4, 8]);
    });

    it("does not wait for a Retry-After beyond its limit: it says when to rerun", async () => {
        graph.faults.push({ times: 1, status: 429, retryAfter: "3600", match: "federatedIdentityCredentials" });
        const r = await report();
        assert.equal(r.code, 2);
        assert.match(r.errors[0]!.message, /asks to retry after 3600 s, longer than the audit waits \(60 s\): rerun later/);
    });

    it("AWS throttling is retried by the SDK", async () => {
        aws.faults.push({ times: 1, status: 400, code: "Throttling", match: "ListRoles" });
        const r = await report();
        assert.deepEqual([r.code, r.errors], [0, []]);
        assert.equal(aws.requests.filter((q) => q.endsWith("ListRoles")).length, 2);
    });

    it("a hung service times out per attempt and ends as could-not-audit", async () => {
        graph.faults.push({ times: 2, delayMs: 1_000, match: "federatedIdentityCredentials" });
        const r = await report(undefined, deps({ http: { sleep: () => Promise.resolve(), timeoutMs: 100, maxAttempts: 2, now: () => NOW } }));
        assert.equal(r.code, 2);
        assert.match(r.errors[0]!.message, /federatedIdentityCredentials: timed out: no answer within 0\.1 s \(after 2 attempts\)/);
    });

    it("a connection reset is weather: retried after a backoff, and the audit passes", async () => {
        graph.faults.push({ times: 1, reset: true, match: "federatedIdentityCredentials" });
        const r = await report();
        assert.deepEqual([r.code, r.findings, r.errors], [0, [], []]);
        assert.deepEqual(sleeps, [1]);
    });

    it("a redirect is refused at once (it would carry the bearer token elsewhere), never retried", async () => {
        graph.faults.push({ times: 99, redirectTo: "https://attacker.example/steal", match: "federatedIdentityCredentials" });
        const r = await report();
        assert.equal(r.code, 2);
        const message = r.errors.map((e) => e.message).join("\n");
        assert.match(message, /federatedIdentityCredentials answered 302, a redirect to https:\/\/attacker\.example: refused/);
        assert.doesNotMatch(message, /after \d+ attempts/);
        assert.deepEqual(sleeps, []);
    });

    it("a refused connection is reported at once (no retries), naming the endpoint variable", async () => {
        const closed = await new Promise<number>((resolve) => {
            const s = createServer().listen(0, "127.0.0.1", () => {
                const { port } = s.address() as { port: number };
                s.close(() => resolve(port));
            });
        });
        const r = await report(
            undefined,
            deps({
                env: { AGENTFED_GCP_IAM_ENDPOINT: `http://127.0.0.1:${closed}` },
                aws: {
                    iamEndpoint: `http://127.0.0.1:${closed}`,
                    stsEndpoint: `http://127.0.0.1:${closed}`,
                    credentials: { accessKeyId: "a", secretAccessKey: "b" },
                    maxAttempts: 1,
                },
            }),
        );
        assert.equal(r.code, 2);
        const gcpErrors = r.errors.filter((e) => e.cloud === "gcp");
        assert.equal(gcpErrors.length, 4);
        assert.match(gcpErrors[0]!.message, /connection refused\nThe GCP IAM API could not be reached: check AGENTFED_GCP_IAM_ENDPOINT/);
        assert.match(r.errors.find((e) => e.cloud === "aws")!.message, /AWS IAM could not be reached|ECONNREFUSED/);
        assert.deepEqual(sleeps, []);
    });
});

describe("audit: a 403 is reported as the missing permission, per cloud", () => {
    const cases: [string, () => void, RegExp][] = [
        [
            "Graph, Blueprint FICs",
            () => graph.forbidden.push("agentIdentityBlueprint/federatedIdentityCredentials"),
            /needs the Microsoft Graph application permission AgentIdentityBlueprint\.Read\.All \(or Application\.Read\.All\)/,
        ],
        [
            "Graph, classic app FICs",
            () => graph.forbidden.push(`/v1.0/applications/${CLASSIC_APP.objectId}/federatedIdentityCredentials`),
            /permission Application\.Read\.All, admin-consented/,
        ],
        ["GCP, providers", () => gcp.forbidden.push("/providers"), /needs iam\.googleapis\.com\/workloadIdentityPoolProviders\.list on projects\/123456789012/],
        [
            "GCP, service account policy",
            () => gcp.forbidden.push(WEATHER_SA),
            /needs iam\.serviceAccounts\.getIamPolicy on projects\/-\/serviceAccounts\/weather-agent-llm@.*IAM also answers 403 when the service account does not exist/,
        ],
        [
            "AWS, ListRoles",
            () => aws.denied.push("ListRoles"),
            /iam:ListRoles on the account's roles: AccessDenied.*\nMissing permission: the audit's identity needs iam:ListRoles/,
        ],
        ["AWS, GetOpenIDConnectProvider", () => aws.denied.push("GetOpenIDConnectProvider"), /needs iam:GetOpenIDConnectProvider/],
    ];
    for (const [name, deny, message] of cases) {
        it(`${name}: exit 2, the permission named`, async () => {
            deny();
            const r = await report();
            assert.equal(r.code, 2);
            assert.match(r.errors.map((e) => e.message).join("\n"), message);
        });
    }

    it("the other clouds are still audited when one is forbidden: a backdoor elsewhere still exits 1", async () => {
        gcp.forbidden.push("/providers");
        graph.applications
            .get(BLUEPRINT.objectId)!
            .fics.push({ id: "bd", name: "debug", issuer: "https://x.example", subject: "s", audiences: ["api://AzureADTokenExchange"] });
        const r = await report();
        assert.equal(r.code, 1);
        assert.equal(r.errors.length, 1);
        assert.equal(r.findings[0]!.resource.split("/").pop(), "debug");
    });
});

describe("audit: credentials for the wrong tenant, account or object kind are not silently 'missing'", () => {
    it("a Graph token of another tenant", async () => {
        const r = await report(undefined, deps({ env: { AGENTFED_GRAPH_TOKEN: graphToken(OTHER_TENANT) } }));
        assert.equal(r.code, 2);
        assert.match(r.errors[0]!.message, new RegExp(`the Graph token is for tenant ${OTHER_TENANT}, but the stack's tenant is ${TENANT}`));
        assert.equal(graph.requests.length, 0);
    });

    it("AWS credentials of another account", async () => {
        aws.accountId = "999999999999";
        const r = await report();
        assert.equal(r.code, 2);
        assert.match(r.errors.find((e) => e.cloud === "aws")!.message, /credentials are for account 999999999999.*but the contracts are in 210987654321/);
    });

    it("a Blueprint declared as a classic application", async () => {
        const contracts = deployedContracts().map((c) =>
            c.kind === "entra-fic" && c.target.objectId === BLUEPRINT.objectId ? { ...c, target: { ...c.target, kind: "application" as const } } : c,
        );
        const file = path.join(dir, "wrong-kind.json");
        writeFileSync(file, JSON.stringify(deployedOutputs(contracts)));
        const r = await report(["--outputs", file, "--json", "--clouds", "entra"]);
        assert.equal(r.code, 2);
        assert.match(r.errors.map((e) => e.message).join("\n"), /The object is an Agent ID Blueprint, but the contracts target it as a classic application/);
    });
});

describe("audit: the agent classes' contracts, from the stack's own plan", () => {
    it("audits every class's FIC, provider, grant and role, and finds a backdoor on a class's own Blueprint", async () => {
        const plan = await runPlan({ stack: "prod", config: { "agentfed:agentClasses": [agentClass("finance"), option2Class("research")] } });
        const file = path.join(dir, "plan-outputs.json");
        writeFileSync(file, JSON.stringify(plan.outputs));
        seed(plan.trustContracts, plan.outputs);
        aws.accountId = "123456789012";
        const clean = await report(["--outputs", file, "--json"]);
        assert.deepEqual([clean.code, clean.findings, clean.errors], [0, [], []]);
        assert.equal(gcp.requests.filter((q) => q.includes(":getIamPolicy")).length, 3, "one service account per agent");
        const research = plan.trustContracts.find((c) => c.kind === "entra-fic" && c.name === "uami-mi-research-agent") as { target: { objectId: string } };
        graph.applications
            .get(research.target.objectId)!
            .fics.push({ id: "bd", name: "debug", issuer: "https://x.example", subject: "s", audiences: ["api://AzureADTokenExchange"] });
        const dirty = await report(["--outputs", file, "--json"]);
        assert.equal(dirty.code, 1);
        assert.match(
            dirty.findings[0]!.resource,
            new RegExp(`${research.target.objectId}/microsoft\\.graph\\.agentIdentityBlueprint/federatedIdentityCredentials/debug$`),
        );
    });
});

describe("audit: a create-mode stack (the stack created its Blueprint and Agent Identity)", () => {
    it("audits the created Blueprint by the ids in the outputs, and finds a backdoor FIC on it", async () => {
        const plan = await runPlan({ stack: "prod", config: createModeConfig() });
        const file = path.join(dir, "create-mode-outputs.json");
        writeFileSync(file, JSON.stringify(plan.outputs));
        seed(plan.trustContracts, plan.outputs);
        const clean = await report(["--outputs", file, "--json"]);
        assert.deepEqual([clean.code, clean.findings, clean.errors], [0, [], []]);
        const created = plan.outputs.blueprintObjectId as string;
        assert.match(plan.placeholders[created] ?? "", /assigned by Entra on create/);
        graph.applications
            .get(created)!
            .fics.push({ id: "bd", name: "debug", issuer: "https://x.example", subject: "s", audiences: ["api://AzureADTokenExchange"] });
        const dirty = await report(["--outputs", file, "--json"]);
        assert.equal(dirty.code, 1);
        assert.match(dirty.findings[0]!.resource, new RegExp(`${created}/microsoft\\.graph\\.agentIdentityBlueprint/federatedIdentityCredentials/debug$`));
    });
});

describe("audit: --stack and the real script", () => {
    it("--stack reads pulumi stack output --json", async () => {
        const seen: string[] = [];
        const r = await report(
            ["--stack", "my-org/agentfed/prod", "--json"],
            deps({ pulumiStackOutput: (s) => (seen.push(s), Promise.resolve(JSON.stringify(deployedOutputs()))) }),
        );
        assert.deepEqual([r.code, seen], [0, ["my-org/agentfed/prod"]]);
    });

    it("the script on PATH's pulumi, with AWS's own AWS_ENDPOINT_URL_IAM/STS honoured by the SDK, writes a summary and exits 1 on a backdoor", async () => {
        const bin = mkdtempSync(path.join(tmpdir(), "fake-pulumi-"));
        const fake = path.join(bin, "pulumi");
        writeFileSync(fake, `#!/bin/sh\n[ "$1 $2 $3 $4 $5" = "stack output --json --stack prod" ] || exit 9\ncat '${outputsFile}'\n`);
        chmodSync(fake, 0o755);
        graph.applications
            .get(BLUEPRINT.objectId)!
            .fics.push({ id: "bd", name: "debug", issuer: "https://x.example", subject: "s", audiences: ["api://AzureADTokenExchange"] });
        const summary = path.join(dir, "summary.md");
        // Asynchronous: the stand-ins answer from this process, so it must not block while the script runs.
        const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
            const child = execFile(
                process.execPath,
                ["--import", "tsx", "scripts/audit.ts", "--stack", "prod", "--summary-file", summary],
                {
                    cwd: path.resolve(__dirname, ".."),
                    encoding: "utf8",
                    timeout: 60_000,
                    env: {
                        PATH: `${bin}:${process.env.PATH ?? ""}`,
                        AGENTFED_GRAPH_ENDPOINT: graph.url,
                        AGENTFED_GRAPH_TOKEN: graphToken(),
                        AGENTFED_GCP_IAM_ENDPOINT: gcp.url,
                        AGENTFED_GCP_TOKEN: gcp.token,
                        AWS_ENDPOINT_URL_IAM: aws.url,
                        AWS_ENDPOINT_URL_STS: aws.url,
                        AWS_ACCESS_KEY_ID: "AKIDSTANDIN",
                        AWS_SECRET_ACCESS_KEY: "stand-in",
                        AWS_REGION: "us-east-1",
                        AWS_CONFIG_FILE: path.join(dir, "none"),
                        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "none"),
                    },
                },
                (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
            );
        });
        assert.equal(r.status, 1, r.stderr);
        assert.equal(r.stderr, "");
        assert.match(r.stdout, /SEVERITY {2}CLOUD {2}RESOURCE\nerror {5}entra {2}\/beta\/applications\/.*\/federatedIdentityCredentials\/debug\n/);
        assert.ok(
            aws.requests.some((q) => q.endsWith("ListRoles")),
            "the SDK went to AWS_ENDPOINT_URL_IAM",
        );
        assert.match(
            readFileSync(summary, "utf8"),
            /^### Live trust audit of pulumi stack output --stack prod[\s\S]*\| error \| entra \| `\/beta\/applications\//,
        );
    });
});

describe("audit: unusable input exits 2 with a clear message", () => {
    const write = (name: string, content: string) => {
        const p = path.join(dir, name);
        writeFileSync(p, content);
        return p;
    };
    const disagreeing = () => {
        const c = deployedContracts();
        const fic = c[0] as Extract<TrustContract, { kind: "entra-fic" }>;
        return write(
            "disagree.json",
            JSON.stringify(deployedOutputs([...c, { ...fic, name: "other", target: { ...fic.target, appId: "99999999-9999-9999-9999-999999999999" } }])),
        );
    };
    const cases: [string, () => string[], RegExp, NodeJS.ProcessEnv?][] = [
        ["neither --stack nor --outputs", () => [], /pass exactly one of --stack or --outputs/],
        ["both --stack and --outputs", () => ["--stack", "prod", "--outputs", outputsFile], /pass exactly one of --stack or --outputs/],
        ["an unknown flag", () => ["--outputs", outputsFile, "--cloud", "gcp"], /unknown option --cloud/],
        ["an unknown cloud", () => ["--outputs", outputsFile, "--clouds", "entra,azure"], /--clouds: unknown cloud "azure"; use entra, gcp, aws/],
        ["an empty --clouds", () => ["--outputs", outputsFile, "--clouds", " , "], /--clouds is empty/],
        [
            "a cloud with no contract",
            () => [
                "--outputs",
                write("entra-only.json", JSON.stringify(deployedOutputs(deployedContracts().filter((c) => c.kind === "entra-fic")))),
                "--clouds",
                "gcp",
            ],
            /--clouds gcp: .* declares no gcp-provider contract/,
        ],
        ["a bad --fail-on", () => ["--outputs", outputsFile, "--fail-on", "info"], /--fail-on "info": use error or warning/],
        ["a stack name that is an option", () => ["--stack", "--show-secrets"], /--stack needs a value \(got the option --show-secrets/],
        ["a stack name with spaces", () => ["--stack", "prod; rm -rf /"], /is not a stack name/],
        ["a missing outputs file", () => ["--outputs", path.join(dir, "missing.json")], /cannot read \(no such file\)/],
        ["outputs with no contracts", () => ["--outputs", write("empty-contracts.json", '{"trustContracts":[]}')], /trustContracts is empty/],
        [
            "the offline plan instead of outputs",
            () => ["--outputs", write("plan.json", JSON.stringify({ resources: [], placeholders: {}, trustContracts: deployedContracts() }))],
            /this is the offline plan/,
        ],
        ["contracts that disagree about an application", () => ["--outputs", disagreeing()], /trustContracts disagree about application/],
        [
            "a Graph endpoint over plain http",
            () => ["--outputs", outputsFile],
            /AGENTFED_GRAPH_ENDPOINT="http:\/\/graph\.example" must use https:\/\//,
            { AGENTFED_GRAPH_ENDPOINT: "http://graph.example" },
        ],
        [
            "a GCP endpoint that is not a URL",
            () => ["--outputs", outputsFile],
            /AGENTFED_GCP_IAM_ENDPOINT="iam" is not an absolute URL/,
            { AGENTFED_GCP_IAM_ENDPOINT: "iam" },
        ],
        [
            "a GCP endpoint with a query",
            () => ["--outputs", outputsFile],
            /must be a bare root URL/,
            { AGENTFED_GCP_IAM_ENDPOINT: "https://iam.googleapis.com/?x=1" },
        ],
    ];
    for (const [name, args, message, env] of cases) {
        it(name, async () => {
            const r = await audit(args(), deps(env ? { env } : {}));
            assert.equal(r.code, 2, r.stdout);
            assert.equal(r.stdout, "");
            assert.match(r.stderr, message);
            assert.doesNotMatch(r.stderr, INTERNAL);
        });
    }

    it("--stack without the Pulumi CLI, or with a failing one, says what to do", async () => {
        const missing = await audit(["--stack", "prod"], deps({ env: { PATH: dir } }));
        assert.equal(missing.code, 2);
        assert.match(missing.stderr, /--stack needs the Pulumi CLI on PATH.*or pass --outputs <file>/);
        const bin = mkdtempSync(path.join(tmpdir(), "failing-pulumi-"));
        writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\necho 'error: no stack named prod found' >&2\nexit 255\n");
        chmodSync(path.join(bin, "pulumi"), 0o755);
        const failing = await audit(["--stack", "prod"], deps({ env: { PATH: bin } }));
        assert.equal(failing.code, 2);
        assert.match(failing.stderr, /pulumi stack output --json --stack prod failed:\n {2}error: no stack named prod found\nCheck the stack name/);
        const garbage = await audit(["--stack", "prod"], deps({ pulumiStackOutput: () => Promise.resolve("warning: upgrade available\n{") }));
        assert.match(garbage.stderr, /pulumi stack output --stack prod: not JSON/);
    });

    it("missing credentials are could-not-audit, naming how to provide them", async () => {
        const r = await report(
            undefined,
            deps({
                env: { AGENTFED_GRAPH_TOKEN: "" },
                graphToken: () =>
                    Promise.reject(new Error("no app-only Microsoft Graph token (EnvironmentCredential is unavailable). Set AZURE_TENANT_ID ...")),
            }),
        );
        assert.equal(r.code, 2);
        assert.deepEqual(
            r.errors.map((e) => [e.cloud, e.resource]),
            [["entra", "Microsoft Graph token"]],
        );
    });
});

describe("audit: Retry-After parsing", () => {
    it("reads delta-seconds and HTTP dates; ignores what is neither", () => {
        assert.equal(retryAfterMs("120", NOW), 120_000);
        assert.equal(retryAfterMs("Sat, 31 Jan 2026 12:00:30 GMT", NOW), 30_000);
        assert.equal(retryAfterMs("Sat, 31 Jan 2026 11:00:00 GMT", NOW), 0);
        for (const bad of ["-1", "1.5", "soon", ""]) assert.equal(retryAfterMs(bad, NOW), undefined, bad);
        assert.equal(retryAfterMs(null, NOW), undefined);
    });
});
