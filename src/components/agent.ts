import * as pulumi from "@pulumi/pulumi";
import {
    agentIdentityWorkloadSubject,
    CloudFederationAudience,
    CloudPrincipal,
    externalWorkloadSubject,
    kubernetesServiceAccountSubject,
    TOKEN_EXCHANGE_AUDIENCE,
    TrustContract,
    WorkloadSubject,
} from "../contracts";
import type { DownstreamApi, EnvVar, TokenTarget } from "../runtime/container-env";
import { AgentContainerApp, ConfigFile, ContainerAppSettings } from "./agent-container-app";
import { BlueprintFederation, BlueprintTargetArgs } from "./blueprint-federation";
import { KindWorkload } from "./kind-workload";
import { ManagedIdentity } from "./managed-identity";
import { AgentIdentity } from "../providers/agent-identity-resource";

/** What an agent tells a cloud federation when it federates (src/clouds/*). */
export interface AgentCloudContext {
    /** The agent's UAMI workload subject. */
    readonly uamiSubject: pulumi.Output<WorkloadSubject>;
    /** The subject the agent's cloud contracts trust: the UAMI's (Option 1) or the Agent Identity's (Option 2). */
    readonly cloudSubject: pulumi.Output<WorkloadSubject>;
    /** Option 2: the Agent Identity the clouds trust; undefined under Option 1. */
    readonly agentIdentity: pulumi.Output<CloudAgentIdentityArgs> | undefined;
    /** Entra tenant id. */
    readonly tenantId: string;
    /** Protect the identity resources. */
    readonly protect: boolean;
    /** The agent's container app name (a session name, for instance), when it has one. */
    readonly appName: string | undefined;
}

/** What an agent's container app needs for one cloud: its environment, files, token targets and sidecar entries. */
export interface AgentAppWiring {
    /** Environment of the agent container (GOOGLE_APPLICATION_CREDENTIALS, AWS_ROLE_ARN...). */
    readonly agentEnv: pulumi.Output<EnvVar[]>;
    /** Files mounted under /etc/agentfed (the GCP credential configuration). */
    readonly configFiles: readonly ConfigFile[];
    /** Token files the refresher keeps fresh for the cloud's SDK. */
    readonly tokenTargets: readonly pulumi.Input<TokenTarget>[];
    /** Option 2: the sidecar entries minting the Agent Identity's token for the cloud's audience; empty under Option 1. */
    readonly sidecarApis: pulumi.Output<DownstreamApi[]>;
}

/** What one agent's principal in one cloud gives the agent. */
export interface AgentCloudFederation {
    /** The component holding the agent's resources in that cloud. */
    readonly resource: pulumi.ComponentResource;
    /** The deployed contract, as plain JSON. */
    readonly contract: pulumi.Output<TrustContract>;
    /** The outputs the cloud adds to the agent's (`gcpWorkloadIdentityProvider`, `awsRoleArn`). */
    readonly outputs: Readonly<Record<string, pulumi.Output<unknown>>>;
    /** What the agent's container app needs for the cloud. */
    readonly app: AgentAppWiring;
}

/** One agent's principal in one cloud federation, bound to that cloud's settings and the stack's shared parts. */
export interface AgentCloud {
    /** The cloud federation's id (`gcp`); the component is named `<cloudPrefix><id>`. */
    readonly id: string;
    /** Creates the agent's resources in the cloud, as children `opts` names. */
    federate(name: string, ctx: AgentCloudContext, opts: pulumi.ComponentResourceOptions): AgentCloudFederation;
}

/** The names of an agent's resources; every agent's differ, so agents never share a URN. */
export interface AgentResourceNames {
    /** The UAMI (and its `ManagedIdentity` component). */
    readonly identity: string;
    /** The FIC trusting the UAMI (`BlueprintFederation`). */
    readonly uamiFic: string;
    /** Prefix of a declared FIC's name: `<prefix><fic name>`. */
    readonly declaredFicPrefix: string;
    /** Prefix of each cloud federation's name: `<prefix><cloud>` (`gcp`, `class-finance-gcp`). */
    readonly cloudPrefix: string;
    /** The container app (`AgentContainerApp`). */
    readonly app: string;
    /** The FIC trusting the Kind service account. */
    readonly kindFic: string;
    /** The Kind workload (`KindWorkload`). */
    readonly kindWorkload: string;
    /** The Agent Identity the agent creates under its Blueprint (create mode). */
    readonly agentIdentity: string;
}

