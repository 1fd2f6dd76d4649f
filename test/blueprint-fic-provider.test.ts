import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { runtime as pulumiRuntime } from "@pulumi/pulumi";
import {
    blueprintFicProvider,
    BlueprintFicInputs,
    BlueprintFicOutputs,
    BlueprintFicProviderOptions,
    DEFAULT_RETRY_POLICY,
    retryAfterMs,
} from "../src/providers/blueprint-fic-provider";
import { ficNameKey } from "../src/contracts";
import { APP_ONLY_TOKEN, FakeGraph, startFakeGraph } from "./fake-graph";
import { BLUEPRINT_OBJECT_ID, OTHER_OID, TENANT, UAMI_OID } from "./helpers";

// Every HTTP exchange below goes to a local server that stands in for Microsoft Graph (see fake-graph.ts), and every
// wait goes to a fake clock: the tests assert the waits the provider asks for and never sleep for real.
let graph: FakeGraph;
before(async () => {
    graph = await startFakeGraph();
});
after(async () => {
    await graph.close();
});
beforeEach(() => {
    graph.reset();
    graph.blueprints.set(BLUEPRINT_OBJECT_ID, []);
});

type Provider = Required<pulumi.dynamic.ResourceProvider>;
const T0 = Date.parse("2026-10-01T12:00:00Z");

/** A provider with a fake clock; `waits` records every sleep it asked for, in ms. */
function faked(options: Omit<BlueprintFicProviderOptions, "clock"> = {}, token = APP_ONLY_TOKEN) {
    const clock = { t: T0, waits: [] as number[] };
    const provider = blueprintFicProvider(() => Promise.resolve(token), {
        ...options,
        clock: {
            now: () => clock.t,
            sleep: (ms) => {
                clock.waits.push(ms);
                clock.t += ms;
                return Promise.resolve();
            },
        },
    }) as Provider;
    return { provider, clock };
}

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
const stored = () => graph.blueprints.get(BLUEPRINT_OBJECT_ID)!;
const methods = () => graph.requests.map((r) => r.method);

