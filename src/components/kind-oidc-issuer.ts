import * as pulumi from "@pulumi/pulumi";
import * as storage from "@pulumi/azure-native/storage";
import * as tls from "@pulumi/tls";
import {
    blobOidcIssuerUrl,
    discoveryDocument,
    DISCOVERY_BLOB_NAME,
    jsonWebKeySet,
    JWKS_BLOB_NAME,
    kubernetesKeyId,
    OIDC_CONTAINER_NAME,
    OIDC_DOCUMENT_CONTENT_TYPE,
    renderKindClusterConfig,
    renderOidcDocument,
} from "../contracts";

export interface KindOidcIssuerArgs {
    /** Storage account name (3-24 lowercase letters and digits, globally unique); it is part of the issuer URL. */
    storageAccountName: string;
    /** Resource group of the storage account. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region of the storage account. */
    location: pulumi.Input<string>;
    /** Kind cluster name written into the generated cluster configuration. */
    clusterName: string;
    /** Absolute host path the signing key is written to before `kind create cluster` (mounted into the node). */
    signingKeyHostPath: string;
    /** Size of the RSA signing key. Default: 2048. */
    rsaBits?: number;
    /** Further public keys (PEM) published alongside the managed key, for rotation. Default: none. */
    extraPublicKeys?: readonly string[];
    /** Tags for the storage account. Default: none. */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Protect the signing key and the storage account from deletion and replacement. Default: false. */
    protect?: boolean;
}

/**
 * A Kubernetes service-account issuer that needs no cluster to publish: a signing key kept in Pulumi state (as a
 * secret), and a storage account whose `oidc` container serves exactly two blobs, the discovery document and the
 * JWKS, to anonymous readers blob by blob (the container itself cannot be listed). The JWKS is computed from the
 * key with Kubernetes' key-id rule in the same deployment, so it matches the `kid` of every token the cluster signs.
 */
export class KindOidcIssuer extends pulumi.ComponentResource {
    /** The issuer URL, byte-identical in the discovery document, the Kind config and the FIC. */
    public readonly issuerUrl: pulumi.Output<string>;
    /** The key id (`kid`) of the managed signing key. */
    public readonly keyId: pulumi.Output<string>;
    /** The managed signing key's public half (PEM, SPKI). */
    public readonly publicKeyPem: pulumi.Output<string>;
    /** The managed signing key (PEM), a secret: written to `signingKeyHostPath` and mounted into Kind. */
    public readonly signingKeyPem: pulumi.Output<string>;
    /** The published discovery document, as uploaded. */
    public readonly discoveryDocument: pulumi.Output<string>;
    /** The published JWKS, as uploaded. */
    public readonly jwks: pulumi.Output<string>;
    /** The Kind cluster configuration (YAML) that makes the API server sign as this issuer. */
    public readonly clusterConfig: pulumi.Output<string>;
    /** The storage account name. */
    public readonly storageAccountName: pulumi.Output<string>;

    constructor(name: string, args: KindOidcIssuerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:kind:OidcIssuer", name, {}, opts);
        const protect = args.protect ?? false;

        const key = new tls.PrivateKey(`${name}-sa-signer`, { algorithm: "RSA", rsaBits: args.rsaBits ?? 2048 }, { parent: this, protect });

        const account = new storage.StorageAccount(
            name,
            {
                accountName: args.storageAccountName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                kind: storage.Kind.StorageV2,
                sku: { name: storage.SkuName.Standard_LRS },
                // Required for anonymous reads of the two blobs; the container's level keeps listing denied.
                allowBlobPublicAccess: true,
                enableHttpsTrafficOnly: true,
                minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
                tags: args.tags,
            },
            { parent: this, protect },
        );

        this.issuerUrl = issuerUrlOf(account);

        const container = new storage.BlobContainer(
            name,
            {
                accountName: account.name,
                resourceGroupName: args.resourceGroupName,
                containerName: OIDC_CONTAINER_NAME,
                // Blob-level: anyone may read a blob they know the name of, nobody may list the container.
                publicAccess: storage.PublicAccess.Blob,
            },
            { parent: this },
        );

        this.publicKeyPem = key.publicKeyPem;
        this.keyId = key.publicKeyPem.apply(kubernetesKeyId);
        this.signingKeyPem = pulumi.secret(key.privateKeyPem);
        this.discoveryDocument = this.issuerUrl.apply((issuer) => renderOidcDocument(discoveryDocument(issuer)));
        const extra = [...(args.extraPublicKeys ?? [])];
        this.jwks = key.publicKeyPem.apply((pem) => renderOidcDocument(jsonWebKeySet([pem, ...extra])));

        const where = { account, container, resourceGroupName: args.resourceGroupName };
        this.publish(`${name}-discovery`, DISCOVERY_BLOB_NAME, this.discoveryDocument, where);
        this.publish(`${name}-jwks`, JWKS_BLOB_NAME, this.jwks, where);

        this.clusterConfig = this.issuerUrl.apply((issuer) =>
            renderKindClusterConfig({ clusterName: args.clusterName, issuer, signingKeyHostPath: args.signingKeyHostPath }),
        );
        this.storageAccountName = account.name;

        this.registerOutputs({
            issuerUrl: this.issuerUrl,
            keyId: this.keyId,
            publicKeyPem: this.publicKeyPem,
            signingKeyPem: this.signingKeyPem,
            discoveryDocument: this.discoveryDocument,
            jwks: this.jwks,
            clusterConfig: this.clusterConfig,
            storageAccountName: this.storageAccountName,
        });
    }

    /** One document in the `oidc` container, readable by anyone who knows its name. */
    private publish(
        resourceName: string,
        blobName: string,
        content: pulumi.Output<string>,
        where: { account: storage.StorageAccount; container: storage.BlobContainer; resourceGroupName: pulumi.Input<string> },
    ): void {
        new storage.Blob(
            resourceName,
            {
                accountName: where.account.name,
                resourceGroupName: where.resourceGroupName,
                containerName: where.container.name,
                blobName,
                contentType: OIDC_DOCUMENT_CONTENT_TYPE,
                source: content.apply((text) => new pulumi.asset.StringAsset(text)),
            },
            { parent: this },
        );
    }
}

/**
 * The one place the issuer is computed. The check catches a cloud whose blob endpoint is not blob.core.windows.net
 * (sovereign clouds), where the published URL would differ from the issuer.
 */
function issuerUrlOf(account: storage.StorageAccount): pulumi.Output<string> {
    return pulumi.all([account.name, account.primaryEndpoints]).apply(([accountName, endpoints]) => {
        const issuer = blobOidcIssuerUrl(accountName);
        const expected = `https://${accountName}.blob.core.windows.net/`;
        if (endpoints.blob !== expected) {
            throw new Error(
                `Storage account ${accountName} serves blobs at ${endpoints.blob}, not ${expected}; the issuer ${issuer} would not be reachable. ` +
                    "Only the Azure public cloud is supported for agentfed:kind.",
            );
        }
        return issuer;
    });
}
