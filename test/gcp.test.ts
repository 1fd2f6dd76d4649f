import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse } from "@marcbachmann/cel-js";
import {
    EntraFicContract,
    externalAccountCredentialConfig,
    GcpProviderContract,
    gcpProviderContract,
    TrustContractError,
    uamiWorkloadSubject,
} from "../src/contracts";
import { runPlan, PlanResult } from "../src/plan/run-plan";
import { readStackConfig } from "../src/plan/stack-files";
import { evaluateGcpProvider } from "../src/verifiers/gcp-sts";
import { OTHER_OID, OTHER_TENANT, SEED_UAMI_TOKEN_CLAIMS, TENANT, UAMI_CLIENT_ID, UAMI_OID, UAMI_TYPE, prodConfigIssues } from "./helpers";

const location = { projectNumber: "123456789012", poolId: "agentfed-prod", providerId: "entra-uami" };
const SA = "weather-agent-llm@contoso-agents-prod.iam.gserviceaccount.com";
const contract = gcpProviderContract(location, SA, uamiWorkloadSubject(TENANT, UAMI_OID));
const BEFORE_EXPIRY = SEED_UAMI_TOKEN_CLAIMS.exp - 60;

describe("GCP provider contract", () => {
    it("lists both audience spellings, pins tenant and subject, and binds the single subject principal", () => {
        assert.deepEqual(contract.allowedAudiences, ["api://AzureADTokenExchange", "fb60f99c-7a34-4190-8149-302f77469936"]);
        assert.equal(contract.issuer, `https://login.microsoftonline.com/${TENANT}/v2.0`);
        assert.equal(contract.attributeCondition, `assertion.tid == '${TENANT}' && assertion.sub == '${UAMI_OID}'`);
        assert.deepEqual(contract.attributeMapping, { "google.subject": "assertion.sub", "attribute.tid": "assertion.tid" });
        assert.equal(
            contract.principal,
            `principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/agentfed-prod/subject/${UAMI_OID}`,
        );
    });

    it("produces CEL that parses", () => {
        assert.doesNotThrow(() => parse(contract.attributeCondition));
        for (const expression of Object.values(contract.attributeMapping)) assert.doesNotThrow(() => parse(expression));
    });

    it("accepts the seed's UAMI token (the GUID audience is what arrives)", () => {
        assert.deepEqual(evaluateGcpProvider(contract, SEED_UAMI_TOKEN_CLAIMS, BEFORE_EXPIRY), { accepted: true, reasons: [] });
    });

    it("rejects another subject with the attribute-condition message", () => {
        const v = evaluateGcpProvider(contract, { ...SEED_UAMI_TOKEN_CLAIMS, sub: OTHER_OID, oid: OTHER_OID }, BEFORE_EXPIRY);
        assert.deepEqual(v.reasons, ["unauthorized_client: The given credential is rejected by the attribute condition."]);
    });

    it("rejects another tenant even with the same subject (issuer and tid both differ)", () => {
        const v = evaluateGcpProvider(
            contract,
            { ...SEED_UAMI_TOKEN_CLAIMS, tid: OTHER_TENANT, iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0` },
            BEFORE_EXPIRY,
        );
        assert.equal(v.accepted, false);
        assert.match(v.reasons.join("\n"), /issuer in ID Token/);
        assert.match(v.reasons.join("\n"), /rejected by the attribute condition/);
        // The condition alone also refuses a foreign tid on a token whose issuer was (wrongly) trusted.
        assert.match(evaluateGcpProvider(contract, { ...SEED_UAMI_TOKEN_CLAIMS, tid: OTHER_TENANT }, BEFORE_EXPIRY).reasons.join("\n"), /attribute condition/);
    });

    it("rejects a token with a missing claim instead of failing open", () => {
        const { tid: _tid, ...noTid } = SEED_UAMI_TOKEN_CLAIMS;
        const v = evaluateGcpProvider(contract, noTid, BEFORE_EXPIRY);
        assert.equal(v.accepted, false);
        assert.match(v.reasons.join("\n"), /rejected by the attribute condition/);
        const { sub: _sub, ...noSub } = SEED_UAMI_TOKEN_CLAIMS;
        assert.match(evaluateGcpProvider(contract, noSub, BEFORE_EXPIRY).reasons.join("\n"), /google\.subject/);
    });

    it("compares audiences byte for byte: api://weather and a padded GUID are rejected", () => {
        assert.match(
            evaluateGcpProvider(contract, { ...SEED_UAMI_TOKEN_CLAIMS, aud: "api://weather" }, BEFORE_EXPIRY).reasons.join("\n"),
            /audience in ID Token \[api:\/\/weather\]/,
        );
        assert.equal(evaluateGcpProvider(contract, { ...SEED_UAMI_TOKEN_CLAIMS, aud: " fb60f99c-7a34-4190-8149-302f77469936" }, BEFORE_EXPIRY).accepted, false);
    });

    it("rejects an expired token", () => {
        assert.match(evaluateGcpProvider(contract, SEED_UAMI_TOKEN_CLAIMS, SEED_UAMI_TOKEN_CLAIMS.exp + 1).reasons.join("\n"), /expired/);
    });

    it("never builds a tid-only condition, and refuses values that could escape a CEL literal", () => {
        const noTenant = { ...uamiWorkloadSubject(TENANT, UAMI_OID), tenantId: undefined };
        assert.equal(gcpProviderContract(location, SA, noTenant).attributeCondition, `assertion.sub == '${UAMI_OID}'`);
        assert.throws(() => gcpProviderContract(location, SA, { ...noTenant, subject: "x' || true || '" }), TrustContractError);
        assert.throws(() => gcpProviderContract({ ...location, projectNumber: "contoso" }, SA, noTenant), /not numeric/);
    });

    it("gives the agent an external_account configuration with a file source (per-replica endpoints rule out a URL source)", () => {
        assert.deepEqual(externalAccountCredentialConfig(contract, "/var/run/secrets/agentfed/gcp-subject-token"), {
            type: "external_account",
            audience: "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/agentfed-prod/providers/entra-uami",
            subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
            token_url: "https://sts.googleapis.com/v1/token",
            service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${SA}:generateAccessToken`,
            credential_source: { file: "/var/run/secrets/agentfed/gcp-subject-token", format: { type: "text" } },
        });
    });
});

