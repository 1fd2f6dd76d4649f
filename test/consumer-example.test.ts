import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runPlanCli } from "../src/plan/cli";
import { runPlan } from "../src/plan/run-plan";
import { PROJECT_DIR } from "../src/plan/stack-files";
import { capture } from "./cli-capture";
import { STACK_OUTPUT_NAMES } from "../src/outputs";
import { agentIdentityOutputs } from "../src/outputs-reader";
import { runConsumer, STORAGE_BLOB_DATA_READER } from "../examples/consumer/program";

/**
 * The example consumer (examples/consumer) runs under Pulumi's mocks with a mocked StackReference whose outputs are
 * the agentfed stack's own offline-plan outputs: the consumer's types and the stack's exports cannot drift apart.
 * Runs are sequential: Pulumi's runtime state is per process.
 */

const STORAGE_ACCOUNT_ID =
    "/subscriptions/12345678-1234-1234-1234-123456789012/resourceGroups/rg-weather-data/providers/Microsoft.Storage/storageAccounts/weatherdata";

interface Registration {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

/** An Output's value, known-ness and secretness promises (internal API, stable across SDK versions). */
interface OutputPromises<T> {
    promise(): Promise<T>;
    isKnown: Promise<boolean>;
    isSecret: Promise<boolean>;
}

/** Resolves an Output the way an engine would, observing every promise it holds so a failure is never left unhandled. */
async function resolve<T>(output: pulumi.Output<T>): Promise<T> {
    const o = output as unknown as OutputPromises<T>;
    const [value] = await Promise.allSettled([o.promise(), o.isKnown, o.isSecret]);
    if (value.status === "rejected") throw value.reason;
    return value.value;
}

/**
 * Runs a program as Pulumi's Node.js language host does (@pulumi/pulumi cmd/run): inside the stack, with the
 * process's unhandled rejections turned into the deployment's errors instead of crashing it. Returns those errors.
 */
async function deployErrors(program: () => unknown): Promise<string[]> {
    const errors: string[] = [];
    const previous = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", (reason) => errors.push(reason instanceof Error ? reason.message : String(reason)));
    try {
        await pulumi.runtime.runInPulumiStack(() => Promise.resolve(program())).catch((err: unknown) => errors.push((err as Error).message));
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    } finally {
        process.removeAllListeners("unhandledRejection");
        for (const listener of previous) process.on("unhandledRejection", listener);
    }
    return errors;
}

/** Mocks whose StackReference answers with `outputs`, recording every other registration. */
async function mockWith(outputs: Record<string, unknown>, config: Record<string, string>, secretOutputNames: string[] = []): Promise<Registration[]> {
    const registrations: Registration[] = [];
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`agentfed-consumer:${k}`, v])));
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                if (args.type === "pulumi:pulumi:StackReference") {
                    return { id: String(args.inputs.name), state: { name: args.inputs.name, outputs, secretOutputNames } };
                }
                registrations.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: (args) => args.inputs,
        },
        "agentfed-consumer",
        "example",
        false,
    );
    return registrations;
}

/** Every output resolved, as JSON text or "<ErrorName>: <message>", so no rejection is left unobserved. */
async function settleAll(outputs: Record<string, pulumi.Output<unknown>>): Promise<Record<string, string>> {
    const names = Object.keys(outputs);
    const results = await Promise.allSettled(names.map((n) => resolve(outputs[n]!)));
    return Object.fromEntries(
        results.map((r, i) => [names[i]!, r.status === "fulfilled" ? JSON.stringify(r.value) : `${(r.reason as Error).name}: ${(r.reason as Error).message}`]),
    );
}

async function planOutputs(stack: "prod" | "dev"): Promise<Record<string, unknown>> {
    return (await runPlan({ stack })).outputs;
}

