import * as pulumi from "@pulumi/pulumi";
import { AwsSharedFederation, AwsSharedSettings } from "./aws-shared-federation";
import { ContainerAppsEnvironment } from "./container-apps-environment";
import { GcpSharedFederation, GcpSharedSettings } from "./gcp-shared-federation";
import { KindOidcIssuer, KindOidcIssuerArgs } from "./kind-oidc-issuer";

/** The stack's Container Apps environment: an existing one, or one created here with its workspace. */
export type ContainerAppsEnvironmentChoice = { readonly existingId: string } | { readonly logRetentionDays: number };

export interface SharedInfrastructureArgs {
    /** Resource group of the environment, its workspace and the Kind issuer's storage account. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region of the Azure resources. */
    location: string;
    /** Tags on the Azure resources. */
    tags: Record<string, string>;
    /** Entra tenant id: the issuer of the tokens the AWS OIDC provider trusts. */
    tenantId: string;
    /** Protect the identity resources (pool, OIDC provider, intermediary app, the Kind signing key and storage). */
    protect: boolean;
    /** The GCP project and pool, when any agent federates to GCP; undefined: no GCP resource. */
    gcp?: GcpSharedSettings;
    /** The AWS account, audience mode and intermediary app, when any agent federates to AWS; undefined: no AWS resource. */
    aws?: AwsSharedSettings;
    /** The Container Apps environment, when any agent runs on Container Apps; undefined: none. */
    containerAppsEnvironment?: ContainerAppsEnvironmentChoice;
    /** The Kind lower environment's service-account issuer; undefined: none. */
    kind?: Omit<KindOidcIssuerArgs, "resourceGroupName" | "location" | "tags" | "protect">;
}

/**
 * What the stack's agents share, built once per stack from the union of what any agent uses: the GCP pool and APIs,
 * the AWS provider, OIDC provider and intermediary app, the Container Apps environment and its workspace, and the
 * Kind issuer. Nothing here takes an agent's input, and nothing depends on which agent is the primary one: agents
 * are added and removed around it without a change to what exists.
 */
export class SharedInfrastructure extends pulumi.ComponentResource {
    public readonly gcp: GcpSharedFederation | undefined;
    public readonly aws: AwsSharedFederation | undefined;
    /** The environment agents' apps run in unless they name their own; undefined when no agent runs on Container Apps. */
    public readonly environmentId: pulumi.Output<string> | undefined;
    public readonly kindIssuer: KindOidcIssuer | undefined;

    constructor(name: string, args: SharedInfrastructureArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:stack:SharedInfrastructure", name, {}, opts);
        const child = { parent: this };
        const azure = { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags };
        this.gcp = args.gcp && new GcpSharedFederation("gcp", { settings: args.gcp, protect: args.protect }, child);
        this.aws = args.aws && new AwsSharedFederation("aws", { settings: args.aws, tenantId: args.tenantId, protect: args.protect }, child);
        const environment = args.containerAppsEnvironment;
        // Named "agent": the name the environment has had since the primary agent's app created it.
        this.environmentId =
            environment === undefined
                ? undefined
                : "existingId" in environment
                  ? pulumi.output(environment.existingId)
                  : new ContainerAppsEnvironment("agent", { ...azure, logRetentionDays: environment.logRetentionDays }, child).environmentId;
        // The Kind issuer used to be a child of the stack itself: its alias carries its children along.
        this.kindIssuer =
            args.kind &&
            new KindOidcIssuer("kind", { ...args.kind, ...azure, protect: args.protect }, { parent: this, aliases: [{ parent: pulumi.rootStackResource }] });
        this.registerOutputs({});
    }
}
