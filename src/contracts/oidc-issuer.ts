import { createHash, createPublicKey, KeyObject } from "node:crypto";
import * as yaml from "js-yaml";
import { TOKEN_EXCHANGE_AUDIENCE_ALIASES } from "./constants";
import { TrustContractError } from "./workload-subject";
import { textProblem } from "./validation";

/**
 * A Kubernetes service-account issuer hosted as two static documents (Posta, "Microsoft Entra Agent ID on Kubernetes", Part Four;
 * Kubernetes "Service account issuer discovery"). Everything here is pure: the Pulumi component, `npm run jwks` and the tests render the documents with these
 * functions, so what is published is byte for byte what was tested.
 */

/** The blob container that holds the two documents; its name is the issuer URL's path. */
export const OIDC_CONTAINER_NAME = "oidc";
/** Blob name of the discovery document, relative to the issuer. */
export const DISCOVERY_BLOB_NAME = ".well-known/openid-configuration";
/** Blob name of the key set, relative to the issuer (the path kube-apiserver serves it at). */
export const JWKS_BLOB_NAME = "openid/v1/jwks";
/** Content type of both documents; verifiers refuse other types. */
export const OIDC_DOCUMENT_CONTENT_TYPE = "application/json";
/** The Kubernetes API's own audience, kept so in-cluster clients still accept their tokens. */
export const KUBERNETES_API_AUDIENCE = "https://kubernetes.default.svc";
/**
 * `--api-audiences` of the Kind API server: the API's own audience only. The flag lists the audiences the API server
 * itself accepts ("the service account token authenticator will validate that tokens used against the API are bound
 * to at least one of these audiences", kube-apiserver reference); a projected token may ask for any audience
 * (serviceAccountToken.audience), so the sidecar's `api://AzureADTokenExchange` token needs no entry here. Listing
 * it would let anyone holding an exchange token (the sidecar's, which Entra also accepts) call the Kubernetes API.
 */
export const KIND_API_AUDIENCES: readonly string[] = [KUBERNETES_API_AUDIENCE];
/** Where the signing key is mounted inside the Kind control-plane node (Posta, "Microsoft Entra Agent ID on Kubernetes", Part Four). */
export const KIND_SIGNING_KEY_CONTAINER_PATH = "/etc/kubernetes/pki/sa-signer.key";

const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

/** Problems with an Azure storage account name: 3-24 lowercase letters and digits (globally unique, not checked here). */
export function storageAccountNameProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value.length === 0) return textProblem(value);
    if (!STORAGE_ACCOUNT_NAME.test(value)) return `must be 3-24 lowercase letters and digits (got ${JSON.stringify(value)})`;
    return undefined;
}

/**
 * The issuer URL of the documents in the `oidc` container of a public-cloud storage account:
 * `https://<account>.blob.core.windows.net/oidc`, without a trailing slash. This one string goes into the discovery
 * document, the `--service-account-issuer` flag (hence every token's `iss`) and the FIC, unchanged.
 */
export function blobOidcIssuerUrl(storageAccountName: string): string {
    const problem = storageAccountNameProblem(storageAccountName);
    if (problem !== undefined) throw new TrustContractError(`Storage account name ${problem}`);
    return `https://${storageAccountName}.blob.core.windows.net/${OIDC_CONTAINER_NAME}`;
}

/** The OIDC discovery document a verifier fetches at `<issuer>/.well-known/openid-configuration`. */
export interface DiscoveryDocument {
    readonly issuer: string;
    readonly jwks_uri: string;
    readonly response_types_supported: readonly string[];
    readonly subject_types_supported: readonly string[];
    readonly id_token_signing_alg_values_supported: readonly string[];
}

/** The discovery document for `issuer`, with the fields kube-apiserver serves. The issuer is copied, never rebuilt. */
export function discoveryDocument(issuer: string): DiscoveryDocument {
    return {
        issuer,
        jwks_uri: `${issuer}/${JWKS_BLOB_NAME}`,
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
    };
}

/** One public key as kube-apiserver publishes it at /openid/v1/jwks. */
export interface ServiceAccountJwk {
    readonly use: "sig";
    readonly kty: "RSA";
    readonly kid: string;
    readonly alg: "RS256";
    readonly n: string;
    readonly e: string;
}

/** A JSON Web Key Set. */
export interface JsonWebKeySet {
    readonly keys: readonly ServiceAccountJwk[];
}

function publicKeyOf(pem: string, what: string): KeyObject {
    let key: KeyObject;
    try {
        // Accepts a public key (SPKI or PKCS#1) or a private key, whose public half is taken.
        key = createPublicKey(pem);
    } catch (err) {
        throw new TrustContractError(`${what} is not a PEM key (${err instanceof Error ? err.message : String(err)})`);
    }
    if (key.asymmetricKeyType !== "rsa") {
        throw new TrustContractError(`${what} is a ${key.asymmetricKeyType ?? "unknown"} key; the issuer publishes RS256 keys only, so it must be RSA`);
    }
    return key;
}