describe("GCP configuration", () => {
    it("accepts the prod stack's section", () => assert.deepEqual(prodConfigIssues("gcp", {}), []));
    it("requires a numeric project number", () => {
        assert.match(
            prodConfigIssues("gcp", { projectNumber: "contoso-agents-prod" })[0]!,
            /^agentfed:gcp\.projectNumber: must be numeric .*gcloud projects describe/,
        );
    });
    it("applies GCP's pool and provider id rules", () => {
        assert.match(prodConfigIssues("gcp", { poolId: "gcp-agents" })[0]!, /^agentfed:gcp\.poolId: must not start with "gcp-"/);
        assert.match(prodConfigIssues("gcp", { providerId: "Entra_UAMI" })[0]!, /^agentfed:gcp\.providerId: must be 4-32 lowercase/);
        assert.match(prodConfigIssues("gcp", { providerId: "abc" })[0]!, /4-32/);
        assert.match(prodConfigIssues("gcp", { poolId: "a".repeat(33) })[0]!, /4-32/);
    });
    it("refuses a role listed twice (two bindings with one name would fail the deployment)", () => {
        assert.match(
            prodConfigIssues("gcp", { modelRoles: ["roles/aiplatform.user", "roles/aiplatform.user"] })[0]!,
            /^agentfed:gcp\.modelRoles\[1\]: repeats roles\/aiplatform\.user/,
        );
    });
    it("refuses malformed or owner-level roles", () => {
        assert.match(prodConfigIssues("gcp", { modelRoles: ["aiplatform.user"] })[0]!, /^agentfed:gcp\.modelRoles\[0\]: is not a role name/);
        assert.match(prodConfigIssues("gcp", { modelRoles: ["roles/owner"] })[0]!, /far beyond model access/);
    });
});

