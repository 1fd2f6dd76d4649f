import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import { StackConfig } from "./config";
import { TrustContract } from "./contracts";
import { Agent } from "./components/agent";
import { SharedInfrastructure } from "./components/shared-infrastructure";
import { StackOutputs } from "./outputs";
import { agentClassArgs, PRIMARY_AGENT_NAME, primaryAgentArgs, sharedInfrastructureArgs, stackTags } from "./stack-args";

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

    const shared = new SharedInfrastructure("shared", sharedInfrastructureArgs(config, resourceGroupName));
    const primary = new Agent(PRIMARY_AGENT_NAME, primaryAgentArgs(config, shared, resourceGroupName));
    // Agent classes only add resources: nothing shared and nothing of another agent takes a class's input.
    const classes = config.agentClasses.map((c) => new Agent(c.name, agentClassArgs(config, c, shared, resourceGroupName)));
    return stackOutputs(config, shared, primary, classes);
}

/** The stack outputs: the primary agent's at the top level (as since the first release), each class's under `agentClasses`. */
function stackOutputs(config: StackConfig, shared: SharedInfrastructure, primary: Agent, classes: readonly Agent[]): StackOutputs {
    const kindIssuer = shared.kindIssuer;
    const { gcp, aws, app } = primary;
    return {
        tenantId: pulumi.output(config.tenantId),
        uamiOid: primary.uami.oid,
        uamiClientId: primary.uami.clientId,
        uamiResourceId: primary.uami.resourceId,
        uamiName: primary.uami.resourceName,
        blueprintAppId: pulumi.output(config.blueprint.appId),
        blueprintObjectId: pulumi.output(config.blueprint.objectId),
        blueprintKind: pulumi.output(config.blueprint.kind),
        blueprintFicName: primary.uamiFederation.ficName,
        trustContracts: pulumi.all([primary.contracts, ...classes.map((c) => c.contracts)]).apply((perAgent) => perAgent.flat() as TrustContract[]),
        agentClasses: pulumi
            .all(classes.map((c) => c.outputs))
            .apply((outputs) => Object.fromEntries(config.agentClasses.map((c, i) => [c.name, outputs[i]!]))),
        kindIssuerUrl: kindIssuer ? kindIssuer.issuerUrl : pulumi.output(null),
        kindClusterConfig: kindIssuer ? kindIssuer.clusterConfig : pulumi.output(null),
        kindServiceAccountSigningKey: kindIssuer ? kindIssuer.signingKeyPem : pulumi.output(null),
        kindServiceAccountPublicKey: kindIssuer ? kindIssuer.publicKeyPem : pulumi.output(null),
        gcpWorkloadIdentityProvider: gcp ? gcp.providerName : pulumi.output(null),
        gcpServiceAccountEmail: gcp ? gcp.serviceAccountEmail : pulumi.output(null),
        gcpCredentialConfig: gcp ? gcp.credentialConfig : pulumi.output(null),
        awsRoleArn: aws ? aws.roleArn : pulumi.output(null),
        awsOidcProviderArn: shared.aws ? shared.aws.oidcProviderArn : pulumi.output(null),
        awsTokenRefresher: aws
            ? pulumi.all([aws.tokenTarget, aws.roleArn]).apply(([target, roleArn]) => ({
                  mode: config.aws!.audienceMode,
                  resource: target.resource,
                  scope: target.exchange?.scope ?? null,
                  intermediaryClientId: target.exchange?.clientId ?? null,
                  roleArn,
                  region: config.aws!.region,
                  tokenFile: target.file,
              }))
            : pulumi.output(null),
        cloudPrincipal: pulumi.output(config.cloudPrincipal),
        agentIdentityObjectId: pulumi.output(config.agentIdentity?.objectId ?? null),
        containerAppName: app ? app.appName : pulumi.output(null),
        containerAppFqdn: app ? app.fqdn : pulumi.output(null),
    };
}