describe("the example consumer stack (examples/consumer)", () => {
    it("grants the agent's own UAMI and GCP service account, read typed from the prod stack's outputs", async () => {
        const prod = await planOutputs("prod");
        const registrations = await mockWith(prod, { agentfedStack: "contoso/agentfed/prod", storageAccountId: STORAGE_ACCOUNT_ID, gcsBucket: "weather-data" });
        const out = runConsumer();
        assert.equal(await resolve(out.agentUamiOid), prod.uamiOid);
        assert.equal(await resolve(out.gcsReader!), `serviceAccount:${String(prod.gcpServiceAccountEmail)}`);
        await resolve(out.blobReaderAssignmentId);

        const assignment = registrations.find((r) => r.type === "azure-native:authorization:RoleAssignment");
        assert.deepEqual(assignment?.inputs, {
            principalId: prod.uamiOid,
            principalType: "ServicePrincipal",
            roleDefinitionId: `/subscriptions/12345678-1234-1234-1234-123456789012/providers/Microsoft.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_READER}`,
            scope: STORAGE_ACCOUNT_ID,
        });
        const bucket = registrations.find((r) => r.type === "gcp:storage/bucketIAMMember:BucketIAMMember");
        assert.deepEqual(bucket?.inputs, {
            bucket: "weather-data",
            role: "roles/storage.objectViewer",
            member: `serviceAccount:${String(prod.gcpServiceAccountEmail)}`,
        });
    });

    it("says plainly when it asks for GCP access from a stack that does not federate GCP (dev)", async () => {
        const dev = await planOutputs("dev");
        assert.equal(dev.gcpServiceAccountEmail, null);
        await mockWith(dev, { agentfedStack: "contoso/agentfed/dev", storageAccountId: STORAGE_ACCOUNT_ID, gcsBucket: "weather-data" });
        const errors = await deployErrors(runConsumer);
        assert.ok(errors.length > 0, "the deployment must fail");
        for (const error of errors)
            assert.match(
                error,
                /agentfed-consumer:gcsBucket is set, but stack contoso\/agentfed\/dev has no GCP federation \(gcpServiceAccountEmail is null\): remove gcsBucket/,
            );
    });
});

describe("agentIdentityOutputs (typed StackReference reader)", () => {
    it("reads every output the stack exports, keeping secret outputs secret", async () => {
        const prod = await planOutputs("prod");
        await mockWith({ ...prod, kindServiceAccountSigningKey: "-----BEGIN RSA PRIVATE KEY-----" }, {}, ["kindServiceAccountSigningKey"]);
        const agent = agentIdentityOutputs(new pulumi.StackReference("contoso/agentfed/prod"));
        assert.deepEqual(Object.keys(agent).sort(), [...STACK_OUTPUT_NAMES].sort());
        for (const name of STACK_OUTPUT_NAMES.filter((n) => n !== "kindServiceAccountSigningKey")) {
            assert.deepEqual(await resolve<unknown>(agent[name] as pulumi.Output<unknown>), prod[name], name);
        }
        assert.equal(await pulumi.isSecret(agent.kindServiceAccountSigningKey), true);
        assert.equal(await pulumi.isSecret(agent.uamiOid), false);
    });

    it("refuses a reference to a stack that is not an agentfed stack, naming the stack and the output", async () => {
        await mockWith({ someOtherOutput: "x" }, {});
        const agent = agentIdentityOutputs(new pulumi.StackReference("contoso/network/prod"));
        const settled = await settleAll(agent);
        assert.match(
            settled.uamiOid ?? "",
            /^StackOutputError: Stack contoso\/network\/prod: output uamiOid is missing\. Is the StackReference pointing at an agentfed stack/,
        );
        assert.match(settled.tenantId ?? "", /output tenantId is missing/);
        // Nullable outputs an older or smaller stack may lack read as null, not as errors.
        assert.equal(settled.gcpServiceAccountEmail, "null");
    });

    it("refuses an output of the wrong shape instead of passing it into a grant", async () => {
        const prod = await planOutputs("prod");
        await mockWith({ ...prod, uamiOid: "mi-weather-agent", trustContracts: "[]", blueprintKind: "appRegistration" }, {});
        const settled = await settleAll(agentIdentityOutputs(new pulumi.StackReference("contoso/agentfed/prod")));
        assert.match(settled.uamiOid ?? "", /output uamiOid is not a GUID \(got "mi-weather-agent"\)/);
        assert.match(settled.trustContracts ?? "", /output trustContracts is not a list of contracts/);
        assert.match(settled.blueprintKind ?? "", /output blueprintKind is not one of agentIdentityBlueprint, application/);
        assert.equal(settled.uamiClientId, JSON.stringify(prod.uamiClientId));
    });

    it("never echoes a wrong value of an output that may hold a credential, secret or not", async () => {
        const prod = await planOutputs("prod");
        const key = "-----BEGIN RSA PRIVATE KEY-----MIIEow";
        await mockWith({ ...prod, kindServiceAccountSigningKey: { pem: key }, trustContracts: key, uamiOid: { pem: key } }, {}, [
            "kindServiceAccountSigningKey",
            "trustContracts",
        ]);
        const settled = await settleAll(agentIdentityOutputs(new pulumi.StackReference("contoso/agentfed/prod")));
        assert.match(settled.kindServiceAccountSigningKey ?? "", /output kindServiceAccountSigningKey is not a string \(got an object\)/);
        assert.match(settled.trustContracts ?? "", /output trustContracts is not a list of contracts \(got a string of 37 characters\)/);
        assert.match(settled.uamiOid ?? "", /output uamiOid is not a GUID \(got an object\)/);
        for (const message of Object.values(settled)) assert.ok(!(message ?? "").includes("PRIVATE KEY"), message);
    });

    it("reads a stack deployed before Option 2 and agent classes with the values it meant", async () => {
        const prod = await planOutputs("prod");
        const { cloudPrincipal: _c, agentClasses: _a, agentIdentityObjectId: _i, ...older } = prod;
        await mockWith(older, {});
        const agent = agentIdentityOutputs(new pulumi.StackReference("contoso/agentfed/prod"));
        assert.equal(await resolve(agent.cloudPrincipal), "uami");
        assert.deepEqual(await resolve(agent.agentClasses), {});
        assert.equal(await resolve(agent.agentIdentityObjectId), null);
        assert.equal(await resolve(agent.uamiOid), prod.uamiOid);
    });
});

