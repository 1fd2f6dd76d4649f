import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import { StackConfig } from "./config";
import { CLOUDS } from "./clouds";
import { TrustContract } from "./contracts";
import { Agent } from "./components/agent";
import { SharedInfrastructure } from "./components/shared-infrastructure";
import { AgentIdBlueprint } from "./components/agent-id-blueprint";
import { StackOutputs } from "./outputs";
import {
    agentClassArgs,
    createdBlueprintArgs,
    CreatedBlueprints,
    PRIMARY_AGENT_NAME,
    primaryAgentArgs,
    resolveId,
    sharedInfrastructureArgs,
    StackCloud,
    stackClouds,
    stackTags,
} from "./stack-args";

/**
 * Composes the stack from a validated config: the shared infrastructure once, then one `Agent` per agent (the primary
 * one and each class), each from the args `stack-args.ts` maps the config onto. Each UAMI's workload subject is
 * computed once, by its `ManagedIdentity`, and every contract that must accept it receives that same Output.
 */
export function createAgentIdentityStack(config: StackConfig): StackOutputs {
    // Deleting the group would delete the UAMIs with it, so it is protected like the identities.
    const resourceGroupName = config.resourceGroup.create
        ? new resources.ResourceGroup(
              "agent-identity",
              { resourceGroupName: config.resourceGroup.name, location: config.location, tags: stackTags(config) },
              { protect: config.protectIdentities },
          ).name
        : pulumi.output(config.resourceGroup.name);

    // The cloud federations some agent uses, each mapping its own section of the config.
    const clouds = stackClouds(config);
    const shared = new SharedInfrastructure("shared", sharedInfrastructureArgs(config, clouds, resourceGroupName));
    // Create mode: the Blueprints the stack creates, each with its principal, before the agents that federate to them.
    const blueprints: CreatedBlueprints = new Map(createdBlueprintArgs(config).map((b) => [b.key, new AgentIdBlueprint(b.name, b.args)]));
    const primary = new Agent(PRIMARY_AGENT_NAME, primaryAgentArgs(config, shared, clouds, resourceGroupName, blueprints));
    // Agent classes only add resources: nothing shared and nothing of another agent takes a class's input.
    const classes = config.agentClasses.map((c) => new Agent(c.name, agentClassArgs(config, c, shared, clouds, resourceGroupName, blueprints)));
    return stackOutputs(config, shared, clouds, primary, classes, blueprints);
}

/** Every output a cloud federation adds to an agent class's entry, null until a cloud the class uses sets it. */
const CLOUD_AGENT_NULLS = Object.fromEntries(CLOUDS.flatMap((cloud) => cloud.outputs.agent).map((name) => [name, null]));
/** Every top-level output a cloud federation adds; null until a cloud the stack uses sets it. */
const CLOUD_STACK_OUTPUT_NAMES = CLOUDS.flatMap((cloud): readonly string[] => cloud.outputs.stack);

/** The stack outputs: the primary agent's at the top level (as since the first release), each class's under `agentClasses`. */
function stackOutputs(
    config: StackConfig,
    shared: SharedInfrastructure,
    clouds: readonly StackCloud[],
    primary: Agent,
    classes: readonly Agent[],
    blueprints: CreatedBlueprints,
): StackOutputs {
    const kindIssuer = shared.kindIssuer;
    const app = primary.app;
    const outputs = {
        tenantId: pulumi.output(config.tenantId),
        uamiOid: primary.uami.oid,
        uamiClientId: primary.uami.clientId,
        uamiResourceId: primary.uami.resourceId,
        uamiName: primary.uami.resourceName,
        blueprintAppId: pulumi.output(resolveId(config.blueprint.appId, blueprints)),
        blueprintObjectId: pulumi.output(resolveId(config.blueprint.objectId, blueprints)),
        blueprintKind: pulumi.output(config.blueprint.kind),
        blueprintFicName: primary.uamiFederation.ficName,
        trustContracts: pulumi.all([primary.contracts, ...classes.map((c) => c.contracts)]).apply((perAgent) => perAgent.flat() as TrustContract[]),
        agentClasses: pulumi
            .all(classes.map((c) => c.outputs))
            .apply((perClass) => Object.fromEntries(config.agentClasses.map((c, i) => [c.name, { ...CLOUD_AGENT_NULLS, ...perClass[i]! }]))),
        kindIssuerUrl: kindIssuer ? kindIssuer.issuerUrl : pulumi.output(null),
        kindClusterConfig: kindIssuer ? kindIssuer.clusterConfig : pulumi.output(null),
        kindServiceAccountSigningKey: kindIssuer ? kindIssuer.signingKeyPem : pulumi.output(null),
        kindServiceAccountPublicKey: kindIssuer ? kindIssuer.publicKeyPem : pulumi.output(null),
        // Each cloud's: its shared parts' and the primary agent's (null where the stack or the primary agent has none).
        ...Object.fromEntries(CLOUD_STACK_OUTPUT_NAMES.map((name) => [name, pulumi.output(null)])),
        ...Object.assign({}, ...clouds.map((cloud) => cloud.stackOutputs(primary.clouds.get(cloud.id)))),
        cloudPrincipal: pulumi.output(config.cloudPrincipal),
        agentIdentityObjectId: primary.outputs.apply((o) => (o.agentIdentityObjectId as string | null) ?? null),
        agentIdentityClientId: primary.outputs.apply((o) => (o.agentIdentityClientId as string | null) ?? null),
        containerAppName: app ? app.appName : pulumi.output(null),
        containerAppFqdn: app ? app.fqdn : pulumi.output(null),
    };
    // Cloud outputs are assembled from the registry, which the compiler cannot follow key by key; test/outputs.test.ts pins the names.
    return outputs as StackOutputs;
}
