import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { runtime as pulumiRuntime } from "@pulumi/pulumi";
import { blueprintFicProvider, BlueprintFicInputs, BlueprintFicOutputs } from "../src/providers/blueprint-fic-provider";
import { APP_ONLY_TOKEN, FakeGraph, startFakeGraph } from "./fake-graph";
import { BLUEPRINT_OBJECT_ID, TENANT, UAMI_OID, OTHER_OID } from "./helpers";

// Every HTTP exchange below goes to a local server that stands in for Microsoft Graph (see fake-graph.ts).
let graph: FakeGraph;
before(async () => {
    graph = await startFakeGraph();
});
after(async () => {
    await graph.close();
});
beforeEach(() => {
    graph.blueprints.clear();
    graph.blueprints.set(BLUEPRINT_OBJECT_ID, []);
    graph.requests.length = 0;
});

const provider = blueprintFicProvider(() => Promise.resolve(APP_ONLY_TOKEN)) as Required<pulumi.dynamic.ResourceProvider>;

function inputs(overrides: Partial<BlueprintFicInputs> = {}): BlueprintFicInputs {
    return {
        graphEndpoint: graph.url,
        blueprintObjectId: BLUEPRINT_OBJECT_ID,
        name: "uami-mi-weather-agent",
        issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        subject: UAMI_OID,
        audiences: ["api://AzureADTokenExchange"],
        ...overrides,
    };
}

const COLLECTION = `/beta/applications/${BLUEPRINT_OBJECT_ID}/microsoft.graph.agentIdentityBlueprint/federatedIdentityCredentials`;

describe("Blueprint FIC dynamic provider against a local Graph stand-in", () => {
    it("creates the FIC with POST on the beta agentIdentityBlueprint path, with an app-only bearer token", async () => {
        const { id, outs } = await provider.create(inputs());
        const [req] = graph.requests;
        assert.equal(req?.method, "POST");
        assert.equal(req?.path, COLLECTION);
        assert.equal(req?.authorization, `Bearer ${APP_ONLY_TOKEN}`);
        assert.deepEqual(req?.body, {
            name: "uami-mi-weather-agent",
            issuer: inputs().issuer,
            subject: UAMI_OID,
            audiences: ["api://AzureADTokenExchange"],
            description: "",
        });
        const stored = graph.blueprints.get(BLUEPRINT_OBJECT_ID)![0]!;
        assert.equal(id, `${BLUEPRINT_OBJECT_ID}/federatedIdentityCredentials/${stored.id}`);
        assert.equal((outs as BlueprintFicOutputs).credentialId, stored.id);
    });

    it("turns a 409 conflict (same issuer+subject) into an error that says what to do", async () => {
        await provider.create(inputs());
        await assert.rejects(provider.create(inputs({ name: "another-name" })), (err: Error) => {
            assert.match(err.message, /answered 409 Request_MultipleObjectsWithSameKeyValue/);
            assert.match(err.message, /already exists on the Blueprint/);
            assert.match(err.message, /import/);
            return true;
        });
    });

    it("reads the FIC back, and reports a FIC deleted out of band (404) as gone", async () => {
        const { id, outs } = await provider.create(inputs({ description: "runtime witness" }));
        const read = await provider.read(id, outs);
        assert.deepEqual(read.props, { ...inputs({ description: "runtime witness" }), credentialId: (outs as BlueprintFicOutputs).credentialId });
        graph.blueprints.set(BLUEPRINT_OBJECT_ID, []);
        assert.deepEqual(await provider.read(id, outs), {});
    });

    it("updates issuer/subject/audiences in place with PATCH", async () => {
        const { id, outs } = await provider.create(inputs());
        const news = inputs({ subject: OTHER_OID });
        const { outs: updated } = await provider.update(id, outs, news);
        const patch = graph.requests.at(-1)!;
        assert.equal(patch.method, "PATCH");
        assert.equal(patch.path, `${COLLECTION}/${(outs as BlueprintFicOutputs).credentialId}`);
        assert.equal(graph.blueprints.get(BLUEPRINT_OBJECT_ID)![0]!.subject, OTHER_OID);
        assert.equal((updated as BlueprintFicOutputs).credentialId, (outs as BlueprintFicOutputs).credentialId);
    });

    it("deletes with DELETE, and treats an already-deleted FIC as deleted", async () => {
        const { id, outs } = await provider.create(inputs());
        await provider.delete(id, outs);
        assert.equal(graph.blueprints.get(BLUEPRINT_OBJECT_ID)!.length, 0);
        await provider.delete(id, outs);
        assert.deepEqual(
            graph.requests.slice(-2).map((r) => r.method),
            ["DELETE", "DELETE"],
        );
    });

    it("explains a 403 with the Graph permission an app-only caller needs", async () => {
        const userToken = blueprintFicProvider(() => Promise.resolve("azure-cli-user-token")) as Required<pulumi.dynamic.ResourceProvider>;
        await assert.rejects(userToken.create(inputs()), /AgentIdentityBlueprint\.AddRemoveCreds\.All.*Directory\.AccessAsUser\.All/s);
    });

    it("explains a 404 on create as a wrong Blueprint object id", async () => {
        await assert.rejects(provider.create(inputs({ blueprintObjectId: "12345678-1234-1234-1234-123456789012" })), /agentfed:blueprint\.objectId/);
    });

    it("retries throttled requests (429 with Retry-After), then succeeds", async () => {
        graph.throttleNext(2);
        await provider.create(inputs());
        assert.deepEqual(
            graph.requests.map((r) => r.method),
            ["POST", "POST", "POST"],
        );
        assert.equal(graph.blueprints.get(BLUEPRINT_OBJECT_ID)!.length, 1);
    });
});

