import * as pulumi from "@pulumi/pulumi";
import { ContainerAppsEnvironment } from "./container-apps-environment";
import { KindOidcIssuer, KindOidcIssuerArgs } from "./kind-oidc-issuer";

/** What a cloud federation's shared parts need from the stack. */
export interface SharedCloudContext {
    /** Entra tenant id: the issuer of the tokens the cloud trusts. */
    readonly tenantId: string;
    /** Protect the identity resources (a pool, an OIDC provider, an intermediary app). */
    readonly protect: boolean;
}

/** A cloud federation's shared parts for the stack (src/clouds/*), bound to the cloud's settings. */
export interface SharedCloud {
    /** The cloud federation's id (`gcp`): its shared component is named after it. */
    readonly id: string;
    /** Creates the shared resources, once, as children of `parent`. */
    createShared(parent: pulumi.ComponentResource, ctx: SharedCloudContext): void;
}

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
    /** Protect the identity resources (the clouds' pool, OIDC provider, intermediary app; the Kind signing key and storage). */
    protect: boolean;
    /** The shared parts of each cloud federation some agent uses (a GCP pool, an AWS OIDC provider). Default: none. */
    clouds?: readonly SharedCloud[];
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
    /** The environment agents' apps run in unless they name their own; undefined when no agent runs on Container Apps. */
    public readonly environmentId: pulumi.Output<string> | undefined;
    public readonly kindIssuer: KindOidcIssuer | undefined;

    constructor(name: string, args: SharedInfrastructureArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:stack:SharedInfrastructure", name, {}, opts);
        const child = { parent: this };
        const azure = { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags };
        for (const cloud of args.clouds ?? []) cloud.createShared(this, { tenantId: args.tenantId, protect: args.protect });
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
