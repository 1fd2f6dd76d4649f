import type * as pulumi from "@pulumi/pulumi";
import { CLOUDS, CloudAgentOutputs, CloudStackOutputs } from "./clouds";
import type { BlueprintKind, CloudPrincipal, TrustContract } from "./contracts";

export type { AwsTokenRefresherContract } from "./clouds/aws/outputs";

/** What other stacks read about one agent class, besides what its cloud federations and its app add. */
export interface AgentCoreOutputs {
    uamiOid: string;
    uamiClientId: string;
    uamiResourceId: string;
    blueprintAppId: string;
    blueprintFicName: string;
    /** `uami` (Option 1) or `agentIdentity` (Option 2): the identity the class's cloud contracts trust. */
    cloudPrincipal: CloudPrincipal;
    /**
     * The object id of the Agent Identity the class calls its APIs as (the `oid` of its tokens; under Option 2 also what
     * the clouds trust), or null when it has none (a classic app registration).
     */
    agentIdentityObjectId: string | null;
    /** That Agent Identity's client id (the `appid`/`azp` of its tokens, and the sidecar's `?AgentIdentity=`), or null. */
    agentIdentityClientId: string | null;
}

/** An agent's container app, in its outputs. */
export interface AgentAppOutputs {
    /** The agent's container app name, or null when this stack deploys none for it. */
    containerAppName: string | null;
    /** The agent's ingress FQDN, or null when this stack deploys no container app for it. */
    containerAppFqdn: string | null;
}

/**
 * What other stacks read about one agent class (the `agentClasses` stack output, keyed by class name): its identities,
 * the outputs each cloud federation adds (`gcpWorkloadIdentityProvider`, `awsRoleArn`...; null where the class has no
 * principal), and its app.
 */
export type AgentClassOutputs = AgentCoreOutputs & CloudAgentOutputs & AgentAppOutputs;

/**
 * The stack-output contract: everything other stacks may read with `StackReference`, as resolved values: these, and
 * the outputs each cloud federation adds for the primary agent and the stack (`CloudStackOutputs`: the GCP provider,
 * the AWS role and OIDC provider...). Renaming or removing a key breaks consumers; `test/outputs.test.ts` pins the names.
 */
export type AgentIdentityStackOutputs = StackCoreOutputs & CloudStackOutputs;

/** The stack outputs besides the cloud federations'. */
export interface StackCoreOutputs {
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
    /**
     * The object id of the Agent Identity the primary agent (and its Kind workload) calls its APIs as: the `oid` of its
     * tokens, under Option 2 also what the clouds trust. Null when it has none (a classic app registration).
     */
    agentIdentityObjectId: string | null;
    /** That Agent Identity's client id: the `appid`/`azp` of its tokens and the sidecar's `?AgentIdentity=`; null when none. */
    agentIdentityClientId: string | null;
    /** The agent classes (`agentClasses` config), keyed by class name: identities, cloud principals, app. Empty without classes. */
    agentClasses: Record<string, AgentClassOutputs>;
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

/** The outputs after the clouds', in a stable order. */
const LATER_OUTPUT_NAMES = [
    "containerAppName",
    "containerAppFqdn",
    "kindIssuerUrl",
    "kindClusterConfig",
    "kindServiceAccountSigningKey",
    "kindServiceAccountPublicKey",
    "agentClasses",
    "cloudPrincipal",
    "agentIdentityObjectId",
    "agentIdentityClientId",
] as const satisfies readonly (keyof AgentIdentityStackOutputs)[];

/** The names of the stack outputs, in a stable order: the core ones, each cloud's (in the registry's order), the rest. */
export const STACK_OUTPUT_NAMES: readonly (keyof AgentIdentityStackOutputs)[] = [
    ...CORE_OUTPUT_NAMES,
    ...CLOUDS.flatMap((cloud): readonly (keyof CloudStackOutputs)[] => cloud.outputs.stack),
    ...LATER_OUTPUT_NAMES,
];

// Compile-time guarantee that the names cover every key of the contract.
type Missing = Exclude<keyof AgentIdentityStackOutputs, (typeof CORE_OUTPUT_NAMES)[number] | keyof CloudStackOutputs | (typeof LATER_OUTPUT_NAMES)[number]>;
const _everyOutputIsNamed: Missing extends never ? true : Missing = true;
void _everyOutputIsNamed;

/** Outputs Pulumi stores encrypted; the offline plan prints them redacted. */
export const SECRET_OUTPUT_NAMES: readonly (keyof AgentIdentityStackOutputs)[] = ["kindServiceAccountSigningKey"];

/** The program's return value: each output as a Pulumi Output. */
export type StackOutputs = { [K in keyof AgentIdentityStackOutputs]: pulumi.Output<AgentIdentityStackOutputs[K]> };