describe("npm run plan -- --project examples/consumer", () => {
    it("plans the consumer with its own stack file, reading the prod stack's offline outputs through the StackReference", async () => {
        const prod = await planOutputs("prod");
        const r = await capture((io) => runPlanCli(["--project", "examples/consumer", "--stack", "example", "--json"], io));
        assert.equal(r.code, 0, r.stderr);
        const plan = JSON.parse(r.stdout) as { resources: Registration[]; outputs: Record<string, unknown>; placeholders: Record<string, string> };
        const assignment = plan.resources.find((x) => x.type === "azure-native:authorization:RoleAssignment");
        assert.equal(assignment?.inputs.principalId, prod.uamiOid);
        assert.equal(plan.outputs.agentUamiOid, prod.uamiOid);
        assert.equal(plan.outputs.gcsReader, `serviceAccount:${String(prod.gcpServiceAccountEmail)}`);
        assert.match(
            plan.placeholders[String(prod.uamiOid)] ?? "",
            /UAMI .* \(stack contoso\/agentfed\/prod\)$/,
            "the referenced stack's placeholders stay marked",
        );
    });

    it("refuses, before planning, a reference to a stack of another project", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "agentfed-consumer-"));
        try {
            const consumer = path.join(PROJECT_DIR, "examples", "consumer");
            writeFileSync(path.join(dir, "Pulumi.yaml"), readFileSync(path.join(consumer, "Pulumi.yaml")));
            writeFileSync(
                path.join(dir, "Pulumi.example.yaml"),
                readFileSync(path.join(consumer, "Pulumi.example.yaml"), "utf8").replace("contoso/agentfed/prod", "contoso/network/prod"),
            );
            const r = await capture((io) => runPlanCli(["--project", "examples/consumer", "--stack", "example"], io, { projectDir: dir }));
            assert.equal(r.code, 2);
            assert.match(
                r.stderr,
                /^plan: agentfed-consumer:agentfedStack is "contoso\/network\/prod": the offline plan reads a stack of this repository's project, <organization>\/agentfed\/<stack>/,
            );
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
