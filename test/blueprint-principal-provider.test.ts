import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { BlueprintPrincipalInputs, BlueprintPrincipalOutputs, blueprintPrincipalProvider } from "../src/providers/blueprint-principal-provider";
import { DEFAULT_RETRY_POLICY, UNKNOWN_INPUT } from "../src/providers/graph-client";
import { APP_ONLY_TOKEN, FakeGraph, startFakeGraph } from "./fake-graph";
import { configWithGraph, faked as fakedWith, runSerialized, T0 } from "./graph-provider-harness";

// Every HTTP exchange goes to a local server that stands in for Microsoft Graph (fake-graph.ts), every wait to a fake
// clock: the tests assert the waits the provider asks for and never sleep for real.
let graph: FakeGraph;
before(async () => {
    graph = await startFakeGraph();
});
after(async () => {
    await graph.close();
});

const BLUEPRINT_ID = "55555555-5555-4555-8555-555555555555";
const BLUEPRINT_APP_ID = "44444444-4444-4444-8444-444444444444";
beforeEach(() => {
    graph.reset();
    graph.agentId.blueprints.set(BLUEPRINT_ID, {
        id: BLUEPRINT_ID,
        appId: BLUEPRINT_APP_ID,
        displayName: "Weather agent",
        description: null,
        identifierUris: [],
        tags: [],
        sponsors: [],
    });
});

const faked = (options: Parameters<typeof fakedWith>[1] = {}, token?: string) => fakedWith(blueprintPrincipalProvider, options, token);
const inputs = (overrides: Partial<BlueprintPrincipalInputs> = {}): BlueprintPrincipalInputs => ({
    graphEndpoint: graph.url,
    blueprintAppId: BLUEPRINT_APP_ID,
    ...overrides,
});
const stored = () => [...graph.agentId.principals.values()];
const methods = () => graph.requests.map((r) => r.method);
const outs = (r: { outs?: unknown; props?: unknown }) => (r.outs ?? r.props) as BlueprintPrincipalOutputs;
const BY_APP_ID = `/v1.0/servicePrincipals(appId='${BLUEPRINT_APP_ID}')/microsoft.graph.agentIdentityBlueprintPrincipal`;

