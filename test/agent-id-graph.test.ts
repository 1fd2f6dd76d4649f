import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
    AGENT_ID_GRAPH_CALLS,
    AGENT_ID_GRAPH_PERMISSIONS,
    AGENT_ID_PERMISSION_GRANTER_ROLE,
    agentIdCreationTag,
    agentIdGraphPaths,
    agentIdGraphPermissions,
    creationTagProblem,
    identifierUrisProblem,
    sponsorBinds,
    sponsorsProblem,
} from "../src/contracts";
import { AgentIdentityBlueprint } from "../src/providers/agent-identity-blueprint-resource";
import { AgentIdentity } from "../src/providers/agent-identity-resource";
import { AgentIdentityBlueprintPrincipal } from "../src/providers/blueprint-principal-resource";
import { TENANT } from "./helpers";

const USER = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
const GROUP = "cccccccc-3333-4333-8333-cccccccccccc";
const group = (i: number) => `cccccccc-3333-4333-8333-${String(i).padStart(12, "0")}`;

describe("Agent ID Graph contract: who needs which permission", () => {
    it("gives a deploy identity that creates Blueprints and Agent Identities exactly the least-privileged permission of each call", () => {
        assert.deepEqual(agentIdGraphPermissions({ blueprints: true, agentIdentities: true }), [
            "AgentIdentity.Create.All",
            "AgentIdentity.DeleteRestore.All",
            "AgentIdentity.Read.All",
            "AgentIdentityBlueprint.Create",
            "AgentIdentityBlueprint.DeleteRestore.All",
            "AgentIdentityBlueprint.Read.All",
            "AgentIdentityBlueprint.UpdateBranding.All",
            "AgentIdentityBlueprintPrincipal.Create",
            "AgentIdentityBlueprintPrincipal.DeleteRestore.All",
            "AgentIdentityBlueprintPrincipal.Read.All",
        ]);
    });

    it("adds a permission only for what the stack opts into: identifier URIs, sponsor changes, renames", () => {
        const base = new Set(agentIdGraphPermissions({ blueprints: true, agentIdentities: true }));
        const added = (needs: Parameters<typeof agentIdGraphPermissions>[0]) => agentIdGraphPermissions(needs).filter((p) => !base.has(p));
        assert.deepEqual(added({ blueprints: true, agentIdentities: true, identifierUris: true }), ["AgentIdentityBlueprint.UpdateAuthProperties.All"]);
        assert.deepEqual(added({ blueprints: true, agentIdentities: true, sponsorChanges: true }), [
            "AgentIdentity.ReadWrite.All",
            "Application.ReadWrite.All",
        ]);
        assert.deepEqual(added({ blueprints: true, agentIdentities: true, agentIdentityRenames: true }), ["AgentIdentity.EnableDisable.All"]);
        assert.deepEqual(agentIdGraphPermissions({ blueprints: false, agentIdentities: false }), [], "a stack that names ids needs none of them");
        assert.ok(
            agentIdGraphPermissions({ blueprints: false, agentIdentities: true }).every((p) => p.startsWith("AgentIdentity.")),
            "Agent Identities alone need no Blueprint permission",
        );
    });

    it("gives a preview identity only reads, even when the stack opts into sponsor changes (whose listing needs a write permission)", () => {
        const preview = agentIdGraphPermissions(
            { blueprints: true, agentIdentities: true, identifierUris: true, sponsorChanges: true, agentIdentityRenames: true },
            "preview",
        );
        assert.deepEqual(preview, ["AgentIdentity.Read.All", "AgentIdentityBlueprint.Read.All", "AgentIdentityBlueprintPrincipal.Read.All"]);
    });

    it("never asks for a permission with which Graph ignores Agent ID permissions, and cites a public page for every call", () => {
        const everything = agentIdGraphPermissions({
            blueprints: true,
            agentIdentities: true,
            identifierUris: true,
            sponsorChanges: true,
            agentIdentityRenames: true,
        });
        for (const banned of ["Directory.ReadWrite.All", "Directory.AccessAsUser.All", "AgentIdentity.CreateAsManager"])
            assert.ok(!everything.includes(banned), banned);
        for (const call of AGENT_ID_GRAPH_CALLS) {
            assert.match(call.source, /^https:\/\/learn\.microsoft\.com\/(graph\/api|entra\/agent-id)\//, call.usedFor);
            assert.match(call.request, /^(GET|POST|PATCH|DELETE) \/v1\.0\//, call.usedFor);
            assert.equal(call.readOnly, call.request.startsWith("GET ") && /\.Read\.All$/.test(call.application), `${call.usedFor}: readOnly`);
        }
        const named = Object.values(AGENT_ID_GRAPH_PERMISSIONS).flatMap((verbs) => Object.values(verbs));
        for (const permission of named)
            assert.ok(
                AGENT_ID_GRAPH_CALLS.some((c) => c.application === permission),
                `${permission} has a row`,
            );
        assert.equal(AGENT_ID_PERMISSION_GRANTER_ROLE, "Privileged Role Administrator");
    });

    it("is the table docs/entra-federation.md shows", () => {
        const doc = readFileSync(path.join(__dirname, "..", "docs", "entra-federation.md"), "utf8");
        for (const line of permissionTable()) assert.ok(doc.includes(line), `docs/entra-federation.md lacks the row:\n${line}`);
    });
});

/** The permission table as docs/entra-federation.md renders AGENT_ID_GRAPH_CALLS, one line per call. */
function permissionTable(): string[] {
    const object = { blueprint: "Blueprint", blueprintPrincipal: "Blueprint principal", agentIdentity: "Agent Identity" } as const;
    return AGENT_ID_GRAPH_CALLS.map(
        (c) =>
            `| ${object[c.object]} | ${c.usedFor} | \`${c.application}\` | ${c.delegated === "not supported" ? "not supported" : `\`${c.delegated}\``} | ${c.needed} |`,
    );
}

describe("Agent ID Graph contract: paths, sponsors, identifier URIs, creation tags", () => {
    it("spells the v1.0 paths and filters as Graph's reference does, OData literals escaped", () => {
        assert.equal(agentIdGraphPaths.blueprint("id-1"), "/v1.0/applications/id-1/microsoft.graph.agentIdentityBlueprint");
        assert.equal(
            decodeURIComponent(agentIdGraphPaths.blueprintsTagged("agentfed:0a'1")),
            "/v1.0/applications/microsoft.graph.agentIdentityBlueprint?$filter=tags/any(t:t eq 'agentfed:0a''1')",
        );
        assert.equal(
            agentIdGraphPaths.blueprintPrincipalByAppId("44444444-4444-4444-8444-444444444444"),
            "/v1.0/servicePrincipals(appId='44444444-4444-4444-8444-444444444444')/microsoft.graph.agentIdentityBlueprintPrincipal",
        );
        assert.equal(
            decodeURIComponent(agentIdGraphPaths.agentIdentitiesOf("44444444-4444-4444-8444-444444444444")),
            "/v1.0/servicePrincipals/microsoft.graph.agentIdentity?$filter=agentIdentityBlueprintId eq '44444444-4444-4444-8444-444444444444'",
        );
        assert.deepEqual(sponsorBinds("https://graph.microsoft.us", { userIds: [USER], groupIds: [GROUP] }), [
            `https://graph.microsoft.us/v1.0/users/${USER}`,
            `https://graph.microsoft.us/v1.0/groups/${GROUP}`,
        ]);
    });

    it("requires at least one sponsor, refuses more than 5 groups or 100 in all, duplicates and non-GUIDs", () => {
        assert.equal(sponsorsProblem({ userIds: [USER] }), undefined);
        assert.equal(sponsorsProblem({ groupIds: [GROUP] }), undefined);
        assert.match(sponsorsProblem({})!, /name no sponsor: Entra requires at least one/);
        assert.match(sponsorsProblem({ userIds: [USER], groupIds: Array.from({ length: 6 }, (_, i) => group(i)) })!, /at most 5 group sponsors/);
        assert.match(
            sponsorsProblem({ userIds: Array.from({ length: 101 }, (_, i) => `aaaaaaaa-1111-4111-8111-${String(i).padStart(12, "0")}`) })!,
            /at most 100/,
        );
        assert.match(sponsorsProblem({ userIds: [USER, USER.toUpperCase()] })!, /twice/);
        assert.match(sponsorsProblem({ userIds: ["alice@contoso.com"] })!, /sponsorUserIds entry is not a GUID/);
    });

    it("accepts api:// and https:// identifier URIs, refuses the token-exchange audience, wildcards and repeats", () => {
        assert.equal(identifierUrisProblem([`api://${TENANT}/agentfed-weather-cloud`, "https://contoso.onmicrosoft.com/agent"]), undefined);
        assert.equal(identifierUrisProblem(undefined), undefined);
        assert.match(identifierUrisProblem(["API://AzureADTokenExchange/"])!, /token-exchange audience/);
        assert.match(identifierUrisProblem(["urn:agent"])!, /must start with api:\/\/ or https:\/\//);
        assert.match(identifierUrisProblem(["api://x/*"])!, /wildcard/);
        assert.match(identifierUrisProblem(["api://x", "API://X/"])!, /twice/);
    });

    it("derives a creation tag per project, stack, kind and resource name, in a form check accepts", () => {
        const tag = agentIdCreationTag("agentfed", "prod", "blueprint", "weather");
        assert.match(tag, /^agentfed:[0-9a-f]{32}$/);
        assert.equal(creationTagProblem(tag), undefined);
        assert.equal(agentIdCreationTag("agentfed", "prod", "blueprint", "weather"), tag, "stable across runs");
        for (const other of [
            agentIdCreationTag("agentfed", "dev", "blueprint", "weather"),
            agentIdCreationTag("other", "prod", "blueprint", "weather"),
            agentIdCreationTag("agentfed", "prod", "agentIdentity", "weather"),
            agentIdCreationTag("agentfed", "prod", "blueprint", "weather2"),
        ])
            assert.notEqual(other, tag);
        assert.match(creationTagProblem("agentfed:xyz")!, /is not agentfed:<32 hex characters>/);
    });
});

