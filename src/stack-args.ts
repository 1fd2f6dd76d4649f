/**
 * The one place the validated configuration meets the components: `StackConfig` mapped onto the args of the shared
 * infrastructure and of each agent. Components take their own typed args and never read config; everything a stack
 * file says reaches a resource through here. A cloud federation's section is mapped by the cloud itself
 * (src/clouds/<cloud>/stack-cloud.ts), whose bindings are passed through here to the components.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AgentClassConfig, AgentConfig, StackConfig } from "./config";
import { CLOUDS } from "./clouds";
import type { AgentLabel, CloudFederation } from "./clouds/cloud";
import type { AgentArgs, AgentCloud, AgentCloudFederation, AgentResourceNames } from "./components/agent";
import type { ContainerAppsEnvironmentChoice, SharedCloud, SharedInfrastructure, SharedInfrastructureArgs } from "./components/shared-infrastructure";
import type { AgentIdBlueprint, AgentIdBlueprintArgs } from "./components/agent-id-blueprint";
import { createdId, parseCreatedId } from "./config/agent-id-objects";
import { sameEntraAudience } from "./contracts";

/** The Blueprints the stack creates (create mode), by the config key that declares each (`blueprint`, `agentClasses[i].blueprint`). */
export type CreatedBlueprints = ReadonlyMap<string, AgentIdBlueprint>;

/** A Blueprint the stack creates: its config key, its resource name, and its args. */
export interface CreatedBlueprintArgs {
    readonly key: string;
    readonly name: string;
    readonly args: AgentIdBlueprintArgs;
}

/**
 * The Blueprints the stack creates: the stack's own (`blueprint`, resource `blueprint`) and each class's own
 * (`class-<name>-blueprint`). Each exposes, besides the identifier URIs its config lists, the cloud-federation
 * audience of every Option 2 agent on it whose audience app is that Blueprint (the default), so the audience a
 * sidecar requests exists without a hand-made step.
 */
export function createdBlueprintArgs(config: StackConfig): CreatedBlueprintArgs[] {
    const agents = [config.primaryAgent, ...config.agentClasses];
    const declared = [
        { blueprint: config.primaryAgent.blueprint, name: "blueprint" },
        ...config.agentClasses.map((c) => ({ blueprint: c.blueprint, name: `class-${c.name}-blueprint` })),
    ];
    return declared.flatMap(({ blueprint, name }): CreatedBlueprintArgs[] => {
        const create = blueprint.create;
        // A class without a Blueprint of its own shares the stack's: created once, under the stack's key.
        if (!create || (name !== "blueprint" && create.key === "blueprint")) return [];
        const audiences = agents.flatMap((a) => {
            const audience = a.agentIdentity?.cloudFederationAudience;
            return a.blueprint.create?.key === create.key && audience?.appId === createdId(create.key, "appId") ? [audience.identifierUri] : [];
        });
        const uris: string[] = [];
        for (const uri of [...create.identifierUris, ...audiences]) if (!uris.some((u) => sameEntraAudience(u, uri))) uris.push(uri);
        return [
            {
                key: create.key,
                name,
                args: {
                    graphEndpoint: config.blueprint.graphEndpoint,
                    displayName: create.displayName,
                    ...(create.description ? { description: create.description } : {}),
                    sponsorUserIds: create.sponsors.userIds ?? [],
                    sponsorGroupIds: create.sponsors.groupIds ?? [],
                    identifierUris: uris,
                    protect: config.protectIdentities,
                },
            },
        ];
    });
}

/**
 * An id as the resources take it: the GUID config names, or, for a stand-in (create mode), the Output of the object the
 * stack creates. A stand-in of an Agent Identity is resolved by its agent (`agentIdentityCreation`), never here.
 */
export function resolveId(id: string, blueprints: CreatedBlueprints): pulumi.Input<string> {
    const created = parseCreatedId(id);
    if (!created) return id;
    const blueprint = blueprints.get(created.key);
    if (!blueprint || created.field === "clientId") throw new Error(`no created Blueprint for ${id}`);
    return created.field === "appId" ? blueprint.appId : blueprint.objectId;
}

/** A cloud federation some agent of the stack uses, bound to its section; each agent's settings are found by the cloud's id. */
export interface StackCloud extends SharedCloud {
    /** The agent's principal in this cloud, or undefined when it does not federate to it. */
    forAgent(agent: AgentConfig, label: AgentLabel): AgentCloud | undefined;
    /** The cloud's top-level stack outputs: its shared parts' and the primary agent's. */
    stackOutputs(primary: AgentCloudFederation | undefined): Readonly<Record<string, pulumi.Output<unknown>>>;
}

