import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import type { EntraFicContract } from "../src/contracts";
import { runPlan, PlanResult } from "../src/plan/run-plan";
import { AgentFedMocks } from "../src/plan/mocks";
import { APP_FIC_TYPE, BLUEPRINT_FIC_TYPE, OTHER_OID, TENANT, UAMI_CLIENT_ID, UAMI_OID, UAMI_TYPE } from "./helpers";

// The real program (src/program.ts) runs under Pulumi mocks (src/plan/mocks.ts) that stand in for ARM and Graph.
// Runs are sequential: Pulumi's runtime state is per process.
const pinOid = (oid: string) => ({ [`${UAMI_TYPE}::agent`]: { principalId: oid, clientId: UAMI_CLIENT_ID } });

/** The Entra FIC contracts of a plan. */
function ficsOf(plan: PlanResult): EntraFicContract[] {
    return plan.trustContracts.filter((c): c is EntraFicContract => c.kind === "entra-fic");
}

function resource(plan: PlanResult, type: string, name: string) {
    const r = plan.resources.find((x) => x.type === type && x.name === name);
    assert.ok(r, `${type} ${name} was not registered`);
    return r;
}

describe("the program under mocks (prod: Entra Agent ID Blueprint)", () => {
    it("wires the FIC's subject to the UAMI's principalId, with the exact issuer and audience", async () => {
        const plan = await runPlan({ stack: "prod", mockOverrides: pinOid(UAMI_OID) });
        const fic = resource(plan, BLUEPRINT_FIC_TYPE, "uami");
        assert.equal(fic.inputs.subject, UAMI_OID);
        assert.equal(fic.inputs.issuer, `https://login.microsoftonline.com/${TENANT}/v2.0`);
        assert.deepEqual(fic.inputs.audiences, ["api://AzureADTokenExchange"]);
        assert.equal(fic.inputs.blueprintObjectId, "55555555-5555-5555-5555-555555555555");
        assert.equal(fic.parent, "agentfed:entra:BlueprintFederation::uami");
        assert.match(String(fic.inputs.__provider), /serialized dynamic provider: \d{4,} bytes/);
        assert.equal(plan.outputs.uamiOid, UAMI_OID);
        assert.equal(plan.outputs.uamiClientId, UAMI_CLIENT_ID);
        assert.deepEqual(
            ficsOf(plan).map((c) => [c.kind, c.subject]),
            [["entra-fic", UAMI_OID]],
        );
    });

    it("changing the UAMI's object id changes every contract that pins it (one source of truth)", async () => {
        const plan = await runPlan({ stack: "prod", mockOverrides: pinOid(OTHER_OID) });
        assert.equal(resource(plan, BLUEPRINT_FIC_TYPE, "uami").inputs.subject, OTHER_OID);
        assert.equal(plan.outputs.uamiOid, OTHER_OID);
        const pinnedToUami = ficsOf(plan).filter((c) => c.name === "uami-mi-weather-agent");
        assert.equal(pinnedToUami.length, 1);
        assert.ok(pinnedToUami.every((c) => c.subject === OTHER_OID));
        assert.ok(!JSON.stringify(plan).includes(UAMI_OID), "no trace of the previous object id anywhere in the plan");
    });

    it("protects the UAMI, its resource group (when the stack creates it) and the FIC in prod", async () => {
        // The committed prod stack leaves its group to the CI bootstrap; a stack that creates its own protects it.
        const plan = await runPlan({ stack: "prod", config: { resourceGroup: { name: "rg-agentfed-prod", create: true } } });
        for (const [type, name] of [
            [UAMI_TYPE, "agent"],
            ["azure-native:resources:ResourceGroup", "agent-identity"],
            [BLUEPRINT_FIC_TYPE, "uami"],
        ] as const) {
            assert.equal(resource(plan, type, name).protect, true, `${type} ${name} must be protected`);
        }
    });

    it("never registers a system-assigned identity", async () => {
        const plan = await runPlan({ stack: "prod" });
        assert.doesNotMatch(JSON.stringify(plan.resources), /SystemAssigned/i);
        const identities = plan.resources.filter((r) => r.type.includes(":managedidentity:"));
        assert.deepEqual(
            identities.map((r) => r.type),
            [UAMI_TYPE],
        );
    });
});

describe("the program under mocks (dev: classic app registration)", () => {
    it("uses azuread.ApplicationFederatedIdentityCredential with the UAMI's oid, and leaves dev unprotected", async () => {
        const plan = await runPlan({ stack: "dev", mockOverrides: pinOid(UAMI_OID) });
        const fic = resource(plan, APP_FIC_TYPE, "uami");
        assert.deepEqual(
            { applicationId: fic.inputs.applicationId, subject: fic.inputs.subject, audiences: fic.inputs.audiences, displayName: fic.inputs.displayName },
            {
                applicationId: "/applications/77777777-7777-7777-7777-777777777777",
                subject: UAMI_OID,
                audiences: ["api://AzureADTokenExchange"],
                displayName: "uami-mi-weather-agent-dev",
            },
        );
        assert.equal(fic.protect, false);
        assert.equal(
            plan.resources.some((r) => r.type === BLUEPRINT_FIC_TYPE),
            false,
        );
        // The declared CI FIC is a contract too, with its literal subject, and so is the Kind service account's.
        assert.deepEqual(
            ficsOf(plan).map((c) => c.subject),
            [UAMI_OID, "repo:contoso/agent-identity-federation:environment:dev", "system:serviceaccount:entra-demo:sidecar-sa"],
        );
    });
});

describe("bad configuration", () => {
    it("fails before any resource is registered, naming the key", async () => {
        let mocks: AgentFedMocks | undefined;
        await assert.rejects(runPlan({ stack: "prod", config: { tenantId: "not-a-tenant" }, onMocks: (m) => (mocks = m) }), /agentfed:tenantId is not a GUID/);
        assert.ok(mocks);
        assert.deepEqual(
            mocks.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack"),
            [],
        );
    });
});

describe("the UAMI's tenant", () => {
    it("fails the deployment when Azure reports another tenant than agentfed:tenantId", () => {
        // Pulumi re-raises a failed apply once per dependent resource, so this runs in its own process.
        const code = `
            const { runPlan } = require("./src/plan/run-plan");
            runPlan({ stack: "prod", mockOverrides: { "${UAMI_TYPE}::agent": { principalId: "${UAMI_OID}", tenantId: "99999999-9999-9999-9999-999999999999" } } })
                .then(() => process.exit(0), (err) => { console.error(err.message); process.exit(1); });`;
        const run = spawnSync(process.execPath, ["--import", "tsx", "-e", code], { cwd: path.resolve(__dirname, ".."), encoding: "utf8" });
        assert.equal(run.status, 1, run.stderr);
        // The plan turns the failed apply into its own error, once, as Pulumi's language host does: no crash dump.
        assert.match(
            run.stderr,
            /^the program failed: UAMI mi-weather-agent belongs to tenant 99999999-9999-9999-9999-999999999999, but agentfed:tenantId is 11111111-1111-1111-1111-111111111111/m,
        );
        assert.doesNotMatch(run.stderr, /^\s+at /m, "no stack trace");
    });
});
