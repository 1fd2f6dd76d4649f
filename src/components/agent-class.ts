import * as pulumi from "@pulumi/pulumi";
import { agentIdentityWorkloadSubject, BlueprintTarget, CloudFederationAudience, CloudPrincipal, TrustContract, WorkloadSubject } from "../contracts";
import { AWS_WEB_IDENTITY_TOKEN_FILE, GCP_SUBJECT_TOKEN_FILE } from "../runtime/container-env";
import { AgentContainerApp, ContainerAppSettings, federationAppArgs } from "./agent-container-app";
import { AwsFederation } from "./aws-federation";
import { AwsSharedFederation } from "./aws-shared-federation";
import { BlueprintFederation } from "./blueprint-federation";
import { GcpFederation } from "./gcp-federation";
import { GcpSharedFederation } from "./gcp-shared-federation";
import { ManagedIdentity } from "./managed-identity";

/** Option 2: the Agent Identity an agent's cloud contracts trust instead of its UAMI. */
export interface AgentIdentitySettings {
    /** Object id of the Agent Identity (its service principal): what the GCP provider and the AWS app role pin. */
    readonly objectId: string;
    /** Its client (app) id: the `AgentIdentity` parameter the token refresher passes to the sidecar. */
    readonly clientId: string;
    /** The `sub` of its app-only tokens, which the AWS role pins (AWS has no `oid` condition key). */
    readonly tokenSubject: string;
    /** The dedicated cloud-federation audience the sidecar mints its tokens for. */
    readonly cloudFederationAudience: CloudFederationAudience;
}

/** One agent class: its identity, its Blueprint, and what it federates to. */
export interface AgentClassSettings {
    /** The class name (a DNS label); every resource name of the class derives from it. */
    readonly name: string;
    /** The class's UAMI: its Azure resource name. */
    readonly uami: { readonly name: string };
    /** The Blueprint (or classic app) the class's FIC is added to. */
    readonly blueprint: BlueprintTarget;
    /** Immutable name of the FIC that trusts the class's UAMI. */
    readonly ficName: string;
    /** `uami` (Option 1) or `agentIdentity` (Option 2): the identity the class's cloud contracts trust. */
    readonly cloudPrincipal: CloudPrincipal;
    /** The Agent Identity under Option 2; undefined under Option 1. */
    readonly agentIdentity: AgentIdentitySettings | undefined;
    /** The class's GCP provider and service account (in the stack's pool); undefined: none. */
    readonly gcp: { readonly providerId: string; readonly serviceAccountId: string; readonly modelRoles: readonly string[] } | undefined;
    /** The class's AWS role (behind the stack's OIDC provider); undefined: none. */
    readonly aws: { readonly roleName: string; readonly modelArns: readonly string[] } | undefined;
    /** The class's container app; undefined: none. */
    readonly containerApp: ContainerAppSettings | undefined;
}

export interface AgentClassArgs {
    /** What the class is and what it federates to. */
    settings: AgentClassSettings;
    /** Entra tenant of the class's UAMI, Blueprint and Agent Identity. */
    tenantId: string;
    /** Resource group of the class's UAMI and container app (the stack's). */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region of the class's UAMI and container app. */
    location: string;
    /** Tags of the class's Azure resources (the class adds `agent-class: <name>`). */
    tags: Record<string, string>;
    /** Graph root used for Agent ID Blueprints. */
    graphEndpoint: string;
    /** Protect identity resources (UAMI, FIC, provider, role) from deletion and replacement. */
    protect: boolean;
    /** The stack's shared GCP pool; needed when the class has `gcp`. */
    gcp?: GcpSharedFederation;
    /** The stack's shared AWS provider, OIDC provider and intermediary app; needed when the class has `aws`. */
    aws?: AwsSharedFederation;
    /** The Container Apps environment the class's app runs in; needed when the class has `containerApp`. */
    environmentId?: pulumi.Input<string>;
}

/** What other stacks read about one agent class (the `agentClasses` stack output, keyed by class name). */
export interface AgentClassOutputs {
    uamiOid: string;
    uamiClientId: string;
    uamiResourceId: string;
    blueprintAppId: string;
    blueprintFicName: string;
    /** `uami` (Option 1) or `agentIdentity` (Option 2): the identity the class's cloud contracts trust. */
    cloudPrincipal: "uami" | "agentIdentity";
    /** The Agent Identity's object id under Option 2, else null. */
    agentIdentityObjectId: string | null;
    gcpWorkloadIdentityProvider: string | null;
    gcpServiceAccountEmail: string | null;
    gcpCredentialConfig: string | null;
    awsRoleArn: string | null;
    containerAppName: string | null;
    containerAppFqdn: string | null;
}

/**
 * One agent class (seed 001: "one UAMI per agent class"): its own UAMI, the FIC on its Blueprint that trusts it,
 * and its own cloud principals (a GCP provider and service account in the shared pool, an AWS role behind the
 * shared OIDC provider), optionally its own container app in the shared environment. It only adds resources:
 * every name derives from the class name, and nothing shared takes an input from the class.
 *
 * Under Option 2 the cloud contracts pin the class's Agent Identity (`oid`) and its dedicated cloud-federation
 * audience instead of the UAMI, and the sidecar gets one extra entry per cloud to mint that JWT.
 */