/** The cloud federations (src/clouds) some agent of the stack uses, each bound to its own section of the config. */
export function stackClouds(config: StackConfig): StackCloud[] {
    const agents = [config.primaryAgent, ...config.agentClasses];
    return CLOUDS.flatMap((cloud): StackCloud[] => {
        // Each cloud reads its own section and its own key of every agent: a correlation by id TypeScript cannot follow.
        const federation = cloud.federation() as CloudFederation<unknown, unknown>;
        const bound = federation.forStack(
            config[cloud.id],
            agents.map((a) => a[cloud.id]),
        );
        if (!bound) return [];
        return [
            {
                id: bound.id,
                createShared: (parent, ctx) => bound.createShared(parent, ctx),
                forAgent: (agent, label) => bound.forAgent(agent[cloud.id], label),
                stackOutputs: (primary) => bound.stackOutputs(primary),
            },
        ];
    });
}

/** The tag every Azure resource of the stack carries. */
const MANAGED_BY = { "managed-by": "pulumi-agentfed" };

/** Tags of the stack's Azure resources: the configured ones and `managed-by`. */
export function stackTags(config: StackConfig): Record<string, string> {
    return { ...config.tags, ...MANAGED_BY };
}

/**
 * The shared infrastructure, from the union of what any agent uses: each cloud federation some agent uses (`clouds`,
 * from src/clouds), the Container Apps environment when any agent runs on Container Apps, the Kind issuer when `kind`
 * is set.
 */
export function sharedInfrastructureArgs(
    config: StackConfig,
    clouds: readonly StackCloud[],
    resourceGroupName: pulumi.Input<string>,
): SharedInfrastructureArgs {
    const kind = config.kind;
    const environment = containerAppsEnvironment(config);
    return {
        resourceGroupName,
        location: config.location,
        tags: stackTags(config),
        tenantId: config.tenantId,
        protect: config.protectIdentities,
        // Each cloud some agent federates to (`forStack` returns none for the others), from its own section.
        clouds,
        ...(environment ? { containerAppsEnvironment: environment } : {}),
        ...(kind
            ? {
                  kind: {
                      storageAccountName: kind.storageAccountName,
                      clusterName: kind.clusterName,
                      signingKeyHostPath: kind.signingKeyHostPath,
                      rsaBits: kind.rsaBits,
                      extraPublicKeys: kind.extraPublicKeys,
                  },
              }
            : {}),
    };
}

/**
 * The stack's Container Apps environment: the existing one `containerApp.environment.existingId` names, else one
 * created when any agent runs on Container Apps without naming its own (retention from the top-level section).
 */
function containerAppsEnvironment(config: StackConfig): ContainerAppsEnvironmentChoice | undefined {
    if (config.containerApp?.environmentId) return { existingId: config.containerApp.environmentId };
    const apps = [config.primaryAgent, ...config.agentClasses].map((a) => a.containerApp);
    if (!apps.some((app) => app !== undefined && app.environmentId === undefined)) return undefined;
    return { logRetentionDays: config.containerApp?.logRetentionDays ?? 30 };
}

/**
 * The primary agent's resource names, as they have been since the first release; its components were children of
 * the stack itself before agents had a component, so each carries an alias to the stack's root.
 */
const PRIMARY_NAMES: AgentResourceNames = {
    identity: "agent",
    uamiFic: "uami",
    declaredFicPrefix: "fic-",
    cloudPrefix: "",
    app: "agent",
    kindFic: "kind-sa",
    kindWorkload: "agent",
    agentIdentity: "agent-identity",
};

/** An agent class's resource names: every one derives from the class name, so adding a class renames nothing. */
function classNames(className: string): AgentResourceNames {
    const base = `class-${className}`;
    return {
        identity: base,
        uamiFic: `${base}-uami`,
        declaredFicPrefix: `${base}-fic-`,
        cloudPrefix: `${base}-`,
        app: base,
        kindFic: `${base}-kind-sa`,
        kindWorkload: base,
        agentIdentity: `${base}-agent-identity`,
    };
}

/** Name of the primary agent's `Agent` component: outside the DNS labels class names are, so no class can take it. */
export const PRIMARY_AGENT_NAME = "primary_agent";

/** The primary agent (the top-level keys): its Blueprint's declared FICs, and the Kind FIC and workload, are its own. */
export function primaryAgentArgs(
    config: StackConfig,
    shared: SharedInfrastructure,
    clouds: readonly StackCloud[],
    resourceGroupName: pulumi.Input<string>,
    blueprints: CreatedBlueprints = new Map(),
): AgentArgs {
    const kind = config.kind;
    const kindIssuer = shared.kindIssuer;
    const agent = config.primaryAgent;
    return {
        ...agentArgs(config, agent, shared, clouds, resourceGroupName, blueprints, {
            names: PRIMARY_NAMES,
            className: undefined,
            tags: stackTags(config),
            ficDescription: `Trusts UAMI ${agent.uami.name} (the agent's runtime identity). Managed by Pulumi.`,
        }),
        declaredFederatedCredentials: config.blueprint.additionalFederatedCredentials,
        ...(kind && kindIssuer
            ? {
                  kind: {
                      issuerUrl: kindIssuer.issuerUrl,
                      clusterName: kind.clusterName,
                      namespace: kind.namespace,
                      serviceAccountName: kind.serviceAccountName,
                      ficName: kind.ficName,
                      ...(kind.workload ? { workload: kind.workload } : {}),
                  },
              }
            : {}),
        childAliases: [{ parent: pulumi.rootStackResource }],
    };
}

