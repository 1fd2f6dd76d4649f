import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { TOKEN_EXCHANGE_AUDIENCE } from "../contracts";
import { agentSidecarEnv, DownstreamApi, kindSidecarEnv, SIDECAR_HEALTH_PATH, SIDECAR_PORT } from "../runtime/container-env";

/** Directory the projected service-account token is mounted at in the sidecar. */
export const TOKEN_MOUNT_PATH = "/var/run/secrets/tokens";
/** File name of the projected token inside `TOKEN_MOUNT_PATH`. */
export const TOKEN_FILE_NAME = "azure-identity-token";

export interface KindWorkloadArgs {
    /** kubeconfig context of the Kind cluster, e.g. `kind-agentfed-dev`. */
    kubeconfigContext: string;
    /** Path of the kubeconfig file. Default: the provider's (`$KUBECONFIG`, then `~/.kube/config`). */
    kubeconfig?: string;
    /** Namespace created for the agent. */
    namespace: string;
    /** Service account the pod runs as; the Blueprint FIC trusts its subject. */
    serviceAccountName: string;
    /** Entra tenant of the Blueprint (`AzureAd__TenantId`). */
    tenantId: pulumi.Input<string>;
    /** The Blueprint's application (client) id (`AzureAd__ClientId`; not a UAMI's, else AADSTS700016). */
    blueprintAppId: pulumi.Input<string>;
    /** The agent's image. */
    agentImage: string;
    /** The Entra auth sidecar's image (1.1.0 or later: config refuses older ones). */
    sidecarImage: string;
    /** The APIs the sidecar mints tokens for; config requires at least one. */
    downstreamApis: readonly DownstreamApi[];
    /**
     * The client id of the Agent Identity the workload calls its APIs as (the stack's primary agent's): the agent reads
     * it (`AGENT_IDENTITY_CLIENT_ID`) and the sidecar's override flag is on, as on Container Apps. Default: none, for a
     * classic app registration, which calls as the app.
     */
    agentIdentityClientId?: pulumi.Input<string>;
    /** Entra authority root. Default: https://login.microsoftonline.com/. */
    instance?: string;
    /** Lifetime of the projected token in seconds; the kubelet refreshes it at 80%. Default: 3600. */
    tokenExpirationSeconds?: number;
}

/**
 * The agent on Kind: a namespace, its service account, the sidecar's settings (a `SignedAssertionFilePath`
 * credential, so no client secret exists anywhere) and a deployment of the agent plus the Entra auth sidecar, with a
 * projected service-account token for `api://AzureADTokenExchange` that the sidecar presents to Entra.
 */
export class KindWorkload extends pulumi.ComponentResource {
    /** The namespace name. */
    public readonly namespace: pulumi.Output<string>;
    /** The service account name. */
    public readonly serviceAccountName: pulumi.Output<string>;
    /** The deployment name. */
    public readonly deploymentName: pulumi.Output<string>;

    constructor(name: string, args: KindWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:kind:Workload", name, {}, opts);

        const provider = new k8s.Provider(
            name,
            { context: args.kubeconfigContext, ...(args.kubeconfig ? { kubeconfig: args.kubeconfig } : {}) },
            { parent: this },
        );
        const childOpts: pulumi.CustomResourceOptions = { parent: this, provider };
        const labels = { app: name, "app.kubernetes.io/managed-by": "pulumi-agentfed" };

        const ns = new k8s.core.v1.Namespace(name, { metadata: { name: args.namespace } }, childOpts);
        const sa = new k8s.core.v1.ServiceAccount(name, { metadata: { name: args.serviceAccountName, namespace: ns.metadata.name, labels } }, childOpts);
        const settings = new k8s.core.v1.ConfigMap(
            `${name}-sidecar`,
            {
                metadata: { name: `${name}-sidecar`, namespace: ns.metadata.name, labels },
                // The same pure builder as the Container Apps sidecar's settings, with a file credential instead of a UAMI.
                data: pulumi.all([args.tenantId, args.blueprintAppId, args.agentIdentityClientId]).apply(([tenantId, blueprintAppId, agentIdentityClientId]) =>
                    Object.fromEntries(
                        kindSidecarEnv({
                            tenantId,
                            blueprintAppId,
                            tokenFile: `${TOKEN_MOUNT_PATH}/${TOKEN_FILE_NAME}`,
                            instance: args.instance ?? "https://login.microsoftonline.com/",
                            downstreamApis: args.downstreamApis,
                            allowAgentIdentityOverride: agentIdentityClientId !== undefined && args.downstreamApis.length > 0,
                        }).map((e) => [e.name, e.value]),
                    ),
                ),
            },
            childOpts,
        );

        const deployment = new k8s.apps.v1.Deployment(
            name,
            { metadata: { name, namespace: ns.metadata.name, labels }, spec: deploymentSpec(name, args, labels, sa.metadata.name, settings.metadata.name) },
            childOpts,
        );

        this.namespace = ns.metadata.name;
        this.serviceAccountName = sa.metadata.name;
        this.deploymentName = deployment.metadata.name;
        this.registerOutputs({ namespace: this.namespace, serviceAccountName: this.serviceAccountName, deploymentName: this.deploymentName });
    }
}

/**
 * The agent and the sidecar in one pod: the sidecar reads its settings from the config map and presents the
 * projected service-account token (for `api://AzureADTokenExchange`) to Entra; nothing mounts the Kubernetes API token.
 */
function deploymentSpec(
    name: string,
    args: KindWorkloadArgs,
    labels: Record<string, string>,
    serviceAccountName: pulumi.Output<string>,
    settingsName: pulumi.Output<string>,
): k8s.types.input.apps.v1.DeploymentSpec {
    return {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
            metadata: { labels },
            spec: {
                serviceAccountName,
                // Neither container calls the Kubernetes API; only the projected Entra token is mounted.
                automountServiceAccountToken: false,
                containers: [
                    {
                        name: "agent",
                        image: args.agentImage,
                        // Who the agent is and the request to make for each API (`agentSidecarEnv`), as on Container Apps.
                        env: pulumi
                            .output(args.agentIdentityClientId)
                            .apply((agentIdentityClientId) => agentSidecarEnv(agentIdentityClientId, args.downstreamApis)),
                    },
                    {
                        name: "sidecar",
                        image: args.sidecarImage,
                        envFrom: [{ configMapRef: { name: settingsName } }],
                        // No `ports` entry: the agent reaches the sidecar on the pod's loopback, no Service targets it,
                        // and listing a containerPort would only advertise it. Any pod can still reach the pod IP on a
                        // flat Kind network; what refuses it is the sidecar itself (>= 1.1.0: 403 to non-loopback
                        // callers, /healthz excepted), hence the version floor config enforces.
                        livenessProbe: { httpGet: { path: SIDECAR_HEALTH_PATH, port: SIDECAR_PORT }, periodSeconds: 30 },
                        readinessProbe: { httpGet: { path: SIDECAR_HEALTH_PATH, port: SIDECAR_PORT }, periodSeconds: 10 },
                        volumeMounts: [{ name: "azure-identity-token", mountPath: TOKEN_MOUNT_PATH, readOnly: true }],
                    },
                ],
                volumes: [
                    {
                        name: "azure-identity-token",
                        projected: {
                            sources: [
                                {
                                    serviceAccountToken: {
                                        audience: TOKEN_EXCHANGE_AUDIENCE,
                                        path: TOKEN_FILE_NAME,
                                        expirationSeconds: args.tokenExpirationSeconds ?? 3600,
                                    },
                                },
                            ],
                        },
                    },
                ],
            },
        },
    };
}
