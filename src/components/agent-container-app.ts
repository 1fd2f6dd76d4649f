import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as app from "@pulumi/azure-native/app";
import type { app as appInputs } from "@pulumi/azure-native/types/input";
import {
    agentBaseEnv,
    CONFIG_DIR,
    DownstreamApi,
    EnvVar,
    refresherEnv,
    sidecarEnv,
    SIDECAR_HEALTH_PATH,
    SIDECAR_PORT,
    TOKEN_DIR,
    TokenTarget,
} from "../runtime/container-env";

/** A file the agent reads, delivered as a container-app secret mounted under /etc/agentfed. */
export interface ConfigFile {
    /** Secret name (lowercase letters, digits, '-'). */
    name: string;
    /** File name under /etc/agentfed. */
    fileName: string;
    content: pulumi.Input<string>;
}

/** What runs in the app: images, sizes, ingress, the sidecar's downstream APIs, scaling. */
export interface ContainerAppSettings {
    /** Container app name (the Azure resource name). */
    readonly name: string;
    readonly agent: {
        /** Agent image, pinned by tag or digest. */
        readonly image: string;
        /** The port the agent listens on; ingress targets it and nothing else. */
        readonly port: number;
        /** vCPUs of the agent container. */
        readonly cpu: number;
        /** Memory of the agent container (twice the cpu, in Gi). */
        readonly memory: string;
        /** Ingress reachable from the internet (true) or only inside the environment (false). */
        readonly externalIngress: boolean;
    };
    readonly sidecar: {
        /** The Entra auth sidecar's image (1.1.0 or later). */
        readonly image: string;
        /** The APIs the sidecar mints tokens for on the agent's behalf. */
        readonly downstreamApis: readonly DownstreamApi[];
    };
    /** The token refresher's image (a stock Node.js; its code is passed with `node -e`). */
    readonly refresher: { readonly image: string };
    /** A container registry pulled through the UAMI (it needs AcrPull there); unset: public images only. */
    readonly registryServer?: string | undefined;
    /** Fewest replicas. */
    readonly minReplicas: number;
    /** Most replicas. */
    readonly maxReplicas: number;
}

export interface AgentContainerAppArgs {
    /** Resource group of the app (and of the environment, when created). */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Tags on every resource. Default: none. */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Entra tenant id (AzureAd__TenantId). */
    tenantId: string;
    /** The UAMI the app runs as: its ARM id (attached) and client id (requested by every container). */
    uami: { resourceId: pulumi.Input<string>; clientId: pulumi.Input<string> };
    /** The Blueprint's appId: the sidecar's client id. */
    blueprintAppId: pulumi.Input<string>;
    /** Images, sizes, downstream APIs, ingress, scaling. */
    settings: ContainerAppSettings;
    /** Extra agent environment from the cloud federations (GCP credential file, AWS role). Default: none. */
    agentEnv?: pulumi.Input<pulumi.Input<EnvVar>[]>;
    /** Files mounted read-only under /etc/agentfed in the agent (e.g. the GCP credential configuration). Default: none. */
    configFiles?: readonly ConfigFile[];
    /** Token files the refresher keeps fresh under /var/run/secrets/agentfed. No refresher when empty. */
    tokenTargets?: readonly pulumi.Input<TokenTarget>[];
    /** The Container Apps environment the app runs in: the stack's shared one, or an existing one. */
    environmentId: pulumi.Input<string>;
    /** Option 2: sidecar entries minting the Agent Identity JWT for each cloud's federation audience. Default: none. */
    cloudFederationApis?: pulumi.Input<DownstreamApi[]>;
    /**
     * The client id of the Agent Identity the agent calls its APIs as: the agent reads it (`AGENT_IDENTITY_CLIENT_ID`)
     * and names it in `?AgentIdentity=`, so the sidecar's override flag is on (`sidecarOverrideEnv`). Default: none,
     * for an agent on a classic app registration, which calls as the app (the flag stays off).
     */
    agentIdentityClientId?: pulumi.Input<string>;
}

type ContainerArgs = appInputs.ContainerArgs;

const SMALL = { cpu: 0.25, memory: "0.5Gi" };

/** The refresher's code, passed to `node -e` in a stock Node.js image: nothing to build or push. */
function refresherCommand(): string[] {
    const code = readFileSync(path.join(__dirname, "..", "runtime", "token-refresher.js"), "utf8");
    return ["node", "-e", `${code}\nmain();`];
}

/**
 * The agent on Azure Container Apps: the agent container, the Entra auth sidecar, and (when a federation needs
 * token files) the token refresher, all running as the stack's UAMI and nothing else. Ingress reaches the agent's
 * port only; the sidecar (>= 1.1.0, enforced by config) answers loopback callers only, except for its health probe.
 */
export class AgentContainerApp extends pulumi.ComponentResource {
    /** Container app name. */
    public readonly appName: pulumi.Output<string>;
    /** The app's ingress FQDN. */
    public readonly fqdn: pulumi.Output<string>;
    /** The managed environment's ARM id (created or existing). */
    public readonly environmentId: pulumi.Output<string>;
    /** Names of the containers in the revision template. */
    public readonly containerNames: string[];

