import type { DownstreamApi } from "../runtime/container-env";
import { DEFAULT_SIDECAR_IMAGE, SIDECAR_IMAGE_FIX, sidecarImageProblem } from "../runtime/container-env";
import { parseDownstreamApis } from "./container-app";
import {
    blobOidcIssuerUrl,
    DeclaredFic,
    dns1123LabelProblem,
    dns1123SubdomainProblem,
    ficNameProblem,
    serviceAccountJwk,
    storageAccountNameProblem,
} from "../contracts";
import { imageProblem, Json, Reader, str } from "./reader";

/** RSA key sizes the signing key may have. */
export const KIND_RSA_BITS: readonly number[] = [2048, 4096];

/** The Kubernetes workload, deployed only when a kubeconfig context is configured (the cluster must exist first). */
export interface KindWorkloadConfig {
    /** kubeconfig context of the Kind cluster, e.g. `kind-agentfed-dev`. */
    readonly kubeconfigContext: string;
    /** Path of the kubeconfig file; undefined means the provider's default (`$KUBECONFIG` or `~/.kube/config`). */
    readonly kubeconfig: string | undefined;
    /** The agent's container image (pinned tag or digest). */
    readonly agentImage: string;
    /** The Entra auth sidecar's image (pinned tag, 1.1.0 or later). */
    readonly sidecarImage: string;
    /** The APIs the sidecar mints tokens for (`DownstreamApis__*`), at least one: the same shape as on Container Apps. */
    readonly downstreamApis: readonly DownstreamApi[];
}

/** The Kind lower environment (`agentfed:kind`): a service-account issuer on Azure Blob, and optionally the workload. */
export interface KindConfig {
    /** Storage account hosting the issuer documents; 3-24 lowercase letters and digits, globally unique. */
    readonly storageAccountName: string;
    /** Kind cluster name; the kubectl context of the cluster is `kind-<clusterName>`. */
    readonly clusterName: string;
    /** Namespace of the agent's service account. */
    readonly namespace: string;
    /** The agent's service account: the FIC trusts `system:serviceaccount:<namespace>:<serviceAccountName>`. */
    readonly serviceAccountName: string;
    /** Immutable name of the FIC on the Blueprint. */
    readonly ficName: string;
    /** Absolute host path the signing key is written to and mounted from (see scripts/kind-up.sh). */
    readonly signingKeyHostPath: string;
    /** Size of the managed RSA signing key. */
    readonly rsaBits: number;
    /** Further public keys (PEM) published in the JWKS alongside the managed one, for key rotation. */
    readonly extraPublicKeys: readonly string[];
    /** The Kubernetes workload, or undefined when no kubeconfig context is configured. */
    readonly workload: KindWorkloadConfig | undefined;
}

const KNOWN_FIELDS = [
    "storageAccountName",
    "clusterName",
    "namespace",
    "serviceAccountName",
    "ficName",
    "signingKeyHostPath",
    "rsaBits",
    "extraPublicKeys",
    "kubeconfigContext",
    "kubeconfig",
    "agentImage",
    "sidecarImage",
    "downstreamApis",
] as const;

const KIND_CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/;
/** An image reference with an explicit tag other than `latest`, or a digest. */

function pinnedImage(r: Reader, path: string, value: Json | undefined, fallback: string | undefined, example: string): string {
    const image = str(value) ?? fallback ?? "";
    if (image === "") r.report(path, "is not set", `set ${r.key(path)} to an image with a pinned tag, e.g. ${example}`);
    else if (imageProblem(image) !== undefined) {
        r.report(
            path,
            `must name a pinned tag or digest (got ${JSON.stringify(image)})`,
            `use a fixed tag such as ${example}; a moving tag changes the pod without a diff`,
        );
    }
    return image;
}

function parseExtraPublicKeys(r: Reader, path: string, value: Json | undefined): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
        r.report(path, "must be a list", `make ${r.key(path)} a YAML list of PEM public keys (block scalars, '|')`);
        return [];
    }
    return value.flatMap((entry, i): string[] => {
        const at = `${path}[${i}]`;
        if (typeof entry !== "string") {
            r.report(at, "must be a PEM text", "paste the public key with a YAML block scalar (|), from: openssl rsa -in sa-signer.key -pubout");
            return [];
        }
        try {
            serviceAccountJwk(entry, "key");
        } catch (err) {
            r.report(at, err instanceof Error ? err.message.replace(/^key /, "") : String(err), "paste an RSA public key in PEM (-----BEGIN PUBLIC KEY-----)");
            return [];
        }
        return [entry];
    });
}

/**
 * Parses the optional `agentfed:kind` object. Returns undefined when it is absent (stacks without a Kind lower
 * environment); reports every problem on `r`, naming `agentfed:kind.<field>`, otherwise.
 */
