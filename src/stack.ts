import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import { StackConfig } from "./config";
import {
    agentIdentityWorkloadSubject,
    BlueprintTarget,
    externalWorkloadSubject,
    kubernetesServiceAccountSubject,
    TOKEN_EXCHANGE_AUDIENCE,
    TrustContract,
} from "./contracts";
import { AgentClass } from "./components/agent-class";
import { AgentContainerApp, federationAppArgs } from "./components/agent-container-app";
import { AwsFederation } from "./components/aws-federation";
import { GcpFederation } from "./components/gcp-federation";
import { AWS_WEB_IDENTITY_TOKEN_FILE, GCP_SUBJECT_TOKEN_FILE } from "./runtime/container-env";
import { BlueprintFederation } from "./components/blueprint-federation";
import { KindWorkload } from "./components/kind-workload";
import { ManagedIdentity } from "./components/managed-identity";
import { ContainerAppsEnvironmentChoice, SharedInfrastructure } from "./components/shared-infrastructure";
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
        ? new resources.ResourceGroup("agent-identity", { resourceGroupName: config.resourceGroup.name, location: config.location, tags }, { protect }).name
        : pulumi.output(config.resourceGroup.name);

    // What the agents share, built once from the union of what any agent uses.
    const shared = new SharedInfrastructure("shared", {
        resourceGroupName,
        location: config.location,
        tags,
        tenantId: config.tenantId,
        protect,
        ...(config.gcp ? { gcp: config.gcp } : {}),
        ...(config.aws ? { aws: config.aws } : {}),
        ...containerAppsEnvironment(config),
        ...(config.kind
            ? {
                  kind: {
                      storageAccountName: config.kind.storageAccountName,
                      clusterName: config.kind.clusterName,
                      signingKeyHostPath: config.kind.signingKeyHostPath,
                      rsaBits: config.kind.rsaBits,
                      extraPublicKeys: config.kind.extraPublicKeys,
                  },
              }
            : {}),
    });

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

    // Option 1 (default): the clouds trust the UAMI, the same Output the FIC pins. Option 2: they trust the
    // configured Agent Identity, minted by the sidecar for a dedicated cloud-federation audience (seed 001).
    const agentIdentity = config.agentIdentity && {
        ...config.agentIdentity,
        subject: agentIdentityWorkloadSubject(config.tenantId, config.agentIdentity.objectId, config.agentIdentity.cloudFederationAudience),
    };
    const cloudSubject = agentIdentity ? pulumi.output(agentIdentity.subject) : uami.workloadSubject;

    // GCP: the provider's condition and member pin the cloud subject.
    const gcpFederation =
        config.gcp && shared.gcp
            ? new GcpFederation("gcp", { subject: cloudSubject, settings: config.gcp, shared: shared.gcp, subjectTokenFile: GCP_SUBJECT_TOKEN_FILE, protect })
            : undefined;

    // AWS: the provider, the OIDC provider and the intermediary app are shared by every agent's role; the primary
    // agent's role pins a subject derived from the same UAMI Output, with a workload-scoped audience by default.
    const awsFederation =
        config.aws && shared.aws
            ? new AwsFederation("aws", {
                  uamiSubject: uami.workloadSubject,
                  tenantId: config.tenantId,
                  shared: shared.aws,
                  role: { name: config.aws.roleName, modelArns: config.aws.modelArns },
                  tokenFile: AWS_WEB_IDENTITY_TOKEN_FILE,
                  ...(agentIdentity ? { agentIdentity } : {}),
                  protect,
              })
            : undefined;
    const containerApp = config.containerApp
        ? new AgentContainerApp("agent", {
              resourceGroupName,
              location: config.location,
              tags,
              tenantId: config.tenantId,
              uami: { resourceId: uami.resourceId, clientId: uami.clientId },
              blueprintAppId: blueprint.appId,
              settings: config.containerApp,
              environmentId: config.containerApp.environmentId ?? shared.environmentId!,
              ...federationAppArgs(config.containerApp.name, {
                  ...(config.gcp && gcpFederation ? { gcp: { projectId: config.gcp.projectId, federation: gcpFederation } } : {}),
                  ...(config.aws && awsFederation
                      ? { aws: { region: config.aws.region, identifierUri: config.aws.identifierUri, federation: awsFederation } }
                      : {}),
                  agentIdentity,
              }),
          })
        : undefined;

    // Agent classes only add resources: each reuses the shared parts above and none of them takes a class's input.
    const agentClasses = config.agentClasses.map(
        (settings) =>
            new AgentClass(settings.name, {
                settings,
                tenantId: config.tenantId,
                resourceGroupName,
                location: config.location,
                tags,
                graphEndpoint: config.blueprint.graphEndpoint,
                protect,
                ...(shared.gcp ? { gcp: shared.gcp } : {}),
                ...(shared.aws ? { aws: shared.aws } : {}),
                // The class's own environment when it names one, else the stack's.
                ...(settings.containerApp ? { environmentId: settings.containerApp.environmentId ?? shared.environmentId } : {}),
            }),
    );

    // Kind lower environment: the issuer's URL is an output of the storage account, and the FIC's subject is
    // computed from that output, so the FIC, the discovery document and the API server flag share one string.
    const kind = config.kind;
    const kindIssuer = shared.kindIssuer;
    let kindFederation: BlueprintFederation | undefined;
    if (kind && kindIssuer) {
        kindFederation = new BlueprintFederation("kind-sa", {
            blueprint,
            graphEndpoint: config.blueprint.graphEndpoint,
            ficName: kind.ficName,
            subject: kindIssuer.issuerUrl.apply((issuer) =>
                kubernetesServiceAccountSubject(issuer, kind.namespace, kind.serviceAccountName, [TOKEN_EXCHANGE_AUDIENCE]),
            ),
            description: `Trusts service account ${kind.namespace}/${kind.serviceAccountName} of Kind cluster ${kind.clusterName}. Managed by Pulumi.`,
            protect,
        });
        // Only once the cluster exists (its kubeconfig context is configured): the cluster needs this stack's key.
        if (kind.workload) {
            new KindWorkload(
                "agent",
                {
                    kubeconfigContext: kind.workload.kubeconfigContext,
                    ...(kind.workload.kubeconfig ? { kubeconfig: kind.workload.kubeconfig } : {}),
                    namespace: kind.namespace,
                    serviceAccountName: kind.serviceAccountName,
                    tenantId: config.tenantId,
                    blueprintAppId: blueprint.appId,
                    agentImage: kind.workload.agentImage,
                    sidecarImage: kind.workload.sidecarImage,
                    downstreamApis: kind.workload.downstreamApis,
                },
                { dependsOn: [kindFederation] },
            );
        }
    }

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
        trustContracts: pulumi
            .all<TrustContract>([
                uamiFederation.contract,
                ...declaredFederations.map((f) => f.contract),
                ...(kindFederation ? [kindFederation.contract] : []),
                ...(gcpFederation ? [gcpFederation.contract] : []),
                ...(awsFederation ? [awsFederation.contract] : []),
            ])
            .apply((primary) => pulumi.all(agentClasses.map((c) => c.contracts)).apply((perClass) => [...primary, ...perClass.flat()])),
        agentClasses: pulumi
            .all(agentClasses.map((c) => c.outputs))
            .apply((outputs) => Object.fromEntries(config.agentClasses.map((c, i) => [c.name, outputs[i]!]))),
        kindIssuerUrl: kindIssuer ? kindIssuer.issuerUrl : pulumi.output(null),
        kindClusterConfig: kindIssuer ? kindIssuer.clusterConfig : pulumi.output(null),
        kindServiceAccountSigningKey: kindIssuer ? kindIssuer.signingKeyPem : pulumi.output(null),
        kindServiceAccountPublicKey: kindIssuer ? kindIssuer.publicKeyPem : pulumi.output(null),
        gcpWorkloadIdentityProvider: gcpFederation ? gcpFederation.providerName : pulumi.output(null),
        gcpServiceAccountEmail: gcpFederation ? gcpFederation.serviceAccountEmail : pulumi.output(null),
        gcpCredentialConfig: gcpFederation ? gcpFederation.credentialConfig : pulumi.output(null),
        awsRoleArn: awsFederation ? awsFederation.roleArn : pulumi.output(null),
        awsOidcProviderArn: awsFederation ? awsFederation.oidcProviderArn : pulumi.output(null),
        awsTokenRefresher: awsFederation
            ? pulumi.all([awsFederation.tokenTarget, awsFederation.roleArn]).apply(([target, roleArn]) => ({
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
        agentIdentityObjectId: pulumi.output(agentIdentity?.objectId ?? null),
        containerAppName: containerApp ? containerApp.appName : pulumi.output(null),
        containerAppFqdn: containerApp ? containerApp.fqdn : pulumi.output(null),
    };
}

/**
 * The stack's Container Apps environment: the existing one `containerApp.environment.existingId` names, else one
 * created when any agent runs on Container Apps without naming its own (retention from the top-level section).
 */
function containerAppsEnvironment(config: StackConfig): { containerAppsEnvironment?: ContainerAppsEnvironmentChoice } {
    if (config.containerApp?.environmentId) return { containerAppsEnvironment: { existingId: config.containerApp.environmentId } };
    const apps = [config.containerApp, ...config.agentClasses.map((c) => c.containerApp)];
    if (!apps.some((a) => a !== undefined && a.environmentId === undefined)) return {};
    return { containerAppsEnvironment: { logRetentionDays: config.containerApp?.logRetentionDays ?? 30 } };
}
