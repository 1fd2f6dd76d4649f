import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { generateKeyPair, SignJWT } from "jose";
import type { TrustContract } from "../src/contracts";
import { evaluateAgentIdentities, evaluateContracts } from "../src/doctor/evaluate";
import { declaredIdentities } from "../src/doctor/inputs";
import { runPlan } from "../src/plan/run-plan";
import { OTHER_OID, OTHER_TENANT, SEED_UAMI_TOKEN_CLAIMS, TENANT, UAMI_CLIENT_ID, UAMI_OID, UAMI_TYPE } from "./helpers";
import { createModeConfig } from "./fixtures/create-mode";

// Contracts as `pulumi stack output --json` would hold them for the seed's deployment (UAMI oid 3333...).
let contracts: TrustContract[];
let outputsFile: string;
const dir = mkdtempSync(path.join(tmpdir(), "doctor-"));
/** Before the seed token's expiry (2025-06-01). */
const AT = Date.parse("2025-05-31T12:00:00Z") / 1000;
const verdictsFor = (claims: Record<string, unknown>, now = AT) => evaluateContracts(contracts, claims, now);

before(async () => {
    const plan = await runPlan({ stack: "prod", mockOverrides: { [`${UAMI_TYPE}::agent`]: { principalId: UAMI_OID, clientId: UAMI_CLIENT_ID } } });
    contracts = plan.trustContracts;
    outputsFile = path.join(dir, "prod-outputs.json");
    writeFileSync(outputsFile, JSON.stringify(plan.outputs));
});