/**
 * The Agent Identity an agent calls its downstream APIs as (the sidecar mints its tokens through the Blueprint), and,
 * under Option 2, the identity its cloud contracts trust instead of its UAMI (Rais, "Entra Agent ID Across Clouds", Part 3).
 */
export interface AgentIdentityArgs {
    /** Object id of the Agent Identity (its service principal): the `oid` of its tokens; under Option 2 what the GCP provider and the AWS app role pin. */
    readonly objectId: string;
    /** Its client (app) id: the `AgentIdentity` parameter of every token request the agent and the refresher make. */
    readonly clientId: string;
    /** Option 2: the `sub` of its app-only tokens, which the AWS role pins (AWS has no `oid` condition key). */
    readonly tokenSubject?: string | undefined;
    /** Option 2: the dedicated cloud-federation audience the sidecar mints its tokens for; never a downstream API's. */
    readonly cloudFederationAudience?: CloudFederationAudience | undefined;
}

/** The Agent Identity under Option 2, with what the clouds need of it. */
export interface CloudAgentIdentityArgs extends AgentIdentityArgs {
    readonly tokenSubject: string;
    readonly cloudFederationAudience: CloudFederationAudience;
}

/**
 * An Agent Identity the agent creates under its Blueprint (create mode): its object id and client id come from the
 * created object, and the sidecar settings and (under Option 2) the cloud contracts take them as Outputs.
 */
