import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { agentIdCreationTag } from "../src/contracts";
import {
    AgentIdentityBlueprintInputs,
    AgentIdentityBlueprintOutputs,
    agentIdentityBlueprintProvider,
} from "../src/providers/agent-identity-blueprint-provider";
import { DEFAULT_RETRY_POLICY, UNKNOWN_INPUT } from "../src/providers/graph-client";
import { APP_ONLY_TOKEN, FakeGraph, startFakeGraph } from "./fake-graph";
import { configWithGraph, faked as fakedWith, runSerialized, T0 } from "./graph-provider-harness";
import { TENANT } from "./helpers";

// Every HTTP exchange goes to a local server that stands in for Microsoft Graph (fake-graph.ts), every wait to a fake
// clock: the tests assert the waits the provider asks for and never sleep for real.
let graph: FakeGraph;
before(async () => {
    graph = await startFakeGraph();
});
after(async () => {
    await graph.close();
});
beforeEach(() => graph.reset());

const SPONSOR = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
const OTHER_SPONSOR = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb";
const GROUP = "cccccccc-3333-4333-8333-cccccccccccc";
const TAG = agentIdCreationTag("agentfed", "prod", "blueprint", "weather-blueprint");
const AUDIENCE = `api://${TENANT}/agentfed-weather-cloud`;

const faked = (options: Parameters<typeof fakedWith>[1] = {}, token?: string) => fakedWith(agentIdentityBlueprintProvider, options, token);

function inputs(overrides: Partial<AgentIdentityBlueprintInputs> = {}): AgentIdentityBlueprintInputs {
    return { graphEndpoint: graph.url, displayName: "Weather agent", sponsorUserIds: [SPONSOR], creationTag: TAG, ...overrides };
}
const stored = () => [...graph.agentId.blueprints.values()];
const methods = () => graph.requests.map((r) => r.method);
const outs = (r: { outs?: unknown; props?: unknown }) => (r.outs ?? r.props) as AgentIdentityBlueprintOutputs;

