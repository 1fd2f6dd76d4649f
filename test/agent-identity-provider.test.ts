import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { agentIdCreationTag } from "../src/contracts";
import { AgentIdentityInputs, AgentIdentityOutputs, agentIdentityProvider } from "../src/providers/agent-identity-provider";
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
const BLUEPRINT_TAG = agentIdCreationTag("agentfed", "prod", "blueprint", "weather-blueprint");
const TAG = agentIdCreationTag("agentfed", "prod", "agentIdentity", "weather-agent-identity");
const SPONSOR = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
const OTHER_SPONSOR = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb";

/** A Blueprint (tagged by its stack) with its principal: what an Agent Identity needs. */
function seedBlueprint(withPrincipal = true): void {
    graph.agentId.blueprints.set(BLUEPRINT_ID, {
        id: BLUEPRINT_ID,
        appId: BLUEPRINT_APP_ID,
        displayName: "Weather agent",
        description: null,
        identifierUris: [],
        tags: [BLUEPRINT_TAG],
        sponsors: [SPONSOR],
    });
    if (withPrincipal)
        graph.agentId.principals.set("principal", { id: "principal", appId: BLUEPRINT_APP_ID, displayName: "Weather agent", accountEnabled: true });
}
beforeEach(() => {
    graph.reset();
    seedBlueprint();
});

const faked = (options: Parameters<typeof fakedWith>[1] = {}, token?: string) => fakedWith(agentIdentityProvider, options, token);
const inputs = (overrides: Partial<AgentIdentityInputs> = {}): AgentIdentityInputs => ({
    graphEndpoint: graph.url,
    blueprintAppId: BLUEPRINT_APP_ID,
    displayName: "weather-agent",
    sponsorUserIds: [SPONSOR],
    creationTag: TAG,
    ...overrides,
});
const stored = () => [...graph.agentId.identities.values()];
const methods = () => graph.requests.map((r) => r.method);
const outs = (r: { outs?: unknown; props?: unknown }) => (r.outs ?? r.props) as AgentIdentityOutputs;
const LIST = `/v1.0/servicePrincipals/microsoft.graph.agentIdentity?$filter=agentIdentityBlueprintId eq '${BLUEPRINT_APP_ID}'`;