export interface AgentIdentityCreationArgs {
    /** Graph root. */
    readonly graphEndpoint: string;
    /** The Agent Identity's display name; updated in place. */
    readonly displayName: string;
    /** Object ids of the accountable users; with `sponsorGroupIds`, at least one (Entra requires a sponsor). */
    readonly sponsorUserIds: readonly string[];
    readonly sponsorGroupIds: readonly string[];
    /** Option 2: the `sub` of its app-only tokens when the config names it (AWS pins it); undefined: its object id. */
    readonly tokenSubject: string | undefined;
    /** Option 2: the dedicated cloud-federation audience; its appId may be the created Blueprint's Output. */
    readonly cloudFederationAudience: pulumi.Input<CloudFederationAudience> | undefined;
    /** Created after these: the Blueprint principal, when the stack creates the Blueprint too. Default: none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The Option 2 view of an Agent Identity; config guarantees both settings under Option 2, so a gap is a program error. */
function option2Identity(ai: AgentIdentityArgs): CloudAgentIdentityArgs {
    if (ai.cloudFederationAudience === undefined) throw new Error(`Option 2 needs the cloud-federation audience of Agent Identity ${ai.clientId}`);
    return { ...ai, tokenSubject: ai.tokenSubject ?? ai.objectId, cloudFederationAudience: ai.cloudFederationAudience };
}

/** A FIC declared literally (a CI workflow's subject, say), on the agent's Blueprint beside the UAMI's. */
export interface DeclaredFederatedCredentialArgs {
    /** Immutable FIC name, unique on the Blueprint. */
    readonly name: string;
    /** The token's exact `iss`. */
    readonly issuer: string;
    /** The token's exact `sub`. */
    readonly subject: string;
    /** Description stored on the FIC. Default: none. */
    readonly description?: string | undefined;
}

/** The agent on the Kind lower environment: a FIC trusting its service account's tokens, and optionally the workload. */
export interface AgentKindArgs {
    /** The stack's Kind issuer URL (an output of its storage account). */
    readonly issuerUrl: pulumi.Output<string>;
    /** Kind cluster name, for the FIC's description. */
    readonly clusterName: string;
    /** Namespace of the agent's service account. */
    readonly namespace: string;
    /** The service account the FIC trusts. */
    readonly serviceAccountName: string;
    /** Immutable name of the FIC. */
    readonly ficName: string;
    /** The workload, once the cluster exists (its kubeconfig context is known); undefined: the FIC only. */
    readonly workload?: {
        readonly kubeconfigContext: string;
        readonly kubeconfig?: string | undefined;
        readonly agentImage: string;
        readonly sidecarImage: string;
        readonly downstreamApis: readonly DownstreamApi[];
    };
}

export interface AgentArgs {
    /** The names of the agent's resources. */
    names: AgentResourceNames;
    /** Entra tenant of the agent's UAMI, Blueprint and Agent Identity. */
    tenantId: string;
    /** Resource group of the agent's UAMI and container app. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region of the agent's UAMI and container app. */
    location: string;
    /** Tags of the agent's UAMI and container app. */
    tags: Record<string, string>;
    /** Protect the agent's identity resources (UAMI, FICs, provider, role) from deletion and replacement. */
    protect: boolean;
    /** The UAMI's Azure resource name (a label: its object id is what every contract pins). */
    uamiName: string;
    /** The Blueprint the agent's FICs are added to, and the FIC that trusts its UAMI. */
    blueprint: BlueprintTargetArgs & {
        /** Graph root used for Agent ID Blueprints. */
        readonly graphEndpoint: string;
        /** Immutable name of the FIC trusting the UAMI. */
        readonly ficName: string;
        /** Description stored on that FIC. */
        readonly ficDescription: string;
    };
    /** Further FICs on the Blueprint, declared literally. Default: none. */
    declaredFederatedCredentials?: readonly DeclaredFederatedCredentialArgs[];
    /**
     * The Agent Identity the agent (its container app and its Kind workload) calls its downstream APIs as; it may be an
     * output of the same stack. Default: none, for an agent on a classic app registration, which calls as the app.
     */
    agentIdentity?: pulumi.Input<AgentIdentityArgs>;
    /** An Agent Identity created here, under the agent's Blueprint (instead of `agentIdentity`). Default: none. */
    agentIdentityCreation?: AgentIdentityCreationArgs;
    /** `agentIdentity` (Option 2): the clouds trust the Agent Identity, which must then carry its audience. Default: `uami` (Option 1). */
    cloudPrincipal?: CloudPrincipal;
    /** The agent's principals in the cloud federations it uses (src/clouds), in the order their contracts are listed. Default: none. */
    clouds?: readonly AgentCloud[];
    /** The agent's container app and the environment it runs in. Default: none. */
    containerApp?: { settings: ContainerAppSettings; environmentId: pulumi.Input<string> };
    /** The agent on the Kind lower environment. Default: none. */
    kind?: AgentKindArgs;
    /**
     * Aliases each of the agent's direct children carries: where they were before the agent had this component (the
     * primary agent's were children of the stack itself). Default: none.
     */
    childAliases?: pulumi.Input<pulumi.Alias>[];
}

/**
 * One agent, the primary one or a class (Rais, "Entra Agent ID Across Clouds", Part 3: one UAMI per agent class): its UAMI, the FICs on its Blueprint
 * (the UAMI's, declared ones, the Kind service account's), its cloud principals in the stack's shared pool and behind
 * its shared OIDC provider, its container app in a shared or its own environment, and its Kind workload. Every agent
 * is built by this code; its resources take their names from `names`, and nothing shared takes an input from it.
 *
 * Under Option 2 the cloud contracts pin the agent's Agent Identity (`oid`) and its dedicated cloud-federation
 * audience instead of the UAMI, and the sidecar gets one extra entry per cloud to mint that JWT.
 */
export class Agent extends pulumi.ComponentResource {
    public readonly uami: ManagedIdentity;
    /** The FIC trusting the UAMI. */
    public readonly uamiFederation: BlueprintFederation;
    /** The subject the agent's cloud contracts trust: the UAMI's (Option 1) or the Agent Identity's (Option 2). */
    public readonly cloudSubject: pulumi.Output<WorkloadSubject>;
    /** The agent's principal in each cloud it federates to, by cloud id. */
    public readonly clouds: ReadonlyMap<string, AgentCloudFederation>;
    public readonly app: AgentContainerApp | undefined;
    /** Every trust contract of the agent, as plain JSON: the UAMI's FIC, declared FICs, the Kind FIC, then each cloud's. */
    public readonly contracts: pulumi.Output<TrustContract[]>;
    /** What other stacks read about the agent: its identities and app, and the outputs of the clouds it federates to. */
    public readonly outputs: pulumi.Output<Record<string, unknown>>;

    constructor(name: string, args: AgentArgs, opts?: pulumi.ComponentResourceOptions) {
        // Agent classes were `agentfed:agent:AgentClass` components: the type alias takes them over, children included.
        super("agentfed:agent:Agent", name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { type: "agentfed:agent:AgentClass" }] });
        const child = { parent: this, aliases: args.childAliases ?? [] };
        const n = args.names;

