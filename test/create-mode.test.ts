import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { graphPermissions, TENANT_WIDE_GRAPH_WRITES } from "../bootstrap/permissions";
import { agentIdGraphPermissions } from "../src/contracts";
import { ConfigError, parseStackConfig } from "../src/config";
import { readStackConfig } from "../src/plan/stack-files";
import { PlanResult, runPlan } from "../src/plan/run-plan";
import { BLUEPRINT_FIC_TYPE, targetStackWith } from "./helpers";
import { agentClass } from "./fixtures/agent-classes";
import { createdBlueprint, createdResearchClass, createModeConfig, SPONSOR } from "./fixtures/create-mode";

// Create mode: the stack creates the Agent ID Blueprint, its principal and the Agent Identities, and every id the
// rest of the stack needs flows from them as Outputs. Ids mode (the shipped stack files) is unchanged: see
// test/urn-baselines.test.ts.

const BLUEPRINT = "pulumi-nodejs:dynamic/agentfed:AgentIdentityBlueprint";
const PRINCIPAL = "pulumi-nodejs:dynamic/agentfed:AgentIdentityBlueprintPrincipal";
const AGENT_IDENTITY = "pulumi-nodejs:dynamic/agentfed:AgentIdentity";
const APP = "azure-native:app:ContainerApp";
const GCP_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider";