describe("Agent Identity provider against a local Graph stand-in", () => {
    it("creates the Agent Identity under the Blueprint's appId with POST on v1.0, sponsors bound and the creation tag", async () => {
        const { provider } = faked();
        const { id, outs: created } = await provider.create(inputs());
        const [lookup, post] = graph.requests;
        assert.equal(decodeURIComponent(lookup!.path), LIST);
        assert.equal(post?.path, "/v1.0/servicePrincipals/microsoft.graph.agentIdentity");
        assert.equal(post?.odataVersion, "4.0");
        assert.deepEqual(post?.body, {
            displayName: "weather-agent",
            agentIdentityBlueprintId: BLUEPRINT_APP_ID,
            "sponsors@odata.bind": [`${graph.url}/v1.0/users/${SPONSOR}`],
            tags: [TAG],
        });
        const [identity] = stored();
        const o = outs({ outs: created });
        assert.equal(id, identity!.id);
        assert.deepEqual([o.objectId, o.clientId, o.blueprintAppId], [identity!.id, identity!.id, BLUEPRINT_APP_ID], "client id = object id (Learn)");
        assert.deepEqual([o.sponsorIds, o.accountEnabled, o.createdAt], [[SPONSOR], true, new Date(T0).toISOString()]);
    });

    it("names the appId-versus-object-id mistake when Graph answers AgentIdentity_IncompatibleParentType", async () => {
        const { provider, clock } = faked();
        await assert.rejects(provider.create(inputs({ blueprintAppId: BLUEPRINT_ID })), (err: Error) => {
            assert.match(err.message, /answered 400 AgentIdentity_IncompatibleParentType/);
            assert.match(err.message, /pass the Blueprint's appId \(client id\), not its object id/);
            return true;
        });
        assert.deepEqual(clock.waits, [], "a definitive refusal is not retried");
        assert.equal(stored().length, 0);
    });

    it("reads it back, asserting client id = object id, and shows drift (renamed, sponsors changed) as an in-place update", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        const read = outs(await provider.read(created.id, created.outs));
        assert.deepEqual([read.objectId, read.clientId, read.sponsorsChecked], [created.id, created.id, true]);
        assert.equal((await provider.diff(created.id, read, inputs())).changes, false);
        const identity = stored()[0]!;
        identity.displayName = "renamed-in-portal";
        identity.sponsors = [OTHER_SPONSOR];
        identity.accountEnabled = false;
        const drifted = outs(await provider.read(created.id, read));
        assert.deepEqual([drifted.displayName, drifted.sponsorIds, drifted.accountEnabled], ["renamed-in-portal", [OTHER_SPONSOR], false]);
        const diff = await provider.diff(created.id, drifted, inputs());
        assert.deepEqual([diff.changes, diff.replaces], [true, []]);
    });

    it("refuses a read whose appId differs from its id: the sidecar would be handed a wrong client id", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        const body = JSON.stringify({
            "@odata.type": "#microsoft.graph.agentIdentity",
            id: created.id,
            appId: BLUEPRINT_APP_ID,
            displayName: "x",
            agentIdentityBlueprintId: BLUEPRINT_APP_ID,
        });
        graph.fault({ kind: "body", body, method: "GET" });
        await assert.rejects(provider.read(created.id, created.outs), /with appId "44444444-.*"always have the same value".*Nothing was changed/s);
        graph.fault({
            kind: "body",
            body: JSON.stringify({ id: created.id, appId: created.id.toUpperCase(), displayName: "x", agentIdentityBlueprintId: BLUEPRINT_APP_ID }),
            method: "GET",
        });
        assert.equal(outs(await provider.read(created.id, created.outs)).clientId, created.id, "the same GUID in another case is the same id");
    });

    it("replaces only for another Blueprint; renames and sponsor changes are updates in place", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        const olds = outs(created);
        assert.deepEqual((await provider.diff(created.id, olds, inputs({ blueprintAppId: "66666666-6666-4666-8666-666666666666" }))).replaces, [
            "blueprintAppId",
        ]);
        const rename = await provider.diff(created.id, olds, inputs({ displayName: "weather-agent-2", sponsorUserIds: [OTHER_SPONSOR] }));
        assert.deepEqual([rename.changes, rename.replaces], [true, []]);
        assert.equal((await provider.diff(created.id, olds, inputs({ creationTag: agentIdCreationTag("a", "b", "agentIdentity", "c") }))).changes, false);
        assert.equal((await provider.diff(created.id, olds, inputs({ sponsorUserIds: [UNKNOWN_INPUT] }))).changes, true);

        graph.requests.length = 0;
        const updated = outs(await provider.update(created.id, olds, inputs({ displayName: "weather-agent-2", sponsorUserIds: [OTHER_SPONSOR] })));
        assert.deepEqual(
            graph.requests.map((r) => [r.method, r.path, r.body]),
            [
                ["PATCH", `/v1.0/servicePrincipals/${created.id}/microsoft.graph.agentIdentity`, { displayName: "weather-agent-2" }],
                [
                    "POST",
                    `/v1.0/servicePrincipals/${created.id}/microsoft.graph.agentIdentity/sponsors/$ref`,
                    { "@odata.id": `${graph.url}/v1.0/directoryObjects/${OTHER_SPONSOR}` },
                ],
                ["DELETE", `/v1.0/servicePrincipals/${created.id}/microsoft.graph.agentIdentity/sponsors/${SPONSOR}/$ref`, undefined],
            ],
        );
        assert.deepEqual([stored()[0]!.displayName, stored()[0]!.sponsors], ["weather-agent-2", [OTHER_SPONSOR]]);
        assert.deepEqual([updated.objectId, updated.clientId, updated.sponsorIds], [created.id, created.id, [OTHER_SPONSOR]]);
    });

    it("reports sponsors it may not list (AgentIdentity.ReadWrite.All) as unchecked, and names that permission for a change", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        graph.fault({ kind: "status", status: 403, method: "GET", path: "/sponsors" });
        const read = outs(await provider.read(created.id, created.outs));
        assert.deepEqual([read.sponsorsChecked, read.sponsorIds], [false, [SPONSOR]]);
        graph.fault({ kind: "status", status: 403, method: "POST", path: "/sponsors/$ref" });
        await assert.rejects(
            provider.update(created.id, read, inputs({ sponsorUserIds: [SPONSOR, OTHER_SPONSOR] })),
            /application permission AgentIdentity\.ReadWrite\.All/,
        );
    });

    it("deletes with DELETE (a soft delete), and treats an already-deleted Agent Identity as deleted", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        await provider.delete(created.id, outs(created));
        assert.equal(stored().length, 0);
        assert.deepEqual(graph.agentId.deleted, [{ kind: "agentIdentity", id: created.id }]);
        await provider.delete(created.id, outs(created));
        assert.equal(graph.requests.at(-1)!.path, `/v1.0/servicePrincipals/${created.id}/microsoft.graph.agentIdentity`);
    });

    it("imports an existing Agent Identity by object id through the configured Graph endpoint", async () => {
        const made = await faked().provider.create(inputs());
        const { provider } = faked();
        await provider.configure({
            config: { get: (k: string) => (k === "agentfed:blueprint" ? JSON.stringify({ graphEndpoint: graph.url }) : undefined) },
        } as never);
        const imported = outs(await provider.read(made.id, {}));
        assert.deepEqual(
            [imported.graphEndpoint, imported.objectId, imported.clientId, imported.blueprintAppId],
            [graph.url, made.id, made.id, BLUEPRINT_APP_ID],
        );
        assert.equal((await provider.diff(made.id, imported, inputs())).changes, false, "a program declaring what exists imports without a change");
    });

    it("refuses to import another kind of service principal as an Agent Identity", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        graph.fault({
            kind: "body",
            body: JSON.stringify({ "@odata.type": "#microsoft.graph.agentIdentityBlueprintPrincipal", id: created.id, appId: BLUEPRINT_APP_ID }),
            method: "GET",
        });
        await assert.rejects(provider.read(created.id, { graphEndpoint: graph.url }), /is not an agentIdentity; the Agent Identity stays in state/);
    });
});