        this.uami = new ManagedIdentity(
            n.identity,
            {
                resourceName: args.uamiName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tenantId: args.tenantId,
                tags: args.tags,
                protect: args.protect,
            },
            child,
        );
        this.uamiFederation = this.federate(n.uamiFic, args.blueprint.ficName, this.uami.workloadSubject, args.blueprint.ficDescription, args, child);
        const declared = (args.declaredFederatedCredentials ?? []).map((fic) =>
            this.federate(
                `${n.declaredFicPrefix}${fic.name}`,
                fic.name,
                externalWorkloadSubject(fic.issuer, fic.subject, [TOKEN_EXCHANGE_AUDIENCE]),
                fic.description,
                args,
                child,
            ),
        );
        // The Agent Identity the agent calls its APIs as: created here (create mode) or named by its ids.
        const callerIdentity = args.agentIdentityCreation
            ? this.createAgentIdentity(n.agentIdentity, args.agentIdentityCreation, args, child)
            : args.agentIdentity === undefined
              ? undefined
              : pulumi.output(args.agentIdentity);
        const kindFic = args.kind && this.onKind(args.kind, callerIdentity, args, child);

        // Option 1 (default): the clouds trust the UAMI, the same Output the FIC pins. Option 2: they trust the Agent
        // Identity, minted by the sidecar for a dedicated cloud-federation audience (Rais, "Entra Agent ID Across Clouds", Part 3).
        const agentIdentity = args.cloudPrincipal === "agentIdentity" && callerIdentity ? callerIdentity.apply(option2Identity) : undefined;
        if (args.cloudPrincipal === "agentIdentity" && !callerIdentity) throw new Error(`agent ${name}: Option 2 needs an Agent Identity`);
        this.cloudSubject = agentIdentity
            ? agentIdentity.apply((ai) => agentIdentityWorkloadSubject(args.tenantId, ai.objectId, ai.cloudFederationAudience))
            : this.uami.workloadSubject;
        const ctx: AgentCloudContext = {
            uamiSubject: this.uami.workloadSubject,
            cloudSubject: this.cloudSubject,
            agentIdentity,
            tenantId: args.tenantId,
            protect: args.protect,
            appName: args.containerApp?.settings.name,
        };
        this.clouds = new Map((args.clouds ?? []).map((cloud) => [cloud.id, cloud.federate(`${n.cloudPrefix}${cloud.id}`, ctx, child)]));
        const federations = [...this.clouds.values()];
        this.app = args.containerApp && this.runOnContainerApps(n.app, args.containerApp, federations, callerIdentity, args, child);