describe("Agent ID Blueprint provider against a local Graph stand-in", () => {
    it("creates the Blueprint with POST on v1.0, sponsors bound and the creation tag, after looking the tag up", async () => {
        const { provider } = faked();
        const { id, outs: created } = await provider.create(inputs({ description: "Weather agent Blueprint", sponsorGroupIds: [GROUP] }));
        const [lookup, post] = graph.requests;
        assert.equal(lookup?.method, "GET");
        assert.equal(decodeURIComponent(lookup.path), `/v1.0/applications/microsoft.graph.agentIdentityBlueprint?$filter=tags/any(t:t eq '${TAG}')`);
        assert.equal(post?.method, "POST");
        assert.equal(post?.path, "/v1.0/applications/microsoft.graph.agentIdentityBlueprint");
        assert.equal(post?.authorization, `Bearer ${APP_ONLY_TOKEN}`);
        assert.equal(post?.odataVersion, "4.0");
        assert.deepEqual(post?.body, {
            displayName: "Weather agent",
            description: "Weather agent Blueprint",
            "sponsors@odata.bind": [`${graph.url}/v1.0/users/${SPONSOR}`, `${graph.url}/v1.0/groups/${GROUP}`],
            tags: [TAG],
        });
        assert.equal(graph.requests.length, 2, "no identifier URIs declared: no PATCH");
        const [blueprint] = stored();
        assert.equal(id, blueprint!.id);
        assert.equal(outs({ outs: created }).objectId, blueprint!.id);
        assert.equal(outs({ outs: created }).appId, blueprint!.appId);
        assert.notEqual(blueprint!.appId, blueprint!.id);
        assert.deepEqual(outs({ outs: created }).sponsorIds, [SPONSOR, GROUP].sort());
        assert.equal(outs({ outs: created }).createdAt, new Date(T0).toISOString());
        assert.ok(graph.blueprints.has(blueprint!.id), "its FICs can be created next");
    });

    it("sets identifier URIs with a separate PATCH (its own least-privileged permission), not in the POST", async () => {
        const { provider } = faked();
        const { outs: created } = await provider.create(inputs({ identifierUris: [AUDIENCE] }));
        const patch = graph.requests.at(-1)!;
        assert.deepEqual(methods(), ["GET", "POST", "PATCH"]);
        assert.equal(patch.path, `/v1.0/applications/${stored()[0]!.id}/microsoft.graph.agentIdentityBlueprint`);
        assert.deepEqual(patch.body, { identifierUris: [AUDIENCE] });
        assert.equal((graph.requests[1]!.body as Record<string, unknown>).identifierUris, undefined);
        assert.deepEqual(stored()[0]!.identifierUris, [AUDIENCE]);
        assert.deepEqual(outs({ outs: created }).identifierUris, [AUDIENCE]);
    });

    it("reads the Blueprint back with its sponsors, and shows drift made outside Pulumi as an in-place update", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs({ identifierUris: [AUDIENCE] }));
        const read = outs(await provider.read(created.id, created.outs));
        assert.equal(read.displayName, "Weather agent");
        assert.deepEqual(read.sponsorIds, [SPONSOR]);
        assert.equal(read.sponsorsChecked, true);
        assert.equal((await provider.diff(created.id, read, inputs({ identifierUris: [AUDIENCE] }))).changes, false);

        const blueprint = stored()[0]!;
        blueprint.displayName = "Renamed in the portal";
        blueprint.identifierUris = [];
        blueprint.sponsors = [OTHER_SPONSOR];
        const drifted = outs(await provider.read(created.id, read));
        assert.deepEqual([drifted.displayName, drifted.identifierUris, drifted.sponsorIds], ["Renamed in the portal", [], [OTHER_SPONSOR]]);
        const diff = await provider.diff(created.id, drifted, inputs({ identifierUris: [AUDIENCE] }));
        assert.deepEqual([diff.changes, diff.replaces], [true, []], "drift is repaired in place, never by a new Blueprint (a new appId)");
    });

    it("never replaces: no input, not even the creation tag, makes a new Blueprint", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        const olds = outs(created);
        for (const news of [
            inputs({ displayName: "Other" }),
            inputs({ identifierUris: [AUDIENCE] }),
            inputs({ sponsorUserIds: [OTHER_SPONSOR] }),
            inputs({ graphEndpoint: "https://graph.microsoft.us" }),
        ]) {
            const diff = await provider.diff(created.id, olds, news);
            assert.deepEqual([diff.changes, diff.replaces], [true, []], JSON.stringify(news));
        }
        assert.equal((await provider.diff(created.id, olds, inputs({ creationTag: agentIdCreationTag("p", "s", "blueprint", "n") }))).changes, false);
        assert.equal((await provider.diff(created.id, olds, inputs({ sponsorUserIds: [SPONSOR.toUpperCase()] }))).changes, false, "GUIDs without case");
        const unknown = await provider.diff(created.id, olds, inputs({ identifierUris: [UNKNOWN_INPUT] }));
        assert.deepEqual([unknown.changes, unknown.replaces], [true, []], "an input not known in preview is a change, not a replace");
    });

    it("updates branding and identifier URIs in place with one PATCH each, and sponsors with $ref calls, adds before removes", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        graph.requests.length = 0;
        const news = inputs({ displayName: "Weather agent v2", description: "new", identifierUris: [AUDIENCE], sponsorUserIds: [OTHER_SPONSOR] });
        const updated = outs(await provider.update(created.id, outs(created), news));
        const id = created.id;
        assert.deepEqual(
            graph.requests.map((r) => [r.method, r.path, r.body]),
            [
                ["PATCH", `/v1.0/applications/${id}/microsoft.graph.agentIdentityBlueprint`, { displayName: "Weather agent v2", description: "new" }],
                ["PATCH", `/v1.0/applications/${id}/microsoft.graph.agentIdentityBlueprint`, { identifierUris: [AUDIENCE] }],
                [
                    "POST",
                    `/v1.0/applications/${id}/microsoft.graph.agentIdentityBlueprint/sponsors/$ref`,
                    { "@odata.id": `${graph.url}/v1.0/directoryObjects/${OTHER_SPONSOR}` },
                ],
                ["DELETE", `/v1.0/applications/${id}/microsoft.graph.agentIdentityBlueprint/sponsors/${SPONSOR}/$ref`, undefined],
            ],
        );
        const blueprint = stored()[0]!;
        assert.deepEqual(
            [blueprint.displayName, blueprint.description, blueprint.identifierUris, blueprint.sponsors],
            ["Weather agent v2", "new", [AUDIENCE], [OTHER_SPONSOR]],
        );
        assert.deepEqual([updated.objectId, updated.appId, updated.sponsorIds], [id, blueprint.appId, [OTHER_SPONSOR]]);
    });

    it("says which permission a sponsor change needs when Graph refuses it, and removes no sponsor", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        graph.fault({ kind: "status", status: 403, method: "POST", path: "/sponsors/$ref" });
        await assert.rejects(provider.update(created.id, outs(created), inputs({ sponsorUserIds: [OTHER_SPONSOR] })), (err: Error) => {
            assert.match(err.message, /application permission Application\.ReadWrite\.All/);
            assert.match(err.message, /Sponsor bbbbbbbb-.* was not added; nothing was removed/);
            return true;
        });
        assert.deepEqual(stored()[0]!.sponsors, [SPONSOR]);
    });

    it("reports sponsors it may not list as unchecked, never as unchanged", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        graph.fault({ kind: "status", status: 403, method: "GET", path: "/sponsors" });
        const read = outs(await provider.read(created.id, created.outs));
        assert.deepEqual([read.sponsorsChecked, read.sponsorIds], [false, [SPONSOR]]);
    });

    it("deletes with DELETE (a soft delete Graph can restore for 30 days), and treats an already-deleted Blueprint as deleted", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        await provider.delete(created.id, outs(created));
        assert.equal(stored().length, 0);
        assert.deepEqual(graph.agentId.deleted, [{ kind: "agentIdentityBlueprint", id: created.id }]);
        await provider.delete(created.id, outs(created));
        assert.deepEqual(methods().slice(-2), ["DELETE", "DELETE"]);
        assert.ok(
            graph.requests.every((r) => !r.path.includes("deletedItems")),
            "never purged",
        );
    });

    it("imports an existing Blueprint by object id through the configured Graph endpoint", async () => {
        const { provider } = faked();
        const made = await faked().provider.create(inputs({ identifierUris: [AUDIENCE], sponsorGroupIds: [GROUP] }));
        await provider.configure({
            config: { get: (k: string) => (k === "agentfed:blueprint" ? JSON.stringify({ graphEndpoint: graph.url }) : undefined) },
        } as never);
        const imported = outs(await provider.read(made.id, {}));
        assert.equal(imported.graphEndpoint, graph.url);
        assert.deepEqual([imported.objectId, imported.appId, imported.identifierUris], [made.id, stored()[0]!.appId, [AUDIENCE]]);
        assert.deepEqual(imported.sponsorIds, [SPONSOR, GROUP].sort());
        assert.equal(imported.creationTag, TAG, "the tag read back from Graph");
        const diff = await provider.diff(made.id, imported, inputs({ identifierUris: [AUDIENCE], sponsorGroupIds: [GROUP] }));
        assert.equal(diff.changes, false, "a program declaring what exists imports without a change");
    });

    it("keeps a Blueprint it created minutes ago in state when Graph does not show it yet, and drops one gone after the window", async () => {
        const { provider, clock } = faked();
        const created = await provider.create(inputs());
        graph.agentId.blueprints.clear(); // not on the replica that answers the read
        clock.t += 60_000;
        await assert.rejects(
            provider.read(created.id, created.outs),
            /Graph does not show Blueprint Weather agent yet; .* It stays in state: run pulumi refresh again after/s,
        );
        clock.t += DEFAULT_RETRY_POLICY.consistencyWindowMs;
        assert.deepEqual(await provider.read(created.id, created.outs), {});
    });

    it("retries a PATCH that meets the replication lag right after the create (404), then sets the URIs", async () => {
        const { provider, clock } = faked();
        graph.fault({ kind: "status", status: 404, method: "PATCH" }, { kind: "status", status: 404, method: "PATCH" });
        await provider.create(inputs({ identifierUris: [AUDIENCE] }));
        assert.deepEqual(methods(), ["GET", "POST", "PATCH", "PATCH", "PATCH"]);
        assert.deepEqual(clock.waits, [1_000, 2_000]);
        assert.deepEqual(stored()[0]!.identifierUris, [AUDIENCE]);
    });

    it("keeps a created Blueprint in state when its follow-up PATCH is refused (created, not initialized)", async () => {
        const { provider } = faked();
        graph.fault({ kind: "status", status: 403, method: "PATCH" });
        await assert.rejects(
            provider.create(inputs({ identifierUris: [AUDIENCE] })),
            (err: Error & { id?: string; properties?: AgentIdentityBlueprintOutputs }) => {
                assert.match(err.message, /application permission AgentIdentityBlueprint\.UpdateAuthProperties\.All/);
                assert.equal(err.id, stored()[0]!.id, "Pulumi records the object it must not create twice");
                assert.equal(err.properties?.appId, stored()[0]!.appId);
                assert.deepEqual(err.properties?.identifierUris, []);
                return true;
            },
        );
        assert.equal(stored().length, 1);
    });

    it("explains a 403 on create with the permission and the Directory.AccessAsUser.All trap", async () => {
        const { provider } = faked({}, "azure-cli-user-token");
        await assert.rejects(provider.create(inputs()), /AgentIdentityBlueprint\.Read\.All.*Directory\.AccessAsUser\.All \(Azure CLI\)/s);
        const lookupOk = faked();
        graph.fault({ kind: "status", status: 403, method: "POST" });
        await assert.rejects(lookupOk.provider.create(inputs()), /application permission AgentIdentityBlueprint\.Create, admin-consented/);
    });

    it("refuses to choose when two Blueprints carry its creation tag", async () => {
        const { provider } = faked();
        await provider.create(inputs());
        const [first] = stored();
        graph.agentId.blueprints.set("dup", { ...first!, id: "dup", appId: "dup-app" });
        await assert.rejects(
            faked().provider.create(inputs()),
            /Blueprints .* all carry this stack's creation tag agentfed:[0-9a-f]{32}: the stack cannot tell which is its own/,
        );
    });

    it("refuses a 200 whose body is not a Blueprint instead of dropping it from state", async () => {
        const { provider } = faked();
        const created = await provider.create(inputs());
        for (const body of [
            "<html>sign in</html>",
            "{}",
            '{"value":[]}',
            JSON.stringify({ value: { id: created.id, appId: "x", displayName: "y", "@odata.type": "#microsoft.graph.application" } }),
        ]) {
            graph.fault({ kind: "body", body, method: "GET" });
            await assert.rejects(
                provider.read(created.id, created.outs),
                /answered 200 with a body that is not an agentIdentityBlueprint; the Blueprint stays in state/,
                body,
            );
        }
    });

    it("check refuses what Entra would refuse, property by property, and leaves unknown values to the deploy", async () => {
        const { provider } = faked();
        const { failures } = await provider.check(
            {},
            {
                ...inputs(),
                graphEndpoint: "https://graph.microsoft.com",
                displayName: " padded",
                sponsorUserIds: [],
                identifierUris: ["api://AzureADTokenExchange"],
                creationTag: "mine",
            },
        );
        assert.deepEqual(
            failures?.map((f) => f.property),
            ["displayName", "identifierUris", "creationTag", "sponsorUserIds"],
        );
        assert.match(failures.at(-1)!.reason, /sponsors name no sponsor: Entra requires at least one user or group/);
        const groups = await provider.check(
            {},
            {
                ...inputs(),
                graphEndpoint: "https://graph.microsoft.com",
                sponsorGroupIds: Array.from({ length: 6 }, (_, i) => `cccccccc-3333-4333-8333-${String(i).padStart(12, "0")}`),
            },
        );
        assert.match(groups.failures![0]!.reason, /6 groups; Entra allows at most 5/);
        const preview = await provider.check(
            {},
            {
                ...inputs(),
                graphEndpoint: "https://graph.microsoft.com",
                displayName: UNKNOWN_INPUT,
                sponsorUserIds: [UNKNOWN_INPUT],
                identifierUris: UNKNOWN_INPUT,
            },
        );
        assert.deepEqual(preview.failures, []);
    });
});