describe("Agent Identity provider: replication lag and idempotent create", () => {
    it("waits for a Blueprint principal created seconds ago (AgentIdentity_AgentBlueprintPrincipalDoesNotExist), with bounded backoff", async () => {
        const { provider, clock } = faked();
        graph.hideParent(BLUEPRINT_APP_ID, 3);
        await provider.create(inputs());
        assert.equal(stored().length, 1);
        assert.deepEqual(methods(), ["GET", "POST", "POST", "POST", "POST"]);
        assert.deepEqual(clock.waits, [1_000, 2_000, 4_000]);
    });

    it("gives up after the consistency window when the Blueprint has no principal, and says what to check", async () => {
        graph.agentId.principals.clear();
        const { provider, clock } = faked();
        await assert.rejects(
            provider.create(inputs()),
            /Entra still does not show the Blueprint principal of 44444444-.*check that the Blueprint has its principal/s,
        );
        assert.ok(clock.t - T0 <= DEFAULT_RETRY_POLICY.consistencyWindowMs);
        assert.equal(stored().length, 0);
    });

    it("keeps an Agent Identity it created minutes ago in state when Graph does not show it yet, drops it after the window", async () => {
        const { provider, clock } = faked();
        const created = await provider.create(inputs());
        graph.agentId.identities.clear();
        clock.t += 60_000;
        await assert.rejects(provider.read(created.id, created.outs), /Graph does not show Agent Identity weather-agent yet; .* It stays in state/s);
        clock.t += DEFAULT_RETRY_POLICY.consistencyWindowMs;
        assert.deepEqual(await provider.read(created.id, created.outs), {});
    });

    for (const [what, fault] of [
        ["answered 500", { kind: "status", status: 500, commit: true, method: "POST" }],
        ["reset the connection", { kind: "reset", commit: true, method: "POST" }],
        ["timed out", { kind: "hang", commit: true, method: "POST" }],
    ] as const) {
        it(`adopts the Agent Identity when the POST was carried out but ${what}: one identity, no second POST`, async () => {
            const { provider } = faked({ retry: { requestTimeoutMs: 1_000 } });
            graph.fault(fault);
            const { id } = await provider.create(inputs());
            assert.equal(stored().length, 1);
            assert.equal(id, stored()[0]!.id);
            assert.deepEqual(methods(), ["GET", "POST", "GET"]);
        });
    }

    it("keeps looking while the read replica lags behind the committed write, and never posts twice", async () => {
        const { provider, clock } = faked();
        graph.lagReads(3);
        graph.fault({ kind: "status", status: 503, commit: true, method: "POST" });
        await provider.create(inputs());
        assert.equal(stored().length, 1, "no duplicate Agent Identity");
        assert.deepEqual(methods(), ["GET", "POST", "GET", "GET", "GET"]);
        assert.deepEqual(clock.waits, [1_000, 1_000, 2_000]);
    });

    it("adopts, on the next pulumi up, the Agent Identity an earlier run created but never heard back about, and renames it to the declared name", async () => {
        const { provider } = faked({ retry: { requestTimeoutMs: 1_000, maxAttempts: 1 } });
        graph.fault({ kind: "hang", commit: true, method: "POST" });
        await assert.rejects(provider.create(inputs()), /failed after 1 attempt\(s\).*first looks the Agent Identity up by this stack's creation tag/s);
        assert.equal(stored().length, 1);
        const { id, outs: adopted } = await faked().provider.create(inputs({ displayName: "weather-agent-renamed" }));
        assert.equal(id, stored()[0]!.id);
        assert.equal(stored().length, 1);
        assert.equal(stored()[0]!.displayName, "weather-agent-renamed");
        assert.equal(outs({ outs: adopted }).displayName, "weather-agent-renamed");
    });

    it("finds its own Agent Identity among many, across pages, by its tag (not by display name, which may repeat)", async () => {
        graph.pageSize = 2;
        for (let i = 0; i < 5; i++) {
            graph.agentId.identities.set(`other-${i}`, {
                id: `0000000${i}-0000-4000-8000-000000000000`,
                displayName: "weather-agent",
                agentIdentityBlueprintId: BLUEPRINT_APP_ID,
                tags: [],
                sponsors: [SPONSOR],
                accountEnabled: true,
            });
        }
        const mine = {
            id: "99999999-0000-4000-8000-000000000000",
            displayName: "weather-agent",
            agentIdentityBlueprintId: BLUEPRINT_APP_ID,
            tags: [TAG],
            sponsors: [SPONSOR],
            accountEnabled: true,
        };
        graph.agentId.identities.set("mine", mine);
        const { id } = await faked().provider.create(inputs());
        assert.equal(id, mine.id, "adopted its own, though five others share its display name and its Blueprint's tag");
        assert.deepEqual(methods(), ["GET", "GET", "GET"], "three pages, no POST");
        assert.ok(graph.requests.slice(1).every((r) => r.path.includes("%24skiptoken=") || r.path.includes("$skiptoken=")));
    });

    it("does not follow a nextLink to another origin: the token would go with it", async () => {
        const { provider } = faked();
        graph.fault({
            kind: "body",
            body: JSON.stringify({ value: [], "@odata.nextLink": "https://evil.example/v1.0/servicePrincipals?$skiptoken=1" }),
            method: "GET",
        });
        await assert.rejects(provider.create(inputs()), /@odata\.nextLink to https:\/\/evil\.example, not http:\/\/127\.0\.0\.1:\d+: not followed/);
        assert.equal(graph.requests.length, 1);
    });

    it("honours Retry-After on the lookup and the POST, refuses redirects, and never puts the token in an error", async () => {
        const { provider, clock } = faked();
        graph.fault({ kind: "status", status: 429, retryAfter: "3", method: "GET" }, { kind: "status", status: 429, retryAfter: "4", method: "POST" });
        await provider.create(inputs());
        assert.deepEqual(clock.waits, [3_000, 4_000]);
        assert.equal(stored().length, 1);
        graph.fault({ kind: "redirect", status: 301, location: "https://evil.example/", method: "PATCH" });
        await assert.rejects(
            provider.update(stored()[0]!.id, outs(await faked().provider.read(stored()[0]!.id, { graphEndpoint: graph.url })), inputs({ displayName: "x" })),
            /redirect to https:\/\/evil\.example: refused/,
        );
        graph.fault({ kind: "echo", status: 403, method: "POST" });
        await assert.rejects(faked().provider.create(inputs({ creationTag: TAG.replace(/.$/, "f") })), (err: Error) => {
            assert.doesNotMatch(err.message, new RegExp(APP_ONLY_TOKEN));
            assert.match(err.message, /application permission AgentIdentity\.Create\.All/);
            return true;
        });
    });

    it("check refuses what Entra would refuse and leaves unknown values (the Blueprint's appId in a first preview) to the deploy", async () => {
        const { provider } = faked();
        const bad = await provider.check(
            {},
            { ...inputs(), graphEndpoint: "https://graph.microsoft.com", blueprintAppId: "weather", displayName: "", sponsorUserIds: undefined },
        );
        assert.deepEqual(
            bad.failures?.map((f) => f.property),
            ["blueprintAppId", "displayName", "sponsorUserIds"],
        );
        const preview = await provider.check({}, { ...inputs(), graphEndpoint: "https://graph.microsoft.com", blueprintAppId: UNKNOWN_INPUT });
        assert.deepEqual(preview.failures, []);
    });
});

describe("Agent Identity provider as Pulumi stores it", () => {
    it("loads in a fresh process, imports through the configured Graph endpoint and keeps its error text", async () => {
        const made = await faked().provider.create(inputs());
        const lines = await runSerialized(
            agentIdentityProvider(() => Promise.resolve(APP_ONLY_TOKEN)),
            `console.log(Object.keys(p).sort().join(","));
            p.configure({ config: ${configWithGraph(graph.url)} })
                .then(() => p.read(${JSON.stringify(made.id)}, {}))
                .then((r) => console.log(r.props.graphEndpoint, r.props.objectId === r.props.clientId, r.props.blueprintAppId))
                .then(() => p.create({ graphEndpoint: ${JSON.stringify(graph.url)}, blueprintAppId: ${JSON.stringify(BLUEPRINT_ID)}, displayName: "x", sponsorUserIds: [${JSON.stringify(SPONSOR)}], creationTag: ${JSON.stringify(TAG)} }))
                .catch((e) => console.log(e.name, e.status, e.message.split("\\n")[1]))
                .catch((e) => { console.error(e.message); process.exit(1); });`,
        );
        assert.equal(lines[0], "check,configure,create,delete,diff,read,update");
        assert.equal(lines[1], `${graph.url} true ${BLUEPRINT_APP_ID}`);
        assert.match(lines[2]!, /^GraphRequestError 400 blueprintAppId 55555555-.* is not the appId of an Agent ID Blueprint/);
    });
});