/** The problems the parser reports for prod with `overrides` (keys without namespace; undefined removes a key). */
function issues(overrides: Record<string, unknown>): string[] {
    const raw: Record<string, string> = { ...readStackConfig("prod") };
    for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete raw[`agentfed:${k}`];
        else raw[`agentfed:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    try {
        parseStackConfig({ get: (k) => raw[`agentfed:${k}`] }, "agentfed");
        return [];
    } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err.issues.map((i) => `${i.key}: ${i.problem} | ${i.fix}`);
    }
}

function parse(overrides: Record<string, unknown>) {
    const raw: Record<string, string> = { ...readStackConfig("prod") };
    for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete raw[`agentfed:${k}`];
        else raw[`agentfed:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return parseStackConfig({ get: (k) => raw[`agentfed:${k}`] }, "agentfed");
}

function only(plan: PlanResult, type: string, name?: string) {
    const found = plan.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    assert.equal(found.length, 1, `${type}${name ? `::${name}` : ""} registered ${found.length} times`);
    return found[0]!;
}

describe("create mode: configuration", () => {
    it("accepts a Blueprint given by displayName and sponsors, and an Agent Identity by displayName, with sponsor GUIDs lowercased", () => {
        const config = parse({ ...createModeConfig(), blueprint: createdBlueprint({ sponsors: { userIds: [SPONSOR.toUpperCase()] } }) });
        assert.deepEqual(config.blueprint.create?.sponsors, { userIds: [SPONSOR], groupIds: [] });
        assert.equal(config.blueprint.create?.displayName, "Weather agent (prod)");
        assert.equal(config.blueprint.appId, "created:blueprint#appId");
        assert.equal(config.agentIdentity?.objectId, "created:agentIdentity#objectId");
        // The Agent Identity borrows the sponsors of the Blueprint the stack creates.
        assert.deepEqual(config.agentIdentity?.create?.sponsors, { userIds: [SPONSOR], groupIds: [] });
        // Its audience app defaults to the created Blueprint.
        assert.equal(config.agentIdentity?.cloudFederationAudience?.appId, "created:blueprint#appId");
    });

    it("refuses appId or objectId beside displayName, naming both forms", () => {
        const found = issues({ blueprint: createdBlueprint({ appId: "44444444-4444-4444-4444-444444444444" }) });
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(
            found[0]!,
            /^agentfed:blueprint\.appId: is set together with displayName, sponsors \| either name an existing Blueprint by appId and objectId \(ids mode\), or give displayName and sponsors/,
        );
    });

    it("refuses displayName without sponsors, and sponsors without displayName", () => {
        const blueprint = createdBlueprint();
        delete blueprint.sponsors;
        assert.deepEqual(
            issues({ blueprint }).map((i) => i.split(" | ")[0]),
            [
                "agentfed:blueprint.sponsors: is not set; Entra requires at least one sponsor (a person or group accountable for the Blueprint) on every Blueprint an application creates",
            ],
        );
        const noName = createdBlueprint();
        delete noName.displayName;
        const found = issues({ blueprint: noName });
        assert.ok(
            found.some((i) => i.startsWith("agentfed:blueprint.displayName: is not set, but sponsors is")),
            found.join("\n"),
        );
    });

    it("refuses empty or malformed sponsors, naming the key", () => {
        assert.ok(
            issues({ blueprint: createdBlueprint({ sponsors: { userIds: [] } }) }).some((i) => i.startsWith("agentfed:blueprint.sponsors: name no sponsor")),
        );
        assert.ok(
            issues({ blueprint: createdBlueprint({ sponsors: { userIds: ["not-a-guid"] } }) }).some((i) =>
                i.startsWith("agentfed:blueprint.sponsors.userIds[0]:"),
            ),
        );
        assert.ok(issues({ blueprint: createdBlueprint({ sponsors: { users: [SPONSOR] } }) }).some((i) => i.startsWith("agentfed:blueprint.sponsors.users:")));
        assert.ok(
            issues({ blueprint: createdBlueprint({ sponsors: { userIds: [SPONSOR, SPONSOR.toUpperCase()] } }) }).some((i) => /sponsors: name .* twice/.test(i)),
        );
    });

    it("refuses create mode for a classic application, and identifier URIs on a Blueprint named by its ids", () => {
        assert.ok(issues({ blueprint: createdBlueprint({ kind: "application" }) }).some((i) => i.startsWith("agentfed:blueprint.kind:")));
        const ids = JSON.parse(readStackConfig("prod")["agentfed:blueprint"]!) as Record<string, unknown>;
        assert.ok(
            issues({ blueprint: { ...ids, identifierUris: ["api://agentfed-x"] } }).some((i) =>
                i.startsWith("agentfed:blueprint.appId: is set together with identifierUris"),
            ),
        );
        assert.ok(
            issues({ blueprint: createdBlueprint({ identifierUris: ["api://AzureADTokenExchange"] }) }).some((i) =>
                i.startsWith("agentfed:blueprint.identifierUris:"),
            ),
        );
    });

    it("refuses an Agent Identity given both ways, and one to create without sponsors under a Blueprint named by ids", () => {
        const both = {
            ...createModeConfig(),
            agentIdentity: {
                displayName: "x",
                objectId: "eeeeeeee-0000-4000-8000-000000000001",
                cloudFederationAudience: { identifierUri: "api://agentfed-weather-cloud" },
            },
        };
        assert.ok(issues(both).some((i) => i.startsWith("agentfed:agentIdentity.objectId: is set together with displayName")));
        const idsBlueprint = { ...createModeConfig(), blueprint: JSON.parse(readStackConfig("prod")["agentfed:blueprint"]!) as unknown };
        const found = issues(idsBlueprint);
        assert.deepEqual(
            found.map((i) => i.split(":").slice(0, 2).join(":")),
            ["agentfed:agentIdentity.sponsors"],
            found.join("\n"),
        );
        assert.deepEqual(issues({ ...idsBlueprint, agentIdentity: { ...(createModeConfig().agentIdentity as object), sponsors: { userIds: [SPONSOR] } } }), []);
    });

    it("refuses a tokenSubject typed in the stand-in form, which would be taken for a created object's id or pinned as a literal", () => {
        const audience = { identifierUri: "api://agentfed-weather-cloud" };
        // Create mode: the typed value was dropped for the created Agent Identity's object id without a word.
        for (const typed of ["created:blueprint#objectId", "created:agentIdentity#objectId"]) {
            const found = issues({
                ...createModeConfig(),
                agentIdentity: { displayName: "Weather agent (prod)", tokenSubject: typed, cloudFederationAudience: audience },
            });
            assert.ok(
                found.some((i) => i.startsWith(`agentfed:agentIdentity.tokenSubject: is ${JSON.stringify(typed)}, the form of the stand-in`)),
                found.join("\n"),
            );
        }
        // Ids mode: it would have reached the contracts as a subject no token carries.
        const ids = { objectId: "12121212-1212-1212-1212-121212121212", clientId: "34343434-3434-3434-3434-343434343434" };
        const found = issues({
            aws: undefined,
            cloudPrincipal: "agentIdentity",
            agentIdentity: { ...ids, tokenSubject: "created:blueprint#appId", cloudFederationAudience: audience },
        });
        assert.ok(
            found.some((i) => i.startsWith('agentfed:agentIdentity.tokenSubject: is "created:blueprint#appId"')),
            found.join("\n"),
        );
        // Left out, it defaults to the created object's id.
        assert.deepEqual(issues(createModeConfig()), []);
    });

    it("refuses a description with a control character other than a line break or tab", () => {
        assert.ok(
            issues({ ...createModeConfig(), blueprint: createdBlueprint({ description: "a\u0000b" }) }).some((i) =>
                i.startsWith('agentfed:blueprint.description: contains a control character other than a line break or tab ("a\\u0000b")'),
            ),
        );
        assert.ok(issues({ ...createModeConfig(), blueprint: createdBlueprint({ description: "x\u001b[2J" }) }).length > 0);
        assert.deepEqual(issues({ ...createModeConfig(), blueprint: createdBlueprint({ description: "Line one.\n\tLine two.\r\n" }) }), []);
    });

    it("refuses a sponsor that is the tenant, an application or an Agent Identity the config names, at the sponsor", () => {
        const TENANT_ID = readStackConfig("prod")["agentfed:tenantId"]!;
        const found = issues({ ...createModeConfig(), blueprint: createdBlueprint({ sponsors: { userIds: [SPONSOR], groupIds: [TENANT_ID.toUpperCase()] } }) });
        assert.ok(
            found.some((i) =>
                i.startsWith(
                    `agentfed:blueprint.sponsors.groupIds[0]: equals agentfed:tenantId (${TENANT_ID}): the tenant id and a sponsor (a user or group) are different directory objects | name a person or group`,
                ),
            ),
            found.join("\n"),
        );
        // An Agent Identity created under a Blueprint named by its ids, sponsored by that Blueprint's application.
        const idsBlueprint = JSON.parse(readStackConfig("prod")["agentfed:blueprint"]!) as { appId: string };
        const own = issues({
            ...createModeConfig(),
            blueprint: idsBlueprint,
            agentIdentity: {
                displayName: "Weather agent (prod)",
                sponsors: { userIds: [idsBlueprint.appId] },
                cloudFederationAudience: { identifierUri: "api://agentfed-weather-cloud" },
            },
        });
        assert.ok(
            own.some((i) => i.startsWith("agentfed:agentIdentity.sponsors.userIds[0]: equals agentfed:blueprint.appId")),
            own.join("\n"),
        );
        // The Agent Identity's sponsors defaulted from its Blueprint are not reported twice, nor a sponsor the config names once.
        assert.deepEqual(issues(createModeConfig()), []);
    });

    it("refuses one App ID URI on two Blueprints (Graph: unique across the tenant), written or added as an Option 2 audience", () => {
        const finance = (extra: Record<string, unknown>) => {
            const c: Record<string, unknown> = {
                ...agentClass("finance"),
                blueprint: { displayName: "Finance agent", sponsors: { userIds: [SPONSOR] } },
                ...extra,
            };
            delete c.aws;
            return c;
        };
        const written = issues({
            ...createModeConfig(),
            blueprint: createdBlueprint({ identifierUris: ["api://agentfed-shared"] }),
            agentClasses: [
                finance({ blueprint: { displayName: "Finance agent", sponsors: { userIds: [SPONSOR] }, identifierUris: ["API://agentfed-shared/"] } }),
            ],
        });
        assert.ok(
            written.some((i) =>
                i.startsWith(
                    'agentfed:agentClasses[0].blueprint.identifierUris[0]: is "API://agentfed-shared/", which agentfed:blueprint.identifierUris[0] already puts on the Blueprint this stack creates at agentfed:blueprint',
                ),
            ),
            written.join("\n"),
        );
        const audiences = issues({
            ...createModeConfig(),
            agentClasses: [
                finance({
                    cloudPrincipal: "agentIdentity",
                    agentIdentity: { displayName: "Finance agent", cloudFederationAudience: { identifierUri: "api://agentfed-weather-cloud" } },
                }),
            ],
        });
        assert.ok(
            audiences.some((i) =>
                i.startsWith('agentfed:agentClasses[0].agentIdentity.cloudFederationAudience.identifierUri: is "api://agentfed-weather-cloud"'),
            ),
            audiences.join("\n"),
        );
        // Each Blueprint with its own audience: accepted.
        const own = finance({
            cloudPrincipal: "agentIdentity",
            agentIdentity: { displayName: "Finance agent", cloudFederationAudience: { identifierUri: "api://agentfed-finance-cloud" } },
        });
        assert.deepEqual(issues({ ...createModeConfig(), agentClasses: [own] }), []);
    });

    it("an agent class creates its own Blueprint and Agent Identity; two classes creating Blueprints never share one", () => {
        const research = createdResearchClass();
        const config = parse({
            agentClasses: [research, { ...agentClass("finance"), blueprint: { displayName: "Finance agent", sponsors: { userIds: [SPONSOR] } } }],
        });
        assert.equal(config.agentClasses[0]!.blueprint.appId, "created:agentClasses[0].blueprint#appId");
        assert.equal(config.agentClasses[1]!.blueprint.objectId, "created:agentClasses[1].blueprint#objectId");
        assert.equal(config.agentClasses[0]!.agentIdentity?.objectId, "created:agentClasses[0].agentIdentity#objectId");
        // An Option 2 class on the stack's created Blueprint shares it with the primary agent: refused as before.
        const shared = { ...research, blueprint: undefined };
        assert.ok(
            issues({ blueprint: createdBlueprint(), agentClasses: [shared] }).some((i) =>
                i.startsWith("agentfed:agentClasses[0].blueprint: is shared with the primary agent"),
            ),
        );
    });
    it("warns about agents sharing a created Blueprint without its stand-in id, which names no object a reader can find", () => {
        const finance = { ...agentClass("finance"), aws: undefined, agentIdentity: { displayName: "Finance agent" } };
        const config = parse({
            blueprint: createdBlueprint(),
            aws: undefined,
            agentIdentity: { displayName: "Weather agent (prod)" },
            agentClasses: [finance],
        });
        const shared = config.warnings.filter((w) => w.includes("with different Agent Identities"));
        assert.equal(shared.length, 1, config.warnings.join("\n"));
        assert.ok(shared[0]!.includes("share Blueprint created by this stack (blueprint) with"), shared[0]);
        assert.ok(
            config.warnings.every((w) => !w.includes("created:")),
            config.warnings.join("\n"),
        );
    });
});

describe("create mode: the plan", () => {
    it("creates the Blueprint, its principal and the Agent Identity, protected, and wires their ids everywhere as Outputs", async () => {
        const plan = await runPlan({ stack: "prod", config: createModeConfig(), recordGraph: true });
        const blueprint = only(plan, BLUEPRINT, "blueprint");
        const principal = only(plan, PRINCIPAL, "blueprint-principal");
        const identity = only(plan, AGENT_IDENTITY, "agent-identity");
        for (const r of [blueprint, principal, identity]) assert.equal(r.protect, true, `${r.type} is not protected`);
        assert.deepEqual(blueprint.inputs.sponsorUserIds, [SPONSOR]);
        // The Option 2 audience the sidecar requests exists on the created Blueprint.
        assert.deepEqual(blueprint.inputs.identifierUris, ["api://agentfed-weather-cloud"]);

        const appId = plan.outputs.blueprintAppId as string;
        const objectId = plan.outputs.blueprintObjectId as string;
        const agentIdentityId = plan.outputs.agentIdentityObjectId as string;
        for (const id of [appId, objectId, agentIdentityId]) assert.match(plan.placeholders[id] ?? "", /assigned by Entra on create/, id);
        assert.equal(principal.inputs.blueprintAppId, appId);
        assert.equal(identity.inputs.blueprintAppId, appId);
        assert.equal(only(plan, BLUEPRINT_FIC_TYPE, "uami").inputs.blueprintObjectId, objectId);

        const app = only(plan, APP);
        const containers = (app.inputs.template as { containers: { name: string; env?: { name: string; value?: string }[] }[] }).containers;
        const sidecarEnv = Object.fromEntries((containers.find((c) => c.name === "entra-auth-sidecar")?.env ?? []).map((e) => [e.name, e.value]));
        assert.equal(sidecarEnv.AzureAd__ClientId, appId);
        // The Agent Identity's client id reaches the sidecar entry minting the cloud token, and GCP pins its object id.
        assert.ok(JSON.stringify(app.inputs).includes(agentIdentityId), "the Agent Identity's client id is not given to the agent");
        const provider = only(plan, GCP_PROVIDER).inputs;
        assert.ok(String(provider.attributeCondition).includes(agentIdentityId), String(provider.attributeCondition));
        // A v2 token's aud is the created Blueprint's appId (the audience app defaults to the agent's Blueprint).
        assert.ok(JSON.stringify(provider.oidc).includes(appId), JSON.stringify(provider.oidc));

        // The Agent Identity is created after the principal (Graph refuses it before), the FIC after the Blueprint.
        const node = (type: string, name: string) => plan.graph.find((g) => g.type === type && g.name === name)!;
        assert.ok(node(AGENT_IDENTITY, "agent-identity").dependencies.includes(node(PRINCIPAL, "blueprint-principal").urn));
        assert.ok(node(BLUEPRINT_FIC_TYPE, "uami").dependencies.includes(node(BLUEPRINT, "blueprint").urn));
        // No stand-in reaches a resource, an output or a contract.
        assert.doesNotMatch(JSON.stringify({ resources: plan.resources, outputs: plan.outputs }), /created:/);
    });

    it("Option 1 with a created Agent Identity: the agent and its sidecar call as it, the clouds keep trusting the UAMI", async () => {
        const plan = await runPlan({
            stack: "prod",
            config: { blueprint: createdBlueprint(), cloudPrincipal: undefined, agentIdentity: { displayName: "Weather agent (prod)" } },
        });
        const identity = only(plan, AGENT_IDENTITY, "agent-identity");
        assert.equal(identity.protect, true);
        const clientId = plan.outputs.agentIdentityClientId as string;
        assert.match(plan.placeholders[clientId] ?? "", /assigned by Entra on create/, clientId);
        const containers = (only(plan, APP).inputs.template as { containers: { name: string; env?: { name: string; value?: string }[] }[] }).containers;
        const env = (name: string) => Object.fromEntries((containers.find((c) => c.name === name)?.env ?? []).map((e) => [e.name, e.value]));
        // The agent is told who it is, and the sidecar honours ?AgentIdentity= on the unauthenticated route only.
        assert.equal(env("agent").AGENT_IDENTITY_CLIENT_ID, clientId);
        assert.equal(env("entra-auth-sidecar").Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated, "true");
        for (const flag of ["GetAuthorizationHeader", "CallDownstreamApi", "CallDownstreamApiUnauthenticated"])
            assert.equal(env("entra-auth-sidecar")[`Sidecar__AllowOverrides__${flag}`], "false", flag);
        // Option 1: the GCP condition pins the UAMI, never the Agent Identity.
        const condition = String(only(plan, GCP_PROVIDER).inputs.attributeCondition);
        assert.ok(!condition.includes(clientId), condition);
        assert.doesNotMatch(JSON.stringify({ resources: plan.resources, outputs: plan.outputs }), /created:/);
    });

    it("an agent class on a Blueprint of its own creates it beside the stack's, under names from the class", async () => {
        const research = createdResearchClass();
        const plan = await runPlan({ stack: "prod", config: { ...createModeConfig(), agentClasses: [research] } });
        only(plan, BLUEPRINT, "blueprint");
        const own = only(plan, BLUEPRINT, "class-research-blueprint");
        assert.deepEqual(own.inputs.identifierUris, ["api://agentfed-research-cloud"]);
        only(plan, AGENT_IDENTITY, "class-research-agent-identity");
        const classes = plan.outputs.agentClasses as Record<string, Record<string, unknown>>;
        assert.match(plan.placeholders[classes.research!.blueprintAppId as string] ?? "", /Research agent/);
        assert.match(plan.placeholders[classes.research!.agentIdentityObjectId as string] ?? "", /Agent Identity Research agent/);
    });

    it("an Agent Identity created under a Blueprint named by its ids waits for nothing the stack creates", async () => {
        const config: Record<string, unknown> = { ...createModeConfig(), blueprint: JSON.parse(readStackConfig("prod")["agentfed:blueprint"]!) as unknown };
        config.agentIdentity = { ...(config.agentIdentity as object), sponsors: { userIds: [SPONSOR] } };
        const plan = await runPlan({ stack: "prod", config });
        assert.equal(plan.resources.filter((r) => r.type === BLUEPRINT || r.type === PRINCIPAL).length, 0);
        assert.equal(only(plan, AGENT_IDENTITY).inputs.blueprintAppId, "44444444-4444-4444-4444-444444444444");
    });
});

describe("create mode: the CI bootstrap's Graph permissions", () => {
    it("grants a stack that creates its Blueprint and Agent Identity exactly AGENT_ID_GRAPH_CALLS' rows, appended once, and nothing tenant-wide beyond", () => {
        const ids = targetStackWith({ aws: undefined }); // createModeConfig leaves AWS out
        const created = targetStackWith(createModeConfig());
        assert.deepEqual(created.entra.agentIdCreation, { blueprints: true, agentIdentities: true, identifierUris: true });
        const needs = created.entra.agentIdCreation;
        for (const access of ["deploy", "preview"] as const) {
            const before = graphPermissions(access, ids);
            const after = graphPermissions(access, created);
            assert.deepEqual(after.slice(0, before.length), before, `${access}: what an ids-mode stack holds comes first, unchanged`);
            assert.deepEqual(
                after.slice(before.length).sort(),
                agentIdGraphPermissions(needs, access)
                    .filter((p) => !before.includes(p))
                    .sort(),
            );
            assert.equal(new Set(after).size, after.length, `${access}: each permission once`);
            for (const p of ["Directory.ReadWrite.All", "AgentIdentityBlueprint.ReadWrite.All", "AgentIdentity.ReadWrite.All"])
                assert.ok(!after.includes(p), p);
        }
        // Deploys: every write of the providers, including identifier URIs (the Option 2 audience on the created Blueprint).
        const deploy = graphPermissions("deploy", created);
        for (const p of [
            "AgentIdentityBlueprint.Create",
            "AgentIdentityBlueprintPrincipal.Create",
            "AgentIdentity.Create.All",
            "AgentIdentityBlueprint.UpdateAuthProperties.All",
        ])
            assert.ok(deploy.includes(p), p);
        // Not granted by default: sponsor changes need a tenant-wide application write (Application.ReadWrite.All).
        assert.ok(!deploy.includes("Application.ReadWrite.All"));
        // Previews only read.
        assert.deepEqual(
            graphPermissions("preview", created).filter((p) => !p.endsWith(".Read.All")),
            [],
        );
        for (const p of deploy.filter((p) => !p.endsWith(".Read.All") && p !== "Application.ReadWrite.OwnedBy"))
            assert.ok(TENANT_WIDE_GRAPH_WRITES.includes(p), `${p} is tenant-wide`);
    });

    it("an ids-mode stack, or one creating only an Agent Identity, gets no Blueprint creation permission", () => {
        assert.deepEqual(targetStackWith({}).entra.agentIdCreation, { blueprints: false, agentIdentities: false, identifierUris: false });
        const onlyIdentity = targetStackWith({
            ...createModeConfig(),
            blueprint: JSON.parse(readStackConfig("prod")["agentfed:blueprint"]!) as unknown,
            agentIdentity: { ...(createModeConfig().agentIdentity as object), sponsors: { userIds: [SPONSOR] } },
        });
        const deploy = graphPermissions("deploy", onlyIdentity);
        assert.ok(deploy.includes("AgentIdentity.Create.All"));
        assert.ok(!deploy.includes("AgentIdentityBlueprintPrincipal.Create") && !deploy.includes("AgentIdentityBlueprint.UpdateAuthProperties.All"));
    });
});
