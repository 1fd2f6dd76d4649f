import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BOOTSTRAP_KEYS, parseBootstrapConfig } from "../bootstrap/config";
import { ConfigError, parseStackConfig } from "../src/config";
import { STACK_KEYS } from "../src/config/parse";
import { ObjectSpec, Spec } from "../src/config/spec";
import { AwsRoleContract, GcpProviderContract } from "../src/contracts";
import { PlanResult, runPlan } from "../src/plan/run-plan";
import { PROJECT_DIR } from "../src/plan/stack-files";
import { evaluateAwsRole } from "../src/verifiers/aws-sts";
import { evaluateGcpProvider } from "../src/verifiers/gcp-sts";
import { BOOTSTRAP_EVERY_KEY } from "./fixtures/bootstrap-every-key";
import { EVERY_KEY } from "./fixtures/every-key";

/**
 * Issue 24, item 5: a GUID written in capitals (`tenantId: AAAAAAAA-...`) is a valid id to Entra and ARM, but Entra
 * writes every id in lowercase in its tokens, and GCP's CEL condition, AWS's provider URL and condition keys and
 * GCP's principal:// member compare byte for byte. Every GUID-typed key is therefore lowercased once, where the
 * parser reads it (`guid` in src/config/reader.ts): these tests find every key the references type as GUID, and
 * prove that capitals change nothing a deployment registers or pins.
 */

const GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
/** A GUID with hex letters in it, so its capitals differ from it ("11111111-..." has none). */
const lettered = (text: string): string => text.replace(GUID, (g) => `fe${g.slice(2).toLowerCase()}`);

/** Every value in `config` with each GUID given hex letters (the same id keeps the same letters everywhere). */
function withLetters<T>(config: T): T {
    return JSON.parse(lettered(JSON.stringify(config))) as T;
}

/**
 * `config` with every value of a GUID-typed key (spec type "GUID") in capitals; `found` receives each such key's
 * path in the reference's form (`agentClasses[].agentIdentity.objectId`).
 */
function capitalizeGuidKeys(root: ObjectSpec, config: Record<string, unknown>, found: Set<string>): Record<string, unknown> {
    const walk = (spec: Spec | undefined, value: unknown, at: string): unknown => {
        if (spec === undefined || value === undefined || value === null) return value;
        if (spec.kind === "value") {
            if (spec.type !== "GUID" || typeof value !== "string") return value;
            found.add(at);
            return value.toUpperCase();
        }
        if (spec.kind === "list") return Array.isArray(value) ? value.map((v) => walk(spec.items, v, `${at}[]`)) : value;
        if (typeof value !== "object" || Array.isArray(value)) return value;
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(spec.kind === "object" ? spec.fields[k] : spec.values, v, `${at}.${k}`)]));
    };
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, walk(root.fields[k], v, k)]));
}

/** Every key a reference types as GUID, in the reference's form. */
function guidKeys(root: ObjectSpec): string[] {
    const keys: string[] = [];
    const walk = (spec: Spec, at: string): void => {
        if (spec.kind === "value") {
            if (spec.type === "GUID") keys.push(at);
        } else if (spec.kind === "object") for (const [k, s] of Object.entries(spec.fields)) walk(s, `${at}.${k}`);
        else if (spec.kind === "list") walk(spec.items, `${at}[]`);
    };
    for (const [k, s] of Object.entries(root.fields)) walk(s, k);
    return keys.sort();
}