/** An agent class (`agentClasses[i]`): the same component as the primary agent, under names of its own. */
export function agentClassArgs(
    config: StackConfig,
    c: AgentClassConfig,
    shared: SharedInfrastructure,
    clouds: readonly StackCloud[],
    resourceGroupName: pulumi.Input<string>,
    blueprints: CreatedBlueprints = new Map(),
): AgentArgs {
    return agentArgs(config, c, shared, clouds, resourceGroupName, blueprints, {
        names: classNames(c.name),
        className: c.name,
        tags: { ...stackTags(config), "agent-class": c.name },
        ficDescription: `Trusts UAMI ${c.uami.name} (runtime identity of agent class ${c.name}). Managed by Pulumi.`,
    });
}

/** What differs between the primary agent and a class beside their settings: names, tags and descriptions. */
interface AgentLabels {
    readonly names: AgentResourceNames;
    /** The class name; undefined for the primary agent. */
    readonly className: string | undefined;
    readonly tags: Record<string, string>;
    readonly ficDescription: string;
}

/** Any agent's args, from its settings (the same shape for the primary agent and each class). */
function agentArgs(
    config: StackConfig,
    agent: AgentConfig,
    shared: SharedInfrastructure,
    clouds: readonly StackCloud[],
    resourceGroupName: pulumi.Input<string>,
    blueprints: CreatedBlueprints,
    labels: AgentLabels,
): AgentArgs {
    const { kind, appId, objectId } = agent.blueprint;
    return {
        names: labels.names,
        tenantId: config.tenantId,
        resourceGroupName,
        location: config.location,
        tags: labels.tags,
        protect: config.protectIdentities,
        uamiName: agent.uami.name,
        blueprint: {
            kind,
            appId: resolveId(appId, blueprints),
            objectId: resolveId(objectId, blueprints),
            graphEndpoint: config.blueprint.graphEndpoint,
            ficName: agent.ficName,
            ficDescription: labels.ficDescription,
        },
        // The Agent Identity the agent calls its APIs as (config requires it on a Blueprint with APIs), whichever option.
        ...agentIdentityArgs(config, agent, blueprints),
        cloudPrincipal: agent.cloudPrincipal,
        // Its principal in each cloud it federates to: each cloud maps its own settings (src/clouds/<cloud>/stack-cloud.ts).
        clouds: clouds.flatMap((cloud) => cloud.forAgent(agent, { className: labels.className }) ?? []),
        ...appArgs(agent.containerApp, shared),
    };
}

/**
 * The Agent Identity an agent calls its APIs as (and, under Option 2, the clouds trust): named by its ids
 * (`agentIdentity`), or created under its Blueprint (`agentIdentityCreation`, create mode), after the Blueprint's
 * principal when the stack creates that too. A created Blueprint's appId in an Option 2 audience is its Output.
 */
function agentIdentityArgs(config: StackConfig, agent: AgentConfig, blueprints: CreatedBlueprints): Pick<AgentArgs, "agentIdentity" | "agentIdentityCreation"> {
    const ai = agent.agentIdentity;
    if (!ai) return {};
    const declared = ai.cloudFederationAudience;
    const audience = declared && pulumi.output(resolveId(declared.appId, blueprints)).apply((appId) => ({ ...declared, appId }));
    if (!ai.create) {
        const { objectId, clientId, tokenSubject } = ai;
        return {
            agentIdentity: audience
                ? audience.apply((cloudFederationAudience) => ({ objectId, clientId, tokenSubject, cloudFederationAudience }))
                : { objectId, clientId, tokenSubject },
        };
    }
    const principal = agent.blueprint.create && blueprints.get(agent.blueprint.create.key)?.principal;
    return {
        agentIdentityCreation: {
            graphEndpoint: config.blueprint.graphEndpoint,
            displayName: ai.create.displayName,
            sponsorUserIds: ai.create.sponsors.userIds ?? [],
            sponsorGroupIds: ai.create.sponsors.groupIds ?? [],
            // The object id's stand-in (tokenSubject's default) becomes the created object id.
            tokenSubject: ai.tokenSubject === ai.objectId ? undefined : ai.tokenSubject,
            cloudFederationAudience: audience,
            ...(principal ? { dependsOn: [principal] } : {}),
        },
    };
}

/** An agent's container app, in the environment it names or else the stack's. */
function appArgs(app: StackConfig["containerApp"], shared: SharedInfrastructure): Pick<AgentArgs, "containerApp"> {
    if (!app) return {};
    const environmentId = app.environmentId ?? shared.environmentId;
    if (environmentId === undefined) throw new Error(`container app ${app.name} has no Container Apps environment to run in`);
    return { containerApp: { settings: app, environmentId } };
}
