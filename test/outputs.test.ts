import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { STACK_OUTPUT_NAMES } from "../src/outputs";
import { runPlanCli } from "../src/plan/cli";
import { runPlan } from "../src/plan/run-plan";
import { capture } from "./cli-capture";

/**
 * Consumer stacks read these names with StackReference.getOutput(...). Changing this list is a breaking change for
 * them: update docs/outputs.md and announce it, then update this test.
 */
const PINNED_OUTPUT_NAMES = [
    "tenantId",
    "uamiOid",
    "uamiClientId",
    "uamiResourceId",
    "uamiName",
    "blueprintAppId",
    "blueprintObjectId",
    "blueprintKind",
    "blueprintFicName",
    "trustContracts",
    "gcpWorkloadIdentityProvider",
    "gcpServiceAccountEmail",
    "gcpCredentialConfig",
    "awsRoleArn",
    "awsOidcProviderArn",
    "awsTokenRefresher",
    "containerAppName",
    "containerAppFqdn",
    "kindIssuerUrl",
    "kindClusterConfig",
    "kindServiceAccountSigningKey",
    "kindServiceAccountPublicKey",
    // Added with agent classes (issue 9): an addition, so existing consumers are unaffected.
    "agentClasses",
    "cloudPrincipal",
    "agentIdentityObjectId",
    // Added when every agent on a Blueprint calls its APIs as its Agent Identity: an addition.
    "agentIdentityClientId",
];

describe("stack outputs", () => {
    it("keep the names consumer stacks depend on", () => {
        assert.deepEqual([...STACK_OUTPUT_NAMES], PINNED_OUTPUT_NAMES);
    });

    it("are exactly what the program exports, with trustContracts as plain JSON", async () => {
        const plan = await runPlan({ stack: "prod" });
        assert.deepEqual(Object.keys(plan.outputs).sort(), [...PINNED_OUTPUT_NAMES].sort());
        assert.deepEqual(JSON.parse(JSON.stringify(plan.outputs.trustContracts)), plan.outputs.trustContracts);
    });
});

describe("npm run plan", () => {
    it("prints { stack, resources, outputs, trustContracts } with --json, marking cloud-assigned values", () => {
        const root = path.resolve(__dirname, "..");
        const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/plan.ts", "--stack", "prod", "--json"], { cwd: root, encoding: "utf8" });
        assert.equal(run.status, 0, run.stderr);
        const plan = JSON.parse(run.stdout) as Record<string, any>;
        assert.equal(plan.stack, "prod");
        for (const r of plan.resources) assert.deepEqual(Object.keys(r).slice(0, 4), ["type", "name", "parent", "inputs"]);
        const uamiOid = plan.outputs.uamiOid as string;
        assert.match(plan.placeholders[uamiOid], /principalId \(object id\) of UAMI mi-weather-agent/);
        const fic = plan.resources.find((r: any) => r.type.endsWith("BlueprintFederatedIdentityCredential"));
        assert.equal(fic.inputs.subject, uamiOid, "the FIC and the UAMI output carry the same oid");
        assert.deepEqual(
            plan.trustContracts.filter((c: any) => c.kind === "entra-fic").map((c: any) => c.subject),
            [uamiOid],
        );
    });

    it("exits 2 on an unknown stack, naming the stack file and the stacks the project has", async () => {
        const run = await capture((io) => runPlanCli(["--stack", "staging"], io));
        assert.equal(run.code, 2);
        assert.match(
            run.stderr,
            /^plan: No stack file Pulumi\.staging\.yaml in .*, the project's directory \(beside its Pulumi\.yaml\); its stacks are dev, prod\n$/,
        );
    });
});