export function parseKindConfig(r: Reader): KindConfig | undefined {
    const obj = r.object("kind", `set ${r.key("kind")} to { storageAccountName, namespace, serviceAccountName }`, false);
    if (obj === undefined) return undefined;
    r.onlyKnownFields("kind", obj, KNOWN_FIELDS);

    const storageAccountName = str(obj.storageAccountName) ?? "";
    const accountProblem = storageAccountNameProblem(obj.storageAccountName);
    if (accountProblem)
        r.report("kind.storageAccountName", accountProblem, "choose a globally unique name of 3-24 lowercase letters and digits, e.g. oidcagentfeddev01");

    const clusterName = str(obj.clusterName) ?? "agentfed";
    if (!KIND_CLUSTER_NAME.test(clusterName)) {
        r.report(
            "kind.clusterName",
            `is not a valid Kind cluster name (got ${JSON.stringify(obj.clusterName)})`,
            "use lowercase letters, digits and '-', at most 50 characters",
        );
    }

    const namespace = str(obj.namespace) ?? "";
    const nsProblem = dns1123LabelProblem(obj.namespace);
    if (nsProblem) r.report("kind.namespace", nsProblem, "set the namespace of the agent's service account, e.g. entra-demo");
    const serviceAccountName = str(obj.serviceAccountName) ?? "";
    const saProblem = dns1123SubdomainProblem(obj.serviceAccountName);
    if (saProblem) r.report("kind.serviceAccountName", saProblem, "set the agent's service account name, e.g. sidecar-sa");

    const ficName = str(obj.ficName) ?? `kind-${clusterName}`;
    const ficProblem = ficNameProblem(ficName);
    if (ficProblem) r.report("kind.ficName", ficProblem, "choose a name of 3-120 letters, digits, '-' or '_'");

    const signingKeyHostPath = str(obj.signingKeyHostPath) ?? `/tmp/agentfed-kind/${clusterName}/sa-signer.key`;
    if (!signingKeyHostPath.startsWith("/") || /\s/.test(signingKeyHostPath)) {
        r.report(
            "kind.signingKeyHostPath",
            `must be an absolute path without spaces (got ${JSON.stringify(signingKeyHostPath)})`,
            "Kind mounts it into the control-plane node; use e.g. /home/<you>/.agentfed/sa-signer.key",
        );
    }

    const rsaBits = obj.rsaBits === undefined ? 2048 : Number(obj.rsaBits);
    if (!KIND_RSA_BITS.includes(rsaBits))
        r.report("kind.rsaBits", `must be 2048 or 4096 (got ${JSON.stringify(obj.rsaBits)})`, "remove it (default 2048) or set 4096");

    const extraPublicKeys = parseExtraPublicKeys(r, "kind.extraPublicKeys", obj.extraPublicKeys);

    let workload: KindWorkloadConfig | undefined;
    const kubeconfigContext = str(obj.kubeconfigContext);
    const kubeconfig = str(obj.kubeconfig);
    if (kubeconfigContext !== undefined) {
        const sidecarImage = pinnedImage(r, "kind.sidecarImage", obj.sidecarImage, DEFAULT_SIDECAR_IMAGE, DEFAULT_SIDECAR_IMAGE);
        const sidecarProblem = imageProblem(sidecarImage) === undefined ? sidecarImageProblem(sidecarImage) : undefined;
        if (sidecarProblem) r.report("kind.sidecarImage", sidecarProblem, SIDECAR_IMAGE_FIX);
        const downstreamApis = parseDownstreamApis(r, "kind.downstreamApis", obj.downstreamApis);
        // Without an entry the sidecar answers every call with 400 "No scopes found for the API" (AuthorizationHeaderEndpoint.cs),
        // and from 1.1.0 a caller cannot pass scopes itself (the unauthenticated route ignores optionsOverride.Scopes).
        if (obj.downstreamApis === undefined || (Array.isArray(obj.downstreamApis) && obj.downstreamApis.length === 0))
            r.report(
                "kind.downstreamApis",
                'lists no API: the sidecar would answer every call with 400 "No scopes found"',
                `set ${r.key("kind.downstreamApis")} like containerApp.sidecar.downstreamApis, e.g. [{ name: Weather, baseUrl: https://weather.contoso.example, scopes: [api://weather/.default] }]`,
            );
        workload = {
            kubeconfigContext,
            kubeconfig,
            agentImage: pinnedImage(r, "kind.agentImage", obj.agentImage, undefined, "ghcr.io/contoso/weather-agent:1.4.2"),
            sidecarImage,
            downstreamApis,
        };
    } else if (kubeconfig !== undefined || obj.agentImage !== undefined || obj.sidecarImage !== undefined || obj.downstreamApis !== undefined) {
        r.report(
            "kind.kubeconfigContext",
            "is not set, but kubeconfig/agentImage/sidecarImage/downstreamApis are: the workload is deployed only when a context is named",
            `set ${r.key("kind.kubeconfigContext")} to kind-${clusterName} once the cluster exists, or remove the workload settings`,
        );
    }

    return { storageAccountName, clusterName, namespace, serviceAccountName, ficName, signingKeyHostPath, rsaBits, extraPublicKeys, workload };
}

/** The Kind FIC as the Blueprint's FIC-set rules see it: its issuer is known from the account name alone. */
export function kindDeclaredFic(kind: KindConfig): DeclaredFic | undefined {
    if (storageAccountNameProblem(kind.storageAccountName) !== undefined) return undefined;
    return {
        name: kind.ficName,
        issuer: blobOidcIssuerUrl(kind.storageAccountName),
        subject: `system:serviceaccount:${kind.namespace}:${kind.serviceAccountName}`,
    };
}