describe("GCP federation in the prod plan", () => {
    const pin = (oid: string) => ({ [`${UAMI_TYPE}::agent`]: { principalId: oid, clientId: UAMI_CLIENT_ID } });
    const find = (plan: PlanResult, type: string) => plan.resources.filter((r) => r.type === type);
    const gcpContract = (plan: PlanResult) => plan.trustContracts.find((c): c is GcpProviderContract => c.kind === "gcp-provider")!;
    const ficContract = (plan: PlanResult) => plan.trustContracts.find((c): c is EntraFicContract => c.kind === "entra-fic")!;

    it("registers the provider with both audiences and a condition pinning the same oid the FIC pins", async () => {
        for (const oid of [UAMI_OID, OTHER_OID]) {
            const plan = await runPlan({ stack: "prod", mockOverrides: pin(oid) });
            const [provider] = find(plan, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider");
            const oidc = provider!.inputs.oidc as { issuerUri: string; allowedAudiences: string[] };
            assert.deepEqual(oidc.allowedAudiences, ["api://AzureADTokenExchange", "fb60f99c-7a34-4190-8149-302f77469936"]);
            assert.equal(oidc.issuerUri, ficContract(plan).issuer);
            assert.equal(provider!.inputs.attributeCondition, `assertion.tid == '${TENANT}' && assertion.sub == '${ficContract(plan).subject}'`);
            assert.equal(ficContract(plan).subject, oid);
            const [binding] = find(plan, "gcp:serviceaccount/iAMMember:IAMMember");
            assert.equal(
                binding!.inputs.member,
                `principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/agentfed-prod/subject/${oid}`,
            );
            assert.equal(binding!.inputs.role, "roles/iam.workloadIdentityUser");
            assert.equal(gcpContract(plan).principal, binding!.inputs.member);
            assert.equal(provider!.protect && find(plan, "gcp:iam/workloadIdentityPool:WorkloadIdentityPool")[0]!.protect, true);
        }
    });

    it("gives distinct roles distinct resource names, even when their last segments collide", async () => {
        const gcp = {
            ...(JSON.parse(readStackConfig("prod")["agentfed:gcp"]!) as object),
            modelRoles: ["roles/aiplatform.user", "projects/contoso-agents-prod/roles/aiplatform.user", "organizations/123456789/roles/aiplatform.user"],
        };
        const plan = await runPlan({ stack: "prod", config: { gcp } });
        const names = find(plan, "gcp:projects/iAMMember:IAMMember").map((r) => r.name);
        assert.equal(new Set(names).size, 3, names.join(", "));
    });

    it("grants the model role to the dedicated service account only", async () => {
        const plan = await runPlan({ stack: "prod" });
        const roles = find(plan, "gcp:projects/iAMMember:IAMMember").map((r) => [r.inputs.role, r.inputs.member]);
        assert.deepEqual(roles, [["roles/aiplatform.user", "serviceAccount:weather-agent-llm@contoso-agents-prod.iam.gserviceaccount.com"]]);
    });

    it("hands the agent the credential configuration and has the refresher keep its subject token fresh", async () => {
        const plan = await runPlan({ stack: "prod" });
        const [app] = find(plan, "azure-native:app:ContainerApp");
        const template = app!.inputs.template as {
            containers: { name: string; env: { name: string; value: string }[] }[];
            volumes: { name: string; storageType: string }[];
        };
        assert.deepEqual(
            template.containers.map((c) => c.name),
            ["agent", "entra-auth-sidecar", "token-refresher"],
        );
        const agentEnv = Object.fromEntries(template.containers[0]!.env.map((e) => [e.name, e.value]));
        assert.equal(agentEnv["GOOGLE_APPLICATION_CREDENTIALS"], "/etc/agentfed/gcp-credential-config.json");
        const refresher = Object.fromEntries(template.containers[2]!.env.map((e) => [e.name, e.value]));
        const targets = JSON.parse(refresher["AGENTFED_TOKEN_TARGETS"]!) as { name: string }[];
        assert.deepEqual(
            targets.find((t) => t.name === "gcp"),
            { name: "gcp", file: "/var/run/secrets/agentfed/gcp-subject-token", resource: "api://AzureADTokenExchange" },
        );
        const secrets = (app!.inputs.configuration as { secrets: { name: string; value: string }[] }).secrets;
        assert.deepEqual(JSON.parse(secrets[0]!.value), JSON.parse(String(plan.outputs.gcpCredentialConfig)));
        assert.deepEqual(
            template.volumes.map((v) => [v.name, v.storageType]),
            [
                ["agentfed-tokens", "EmptyDir"],
                ["agentfed-config", "Secret"],
            ],
        );
    });
});