    constructor(name: string, args: AgentContainerAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:azure:AgentContainerApp", name, {}, opts);
        const s = args.settings;
        const tokenTargets = args.tokenTargets ?? [];
        const configFiles = args.configFiles ?? [];

        this.environmentId = pulumi.output(args.environmentId);
        const containers = this.containers(args, tokenTargets, configFiles);
        this.containerNames = containers.map((c) => c.name as string);

        const containerApp = new app.ContainerApp(
            name,
            {
                containerAppName: s.name,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tags: args.tags,
                managedEnvironmentId: this.environmentId,
                // The UAMI only. A system-assigned identity would get a new object id on every recreate.
                identity: { type: "UserAssigned", userAssignedIdentities: [args.uami.resourceId] },
                configuration: {
                    activeRevisionsMode: "Single",
                    ingress: { external: s.agent.externalIngress, targetPort: s.agent.port, transport: "auto", allowInsecure: false },
                    registries: s.registryServer ? [{ server: s.registryServer, identity: args.uami.resourceId }] : [],
                    secrets: configFiles.map((f) => ({ name: f.name, value: f.content })),
                },
                template: {
                    containers,
                    volumes: [
                        ...(tokenTargets.length > 0 ? [{ name: "agentfed-tokens", storageType: "EmptyDir" }] : []),
                        ...(configFiles.length > 0
                            ? [{ name: "agentfed-config", storageType: "Secret", secrets: configFiles.map((f) => ({ secretRef: f.name, path: f.fileName })) }]
                            : []),
                    ],
                    scale: { minReplicas: s.minReplicas, maxReplicas: s.maxReplicas },
                },
            },
            { parent: this },
        );

        this.appName = containerApp.name;
        this.fqdn = containerApp.configuration.apply((c) => c?.ingress?.fqdn ?? "");
        this.registerOutputs({ appName: this.appName, fqdn: this.fqdn, environmentId: this.environmentId });
    }

    /** The agent, the Entra auth sidecar and (when a cloud needs token files) the token refresher. */
    private containers(args: AgentContainerAppArgs, tokenTargets: readonly pulumi.Input<TokenTarget>[], configFiles: readonly ConfigFile[]): ContainerArgs[] {
        const s = args.settings;
        const cloudFederationApis = args.cloudFederationApis ?? [];

        const tokenMount = tokenTargets.length > 0 ? [{ volumeName: "agentfed-tokens", mountPath: TOKEN_DIR }] : [];
        const configMount = configFiles.length > 0 ? [{ volumeName: "agentfed-config", mountPath: CONFIG_DIR }] : [];

        const agent: ContainerArgs = {
            name: "agent",
            image: s.agent.image,
            env: pulumi
                .all([args.uami.clientId, args.agentIdentityClientId, args.agentEnv ?? []])
                .apply(([clientId, agentIdentityClientId, extra]) => [...agentBaseEnv(clientId, agentIdentityClientId, s.sidecar.downstreamApis), ...extra]),
            resources: { cpu: s.agent.cpu, memory: s.agent.memory },
            volumeMounts: [...tokenMount, ...configMount],
        };
        // Probes connect to the replica's address, not its loopback (Container Apps has HTTP and TCP probes only), so
        // the sidecar listens on every interface and /healthz is the one path it answers there (sidecar >= 1.1.0,
        // LocalCallerRestriction.cs). `Host: localhost` is for sidecars that also filter the Host header (1.0.0, and
        // AzureAD/microsoft-identity-web#4023 on later ones, which keeps /healthz exempt): harmless where not needed.
        const healthz = { path: SIDECAR_HEALTH_PATH, port: SIDECAR_PORT, httpHeaders: [{ name: "Host", value: "localhost" }] };
        const sidecar: ContainerArgs = {
            name: "entra-auth-sidecar",
            image: s.sidecar.image,
            env: pulumi
                .all([args.uami.clientId, args.blueprintAppId, cloudFederationApis, args.agentIdentityClientId])
                .apply(([uamiClientId, blueprintAppId, federationApis, agentIdentityClientId]) => {
                    const downstreamApis = [...s.sidecar.downstreamApis, ...federationApis];
                    return sidecarEnv({
                        tenantId: args.tenantId,
                        blueprintAppId,
                        uamiClientId,
                        downstreamApis,
                        // On exactly when something names the Agent Identity: the agent for its APIs, the refresher for Option 2's.
                        allowAgentIdentityOverride: agentIdentityClientId !== undefined && downstreamApis.length > 0,
                    });
                }),
            resources: SMALL,
            probes: [
                { type: "Liveness", httpGet: healthz, periodSeconds: 30 },
                { type: "Readiness", httpGet: healthz, periodSeconds: 10 },
            ],
        };
        const containers = [agent, sidecar];
        if (tokenTargets.length > 0) {
            const [command, ...commandArgs] = refresherCommand();
            containers.push({
                name: "token-refresher",
                image: s.refresher.image,
                command: [command!],
                args: commandArgs,
                env: pulumi.all([args.uami.clientId, pulumi.all([...tokenTargets])]).apply(([clientId, targets]) => refresherEnv(clientId, targets)),
                resources: SMALL,
                volumeMounts: tokenMount,
            });
        }
        return containers;
    }
}
