import { createPublicKey } from "node:crypto";
import type { DownstreamApi } from "../runtime/container-env";
import { DEFAULT_SIDECAR_IMAGE, SIDECAR_IMAGE_FIX, sidecarImageProblem } from "../runtime/container-env";
import { DOWNSTREAM_APIS_KEYS, parseDownstreamApis } from "./container-app";
import {
    blobOidcIssuerUrl,
    DeclaredFic,
    dns1123LabelProblem,
    dns1123SubdomainProblem,
    ficNameProblem,
    serviceAccountJwk,
    storageAccountNameProblem,
} from "../contracts";
import { IMAGE_RULE, imageProblem } from "./image-reference";
import { Json, Reader } from "./reader";
import { list, object, text, value } from "./spec";

/** RSA key sizes the signing key may have. */
export const KIND_RSA_BITS: readonly number[] = [2048, 4096];
/** The weakest key the issuer publishes: the smallest size `kind.rsaBits` allows. */
export const KIND_MIN_RSA_BITS = Math.min(...KIND_RSA_BITS);

/** The Kubernetes workload, deployed only when a kubeconfig context is configured (the cluster must exist first). */
export interface KindWorkloadConfig {
    /** kubeconfig context of the Kind cluster, e.g. `kind-agentfed-dev`. */
    readonly kubeconfigContext: string;
    /** Path of the kubeconfig file; undefined means the provider's default (`$KUBECONFIG` or `~/.kube/config`). */
    readonly kubeconfig: string | undefined;
    /** The agent's container image (pinned tag or digest). */
    readonly agentImage: string;
    /** The Entra auth sidecar's image (pinned tag or digest). */
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

/** `kind`. */
export const KIND_KEYS = object(
    {
        summary:
            "The Kind lower environment (Posta, 'Microsoft Entra Agent ID on Kubernetes', Part Four): a local cluster whose service-account tokens Entra trusts, its issuer documents on Azure Blob, the FIC, and optionally the workload. Absent: no Kind environment.",
        section: "Kind lower environment",
        see: "kind.md",
    },
    {
        storageAccountName: text({
            summary: "Storage account hosting the issuer documents; the issuer is https://<name>.blob.core.windows.net/oidc.",
            required: true,
            rule: "3-24 lowercase letters and digits, globally unique",
            example: "oidcagentfeddev01",
        }),
        clusterName: text({
            summary: "Kind cluster name; the kubectl context is kind-<clusterName>.",
            default: "agentfed",
            rule: "lowercase letters, digits and '-', at most 50 characters",
            example: "agentfed-dev",
        }),
        namespace: text({ summary: "Namespace of the agent's service account.", required: true, rule: "a DNS-1123 label", example: "entra-demo" }),
        serviceAccountName: text({
            summary: "The agent's service account: the FIC trusts system:serviceaccount:<namespace>:<serviceAccountName> and nothing else.",
            required: true,
            rule: "a DNS-1123 subdomain",
            example: "sidecar-sa",
        }),
        ficName: text({
            summary: "Immutable name of the FIC on the Blueprint.",
            defaultText: "kind-<clusterName>",
            rule: "3-120 letters, digits, '-' or '_'; unique among the Blueprint's FICs",
            example: "kind-agentfed-dev-sidecar",
        }),
        signingKeyHostPath: text({
            summary: "Host path the signing key is written to and mounted from (scripts/kind-up.sh).",
            defaultText: "/tmp/agentfed-kind/<clusterName>/sa-signer.key",
            rule: "an absolute path without spaces",
        }),
        rsaBits: value<number>("integer", { summary: "Size of the managed RSA signing key.", default: 2048, allowed: KIND_RSA_BITS }),
        extraPublicKeys: list(
            {
                summary: "Further public keys published in the JWKS beside the managed one, for key rotation.",
                rule: `RSA public keys in PEM, each at least ${KIND_MIN_RSA_BITS} bits (what kind.rsaBits allows); never a private key, which a stack file must not hold`,
                example: [],
                see: "kind.md",
            },
            value("PEM text", { summary: "One public key (-----BEGIN PUBLIC KEY-----), as a YAML block scalar." }),
        ),
        kubeconfigContext: text({
            summary: "kubeconfig context of the cluster; when set, the stack also deploys the workload (the cluster must exist).",
            example: "kind-agentfed-dev",
        }),
        kubeconfig: text({
            summary: "Path of the kubeconfig file.",
            defaultText: "the provider's default ($KUBECONFIG or ~/.kube/config)",
            rule: "only with kubeconfigContext",
        }),
        agentImage: text({
            summary: "The agent's image in the cluster.",
            required: "with kubeconfigContext",
            rule: `${IMAGE_RULE}; only with kubeconfigContext`,
            example: "ghcr.io/contoso/weather-agent:0.3.0",
        }),
        sidecarImage: text({
            summary: "The Entra auth sidecar's image in the cluster.",
            default: DEFAULT_SIDECAR_IMAGE,
            rule: `${IMAGE_RULE}; sidecar 1.1.0 or later, read from the tag (older versions answer every caller that can reach the pod); only with kubeconfigContext`,
        }),
        downstreamApis: {
            ...DOWNSTREAM_APIS_KEYS,
            summary: "APIs the Kind sidecar gets tokens for (its DownstreamApis__* settings), built like containerApp.sidecar.downstreamApis.",
            required: "with kubeconfigContext",
            rule: `${DOWNSTREAM_APIS_KEYS.rule}; at least one: without an entry the sidecar answers every call with 400 "No scopes found"; only with kubeconfigContext`,
        },
    },
);
const K = KIND_KEYS.fields;

const KIND_CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/;
/** An image reference with an explicit tag other than `latest`, or a digest. */

function pinnedImage(r: Reader, path: string, value: Json | undefined, fallback: string | undefined, example: string): string {
    const image = r.text(path, value) ?? fallback ?? "";
    if (image === "") r.report(path, "is not set", `set ${r.key(path)} to an image with a pinned tag, e.g. ${example}`);
    else {
        const problem = imageProblem(image);
        if (problem !== undefined) r.report(path, problem, `name a pinned tag or digest, such as ${example}; a moving tag changes the pod without a diff`);
    }
    return image;
}

function parseExtraPublicKeys(r: Reader, path: string, value: Json | undefined): string[] {
    if (value === undefined || value === null) return [];
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
        if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(entry)) {
            r.report(
                at,
                "is a private key: a stack file must never hold one (it is in version control and in the stack's configuration)",
                "paste its public half instead (openssl pkey -in sa-signer.key -pubout), and rotate the key: treat it as exposed",
            );
            return [];
        }
        try {
            serviceAccountJwk(entry, "key");
        } catch (err) {
            r.report(at, err instanceof Error ? err.message.replace(/^key /, "") : String(err), "paste an RSA public key in PEM (-----BEGIN PUBLIC KEY-----)");
            return [];
        }
        const bits = createPublicKey(entry).asymmetricKeyDetails?.modulusLength ?? 0;
        if (bits < KIND_MIN_RSA_BITS) {
            r.report(
                at,
                `is a ${bits}-bit RSA key, weaker than ${r.key("kind.rsaBits")} allows (${KIND_RSA_BITS.join(" or ")} bits)`,
                "stop publishing it: any token it verifies could have been forged by whoever factored it; rotate to a 2048- or 4096-bit key",
            );
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
    r.onlyKnownFields("kind", obj, Object.keys(K));

    const storageAccountName = typeof obj.storageAccountName === "string" ? obj.storageAccountName : "";
    const accountProblem = storageAccountNameProblem(obj.storageAccountName);
    if (accountProblem)
        r.report("kind.storageAccountName", accountProblem, "choose a globally unique name of 3-24 lowercase letters and digits, e.g. oidcagentfeddev01");

    const clusterName = r.text("kind.clusterName", obj.clusterName) ?? K.clusterName.default ?? "agentfed";
    if (!KIND_CLUSTER_NAME.test(clusterName)) {
        r.report(
            "kind.clusterName",
            `is not a valid Kind cluster name (got ${JSON.stringify(obj.clusterName)})`,
            "use lowercase letters, digits and '-', at most 50 characters",
        );
    }

    const namespace = typeof obj.namespace === "string" ? obj.namespace : "";
    const nsProblem = dns1123LabelProblem(obj.namespace);
    if (nsProblem) r.report("kind.namespace", nsProblem, "set the namespace of the agent's service account, e.g. entra-demo");
    const serviceAccountName = typeof obj.serviceAccountName === "string" ? obj.serviceAccountName : "";
    const saProblem = dns1123SubdomainProblem(obj.serviceAccountName);
    if (saProblem) r.report("kind.serviceAccountName", saProblem, "set the agent's service account name, e.g. sidecar-sa");

    const ficName = r.text("kind.ficName", obj.ficName) ?? `kind-${clusterName}`;
    const ficProblem = ficNameProblem(ficName);
    if (ficProblem) r.report("kind.ficName", ficProblem, "choose a name of 3-120 letters, digits, '-' or '_'");

    const signingKeyHostPath = r.text("kind.signingKeyHostPath", obj.signingKeyHostPath) ?? `/tmp/agentfed-kind/${clusterName}/sa-signer.key`;
    if (!signingKeyHostPath.startsWith("/") || /\s/.test(signingKeyHostPath)) {
        r.report(
            "kind.signingKeyHostPath",
            `must be an absolute path without spaces (got ${JSON.stringify(signingKeyHostPath)})`,
            "Kind mounts it into the control-plane node; use e.g. /home/<you>/.agentfed/sa-signer.key",
        );
    }

    const rsaBits = obj.rsaBits === undefined || obj.rsaBits === null ? (K.rsaBits.default ?? 2048) : obj.rsaBits;
    if (typeof rsaBits !== "number" || !KIND_RSA_BITS.includes(rsaBits))
        r.report("kind.rsaBits", `must be 2048 or 4096 (got ${JSON.stringify(obj.rsaBits)})`, "remove it (default 2048) or set 4096");

    const extraPublicKeys = parseExtraPublicKeys(r, "kind.extraPublicKeys", obj.extraPublicKeys);

    let workload: KindWorkloadConfig | undefined;
    const kubeconfigContext = r.text("kind.kubeconfigContext", obj.kubeconfigContext);
    const kubeconfig = r.text("kind.kubeconfig", obj.kubeconfig);
    if (kubeconfigContext !== undefined) {
        const sidecarImage = pinnedImage(r, "kind.sidecarImage", obj.sidecarImage, K.sidecarImage.default, DEFAULT_SIDECAR_IMAGE);
        const sidecarProblem = imageProblem(sidecarImage) === undefined ? sidecarImageProblem(sidecarImage) : undefined;
        if (sidecarProblem) r.report("kind.sidecarImage", sidecarProblem, SIDECAR_IMAGE_FIX);
        const downstreamApis = parseDownstreamApis(r, "kind.downstreamApis", obj.downstreamApis);
        // Without an entry the sidecar answers every call with 400 "No scopes found for the API" (AuthorizationHeaderEndpoint.cs),
        // and from 1.1.0 a caller cannot pass scopes itself (the unauthenticated route ignores optionsOverride.Scopes).
        if (obj.downstreamApis === undefined || obj.downstreamApis === null || (Array.isArray(obj.downstreamApis) && obj.downstreamApis.length === 0))
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

    return {
        storageAccountName,
        clusterName,
        namespace,
        serviceAccountName,
        ficName,
        signingKeyHostPath,
        rsaBits: typeof rsaBits === "number" ? rsaBits : 2048,
        extraPublicKeys,
        workload,
    };
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