describe("Blueprint FIC diff and check", () => {
    const olds: BlueprintFicOutputs = {
        ...{
            graphEndpoint: "https://graph.microsoft.com",
            blueprintObjectId: BLUEPRINT_OBJECT_ID,
            name: "uami",
            issuer: "https://login.microsoftonline.com/t/v2.0",
            subject: UAMI_OID,
            audiences: ["api://AzureADTokenExchange"],
        },
        credentialId: "c1",
    };

    it("replaces on a new name, deleting the old FIC first (issuer+subject must stay unique)", async () => {
        const d = await provider.diff("id", olds, { ...olds, name: "uami-renamed" });
        assert.deepEqual([d.changes, d.replaces, d.deleteBeforeReplace], [true, ["name"], true]);
    });

    it("replaces when the Blueprint changes, updates in place when the subject changes, and reports no change otherwise", async () => {
        assert.deepEqual((await provider.diff("id", olds, { ...olds, blueprintObjectId: OTHER_OID })).replaces, ["blueprintObjectId"]);
        const subjectChange = await provider.diff("id", olds, { ...olds, subject: OTHER_OID });
        assert.deepEqual([subjectChange.changes, subjectChange.replaces], [true, []]);
        assert.equal((await provider.diff("id", olds, { ...olds })).changes, false);
    });

    it("check refuses inputs Entra would refuse, property by property", async () => {
        const { failures } = await provider.check(
            {},
            { ...olds, issuer: "http://issuer.example", subject: "*", audiences: ["fb60f99c-7a34-4190-8149-302f77469936"] },
        );
        assert.deepEqual(
            failures?.map((f) => f.property),
            ["issuer", "subject", "audiences"],
        );
    });
});

describe("Blueprint FIC provider as Pulumi stores it", () => {
    it("serializes into a self-contained module that loads in a fresh Node.js process", async () => {
        const instance = blueprintFicProvider();
        const serialized = await pulumiRuntime.serializeFunction(() => instance, { allowSecrets: true });
        const file = path.join(mkdtempSync(path.join(tmpdir(), "agentfed-provider-")), "provider.js");
        writeFileSync(file, serialized.text);
        // The engine runs this text in its own process: it must not reference this repository's files.
        assert.doesNotMatch(serialized.text, /require\("\.{1,2}\//);
        const probe = `const p = require(${JSON.stringify(file)}).handler(); console.log(Object.keys(p).sort().join(","));`;
        const run = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", cwd: __dirname });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout.trim(), "check,create,delete,diff,read,update");
    });
});
