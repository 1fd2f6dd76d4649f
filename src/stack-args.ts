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
): AgentArgs {
    const kind = config.kind;
    const kindIssuer = shared.kindIssuer;
    const agent = config.primaryAgent;
    return {
        ...agentArgs(config, agent, shared, clouds, resourceGroupName, {
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
): AgentArgs {
    return agentArgs(config, c, shared, clouds, resourceGroupName, {
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
    labels: AgentLabels,
): AgentArgs {
    return {
        names: labels.names,
        tenantId: config.tenantId,
        resourceGroupName,
        location: config.location,
        tags: labels.tags,
        protect: config.protectIdentities,
        uamiName: agent.uami.name,
        blueprint: { ...agent.blueprint, graphEndpoint: config.blueprint.graphEndpoint, ficName: agent.ficName, ficDescription: labels.ficDescription },
        // The Agent Identity the agent calls its APIs as (config requires it on a Blueprint with APIs), whichever option.
        ...(agent.agentIdentity ? { agentIdentity: agent.agentIdentity } : {}),
        cloudPrincipal: agent.cloudPrincipal,
        // Its principal in each cloud it federates to: each cloud maps its own settings (src/clouds/<cloud>/stack-cloud.ts).
        clouds: clouds.flatMap((cloud) => cloud.forAgent(agent, { className: labels.className }) ?? []),
        ...appArgs(agent.containerApp, shared),
    };
}

/** An agent's container app, in the environment it names or else the stack's. */
function appArgs(app: StackConfig["containerApp"], shared: SharedInfrastructure): Pick<AgentArgs, "containerApp"> {
    if (!app) return {};
    const environmentId = app.environmentId ?? shared.environmentId;
    if (environmentId === undefined) throw new Error(`container app ${app.name} has no Container Apps environment to run in`);
    return { containerApp: { settings: app, environmentId } };
}