describe("Blueprint FIC dynamic provider against a local Graph stand-in", () => {
    it("creates the FIC with POST on the beta agentIdentityBlueprint path, with an app-only bearer token", async () => {
        const { provider } = faked();
        const { id, outs } = await provider.create(inputs());
        const [req] = graph.requests;
        assert.equal(req?.method, "POST");
        assert.equal(req?.path, COLLECTION);
        assert.equal(req?.authorization, `Bearer ${APP_ONLY_TOKEN}`);
        assert.equal(req?.odataVersion, "4.0", "Agent ID calls send OData-Version: 4.0");
        assert.deepEqual(req?.body, {
            name: "uami-mi-weather-agent",
            issuer: inputs().issuer,
            subject: UAMI_OID,
            audiences: ["api://AzureADTokenExchange"],
            description: "",
        });
        assert.equal(id, `${BLUEPRINT_OBJECT_ID}/federatedIdentityCredentials/${stored()[0]!.id}`);
        assert.equal((outs as BlueprintFicOutputs).credentialId, stored()[0]!.id);
        assert.equal((outs as BlueprintFicOutputs).createdAt, new Date(T0).toISOString());
    });

    it("answers a 409 (a duplicate name) by refusing a same-named FIC with another contract, saying how to adopt it", async () => {
        const { provider } = faked();
        await provider.create(inputs());
        await assert.rejects(provider.create(inputs({ subject: OTHER_OID })), (err: Error) => {
            assert.match(err.message, /A FIC named uami-mi-weather-agent exists on Blueprint .* with another contract \(issuer .*, subject 33333333-/);
            assert.match(
                err.message,
                /so it is not this stack's.*import: "55555555-5555-5555-5555-555555555555\/federatedIdentityCredentials\/[0-9a-f-]{36}"/s,
            );
            return true;
        });
        assert.equal(stored().length, 1);
    });

    it("adopts, on the next pulumi up, the FIC an earlier run committed but never heard back about (no manual import)", async () => {
        const { provider } = faked({ retry: { requestTimeoutMs: 1_000, maxAttempts: 1 } });
        graph.fault({ kind: "hang", commit: true, method: "POST" });
        await assert.rejects(provider.create(inputs()), /failed after 1 attempt\(s\).*timed out.*the next create first looks the FIC up by name/s);
        assert.equal(stored().length, 1, "Graph carried the POST out");
        const next = faked();
        const { id } = await next.provider.create(inputs());
        assert.equal(id, `${BLUEPRINT_OBJECT_ID}/federatedIdentityCredentials/${stored()[0]!.id}`);
        assert.equal(stored().length, 1);
    });

    it("explains a duplicate issuer+subject, which Graph answers with 400 InvalidFederatedIdentityCredentialValue, not 409", async () => {
        const { provider } = faked();
        await provider.create(inputs());
        await assert.rejects(provider.create(inputs({ name: "another-name" })), (err: Error) => {
            assert.match(err.message, /answered 400 InvalidFederatedIdentityCredentialValue: The combination of issuer and subject must be unique/);
            assert.match(err.message, /Another FIC on the Blueprint already trusts this issuer and subject/);
            return true;
        });
        assert.equal(stored().length, 1);
    });

    it("reads the FIC back, and reports one deleted out of band (404) as gone once the consistency window has passed", async () => {
        const { provider, clock } = faked();
        const { id, outs } = await provider.create(inputs({ description: "runtime witness" }));
        const read = await provider.read(id, outs);
        assert.deepEqual(read.props, { ...inputs({ description: "runtime witness" }), credentialId: stored()[0]!.id, createdAt: new Date(T0).toISOString() });
        graph.blueprints.set(BLUEPRINT_OBJECT_ID, []);
        clock.t += DEFAULT_RETRY_POLICY.consistencyWindowMs;
        assert.deepEqual(await provider.read(id, outs), {});
    });

    it("keeps a FIC it created minutes ago in state when Graph does not show it yet (a GET right after a POST can 404)", async () => {
        const { provider, clock } = faked();
        const { id, outs } = await provider.create(inputs());
        graph.blueprints.set(BLUEPRINT_OBJECT_ID, []); // not replicated to the replica that answers the read
        clock.t += 60_000;
        await assert.rejects(
            provider.read(id, outs),
            /Graph does not show FIC uami-mi-weather-agent yet; it was created at .* It stays in state: run pulumi refresh again after/s,
        );
    });

    it("follows a FIC that came back under the same name with another id (restored, or recreated)", async () => {
        const { provider } = faked();
        const { id, outs } = await provider.create(inputs());
        stored()[0]!.id = "recreated-id";
        const read = await provider.read(id, outs);
        assert.equal(read.id, `${BLUEPRINT_OBJECT_ID}/federatedIdentityCredentials/recreated-id`);
        assert.equal((read.props as BlueprintFicOutputs).credentialId, "recreated-id");
    });

    it("finds a FIC by name without case, as the audit and the stack's uniqueness rule compare FIC names", async () => {
        const { provider } = faked();
        const { id, outs } = await provider.create(inputs());
        stored()[0]!.id = "recreated-id";
        stored()[0]!.name = "UAMI-MI-Weather-Agent";
        const read = await provider.read(id, outs);
        assert.equal(read.id, `${BLUEPRINT_OBJECT_ID}/federatedIdentityCredentials/recreated-id`, "the same FIC, not one gone");
        assert.equal(ficNameKey("UAMI-MI-Weather-Agent"), ficNameKey(inputs().name));
    });

    it("updates issuer/subject/audiences in place with PATCH", async () => {
        const { provider } = faked();
        const { id, outs } = await provider.create(inputs());
        const { outs: updated } = await provider.update(id, outs, inputs({ subject: OTHER_OID }));
        const patch = graph.requests.at(-1)!;
        assert.equal(patch.method, "PATCH");
        assert.equal(patch.path, `${COLLECTION}/${(outs as BlueprintFicOutputs).credentialId}`);
        assert.equal(stored()[0]!.subject, OTHER_OID);
        assert.equal((updated as BlueprintFicOutputs).credentialId, (outs as BlueprintFicOutputs).credentialId);
    });

    it("diagnoses a PATCH on a FIC deleted out of band as that, with pulumi refresh, and a missing Blueprint as that", async () => {
        const { provider } = faked();
        const { id, outs } = await provider.create(inputs());
        graph.blueprints.set(BLUEPRINT_OBJECT_ID, []);
        await assert.rejects(provider.update(id, outs, inputs({ subject: OTHER_OID })), (err: Error) => {
            assert.match(err.message, /FIC uami-mi-weather-agent \(.*\) no longer exists on Blueprint .*: it was deleted outside Pulumi/);
            assert.match(err.message, /Run pulumi refresh to drop it from state, then pulumi up to create it again/);
            assert.doesNotMatch(err.message, /objectId/);
            return true;
        });
        graph.blueprints.clear();
        await assert.rejects(provider.update(id, outs, inputs({ subject: OTHER_OID })), /No Blueprint with object id .* check agentfed:blueprint\.objectId/);
    });

    it("deletes with DELETE, and treats an already-deleted FIC as deleted", async () => {
        const { provider } = faked();
        const { id, outs } = await provider.create(inputs());
        await provider.delete(id, outs);
        assert.equal(stored().length, 0);
        await provider.delete(id, outs);
        assert.deepEqual(methods().slice(-2), ["DELETE", "DELETE"]);
    });

    it("explains a 403 with the Graph permission the refused call needs", async () => {
        const { provider } = faked({}, "azure-cli-user-token");
        await assert.rejects(
            provider.create(inputs()),
            /AgentIdentityBlueprint\.Create.*AgentIdentityBlueprint\.ReadWrite\.All covers every call.*Directory\.AccessAsUser\.All/s,
        );
    });

    it("explains a 404 on create as a wrong Blueprint object id, without waiting for replication", async () => {
        const { provider, clock } = faked();
        await assert.rejects(provider.create(inputs({ blueprintObjectId: "12345678-1234-1234-1234-123456789012" })), /agentfed:blueprint\.objectId/);
        assert.deepEqual(clock.waits, []);
    });
});

describe("Blueprint FIC provider: transient faults and throttling", () => {
    it("honours Retry-After in seconds: the waits are the ones Graph asked for", async () => {
        const { provider, clock } = faked();
        graph.throttleNext(2, "7");
        await provider.create(inputs());
        assert.deepEqual(methods(), ["POST", "POST", "POST"]);
        assert.deepEqual(clock.waits, [7_000, 7_000]);
        assert.equal(stored().length, 1, "a throttled POST was not carried out, so it is simply sent again");
    });

    it("honours Retry-After as an HTTP date", async () => {
        const { provider, clock } = faked();
        graph.throttleNext(1, new Date(T0 + 12_000).toUTCString());
        await provider.create(inputs());
        assert.deepEqual(clock.waits, [12_000]);
    });

    it("caps a long Retry-After and gives up within the budget, saying when to run again", async () => {
        const { provider, clock } = faked();
        graph.throttleNext(10, "3600");
        await assert.rejects(
            provider.create(inputs()),
            /failed after \d attempt\(s\).*Graph asked to wait 3600 s \(Retry-After\), longer than this provider waits/s,
        );
        assert.ok(clock.waits.every((w) => w === DEFAULT_RETRY_POLICY.maxRetryAfterMs));
        assert.ok(clock.t - T0 <= DEFAULT_RETRY_POLICY.maxTotalMs);
    });

    it("backs off exponentially without Retry-After, and stops after maxAttempts", async () => {
        const { provider, clock } = faked();
        graph.fault(...Array.from({ length: 8 }, () => ({ kind: "status" as const, status: 503, method: "POST" })));
        await assert.rejects(
            provider.create(inputs()),
            /failed after 6 attempt\(s\).*503 serviceNotAvailable.*Run pulumi up again: the next create first looks the FIC up by name/s,
        );
        assert.deepEqual(clock.waits, [1_000, 2_000, 4_000, 8_000, 16_000]);
        // After the first 503 (which Graph may have carried out) every new POST is preceded by a lookup by name.
        assert.deepEqual(methods(), ["POST", "GET", "POST", "GET", "POST", "GET", "POST", "GET", "POST", "GET", "POST"]);
    });

    it("retries a read on a connection reset and on a timeout, like a 5xx", async () => {
        const { provider, clock } = faked({ retry: { requestTimeoutMs: 1_000 } });
        const { id, outs } = await provider.create(inputs());
        graph.fault({ kind: "reset", method: "GET" }, { kind: "hang", method: "GET" });
        const read = await provider.read(id, outs);
        assert.equal((read.props as BlueprintFicOutputs).credentialId, stored()[0]!.id);
        assert.deepEqual(clock.waits, [1_000, 2_000]);
    });

    it("does not retry what waiting cannot fix: a host that does not resolve", async () => {
        const { provider, clock } = faked();
        await assert.rejects(provider.create(inputs({ graphEndpoint: "http://agentfed-no-such-host.invalid" })), /connection failed \(ENOTFOUND/);
        assert.deepEqual(clock.waits, []);
    });
});

describe("Blueprint FIC provider: a create Graph committed but did not confirm", () => {
    for (const [what, fault] of [
        ["answered 500", { kind: "status", status: 500, commit: true, method: "POST" }],
        ["reset the connection", { kind: "reset", commit: true, method: "POST" }],
        ["timed out", { kind: "hang", commit: true, method: "POST" }],
    ] as const) {
        it(`adopts the FIC when the POST was carried out but ${what}: no 409, no manual import`, async () => {
            const { provider } = faked({ retry: { requestTimeoutMs: 1_000 } });
            graph.fault(fault);
            const { id, outs } = await provider.create(inputs());
            assert.equal(stored().length, 1);
            assert.equal(id, `${BLUEPRINT_OBJECT_ID}/federatedIdentityCredentials/${stored()[0]!.id}`);
            assert.equal((outs as BlueprintFicOutputs).credentialId, stored()[0]!.id);
            assert.deepEqual(methods(), ["POST", "GET"], "looked up by name, and did not POST again");
        });
    }

    it("adopts its own FIC when the lookup lags behind the write, through the 409 the retried POST gets", async () => {
        const { provider, clock } = faked();
        graph.lagReads(2);
        graph.fault({ kind: "status", status: 502, commit: true, method: "POST" });
        const { outs } = await provider.create(inputs());
        assert.equal(stored().length, 1);
        assert.equal((outs as BlueprintFicOutputs).credentialId, stored()[0]!.id);
        assert.deepEqual(methods(), ["POST", "GET", "POST", "GET", "GET"]);
        assert.ok(clock.waits.length >= 2);
    });

    it("refuses to adopt a same-named FIC with another contract after an unconfirmed POST", async () => {
        const { provider } = faked();
        graph.fault({ kind: "status", status: 500, method: "POST" });
        stored().push({
            id: "someone-else",
            name: "uami-mi-weather-agent",
            issuer: "https://token.actions.githubusercontent.com",
            subject: "repo:x/y:ref:refs/heads/main",
            audiences: ["api://AzureADTokenExchange"],
            description: "",
        });
        await assert.rejects(provider.create(inputs()), /exists on Blueprint .* with another contract .* so it is not this stack's/);
    });

    it("treats a 201 whose body is not the FIC by reading the FIC back by name", async () => {
        const { provider } = faked();
        graph.fault({ kind: "status", status: 201, commit: true, method: "POST" });
        const { outs } = await provider.create(inputs());
        assert.equal((outs as BlueprintFicOutputs).credentialId, stored()[0]!.id);
    });
});

describe("Blueprint FIC provider: Entra's replication lag", () => {
    it("retries create while the subject (a UAMI created seconds ago) is not visible yet, with bounded backoff", async () => {
        const { provider, clock } = faked();
        graph.hideSubject(UAMI_OID, 3);
        await provider.create(inputs());
        assert.equal(stored().length, 1);
        // POST 404 -> GET (is the Blueprint there? yes) -> wait -> POST ...
        assert.deepEqual(methods(), ["POST", "GET", "POST", "GET", "POST", "GET", "POST"]);
        assert.deepEqual(clock.waits, [1_000, 2_000, 4_000]);
    });

    it("gives up after the consistency window and says what to do if it persists", async () => {
        const { provider, clock } = faked();
        graph.hideSubject(UAMI_OID, 1_000);
        await assert.rejects(provider.create(inputs()), (err: Error) => {
            assert.match(err.message, /Entra still does not see the FIC's subject 33333333-3333-3333-3333-333333333333 after \d+ s/);
            assert.match(err.message, /run pulumi up again in a few minutes.*az identity show/s);
            return true;
        });
        assert.ok(clock.t - T0 <= DEFAULT_RETRY_POLICY.consistencyWindowMs, "bounded by the consistency window");
        assert.ok(graph.requests.length < 40, `bounded attempts, got ${graph.requests.length}`);
    });
});

describe("Blueprint FIC provider: answers that are not the FIC", () => {
    it("refuses a 200 whose body is not a FIC instead of dropping the FIC from state", async () => {
        const { provider } = faked();
        const { id, outs } = await provider.create(inputs());
        for (const body of ["<html>sign in</html>", "{}", '{"value":[]}', "null"]) {
            graph.fault({ kind: "body", body, method: "GET" });
            await assert.rejects(provider.read(id, outs), /answered 200 with a body that is not a federatedIdentityCredential; the FIC stays in state/, body);
        }
    });

    it("reads the entity wrapped in value, as Graph's get example shows it", async () => {
        const { provider } = faked();
        const { id, outs } = await provider.create(inputs());
        graph.fault({ kind: "body", body: JSON.stringify({ value: stored()[0] }), method: "GET" });
        assert.equal(((await provider.read(id, outs)).props as BlueprintFicOutputs).credentialId, stored()[0]!.id);
    });
});

describe("Blueprint FIC replace: never without the FIC", () => {
    it("replaces on a new name or Blueprint, creating the new FIC before the old one goes", async () => {
        const { provider } = faked();
        const olds: BlueprintFicOutputs = { ...inputs(), credentialId: "c1" };
        const rename = await provider.diff("id", olds, inputs({ name: "uami-renamed" }));
        assert.deepEqual([rename.changes, rename.replaces, rename.deleteBeforeReplace], [true, ["name"], false]);
        assert.deepEqual((await provider.diff("id", olds, inputs({ blueprintObjectId: OTHER_OID }))).replaces, ["blueprintObjectId"]);
        const subjectChange = await provider.diff("id", olds, inputs({ subject: OTHER_OID }));
        assert.deepEqual([subjectChange.changes, subjectChange.replaces], [true, []]);
        assert.deepEqual((await provider.diff("id", olds, inputs({ graphEndpoint: "https://graph.microsoft.us" }))).replaces, [], "an endpoint is no new FIC");
        assert.equal((await provider.diff("id", olds, inputs())).changes, false);
    });

    it("swaps a rename that keeps issuer and subject, as Pulumi runs it: check, create new, delete old", async () => {
        const { provider } = faked();
        const old = await provider.create(inputs());
        const { inputs: checked } = await provider.check(inputs(), inputs({ name: "uami-renamed" }));
        assert.equal((checked as BlueprintFicInputs).replacesFicName, "uami-mi-weather-agent");
        const created = await provider.create(checked);
        assert.deepEqual(
            stored().map((f) => f.name),
            ["uami-renamed"],
        );
        assert.equal((created.outs as BlueprintFicOutputs).replacesFicName, undefined, "the marker is not kept in state");
        await provider.delete(old.id, old.outs); // Pulumi deletes the replaced resource: already gone, so 404 is success
        assert.deepEqual(
            stored().map((f) => f.name),
            ["uami-renamed"],
        );
    });

    it("restores the old FIC when the renamed one cannot be created, and says so", async () => {
        const { provider } = faked();
        await provider.create(inputs());
        const { inputs: checked } = await provider.check(inputs(), inputs({ name: "uami-renamed" }));
        // The first POST (new name) meets the old pair; after the swap's DELETE, the next POST is refused.
        graph.fault({ kind: "status", status: 403, method: "DELETE" });
        await assert.rejects(provider.create(checked), /answered 403/);
        assert.deepEqual(
            stored().map((f) => f.name),
            ["uami-mi-weather-agent"],
            "nothing was deleted",
        );
        // Now the swap's DELETE goes through and the POST of the new name after it (the second POST) is refused.
        graph.fault({ kind: "status", status: 403, method: "POST", skip: 1 });
        await assert.rejects(
            provider.create(checked),
            /Renaming FIC uami-mi-weather-agent to uami-renamed failed; uami-mi-weather-agent was restored, so the workload keeps its trust/,
        );
        assert.deepEqual(
            stored().map((f) => [f.name, f.subject]),
            [["uami-mi-weather-agent", UAMI_OID]],
        );
        assert.deepEqual(methods().slice(-5), ["POST", "GET", "DELETE", "POST", "POST"], "tried the new name once, then put the old FIC back");
    });

    it("check refuses inputs Entra would refuse, property by property", async () => {
        const { provider } = faked();
        const { failures } = await provider.check(
            {},
            {
                ...inputs(),
                graphEndpoint: "https://graph.microsoft.com",
                issuer: "http://issuer.example",
                subject: "*",
                audiences: ["fb60f99c-7a34-4190-8149-302f77469936"],
            },
        );
        assert.deepEqual(
            failures?.map((f) => f.property),
            ["issuer", "subject", "audiences"],
        );
    });
});

describe("Retry-After", () => {
    it("reads delay-seconds and HTTP dates (RFC 9110 10.2.3), never negative, undefined when unreadable", () => {
        assert.equal(retryAfterMs("120", T0), 120_000);
        assert.equal(retryAfterMs(new Date(T0 + 30_000).toUTCString(), T0), 30_000);
        assert.equal(retryAfterMs(new Date(T0 - 30_000).toUTCString(), T0), 0);
        assert.equal(retryAfterMs("soon", T0), undefined);
        assert.equal(retryAfterMs(null, T0), undefined);
    });
});

describe("Blueprint FIC provider as Pulumi stores it", () => {
    it("serializes into a self-contained module that loads in a fresh process and imports through the configured Graph endpoint", async () => {
        graph.blueprints.get(BLUEPRINT_OBJECT_ID)!.push({
            id: "imported-id",
            name: "uami-mi-weather-agent",
            issuer: inputs().issuer,
            subject: UAMI_OID,
            audiences: ["api://AzureADTokenExchange"],
            description: "",
        });
        const instance = blueprintFicProvider(() => Promise.resolve("app-only-test-token"));
        const serialized = await pulumiRuntime.serializeFunction(() => instance, { allowSecrets: true });
        const file = path.join(mkdtempSync(path.join(tmpdir(), "agentfed-provider-")), "provider.js");
        writeFileSync(file, serialized.text);
        // The engine runs this text in its own process: it must not reference this repository's files.
        assert.doesNotMatch(serialized.text, /require\("\.{1,2}\//);
        // What `pulumi import` does: configure with the stack's config, then read with an id and no properties.
        const probe = `
            const p = require(${JSON.stringify(file)}).handler();
            console.log(Object.keys(p).sort().join(","));
            const config = { get: (k) => (k === "agentfed:blueprint" ? JSON.stringify({ graphEndpoint: ${JSON.stringify(graph.url)} }) : undefined) };
            p.configure({ config })
                .then(() => p.read(${JSON.stringify(`${BLUEPRINT_OBJECT_ID}/federatedIdentityCredentials/imported-id`)}, {}))
                .then((r) => console.log(r.props.graphEndpoint, r.props.credentialId))
                // Errors must keep their text once serialized (a subclass of Error would lose it).
                .then(() => p.create({ graphEndpoint: ${JSON.stringify(graph.url)}, blueprintObjectId: "12345678-1234-1234-1234-123456789012", name: "n", issuer: "https://i", subject: "s", audiences: ["api://AzureADTokenExchange"] }))
                .catch((e) => console.log(e.name, e.status, e.message.split("\\n")[0]))
                .catch((e) => { console.error(e.message); process.exit(1); });`;
        const child = spawn(process.execPath, ["-e", probe], { cwd: __dirname, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((resolve) => {
            const timer = setTimeout(() => child.kill(), 20_000);
            child.on("close", (c) => {
                clearTimeout(timer);
                resolve(c);
            });
        });
        assert.equal(code, 0, `${stderr}\n${stdout}`);
        const [methodsLine, readLine, errorLine] = stdout.trim().split("\n");
        assert.equal(methodsLine, "check,configure,create,delete,diff,read,update");
        assert.equal(readLine, `${graph.url} imported-id`);
        assert.equal(graph.requests.find((r) => r.method === "GET")?.path, `${COLLECTION}/imported-id`);
        assert.match(
            errorLine!,
            /^GraphRequestError 404 No Blueprint with object id 12345678-1234-1234-1234-123456789012 .* check agentfed:blueprint\.objectId/,
        );
    });
});