describe("the resource classes, registered under mocks", () => {
    it("wire the Blueprint's appId into its principal and Agent Identity, with derived creation tags and typed outputs", async () => {
        const registrations: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
        await pulumi.runtime.setMocks(
            {
                newResource(args) {
                    registrations.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
                    const id = `${args.name}-oid`;
                    const extra: Record<string, unknown> =
                        args.type === "pulumi-nodejs:dynamic/agentfed:AgentIdentityBlueprint"
                            ? { objectId: id, appId: `${args.name}-appid` }
                            : { objectId: id, clientId: id };
                    return { id, state: { ...args.inputs, ...extra } };
                },
                call: (args) => args.inputs,
            },
            "agentfed",
            "prod",
            false,
        );
        const blueprint = new AgentIdentityBlueprint("weather", {
            displayName: "Weather agent",
            sponsorUserIds: [USER],
            identifierUris: [`api://${TENANT}/cloud`],
        });
        const principal = new AgentIdentityBlueprintPrincipal("weather", { blueprintAppId: blueprint.appId });
        const identity = new AgentIdentity(
            "weather",
            { blueprintAppId: blueprint.appId, displayName: "weather-agent", sponsorUserIds: [USER] },
            { dependsOn: [principal] },
        );
        const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
        assert.equal(await value(blueprint.appId), "weather-appid");
        assert.equal(await value(identity.clientId), await value(identity.objectId));

        const byType = (type: string) => registrations.find((r) => r.type === `pulumi-nodejs:dynamic/agentfed:${type}`)!;
        const bp = byType("AgentIdentityBlueprint");
        assert.equal(bp.inputs.graphEndpoint, "https://graph.microsoft.com");
        assert.equal(bp.inputs.creationTag, agentIdCreationTag("agentfed", "prod", "blueprint", "weather"));
        assert.deepEqual(bp.inputs.identifierUris, [`api://${TENANT}/cloud`]);
        assert.equal(byType("AgentIdentityBlueprintPrincipal").inputs.blueprintAppId, "weather-appid");
        const ai = byType("AgentIdentity");
        assert.equal(ai.inputs.blueprintAppId, "weather-appid");
        assert.equal(ai.inputs.creationTag, agentIdCreationTag("agentfed", "prod", "agentIdentity", "weather"));
        assert.notEqual(ai.inputs.creationTag, bp.inputs.creationTag);
        assert.match(String(ai.inputs.__provider), /exports\.handler/, "the serialized provider travels with the resource");
    });
});