/**
 * Kubernetes' key id for an RS256 service-account key: `base64url_nopad(SHA-256(DER SubjectPublicKeyInfo))`.
 * kube-apiserver puts it in every token's `kid` header, so the JWKS must carry the same value (else AADSTS7000272).
 */
export function kubernetesKeyId(pem: string): string {
    const der = publicKeyOf(pem, "Signing key").export({ type: "spki", format: "der" });
    return createHash("sha256").update(der).digest("base64url");
}

/** The JWK kube-apiserver would publish for this key (field order as it serves them). */
export function serviceAccountJwk(pem: string, what = "Signing key"): ServiceAccountJwk {
    const key = publicKeyOf(pem, what);
    const jwk = key.export({ format: "jwk" });
    if (typeof jwk.n !== "string" || typeof jwk.e !== "string") throw new TrustContractError(`${what} has no RSA modulus or exponent`);
    return { use: "sig", kty: "RSA", kid: kubernetesKeyId(pem), alg: "RS256", n: jwk.n, e: jwk.e };
}

/**
 * The key set for the managed signing key plus any extra published keys (rotation), in that order, one entry per
 * key id: a key listed twice (for example the current key also kept in the extra list) is published once.
 */
export function jsonWebKeySet(publicKeyPems: readonly string[]): JsonWebKeySet {
    if (publicKeyPems.length === 0) throw new TrustContractError("A key set needs at least one public key");
    const seen = new Set<string>();
    const keys: ServiceAccountJwk[] = [];
    publicKeyPems.forEach((pem, i) => {
        const jwk = serviceAccountJwk(pem, i === 0 ? "Signing key" : `Published key #${i}`);
        if (seen.has(jwk.kid)) return;
        seen.add(jwk.kid);
        keys.push(jwk);
    });
    return { keys };
}

/** The exact bytes published for a document: pretty JSON with a trailing newline, so `curl` output is readable. */
export function renderOidcDocument(doc: DiscoveryDocument | JsonWebKeySet): string {
    return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Inputs of the Kind cluster configuration. */
export interface KindClusterConfigArgs {
    /** Kind cluster name (`kind create cluster` takes it from the file; the kubectl context is `kind-<name>`). */
    readonly clusterName: string;
    /** The issuer URL, byte-identical to the discovery document's `issuer`. */
    readonly issuer: string;
    /** Absolute path on the host of the PEM private key mounted into the control-plane node. */
    readonly signingKeyHostPath: string;
    /** `--api-audiences`. Default: `KIND_API_AUDIENCES`. */
    readonly apiAudiences?: readonly string[];
}

/**
 * The Kind cluster configuration (kind.x-k8s.io/v1alpha4) of Posta, "Microsoft Entra Agent ID on Kubernetes", Part Four,
 * generated: the signing key mounted into the
 * control plane, the API server signing with it under `issuer`, and the controller manager using it too.
 */
export function renderKindClusterConfig(args: KindClusterConfigArgs): string {
    if (!args.signingKeyHostPath.startsWith("/")) {
        throw new TrustContractError(`Signing key host path must be absolute (got ${JSON.stringify(args.signingKeyHostPath)})`);
    }
    const audiences = args.apiAudiences ?? KIND_API_AUDIENCES;
    const exchange = audiences.find((a) => TOKEN_EXCHANGE_AUDIENCE_ALIASES.includes(a));
    if (exchange !== undefined) {
        throw new TrustContractError(`--api-audiences must not list the token-exchange audience ${exchange}: the API server would accept exchange tokens`);
    }
    const clusterConfiguration = {
        kind: "ClusterConfiguration",
        apiServer: {
            extraArgs: {
                "service-account-issuer": args.issuer,
                "service-account-signing-key-file": KIND_SIGNING_KEY_CONTAINER_PATH,
                "service-account-key-file": KIND_SIGNING_KEY_CONTAINER_PATH,
                "api-audiences": audiences.join(","),
            },
        },
        controllerManager: {
            extraArgs: { "service-account-private-key-file": KIND_SIGNING_KEY_CONTAINER_PATH },
        },
    };
    const cluster = {
        kind: "Cluster",
        apiVersion: "kind.x-k8s.io/v1alpha4",
        name: args.clusterName,
        nodes: [
            {
                role: "control-plane",
                extraMounts: [{ hostPath: args.signingKeyHostPath, containerPath: KIND_SIGNING_KEY_CONTAINER_PATH, readOnly: true }],
                kubeadmConfigPatches: [yaml.dump(clusterConfiguration, { lineWidth: -1 })],
            },
        ],
    };
    return yaml.dump(cluster, { lineWidth: -1 });
}
