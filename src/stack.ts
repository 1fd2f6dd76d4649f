import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import { StackConfig } from "./config";
import { BlueprintTarget, externalWorkloadSubject, TOKEN_EXCHANGE_AUDIENCE } from "./contracts";
import { AgentContainerApp } from "./components/agent-container-app";
import { BlueprintFederation } from "./components/blueprint-federation";
import { ManagedIdentity } from "./components/managed-identity";
import { StackOutputs } from "./outputs";

/**
 * Composes the components from a validated config. The UAMI's workload subject is computed once, by
 * `ManagedIdentity`, and every contract that must accept the UAMI receives that same Output.
 */
export function createAgentIdentityStack(config: StackConfig): StackOutputs {
    const protect = config.protectIdentities;
    const tags = { ...config.tags, "managed-by": "pulumi-agentfed" };

    // Deleting the group would delete the UAMI with it, so it is protected like the identity.
    const resourceGroupName = config.resourceGroup.create
        ? new resources.ResourceGroup(
              "agent-identity",
              { resourceGroupName: config.resourceGroup.name, location: config.location, tags },
              { protect },
          ).name
        : pulumi.output(config.resourceGroup.name);

    const uami = new ManagedIdentity("agent", {
        resourceName: config.uami.name,
        resourceGroupName,
        location: config.location,
        tenantId: config.tenantId,
        tags,
        protect,
    });

    const blueprint: BlueprintTarget = { kind: config.blueprint.kind, appId: config.blueprint.appId, objectId: config.blueprint.objectId };
    const uamiFederation = new BlueprintFederation("uami", {
        blueprint,
        graphEndpoint: config.blueprint.graphEndpoint,
        ficName: config.blueprint.uamiFicName,
        subject: uami.workloadSubject,
        description: `Trusts UAMI ${config.uami.name} (the agent's runtime identity). Managed by Pulumi.`,
        protect,
    });

    const declaredFederations = config.blueprint.additionalFederatedCredentials.map(
        (fic) =>
            new BlueprintFederation(`fic-${fic.name}`, {
                blueprint,
                graphEndpoint: config.blueprint.graphEndpoint,
                ficName: fic.name,
                subject: externalWorkloadSubject(fic.issuer, fic.subject, [TOKEN_EXCHANGE_AUDIENCE]),
                ...(fic.description ? { description: fic.description } : {}),
                protect,
            }),
    );

    const containerApp = config.containerApp
        ? new AgentContainerApp("agent", {
              resourceGroupName,
              location: config.location,
              tags,
              tenantId: config.tenantId,
              uami: { resourceId: uami.resourceId, clientId: uami.clientId },
              blueprintAppId: blueprint.appId,
              settings: config.containerApp,
          })
        : undefined;

    return {
        tenantId: pulumi.output(config.tenantId),
        uamiOid: uami.oid,
        uamiClientId: uami.clientId,
        uamiResourceId: uami.resourceId,
        uamiName: uami.resourceName,
        blueprintAppId: pulumi.output(blueprint.appId),
        blueprintObjectId: pulumi.output(blueprint.objectId),
        blueprintKind: pulumi.output(blueprint.kind),
        blueprintFicName: uamiFederation.ficName,
        trustContracts: pulumi.all([uamiFederation.contract, ...declaredFederations.map((f) => f.contract)]),
        containerAppName: containerApp ? containerApp.appName : pulumi.output(null),
        containerAppFqdn: containerApp ? containerApp.fqdn : pulumi.output(null),
    };
}
