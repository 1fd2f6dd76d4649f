import type * as pulumi from "@pulumi/pulumi";
import type { AwsAudienceMode, BlueprintKind, CloudPrincipal, TrustContract } from "./contracts";

/** What other stacks read about one agent class (the `agentClasses` stack output, keyed by class name). */
export interface AgentClassOutputs {
    uamiOid: string;
    uamiClientId: string;
    uamiResourceId: string;
    blueprintAppId: string;
    blueprintFicName: string;
    /** `uami` (Option 1) or `agentIdentity` (Option 2): the identity the class's cloud contracts trust. */
    cloudPrincipal: CloudPrincipal;
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
 * The stack-output contract: everything other stacks may read with `StackReference`, as resolved values.
 * Renaming or removing a key breaks consumers; `test/outputs.test.ts` pins the names.
 */
export interface AgentIdentityStackOutputs {
    /** Entra tenant id of the UAMI and the Blueprint. */
    tenantId: string;
    /** UAMI object id (principalId): the subject every trust contract pins. */
    uamiOid: string;
    /** UAMI client id: AZURE_CLIENT_ID for the agent, ManagedIdentityClientId for the sidecar. */
    uamiClientId: string;
    /** UAMI ARM resource id: what a container app lists under its user-assigned identities. */
    uamiResourceId: string;
    /** UAMI Azure resource name (a label only). */
    uamiName: string;
    /** Blueprint application (client) id: AzureAd__ClientId for the sidecar. */
    blueprintAppId: string;
    /** Blueprint application object id. */
    blueprintObjectId: string;
    /** Whether the Blueprint is an Entra Agent ID Blueprint or a classic app registration. */
    blueprintKind: BlueprintKind;
    /** Name of the FIC that trusts the UAMI. */
    blueprintFicName: string;
    /** Every trust contract this stack deployed, as plain JSON (input to `npm run doctor`): the primary agent's, then each class's. */
    trustContracts: TrustContract[];
    /** Which identity the primary agent's cloud contracts trust: `uami` (Option 1) or `agentIdentity` (Option 2). */
    cloudPrincipal: CloudPrincipal;
    /** The primary agent's Agent Identity object id under Option 2, else null. */
    agentIdentityObjectId: string | null;
    /** The agent classes (`agentClasses` config), keyed by class name: identities, cloud principals, app. Empty without classes. */
    agentClasses: Record<string, AgentClassOutputs>;
    /** GCP provider resource name (projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>); null without `gcp`. */
    gcpWorkloadIdentityProvider: string | null;
    /** Email of the service account the agent impersonates; null without `gcp`. */
    gcpServiceAccountEmail: string | null;
    /** The agent's `external_account` credential configuration (JSON text); null without `gcp`. */
    gcpCredentialConfig: string | null;
    /** ARN of the role the agent assumes with web identity; null without `aws`. */
    awsRoleArn: string | null;
    /** ARN of the IAM OIDC provider for the token's issuer; null without `aws`. */
    awsOidcProviderArn: string | null;
    /** What the token refresher needs for AWS; null without `aws`. */
    awsTokenRefresher: AwsTokenRefresherContract | null;
    /** The agent's container app name, or null when this stack deploys none. */
    containerAppName: string | null;
    /** The agent's ingress FQDN, or null when this stack deploys no container app. */
    containerAppFqdn: string | null;
    /** Kind lower environment: the service-account issuer URL on Azure Blob; null in stacks without `kind`. */
    kindIssuerUrl: string | null;
    /** Kind lower environment: the generated `kind create cluster --config` file (YAML); null without `kind`. */
    kindClusterConfig: string | null;
    /** Kind lower environment: the service-account signing key (PEM), a secret output; null without `kind`. */
    kindServiceAccountSigningKey: string | null;
    /** Kind lower environment: the signing key's public half (PEM), for rotation (`extraPublicKeys`); null without `kind`. */
    kindServiceAccountPublicKey: string | null;
}

/** The runtime side of the AWS contract: what to request, where to write it, which role it buys. */
export interface AwsTokenRefresherContract {
    mode: AwsAudienceMode;
    /**
     * The audience of the token written to `tokenFile`: in modes workload and tenant, the resource requested from the
     * managed-identity endpoint; in mode exchange, the intermediary app's identifier URI, obtained by exchanging a
     * UAMI token for api://AzureADTokenExchange with the client-credentials grant (`scope`).
     */
    resource: string;
    /** Scope of the client-credentials exchange (mode `exchange`), else null. */
    scope: string | null;
    /** Client id of the intermediary app that performs the exchange (mode `exchange`), else null. */
    intermediaryClientId: string | null;
    roleArn: string;
    region: string;
    /** AWS_WEB_IDENTITY_TOKEN_FILE. */
    tokenFile: string;
}

/** Outputs every agentfed stack has exported since the first release, never null: a consumer may require them. */
export const CORE_OUTPUT_NAMES = [
    "tenantId",
    "uamiOid",
    "uamiClientId",
    "uamiResourceId",
    "uamiName",
    "blueprintAppId",
    "blueprintObjectId",
    "blueprintKind",
    "blueprintFicName",
    "trustContracts",
] as const satisfies readonly (keyof AgentIdentityStackOutputs)[];

/** The names of the stack outputs, in a stable order. */
export const STACK_OUTPUT_NAMES = [
    ...CORE_OUTPUT_NAMES,
    "gcpWorkloadIdentityProvider",
    "gcpServiceAccountEmail",
    "gcpCredentialConfig",
    "awsRoleArn",
    "awsOidcProviderArn",
    "awsTokenRefresher",
    "containerAppName",
    "containerAppFqdn",
    "kindIssuerUrl",
    "kindClusterConfig",
    "kindServiceAccountSigningKey",
    "kindServiceAccountPublicKey",
    "agentClasses",
    "cloudPrincipal",
    "agentIdentityObjectId",
] as const satisfies readonly (keyof AgentIdentityStackOutputs)[];

// Compile-time guarantee that STACK_OUTPUT_NAMES lists every key of the interface.
type Missing = Exclude<keyof AgentIdentityStackOutputs, (typeof STACK_OUTPUT_NAMES)[number]>;
const _everyOutputIsNamed: Missing extends never ? true : Missing = true;
void _everyOutputIsNamed;

/** Outputs Pulumi stores encrypted; the offline plan prints them redacted. */
export const SECRET_OUTPUT_NAMES: readonly (keyof AgentIdentityStackOutputs)[] = ["kindServiceAccountSigningKey"];

/** The program's return value: each output as a Pulumi Output. */
export type StackOutputs = { [K in keyof AgentIdentityStackOutputs]: pulumi.Output<AgentIdentityStackOutputs[K]> };