        this.contracts = pulumi.all<TrustContract>([
            this.uamiFederation.contract,
            ...declared.map((f) => f.contract),
            ...(kindFic ? [kindFic.contract] : []),
            ...federations.map((f) => f.contract),
        ]);
        this.outputs = this.outputsOf(args, callerIdentity, federations);
        this.registerOutputs({ outputs: this.outputs, contracts: this.contracts });
    }

    /** The agent's identities, the outputs of the clouds it federates to, and its app's. */
    private outputsOf(
        args: AgentArgs,
        callerIdentity: pulumi.Output<AgentIdentityArgs> | undefined,
        federations: readonly AgentCloudFederation[],
    ): pulumi.Output<Record<string, unknown>> {
        const nullable = <T>(o: pulumi.Output<T> | undefined): pulumi.Output<T | null> => o ?? pulumi.output(null);
        return pulumi.output({
            uamiOid: this.uami.oid,
            uamiClientId: this.uami.clientId,
            uamiResourceId: this.uami.resourceId,
            blueprintAppId: args.blueprint.appId,
            blueprintFicName: this.uamiFederation.ficName,
            cloudPrincipal: args.cloudPrincipal ?? "uami",
            // The Agent Identity the agent calls its APIs as (and the clouds trust under Option 2), whichever option.
            agentIdentityObjectId: callerIdentity ? callerIdentity.objectId : null,
            agentIdentityClientId: callerIdentity ? callerIdentity.clientId : null,
            ...Object.assign({}, ...federations.map((f) => f.outputs)),
            containerAppName: nullable(this.app?.appName),
            containerAppFqdn: nullable(this.app?.fqdn),
        }) as pulumi.Output<Record<string, unknown>>;
    }

    /**
     * The agent's Agent Identity, created under its Blueprint (create mode), protected like the UAMI: the sidecar is
     * asked for its tokens and, under Option 2, the cloud contracts pin its object id. Its client id equals its object
     * id (the resource asserts it).
     */
    private createAgentIdentity(
        name: string,
        creation: AgentIdentityCreationArgs,
        args: AgentArgs,
        opts: pulumi.ComponentResourceOptions,
    ): pulumi.Output<AgentIdentityArgs> {
        const created = new AgentIdentity(
            name,
            {
                graphEndpoint: creation.graphEndpoint,
                blueprintAppId: args.blueprint.appId,
                displayName: creation.displayName,
                sponsorUserIds: [...creation.sponsorUserIds],
                sponsorGroupIds: [...creation.sponsorGroupIds],
            },
            // A new resource: none of the aliases of the agent's older children.
            { parent: opts.parent ?? this, protect: args.protect, ...(creation.dependsOn ? { dependsOn: creation.dependsOn } : {}) },
        );
        return pulumi.all([created.objectId, created.clientId, creation.cloudFederationAudience]).apply(([objectId, clientId, cloudFederationAudience]) => ({
            objectId,
            clientId,
            ...(creation.tokenSubject === undefined ? {} : { tokenSubject: creation.tokenSubject }),
            ...(cloudFederationAudience === undefined ? {} : { cloudFederationAudience }),
        }));
    }

    /** A FIC on the agent's Blueprint trusting `subject`. */
    private federate(
        name: string,
        ficName: string,
        subject: pulumi.Input<WorkloadSubject>,
        description: string | undefined,
        args: AgentArgs,
        opts: pulumi.ComponentResourceOptions,
    ): BlueprintFederation {
        const { kind, appId, objectId, graphEndpoint } = args.blueprint;
        return new BlueprintFederation(
            name,
            { blueprint: { kind, appId, objectId }, graphEndpoint, ficName, subject, ...(description ? { description } : {}), protect: args.protect },
            opts,
        );
    }

    /**
     * Kind: the FIC's subject is computed from the issuer's URL (an output of the storage account), so the FIC, the
     * discovery document and the API server flag share one string; the workload only once the cluster exists.
     */
    private onKind(
        kind: AgentKindArgs,
        callerIdentity: pulumi.Output<AgentIdentityArgs> | undefined,
        args: AgentArgs,
        opts: pulumi.ComponentResourceOptions,
    ): BlueprintFederation {
        const subject = kind.issuerUrl.apply((issuer) =>
            kubernetesServiceAccountSubject(issuer, kind.namespace, kind.serviceAccountName, [TOKEN_EXCHANGE_AUDIENCE]),
        );
        const description = `Trusts service account ${kind.namespace}/${kind.serviceAccountName} of Kind cluster ${kind.clusterName}. Managed by Pulumi.`;
        const fic = this.federate(args.names.kindFic, kind.ficName, subject, description, args, opts);
        const w = kind.workload;
        if (w) {
            new KindWorkload(
                args.names.kindWorkload,
                {
                    kubeconfigContext: w.kubeconfigContext,
                    ...(w.kubeconfig ? { kubeconfig: w.kubeconfig } : {}),
                    namespace: kind.namespace,
                    serviceAccountName: kind.serviceAccountName,
                    tenantId: args.tenantId,
                    blueprintAppId: args.blueprint.appId,
                    agentImage: w.agentImage,
                    sidecarImage: w.sidecarImage,
                    downstreamApis: w.downstreamApis,
                    ...(callerIdentity ? { agentIdentityClientId: callerIdentity.clientId } : {}),
                },
                { ...opts, dependsOn: [fic] },
            );
        }
        return fic;
    }

    /** The agent on Azure Container Apps, running as its UAMI, wired to its cloud federations (in their order). */
    private runOnContainerApps(
        name: string,
        app: NonNullable<AgentArgs["containerApp"]>,
        federations: readonly AgentCloudFederation[],
        callerIdentity: pulumi.Output<AgentIdentityArgs> | undefined,
        args: AgentArgs,
        opts: pulumi.ComponentResourceOptions,
    ): AgentContainerApp {
        const wiring = federations.map((f) => f.app);
        return new AgentContainerApp(
            name,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tags: args.tags,
                tenantId: args.tenantId,
                uami: { resourceId: this.uami.resourceId, clientId: this.uami.clientId },
                blueprintAppId: args.blueprint.appId,
                settings: app.settings,
                environmentId: app.environmentId,
                agentEnv: pulumi.all(wiring.map((w) => w.agentEnv)).apply((envs) => envs.flat()),
                configFiles: wiring.flatMap((w) => w.configFiles),
                tokenTargets: wiring.flatMap((w) => w.tokenTargets),
                cloudFederationApis: pulumi.all(wiring.map((w) => w.sidecarApis)).apply((apis) => apis.flat()),
                ...(callerIdentity ? { agentIdentityClientId: callerIdentity.clientId } : {}),
            },
            opts,
        );
    }
}
