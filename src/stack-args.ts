/**
 * The one place the validated configuration meets the components: `StackConfig` mapped onto the args of the shared
 * infrastructure and of each agent. Components take their own typed args and never read config; everything a stack
 * file says reaches a resource through here.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AgentClassConfig, StackConfig } from "./config";
import type { AgentArgs, AgentResourceNames } from "./components/agent";
import type { ContainerAppsEnvironmentChoice, SharedInfrastructure, SharedInfrastructureArgs } from "./components/shared-infrastructure";

/** The tag every Azure resource of the stack carries. */
const MANAGED_BY = { "managed-by": "pulumi-agentfed" };

/** Tags of the stack's Azure resources: the configured ones and `managed-by`. */
export function stackTags(config: StackConfig): Record<string, string> {
    return { ...config.tags, ...MANAGED_BY };
}

/**
 * The shared infrastructure, from the union of what any agent uses: GCP and AWS when the stack's section is set, the
 * Container Apps environment when any agent runs on Container Apps, the Kind issuer when `kind` is set.
 */
export function sharedInfrastructureArgs(config: StackConfig, resourceGroupName: pulumi.Input<string>): SharedInfrastructureArgs {
    const kind = config.kind;
    const environment = containerAppsEnvironment(config);
    return {
        resourceGroupName,
        location: config.location,
        tags: stackTags(config),
        tenantId: config.tenantId,
        protect: config.protectIdentities,
        ...(config.gcp ? { gcp: config.gcp } : {}),
        ...(config.aws ? { aws: config.aws } : {}),
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
    const apps = [config.containerApp, ...config.agentClasses.map((c) => c.containerApp)];
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

/** The primary agent (the top-level keys). */
export function primaryAgentArgs(config: StackConfig, shared: SharedInfrastructure, resourceGroupName: pulumi.Input<string>): AgentArgs {
    const bp = config.blueprint;
    const kind = config.kind;
    const kindIssuer = shared.kindIssuer;
    return {
        ...commonArgs(config, resourceGroupName),
        names: PRIMARY_NAMES,
        tags: stackTags(config),
        uamiName: config.uami.name,
        blueprint: {
            kind: bp.kind,
            appId: bp.appId,
            objectId: bp.objectId,
            graphEndpoint: bp.graphEndpoint,
            ficName: bp.uamiFicName,
            ficDescription: `Trusts UAMI ${config.uami.name} (the agent's runtime identity). Managed by Pulumi.`,
        },
        declaredFederatedCredentials: bp.additionalFederatedCredentials,
        ...(config.agentIdentity ? { agentIdentity: config.agentIdentity } : {}),
        ...(config.gcp && shared.gcp ? { gcp: { settings: config.gcp, shared: shared.gcp } } : {}),
        ...(config.aws && shared.aws ? { aws: { role: { name: config.aws.roleName, modelArns: config.aws.modelArns }, shared: shared.aws } } : {}),
        ...appArgs(config.containerApp, shared),
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
export function agentClassArgs(config: StackConfig, c: AgentClassConfig, shared: SharedInfrastructure, resourceGroupName: pulumi.Input<string>): AgentArgs {
    const tags = { ...stackTags(config), "agent-class": c.name };
    return {
        ...commonArgs(config, resourceGroupName),
        names: classNames(c.name),
        tags,
        uamiName: c.uami.name,
        blueprint: {
            ...c.blueprint,
            graphEndpoint: config.blueprint.graphEndpoint,
            ficName: c.ficName,
            ficDescription: `Trusts UAMI ${c.uami.name} (runtime identity of agent class ${c.name}). Managed by Pulumi.`,
        },
        ...(c.agentIdentity ? { agentIdentity: c.agentIdentity } : {}),
        ...(c.gcp && shared.gcp ? { gcp: { settings: c.gcp, shared: shared.gcp, serviceAccountDisplayName: `agentfed ${c.name} agent (federated)` } } : {}),
        ...(c.aws && shared.aws ? { aws: { role: { name: c.aws.roleName, modelArns: c.aws.modelArns }, shared: shared.aws } } : {}),
        ...appArgs(c.containerApp, shared),
    };
}

function commonArgs(config: StackConfig, resourceGroupName: pulumi.Input<string>): Pick<AgentArgs, "tenantId" | "resourceGroupName" | "location" | "protect"> {
    return { tenantId: config.tenantId, resourceGroupName, location: config.location, protect: config.protectIdentities };
}

/** An agent's container app, in the environment it names or else the stack's. */
function appArgs(app: StackConfig["containerApp"], shared: SharedInfrastructure): Pick<AgentArgs, "containerApp"> {
    if (!app) return {};
    const environmentId = app.environmentId ?? shared.environmentId;
    if (environmentId === undefined) throw new Error(`container app ${app.name} has no Container Apps environment to run in`);
    return { containerApp: { settings: app, environmentId } };
}