describe("doctor verdicts on the seed's worked example", () => {
    it("accepts the UAMI token at the Blueprint FIC and at GCP, and AWS rejects it (wrong issuer and audience)", () => {
        const byContract = Object.fromEntries(verdictsFor(SEED_UAMI_TOKEN_CLAIMS).map((v) => [v.kind, v]));
        assert.deepEqual([byContract["entra-fic"]!.accepted, byContract["gcp-provider"]!.accepted, byContract["aws-role"]!.accepted], [true, true, false]);
        assert.match(byContract["aws-role"]!.reasons.join("\n"), /InvalidIdentityToken: No OpenIDConnect provider found[\s\S]*Incorrect token audience/);
    });

    it("accepts the AWS-audience token (v1, api://<intermediary>) at AWS only", () => {
        const awsToken = {
            iss: `https://sts.windows.net/${TENANT}/`,
            sub: UAMI_OID,
            oid: UAMI_OID,
            tid: TENANT,
            aud: `api://${TENANT}/agentfed-aws-prod`,
            exp: AT + 3600,
        };
        assert.deepEqual(
            verdictsFor(awsToken).map((v) => [v.kind, v.accepted]),
            [
                ["entra-fic", false],
                ["gcp-provider", false],
                ["aws-role", true],
            ],
        );
    });

    it("rejects a token for another UAMI everywhere, each in its verifier's words", () => {
        const verdicts = verdictsFor({ ...SEED_UAMI_TOKEN_CLAIMS, sub: OTHER_OID, oid: OTHER_OID });
        assert.ok(verdicts.every((v) => !v.accepted));
        const reasons = verdicts.map((v) => v.reasons.join(" ")).join("\n");
        assert.match(reasons, /AADSTS70021.*subject/);
        assert.match(reasons, /The given credential is rejected by the attribute condition/);
    });

    it("rejects a token from another tenant everywhere", () => {
        const verdicts = verdictsFor({ ...SEED_UAMI_TOKEN_CLAIMS, iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`, tid: OTHER_TENANT });
        assert.ok(verdicts.every((v) => !v.accepted));
        assert.match(verdicts.find((v) => v.kind === "entra-fic")!.reasons.join("\n"), /AADSTS70021.*issuer/);
        assert.match(verdicts.find((v) => v.kind === "gcp-provider")!.reasons.join("\n"), /issuer in ID Token/);
    });

    it("rejects a token minted for api://weather, at every contract", () => {
        const verdicts = verdictsFor({ ...SEED_UAMI_TOKEN_CLAIMS, aud: "api://weather" });
        assert.equal(verdicts.length, 3);
        for (const v of verdicts) assert.equal(v.accepted, false, v.contract);
        assert.match(verdicts.find((v) => v.kind === "gcp-provider")!.reasons.join("\n"), /audience in ID Token \[api:\/\/weather\]/);
    });

    it("rejects an expired token, saying when it expired", () => {
        const verdicts = verdictsFor(SEED_UAMI_TOKEN_CLAIMS, SEED_UAMI_TOKEN_CLAIMS.exp + 3600);
        assert.ok(verdicts.every((v) => !v.accepted));
        assert.match(verdicts.find((v) => v.kind === "entra-fic")!.reasons.join("\n"), /AADSTS700024.*expired at 2025-06-01T00:00:00.000Z/);
        assert.match(verdicts.find((v) => v.kind === "gcp-provider")!.reasons.join("\n"), /expired/);
    });

    it("rejects a Kind service-account token in prod", () => {
        const kindToken = {
            iss: "https://agentfeddevoidc.blob.core.windows.net/oidc",
            sub: "system:serviceaccount:agents:weather-agent",
            aud: "api://AzureADTokenExchange",
            exp: AT + 3600,
        };
        for (const v of verdictsFor(kindToken)) assert.equal(v.accepted, false, v.contract);
    });
});

describe("doctor: the third leg, the Agent Identity token a downstream API receives", () => {
    // Pulumi.prod.yaml's placeholders: the Blueprint and the Agent Identity the agent calls Weather as.
    const BLUEPRINT = "44444444-4444-4444-4444-444444444444";
    const AI_OID = "12121212-1212-1212-1212-121212121212";
    const AI_CLIENT = AI_OID; // an Agent Identity's object id and app id have the same value (Learn, Agent identities)
    /** An app token for Weather, as Entra issues it to the Agent Identity (v2: azp; the parent Blueprint in xms_par_app_azp). */
    const agentToken = {
        iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        aud: "api://weather",
        tid: TENANT,
        oid: AI_OID,
        sub: AI_OID,
        azp: AI_CLIENT,
        xms_par_app_azp: BLUEPRINT,
        exp: AT + 3600,
    };
    let outputs: Record<string, unknown>;
    before(async () => {
        outputs = (await runPlan({ stack: "prod" })).outputs;
    });
    const judge = (claims: Record<string, unknown>, apis = ["api://weather"]) => evaluateAgentIdentities(declaredIdentities(outputs), claims, AT, apis);

    it("accepts the Agent Identity's token (v2 azp, or v1 appid and the v1 issuer)", () => {
        const { agentIdentities, diagnosis } = judge(agentToken);
        assert.deepEqual(
            agentIdentities.map((v) => [v.identity, v.accepted, v.reasons]),
            [[`the primary agent: Agent Identity ${AI_CLIENT} (oid ${AI_OID}) under Blueprint ${BLUEPRINT}`, true, []]],
        );
        assert.equal(diagnosis, undefined);
        const { azp: _azp, ...v1 } = agentToken;
        assert.equal(judge({ ...v1, appid: AI_CLIENT, iss: `https://sts.windows.net/${TENANT}/` }).agentIdentities[0]!.accepted, true);
    });

    it("rejects another Agent Identity, another tenant, another API, a federation assertion, another parent and an expired token, each by name", () => {
        const reasons = (claims: Record<string, unknown>, apis?: string[]) => judge(claims, apis).agentIdentities[0]!.reasons.join("\n");
        assert.match(reasons({ ...agentToken, oid: OTHER_OID }), /oid "[^"]+" is not the Agent Identity's object id 1212/);
        assert.match(reasons({ ...agentToken, azp: OTHER_OID }), /appid\/azp "[^"]+" is not the Agent Identity's client id 1212/);
        assert.match(reasons({ ...agentToken, tid: OTHER_TENANT }), /tid "[^"]+" is not the stack's tenant/);
        assert.match(reasons({ ...agentToken, iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0` }), /iss .* is neither/);
        assert.match(reasons({ ...agentToken, aud: "api://ledger" }), /aud api:\/\/ledger is none of the stack's downstream APIs \(api:\/\/weather\)/);
        assert.match(reasons({ ...agentToken, aud: "api://AzureADTokenExchange" }), /token-exchange audience: this is a federation assertion/);
        assert.match(reasons({ ...agentToken, xms_par_app_azp: OTHER_OID }), /xms_par_app_azp .* is not the agent's Blueprint 4444/);
        assert.match(reasons({ ...agentToken, exp: AT - 600 }), /AADSTS700024: the token expired/);
        // A v2 token's aud is the API's appId, which only the API knows: not held against the token.
        assert.equal(reasons({ ...agentToken, aud: "12345678-1234-1234-1234-123456789012" }), "");
    });

    it("quotes a hostile claim clipped, with its length, never whole", () => {
        const reasons = judge({ ...agentToken, oid: "x".repeat(100_000), aud: "y".repeat(100_000) }).agentIdentities[0]!.reasons;
        assert.match(reasons.join("\n"), /oid "x{119}\.\.\. \(100002 characters\) is not the Agent Identity's object id/);
        assert.match(reasons.join("\n"), /aud y{120}\.\.\. \(100000 characters\) is none of/);
        for (const reason of reasons) assert.ok(reason.length < 400, reason.slice(0, 200));
    });

    it("judges the issuer by the tenant, whatever case the outputs file writes it in", () => {
        const tenant = "abcdef01-2345-4678-9abc-def012345678";
        const claims = { ...agentToken, tid: tenant, iss: `https://login.microsoftonline.com/${tenant}/v2.0` };
        const upper = { ...outputs, tenantId: tenant.toUpperCase() };
        const verdict = evaluateAgentIdentities(declaredIdentities(upper), claims, AT, ["api://weather"]).agentIdentities[0]!;
        assert.deepEqual(verdict.reasons, []);
        const other = { ...claims, iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0` };
        assert.match(evaluateAgentIdentities(declaredIdentities(upper), other, AT, []).agentIdentities[0]!.reasons.join("\n"), /iss .* is neither/);
    });

    it("refuses a token whose azp and appid name different clients, or either is not a string, and diagnoses a Blueprint in either", () => {
        const reasons = (claims: Record<string, unknown>) => judge(claims).agentIdentities[0]!.reasons.join("\n");
        assert.match(reasons({ ...agentToken, appid: BLUEPRINT }), /azp 1212[-0-9]+ and appid 4444[-0-9]+ name different clients/);
        assert.match(reasons({ ...agentToken, azp: 42, appid: AI_CLIENT }), /azp 42 is not a string/);
        assert.equal(reasons({ ...agentToken, appid: AI_CLIENT.toUpperCase() }), "");
        assert.match(judge({ ...agentToken, appid: BLUEPRINT }).diagnosis ?? "", /issued to Blueprint 4444/);
    });

    it("recognises the Blueprint's own token and names the cause (the sidecar ignored AgentIdentity) and the fix", () => {
        const blueprintToken = { ...agentToken, oid: "bbbbbbbb-0000-4000-8000-000000000099", sub: "bbbbbbbb-0000-4000-8000-000000000099", azp: BLUEPRINT };
        const { agentIdentities, diagnosis } = judge(blueprintToken);
        assert.equal(agentIdentities[0]!.accepted, false);
        assert.match(
            diagnosis!,
            /issued to Blueprint 44444444-4444-4444-4444-444444444444 \(the primary agent\) itself, not to an Agent Identity: the sidecar ignored \?AgentIdentity=/,
        );
        assert.match(diagnosis!, /Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated is not true/);
        assert.match(diagnosis!, /Fix: declare agentIdentity \{ objectId, clientId \}/);
    });

    it("reads each class's Agent Identity from the outputs, and none from a stack without them", () => {
        const declared = declaredIdentities({
            tenantId: TENANT,
            blueprintAppId: BLUEPRINT,
            agentIdentityObjectId: null,
            agentClasses: {
                finance: { blueprintAppId: "aaaaaaaa-0000-4000-8000-000000000001", agentIdentityObjectId: "o", agentIdentityClientId: "c" },
                broken: "x",
            },
        });
        assert.deepEqual(
            declared.agentIdentities.map((a) => [a.agent, a.objectId, a.clientId, a.blueprintAppId]),
            [["agent class finance", "o", "c", "aaaaaaaa-0000-4000-8000-000000000001"]],
        );
        assert.deepEqual(
            declared.blueprints.map((b) => b.agent),
            ["the primary agent", "agent class finance"],
        );
        assert.deepEqual(declared.unread, ['agentClasses.broken is the string "x", not an object: agent class broken is not checked']);
        assert.deepEqual(declaredIdentities({}), { agentIdentities: [], blueprints: [], unread: [] });
    });

    it('says which outputs it cannot read (wrong type, "[secret]") instead of passing them for a stack without Agent Identities', () => {
        const declared = declaredIdentities({
            tenantId: TENANT,
            blueprintAppId: BLUEPRINT,
            agentIdentityObjectId: 5,
            agentIdentityClientId: "[secret]",
            agentClasses: { finance: { blueprintAppId: [], agentIdentityObjectId: null } },
        });
        assert.deepEqual(declared.agentIdentities, []);
        assert.deepEqual(declared.unread, [
            "agentIdentityObjectId is a number, not an id: is this file the output of pulumi stack output --json?",
            'agentIdentityClientId is "[secret]": rerun pulumi stack output --json with --show-secrets (ids are no secret)',
            "agentClasses.finance.blueprintAppId is an array, not an id: is this file the output of pulumi stack output --json?",
        ]);
        assert.deepEqual(declaredIdentities({ tenantId: 42 }).unread, [
            "tenantId is a number, not an id: is this file the output of pulumi stack output --json?",
        ]);
        assert.match(declaredIdentities({ tenantId: TENANT, agentClasses: "[secret]" }).unread.join(), /agentClasses is "\[secret\]", not an object/);
    });
});

describe("npm run doctor", () => {
    const run = (...args: string[]) =>
        spawnSync(process.execPath, ["--import", "tsx", "scripts/doctor.ts", ...args], { cwd: path.resolve(__dirname, ".."), encoding: "utf8" });

    it("decodes a JWT (signature not required), checks it against deployed outputs, and prints { verdicts } with --json", async () => {
        const { privateKey } = await generateKeyPair("RS256");
        const token = await new SignJWT({ ...SEED_UAMI_TOKEN_CLAIMS }).setProtectedHeader({ alg: "RS256", kid: "test" }).sign(privateKey);
        const result = run("--stack", "prod", "--token", token, "--outputs", outputsFile, "--at", "2025-05-31T12:00:00Z", "--json");
        assert.equal(result.status, 0, result.stderr);
        const { verdicts } = JSON.parse(result.stdout) as { verdicts: { contract: string; kind: string; accepted: boolean; reasons: string[] }[] };
        assert.ok(verdicts.length >= 1);
        for (const v of verdicts) assert.deepEqual(Object.keys(v), ["contract", "kind", "accepted", "reasons"]);
        assert.equal(verdicts.find((v) => v.kind === "entra-fic")!.accepted, true);
    });

    it("uses the offline plan when no outputs file is given, and exits 0 whatever the verdicts", () => {
        const claims = path.join(dir, "claims.json");
        writeFileSync(claims, JSON.stringify({ ...SEED_UAMI_TOKEN_CLAIMS, iss: `https://login.microsoftonline.com/${TENANT}/v2.0` }));
        const result = run("--stack", "prod", "--claims", claims);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /REJECTED {2}\[entra-fic\]/, "the plan's oid is a placeholder, not the seed's");
        assert.match(result.stdout, /offline plan of stack prod/);
    });

    it("prints the Agent Identity verdicts and the Blueprint-token diagnosis, from deployed outputs", () => {
        const claims = path.join(dir, "blueprint-claims.json");
        writeFileSync(
            claims,
            JSON.stringify({
                iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
                aud: "api://weather",
                tid: TENANT,
                oid: OTHER_OID,
                azp: "44444444-4444-4444-4444-444444444444",
                exp: AT + 3600,
            }),
        );
        const result = run("--stack", "prod", "--claims", claims, "--outputs", outputsFile, "--at", "2025-05-31T12:00:00Z");
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /REJECTED {2}\[agent-identity\] the primary agent: Agent Identity 12121212/);
        assert.match(result.stdout, /BLUEPRINT TOKEN: this token was issued to Blueprint 44444444-4444-4444-4444-444444444444/);
        const json = JSON.parse(
            run("--stack", "prod", "--claims", claims, "--outputs", outputsFile, "--at", "2025-05-31T12:00:00Z", "--json").stdout,
        ) as Record<string, unknown>;
        assert.deepEqual(Object.keys(json), ["verdicts", "agentIdentities", "diagnosis"]);
    });

    it("exits non-zero with a clear message on unreadable input", () => {
        const bad = run("--stack", "prod", "--token", "not-a-jwt");
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /--token is not a decodable JWT/);
        const missing = run("--stack", "prod", "--claims", path.join(dir, "nope.json"));
        assert.equal(missing.status, 2);
        assert.match(missing.stderr, /cannot read \(no such file\)/);
        const noContracts = path.join(dir, "empty.json");
        writeFileSync(noContracts, "{}");
        const outputs = run("--stack", "prod", "--claims", noContracts, "--outputs", noContracts);
        assert.equal(outputs.status, 2);
        assert.match(outputs.stderr, /has no trustContracts output;.*pulumi stack output --json/);
    });
});

describe("doctor on a create-mode stack (the stack created its Blueprint and Agent Identity)", () => {
    it("reads the created ids from the stack outputs: the Agent Identity's token passes GCP, another's is rejected", async () => {
        const plan = await runPlan({ stack: "prod", config: createModeConfig() });
        const file = path.join(dir, "create-mode-outputs.json");
        writeFileSync(file, JSON.stringify(plan.outputs));
        const appId = plan.outputs.blueprintAppId as string;
        const oid = plan.outputs.agentIdentityObjectId as string;
        // What the sidecar mints for the Agent Identity: a v2 app-only token whose aud is the created Blueprint's appId.
        const claims = { iss: `https://login.microsoftonline.com/${TENANT}/v2.0`, tid: TENANT, oid, sub: oid, aud: appId, exp: AT + 3600 };
        const claimsFile = path.join(dir, "create-mode-claims.json");
        const gcpVerdict = (c: Record<string, unknown>) => {
            writeFileSync(claimsFile, JSON.stringify(c));
            const r = spawnSync(
                process.execPath,
                [
                    "--import",
                    "tsx",
                    "scripts/doctor.ts",
                    "--stack",
                    "prod",
                    "--claims",
                    claimsFile,
                    "--outputs",
                    file,
                    "--at",
                    "2025-05-31T12:00:00Z",
                    "--json",
                ],
                { cwd: path.resolve(__dirname, ".."), encoding: "utf8" },
            );
            assert.equal(r.status, 0, r.stderr);
            return (JSON.parse(r.stdout) as { verdicts: { kind: string; accepted: boolean }[] }).verdicts.find((v) => v.kind === "gcp-provider")!.accepted;
        };
        assert.equal(gcpVerdict(claims), true);
        assert.equal(gcpVerdict({ ...claims, oid: OTHER_OID, sub: OTHER_OID }), false);
    });
});