describe("Agent ID Blueprint provider: a create Graph committed but did not confirm", () => {
    for (const [what, fault] of [
        ["answered 500", { kind: "status", status: 500, commit: true, method: "POST" }],
        ["reset the connection", { kind: "reset", commit: true, method: "POST" }],
        ["timed out", { kind: "hang", commit: true, method: "POST" }],
    ] as const) {
        it(`adopts the Blueprint when the POST was carried out but ${what}: one Blueprint, no second POST`, async () => {
            const { provider } = faked({ retry: { requestTimeoutMs: 1_000 } });
            graph.fault(fault);
            const { id } = await provider.create(inputs());
            assert.equal(stored().length, 1);
            assert.equal(id, stored()[0]!.id);
            assert.deepEqual(methods(), ["GET", "POST", "GET"], "looked up by tag, and did not POST again");
        });
    }

    it("keeps looking, within the consistency window, while the read replica lags behind the committed write", async () => {
        const { provider, clock } = faked();
        graph.lagReads(4);
        graph.fault({ kind: "status", status: 502, commit: true, method: "POST" });
        const { id } = await provider.create(inputs());
        assert.equal(stored().length, 1, "no duplicate");
        assert.equal(id, stored()[0]!.id);
        assert.deepEqual(methods(), ["GET", "POST", "GET", "GET", "GET", "GET"]);
        // The 502's backoff, then the lookup's own backoff while the replica catches up.
        assert.deepEqual(clock.waits, [1_000, 1_000, 2_000, 4_000]);
    });

    it("adopts, on the next pulumi up, the Blueprint an earlier run created but never heard back about", async () => {
        const { provider } = faked({ retry: { requestTimeoutMs: 1_000, maxAttempts: 1 } });
        graph.fault({ kind: "hang", commit: true, method: "POST" });
        await assert.rejects(provider.create(inputs()), /failed after 1 attempt\(s\).*timed out.*first looks the Blueprint up by this stack's creation tag/s);
        assert.equal(stored().length, 1, "Graph carried the POST out");
        const { id } = await faked().provider.create(inputs({ identifierUris: [AUDIENCE] }));
        assert.equal(id, stored()[0]!.id);
        assert.equal(stored().length, 1);
        assert.deepEqual(stored()[0]!.identifierUris, [AUDIENCE], "the adopted Blueprint is brought to the declared state");
    });
});

describe("Agent ID Blueprint provider: throttling, redirects and credentials", () => {
    it("honours Retry-After on create: the waits are the ones Graph asked for, and a throttled POST is sent again", async () => {
        const { provider, clock } = faked();
        graph.fault(
            { kind: "status", status: 429, retryAfter: "7", method: "POST" },
            { kind: "status", status: 429, retryAfter: new Date(T0 + 19_000).toUTCString(), method: "POST" },
        );
        await provider.create(inputs());
        assert.deepEqual(methods(), ["GET", "POST", "POST", "POST"]);
        assert.deepEqual(clock.waits, [7_000, 12_000]);
        assert.equal(stored().length, 1);
    });

    it("refuses a redirect on any call, does not follow it and does not retry it", async () => {
        const { provider } = faked();
        graph.fault({ kind: "redirect", status: 307, location: "https://evil.example/steal", method: "POST" });
        await assert.rejects(provider.create(inputs()), /answered 307, a redirect to https:\/\/evil\.example: refused/);
        assert.equal(methods().filter((m) => m === "POST").length, 1);
        const created = await provider.create(inputs());
        graph.fault({ kind: "redirect", status: 302, location: "https://evil.example/steal", method: "GET" });
        await assert.rejects(provider.read(created.id, created.outs), /redirect to https:\/\/evil\.example: refused/);
    });

    it("never puts the token in an error, even when Graph echoes it back", async () => {
        const { provider } = faked();
        graph.fault({ kind: "echo", status: 403, method: "GET" });
        await assert.rejects(provider.create(inputs()), (err: Error) => {
            assert.doesNotMatch(err.message, new RegExp(APP_ONLY_TOKEN));
            assert.match(err.message, /\[redacted\]/);
            return true;
        });
    });
});

describe("Agent ID Blueprint provider as Pulumi stores it", () => {
    it("loads in a fresh process, imports through the configured Graph endpoint and keeps its error text", async () => {
        const made = await faked().provider.create(inputs({ identifierUris: [AUDIENCE] }));
        const instance = agentIdentityBlueprintProvider(() => Promise.resolve(APP_ONLY_TOKEN));
        const lines = await runSerialized(
            instance,
            `console.log(Object.keys(p).sort().join(","));
            p.configure({ config: ${configWithGraph(graph.url)} })
                .then(() => p.read(${JSON.stringify(made.id)}, {}))
                .then((r) => console.log(r.props.graphEndpoint, r.props.appId, r.props.identifierUris.join(" ")))
                .then(() => p.create({ graphEndpoint: ${JSON.stringify(graph.url)}, displayName: "x", sponsorUserIds: [], creationTag: ${JSON.stringify(TAG.replace(/.$/, "0"))} }))
                .catch((e) => console.log(e.name, e.status, e.message.split("\\n")[0]))
                .catch((e) => { console.error(e.message); process.exit(1); });`,
        );
        assert.equal(lines[0], "check,configure,create,delete,diff,read,update");
        assert.equal(lines[1], `${graph.url} ${stored()[0]!.appId} ${AUDIENCE}`);
        assert.match(
            lines[2]!,
            /^GraphRequestError 400 POST http:\/\/127\.0\.0\.1:\d+\/v1\.0\/applications\/microsoft\.graph\.agentIdentityBlueprint answered 400 Request_BadRequest: A sponsor is required/,
        );
    });
});