describe("Blueprint principal provider against a local Graph stand-in", () => {
    it("looks the principal up by the Blueprint's appId, then creates it with POST { appId } on v1.0", async () => {
        const { provider } = faked();
        const { id, outs: created } = await provider.create(inputs());
        assert.deepEqual(
            graph.requests.map((r) => [r.method, r.path, r.body]),
            [
                ["GET", BY_APP_ID, undefined],
                ["POST", "/v1.0/servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal", { appId: BLUEPRINT_APP_ID }],
            ],
        );
        assert.equal(graph.requests[1]!.odataVersion, "4.0");
        const [principal] = stored();
        assert.equal(id, principal!.id);
        assert.deepEqual(
            { ...outs({ outs: created }) },
            {
                graphEndpoint: graph.url,
                blueprintAppId: BLUEPRINT_APP_ID,
                objectId: principal!.id,
                appId: BLUEPRINT_APP_ID,
                displayName: "Weather agent",
                accountEnabled: true,
                createdAt: new Date(T0).toISOString(),
            },
        );
    });

    it("adopts the principal the Blueprint already has (one per appId), and one a 409 reveals", async () => {
        const { provider } = faked();
        const first = await provider.create(inputs());
        const again = await faked().provider.create(inputs());
        assert.equal(again.id, first.id);
        assert.equal(stored().length, 1);
        // The first lookup misses it (a lagging replica answers 404), the POST meets the 409, the lookup after it finds it.
        graph.requests.length = 0;
        graph.fault({ kind: "status", status: 404, method: "GET", path: "(appId=" });
        const third = await faked().provider.create(inputs());
        assert.equal(third.id, first.id);
        assert.deepEqual(methods(), ["GET", "POST", "GET"]);
        assert.equal(stored().length, 1);
    });

    it("reads the principal back, shows accountEnabled without enforcing it, and drops one deleted outside Pulumi", async () => {
        const { provider, clock } = faked();
        const created = await provider.create(inputs());
        stored()[0]!.accountEnabled = false; // a sponsor disabled it during an incident
        const read = outs(await provider.read(created.id, created.outs));
        assert.equal(read.accountEnabled, false);
        assert.equal((await provider.diff(created.id, read, inputs())).changes, false, "a disabled principal is not re-enabled by pulumi up");
        graph.agentId.principals.clear();
        clock.t += DEFAULT_RETRY_POLICY.consistencyWindowMs;
        assert.deepEqual(await provider.read(created.id, read), {});
    });

    it("replaces only for another Blueprint, and updates nothing else", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        const olds = outs(created);
        assert.deepEqual((await provider.diff(created.id, olds, inputs({ blueprintAppId: randomUUID() }))).replaces, ["blueprintAppId"]);
        assert.deepEqual((await provider.diff(created.id, olds, inputs({ blueprintAppId: BLUEPRINT_APP_ID.toUpperCase() }))).changes, false);
        assert.deepEqual((await provider.diff(created.id, olds, inputs({ blueprintAppId: UNKNOWN_INPUT }))).replaces, ["blueprintAppId"]);
        const moved = await provider.diff(created.id, olds, inputs({ graphEndpoint: "https://graph.microsoft.us" }));
        assert.deepEqual([moved.changes, moved.replaces], [true, []]);
        graph.requests.length = 0;
        const updated = outs(await provider.update(created.id, olds, inputs({ graphEndpoint: "https://graph.microsoft.us" })));
        assert.equal(updated.graphEndpoint, "https://graph.microsoft.us");
        assert.deepEqual(graph.requests, [], "nothing sent");
    });

    it("deletes with DELETE (a soft delete), and treats an already-deleted principal as deleted", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        await provider.delete(created.id, outs(created));
        assert.equal(stored().length, 0);
        assert.deepEqual(graph.agentId.deleted, [{ kind: "agentIdentityBlueprintPrincipal", id: created.id }]);
        await provider.delete(created.id, outs(created));
        assert.equal(graph.requests.at(-1)!.path, `/v1.0/servicePrincipals/${created.id}/microsoft.graph.agentIdentityBlueprintPrincipal`);
    });

    it("imports an existing principal by object id through the configured Graph endpoint", async () => {
        const made = await faked().provider.create(inputs());
        const { provider } = faked();
        await provider.configure({
            config: { get: (k: string) => (k === "agentfed:blueprint" ? JSON.stringify({ graphEndpoint: graph.url }) : undefined) },
        } as never);
        const imported = outs(await provider.read(made.id, {}));
        assert.deepEqual([imported.graphEndpoint, imported.objectId, imported.blueprintAppId], [graph.url, made.id, BLUEPRINT_APP_ID]);
        assert.equal((await provider.diff(made.id, imported, inputs())).changes, false);
    });

    it("keeps a principal it created minutes ago in state when Graph does not show it yet", async () => {
        const { provider, clock } = faked();
        const created = await provider.create(inputs());
        graph.lagReads(1);
        graph.agentId.principals.clear();
        clock.t += 30_000;
        await assert.rejects(provider.read(created.id, created.outs), /Graph does not show the Blueprint principal .* yet; .* It stays in state/s);
    });

    it("waits for a Blueprint created seconds ago (its appId not visible yet), with bounded backoff", async () => {
        const { provider, clock } = faked();
        graph.hideParent(BLUEPRINT_APP_ID, 3);
        await provider.create(inputs());
        assert.equal(stored().length, 1);
        assert.deepEqual(methods(), ["GET", "POST", "POST", "POST", "POST"]);
        assert.deepEqual(clock.waits, [1_000, 2_000, 4_000]);
    });

    it("gives up after the consistency window, naming the appId-versus-object-id mistake", async () => {
        const { provider, clock } = faked();
        await assert.rejects(provider.create(inputs({ blueprintAppId: BLUEPRINT_ID })), (err: Error) => {
            assert.match(err.message, /does not reference a valid application object/);
            assert.match(
                err.message,
                /Entra still does not show an application with appId 55555555-.* check that blueprintAppId is the Blueprint's appId, not its object id/s,
            );
            return true;
        });
        assert.ok(clock.t - T0 <= DEFAULT_RETRY_POLICY.consistencyWindowMs);
        assert.ok(graph.requests.length < 40, `bounded attempts, got ${graph.requests.length}`);
    });

    it("adopts the principal when the POST was committed but answered 503", async () => {
        const { provider } = faked();
        graph.fault({ kind: "status", status: 503, commit: true, method: "POST" });
        const { id } = await provider.create(inputs());
        assert.equal(stored().length, 1);
        assert.equal(id, stored()[0]!.id);
        assert.deepEqual(methods(), ["GET", "POST", "GET"]);
    });

    it("honours Retry-After, refuses redirects and never puts the token in an error", async () => {
        const throttled = faked();
        graph.fault({ kind: "status", status: 429, retryAfter: "5", method: "POST" });
        await throttled.provider.create(inputs());
        assert.deepEqual(throttled.clock.waits, [5_000]);
        graph.reset();
        graph.agentId.blueprints.set(BLUEPRINT_ID, {
            id: BLUEPRINT_ID,
            appId: BLUEPRINT_APP_ID,
            displayName: "x",
            description: null,
            identifierUris: [],
            tags: [],
            sponsors: [],
        });
        graph.fault({ kind: "redirect", status: 308, location: "http://127.0.0.2/steal", method: "GET" });
        await assert.rejects(faked().provider.create(inputs()), /redirect to http:\/\/127\.0\.0\.2: refused/);
        graph.fault({ kind: "echo", status: 401, method: "GET" });
        await assert.rejects(faked().provider.create(inputs()), (err: Error) => {
            assert.doesNotMatch(err.message, new RegExp(APP_ONLY_TOKEN));
            assert.match(err.message, /application permission AgentIdentityBlueprintPrincipal\.Read\.All/);
            return true;
        });
    });

    it("check refuses an appId that is not a GUID and leaves unknown values to the deploy", async () => {
        const { provider } = faked();
        const bad = await provider.check({}, { graphEndpoint: "https://graph.microsoft.com", blueprintAppId: "weather" });
        assert.deepEqual(
            bad.failures?.map((f) => f.property),
            ["blueprintAppId"],
        );
        assert.deepEqual((await provider.check({}, { graphEndpoint: "https://graph.microsoft.com", blueprintAppId: UNKNOWN_INPUT })).failures, []);
    });
});