function source(namespace: string, values: Record<string, unknown>) {
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) raw[`${namespace}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return { get: (k: string) => raw[`${namespace}:${k}`], allKeys: () => Object.keys(raw) };
}

function valid<T>(parse: () => T): T {
    try {
        return parse();
    } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        assert.fail(`expected a valid configuration:\n${err.message}`);
    }
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
/** A copy of the main project's Pulumi.yaml and the given stack files, in a directory of its own. */
function project(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), "agentfed-guid-"));
    dirs.push(dir);
    writeFileSync(path.join(dir, "Pulumi.yaml"), readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml")));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    return dir;
}

describe("GUIDs in capitals (issue 24, item 5): lowercased once, where the parser reads them", () => {
    it("main project: every GUID-typed key is normalised, so capitals parse to exactly the lowercase configuration", () => {
        // Ids mode and create mode exclude each other per object: the first fixture (ids) and the last (create) together set every GUID-typed key.
        const found = new Set<string>();
        for (const fixture of [EVERY_KEY[0]!, EVERY_KEY[EVERY_KEY.length - 1]!]) {
            const lower = withLetters(fixture);
            const upper = capitalizeGuidKeys(STACK_KEYS, lower, found);
            assert.notDeepEqual(upper, lower);
            const parsed = valid(() => parseStackConfig(source("agentfed", upper), "agentfed"));
            assert.deepEqual(
                parsed,
                valid(() => parseStackConfig(source("agentfed", lower), "agentfed")),
            );
            assert.doesNotMatch(JSON.stringify(parsed), /[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}/);
        }
        assert.deepEqual([...found].sort(), guidKeys(STACK_KEYS), "the fixtures set every GUID-typed key the reference describes");
    });

    it("bootstrap: azure.tenantId and subscriptionId are normalised, and the tenant matches the stacks' in any case", () => {
        const main = project({
            "Pulumi.dev.yaml": lettered(readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")),
            "Pulumi.prod.yaml": lettered(readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")),
        });
        const lower = { ...withLetters(BOOTSTRAP_EVERY_KEY), mainProjectDir: main };
        const found = new Set<string>();
        const upper = capitalizeGuidKeys(BOOTSTRAP_KEYS, lower, found);
        assert.deepEqual([...found].sort(), guidKeys(BOOTSTRAP_KEYS));
        const bootstrapDir = path.join(PROJECT_DIR, "bootstrap");
        const parsed = valid(() => parseBootstrapConfig(source("agentfed-bootstrap", upper), "agentfed-bootstrap", bootstrapDir));
        assert.deepEqual(
            parsed,
            valid(() => parseBootstrapConfig(source("agentfed-bootstrap", lower), "agentfed-bootstrap", bootstrapDir)),
        );
        assert.equal(parsed.azure.tenantId, "fe111111-1111-1111-1111-111111111111");
    });
});

describe("GUIDs in capitals: the offline plan and the contracts it pins", () => {
    // The prod stack with ids that have letters, and one Option 2 agent class (its Agent Identity and audience appId are pinned too).
    const optionTwoClass = [
        "  agentfed:agentClasses:",
        "    - name: finance",
        "      uami: { name: mi-finance-agent }",
        "      blueprint: { appId: aaaaaaaa-0000-4000-8000-00000000000a, objectId: aaaaaaaa-0000-4000-8000-00000000000b }",
        "      cloudPrincipal: agentIdentity",
        "      agentIdentity:",
        "        objectId: eeeeeeee-0000-4000-8000-00000000000e",
        "        clientId: eeeeeeee-0000-4000-8000-00000000000f",
        "        tokenSubject: sub-of-the-finance-agent-identity",
        "        cloudFederationAudience: { identifierUri: api://agentfed-finance-cloud, appId: cccccccc-0000-4000-8000-00000000000c }",
        "      gcp: { providerId: agent-finance, serviceAccountId: agent-finance-llm }",
        "      aws: { roleName: agentfed-finance-bedrock, modelArns: [arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0] }",
        "",
    ].join("\n");
    const lowerText = lettered(readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")) + optionTwoClass;
    // Capitals in the GUID-typed keys only: an identifier URI or a token subject is compared as written.
    const upperText = lowerText.replace(/\b(tenantId|appId|objectId|clientId): ([0-9a-f-]{36})\b/g, (_, k: string, v: string) => `${k}: ${v.toUpperCase()}`);
    let lowerPlan: PlanResult;
    let upperPlan: PlanResult;
    before(async () => {
        assert.match(upperText, /tenantId: FE111111-1111-1111-1111-111111111111/);
        assert.match(upperText, /objectId: EEEEEEEE-0000-4000-8000-00000000000E/);
        assert.match(upperText, /appId: CCCCCCCC-0000-4000-8000-00000000000C/);
        lowerPlan = await runPlan({ stack: "prod", projectDir: project({ "Pulumi.prod.yaml": lowerText }) });
        upperPlan = await runPlan({ stack: "prod", projectDir: project({ "Pulumi.prod.yaml": upperText }) });
    });
    const TENANT = "fe111111-1111-1111-1111-111111111111";

    it("plans a stack file whose GUIDs are in capitals exactly as the same file in lowercase", () => {
        // Registration order follows the event loop (the dynamic provider serialises asynchronously): compare by name.
        const byName = (plan: PlanResult) => [...plan.resources].sort((a, b) => `${a.type}::${a.name}`.localeCompare(`${b.type}::${b.name}`));
        assert.deepEqual(byName(upperPlan), byName(lowerPlan));
        assert.deepEqual(upperPlan.outputs, lowerPlan.outputs);
        assert.deepEqual(upperPlan.trustContracts, lowerPlan.trustContracts);
        assert.deepEqual(upperPlan.warnings, lowerPlan.warnings);
        assert.equal(upperPlan.outputs.tenantId, TENANT);
    });

    const gcp = (plan: PlanResult, subject: string) =>
        plan.trustContracts.find((c): c is GcpProviderContract => c.kind === "gcp-provider" && c.attributeCondition.includes(subject))!;
    const aws = (plan: PlanResult, roleName: string) => plan.trustContracts.find((c): c is AwsRoleContract => c.kind === "aws-role" && c.name === roleName)!;

    it("pins lowercase ids in the GCP condition, and CEL accepts the token Entra mints (lowercase tid, oid and aud)", () => {
        const uamiOid = String(upperPlan.outputs.uamiOid);
        const uami = gcp(upperPlan, uamiOid);
        assert.equal(uami.attributeCondition, `assertion.tid == '${TENANT}' && assertion.sub == '${uamiOid}'`);
        const token = {
            iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
            sub: uamiOid,
            oid: uamiOid,
            tid: TENANT,
            aud: "fb60f99c-7a34-4190-8149-302f77469936",
        };
        assert.deepEqual(evaluateGcpProvider(uami, token), { accepted: true, reasons: [] });

        const agent = gcp(upperPlan, "eeeeeeee-0000-4000-8000-00000000000e");
        assert.equal(agent.attributeCondition, `assertion.tid == '${TENANT}' && assertion.oid == 'eeeeeeee-0000-4000-8000-00000000000e'`);
        assert.deepEqual(agent.allowedAudiences, ["cccccccc-0000-4000-8000-00000000000c"]);
        assert.match(agent.principal, /\/subject\/eeeeeeee-0000-4000-8000-00000000000e$/);
        const agentToken = {
            iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
            sub: "sub-of-the-finance-agent-identity",
            oid: "eeeeeeee-0000-4000-8000-00000000000e",
            tid: TENANT,
            aud: "cccccccc-0000-4000-8000-00000000000c",
        };
        assert.deepEqual(evaluateGcpProvider(agent, agentToken), { accepted: true, reasons: [] });
    });

    it("builds the AWS provider URL and condition keys in lowercase, and the IAM evaluator allows the token Entra mints", () => {
        const role = aws(upperPlan, "agentfed-weather-agent-bedrock");
        assert.equal(role.providerUrl, `https://sts.windows.net/${TENANT}/`);
        assert.deepEqual(role.conditionKeys, { aud: `sts.windows.net/${TENANT}/:aud`, sub: `sts.windows.net/${TENANT}/:sub` });
        assert.equal(role.audience, `api://${TENANT}/agentfed-aws-prod`);
        const provider = upperPlan.resources.find((r) => r.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
        assert.equal(provider?.inputs.url, `https://sts.windows.net/${TENANT}/`);
        const uamiOid = String(upperPlan.outputs.uamiOid);
        const token = { iss: `https://sts.windows.net/${TENANT}/`, sub: uamiOid, oid: uamiOid, tid: TENANT, aud: role.audience };
        assert.deepEqual(evaluateAwsRole(role, token), { accepted: true, reasons: [] });
    });
});