export class AgentClass extends pulumi.ComponentResource {
    public readonly uami: ManagedIdentity;
    /** The subject the class's cloud contracts trust: the UAMI's (Option 1) or the Agent Identity's (Option 2). */
    public readonly cloudSubject: pulumi.Output<WorkloadSubject>;
    /** Every trust contract of the class, as plain JSON. */
    public readonly contracts: pulumi.Output<TrustContract[]>;
    public readonly outputs: pulumi.Output<AgentClassOutputs>;

    constructor(name: string, args: AgentClassArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:agent:AgentClass", name, {}, opts);
        const c = args.settings;
        const base = `class-${c.name}`;
        const protect = args.protect;

        this.uami = new ManagedIdentity(
            base,
            {
                resourceName: c.uami.name,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tenantId: args.tenantId,
                tags: { ...args.tags, "agent-class": c.name },
                protect,
            },
            { parent: this },
        );
        const fic = new BlueprintFederation(
            `${base}-uami`,
            {
                blueprint: c.blueprint,
                graphEndpoint: args.graphEndpoint,
                ficName: c.ficName,
                subject: this.uami.workloadSubject,
                description: `Trusts UAMI ${c.uami.name} (runtime identity of agent class ${c.name}). Managed by Pulumi.`,
                protect,
            },
            { parent: this },
        );

        // Option 2 pins the Agent Identity, a value from config; Option 1 pins the UAMI's oid, an output of its create.
        const agentIdentity = c.agentIdentity && {
            ...c.agentIdentity,
            subject: agentIdentityWorkloadSubject(args.tenantId, c.agentIdentity.objectId, c.agentIdentity.cloudFederationAudience),
        };
        this.cloudSubject = agentIdentity ? pulumi.output(agentIdentity.subject) : this.uami.workloadSubject;

        let gcp: GcpFederation | undefined;
        if (c.gcp) {
            if (!args.gcp) throw new Error(`agent class ${c.name} has gcp settings but the stack has no GCP federation to share`);
            gcp = new GcpFederation(
                `${base}-gcp`,
                {
                    subject: this.cloudSubject,
                    settings: c.gcp,
                    shared: args.gcp,
                    subjectTokenFile: GCP_SUBJECT_TOKEN_FILE,
                    serviceAccountDisplayName: `agentfed ${c.name} agent (federated)`,
                    protect,
                },
                { parent: this },
            );
        }

        let aws: AwsFederation | undefined;
        if (c.aws) {
            if (!args.aws) throw new Error(`agent class ${c.name} has aws settings but the stack has no AWS federation to share`);
            aws = new AwsFederation(
                `${base}-aws`,
                {
                    uamiSubject: this.uami.workloadSubject,
                    tenantId: args.tenantId,
                    tokenFile: AWS_WEB_IDENTITY_TOKEN_FILE,
                    shared: args.aws,
                    role: { name: c.aws.roleName, modelArns: c.aws.modelArns },
                    ...(agentIdentity ? { agentIdentity } : {}),
                    protect,
                },
                { parent: this },
            );
        }

        let app: AgentContainerApp | undefined;
        const appSettings = c.containerApp;
        if (appSettings) {
            const environmentId = args.environmentId;
            if (environmentId === undefined) throw new Error(`agent class ${c.name} has a container app but no Container Apps environment`);
            app = new AgentContainerApp(
                base,
                {
                    resourceGroupName: args.resourceGroupName,
                    location: args.location,
                    tags: { ...args.tags, "agent-class": c.name },
                    tenantId: args.tenantId,
                    uami: { resourceId: this.uami.resourceId, clientId: this.uami.clientId },
                    blueprintAppId: c.blueprint.appId,
                    settings: appSettings,
                    environmentId,
                    ...federationAppArgs(appSettings.name, {
                        ...(gcp && args.gcp ? { gcp: { projectId: args.gcp.settings.projectId, federation: gcp } } : {}),
                        ...(aws && args.aws
                            ? { aws: { region: args.aws.settings.region, identifierUri: args.aws.settings.identifierUri, federation: aws } }
                            : {}),
                        agentIdentity,
                    }),
                },
                { parent: this },
            );
        }

        this.contracts = pulumi.all<TrustContract>([fic.contract, ...(gcp ? [gcp.contract] : []), ...(aws ? [aws.contract] : [])]);
        const nullable = <T>(o: pulumi.Output<T> | undefined): pulumi.Output<T | null> => o ?? pulumi.output(null);
        this.outputs = pulumi.output({
            uamiOid: this.uami.oid,
            uamiClientId: this.uami.clientId,
            uamiResourceId: this.uami.resourceId,
            blueprintAppId: c.blueprint.appId,
            blueprintFicName: fic.ficName,
            cloudPrincipal: c.cloudPrincipal,
            agentIdentityObjectId: agentIdentity?.objectId ?? null,
            gcpWorkloadIdentityProvider: nullable(gcp?.providerName),
            gcpServiceAccountEmail: nullable(gcp?.serviceAccountEmail),
            gcpCredentialConfig: nullable(gcp?.credentialConfig),
            awsRoleArn: nullable(aws?.roleArn),
            containerAppName: nullable(app?.appName),
            containerAppFqdn: nullable(app?.fqdn),
        });
        this.registerOutputs({ outputs: this.outputs, contracts: this.contracts });
    }
}