describe("Blueprint principal provider as Pulumi stores it", () => {
    it("loads in a fresh process, imports through the configured Graph endpoint and keeps its error text", async () => {
        const made = await faked().provider.create(inputs());
        const lines = await runSerialized(
            blueprintPrincipalProvider(() => Promise.resolve(APP_ONLY_TOKEN), { retry: { consistencyWindowMs: 0 } }),
            `console.log(Object.keys(p).sort().join(","));
            p.configure({ config: ${configWithGraph(graph.url)} })
                .then(() => p.read(${JSON.stringify(made.id)}, {}))
                .then((r) => console.log(r.props.graphEndpoint, r.props.appId))
                .then(() => p.create({ graphEndpoint: ${JSON.stringify(graph.url)}, blueprintAppId: ${JSON.stringify(BLUEPRINT_ID)} }))
                .catch((e) => console.log(e.name, e.status, e.message.split("\\n")[1]))
                .catch((e) => { console.error(e.message); process.exit(1); });`,
        );
        assert.equal(lines[0], "check,configure,create,delete,diff,read,update");
        assert.equal(lines[1], `${graph.url} ${BLUEPRINT_APP_ID}`);
        assert.match(lines[2]!, /^GraphRequestError 400 Entra still does not show an application with appId 55555555-/);
    });
});
