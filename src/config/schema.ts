import type { BlueprintKind } from "../contracts";
import type { ContainerAppConfig } from "./container-app";
import type { CloudSharedConfigs } from "../clouds";
import type { KindConfig } from "./kind";
import type { AgentClassConfig, AgentConfig, AgentIdentityConfig } from "./agent-classes";
import type { CloudPrincipal } from "../contracts";
import type { BlueprintCreateConfig } from "./agent-id-objects";

/** A FIC declared literally in config (for example a GitHub Actions or CI subject), besides the UAMI's own. */
export interface DeclaredFederatedCredential {
    /** Immutable FIC name, unique on the Blueprint. */
    readonly name: string;
    /** Exact issuer URL (https, no whitespace). */
    readonly issuer: string;
    /** Exact subject; no wildcards. */
    readonly subject: string;
    /** Optional description stored on the FIC. */
    readonly description?: string;
}

/**
 * The validated, typed stack configuration. Produced once by `parseStackConfig`; nothing else reads config. Each
 * cloud federation's shared settings are under its id (`gcp`, `aws`; `CloudSharedConfigs`), undefined when its
 * section is not configured.
 */
export interface StackConfig extends CloudSharedConfigs {
    /** The config namespace (the Pulumi project name), used to name keys in messages. */
    readonly namespace: string;
    /** Entra tenant that owns the UAMI and the Blueprint. */
    readonly tenantId: string;
    /** Azure region for Azure resources. */
    readonly location: string;
    /** Resource group holding the UAMI; created by this stack unless `create` is false. */
    readonly resourceGroup: { readonly name: string; readonly create: boolean };
    /** When true (the default, and always in prod), identity resources are `protect`ed against deletion/replacement. */
    readonly protectIdentities: boolean;
    /** Tags applied to every Azure resource. */
    readonly tags: Readonly<Record<string, string>>;
    /** The user-assigned managed identity: the agent's runtime witness. */
    readonly uami: { readonly name: string };
    /** The Entra application the UAMI federates to. */
    readonly blueprint: {
        readonly kind: BlueprintKind;
        /** The appId, or in create mode a stand-in for the created Blueprint's (src/config/agent-id-objects.ts). */
        readonly appId: string;
        /** The object id, or in create mode a stand-in for the created Blueprint's. */
        readonly objectId: string;
        /** Create mode: the Blueprint (and principal) the stack creates; undefined when it is named by its ids. */
        readonly create?: BlueprintCreateConfig;
        /** Microsoft Graph root used for Agent ID Blueprints (sovereign clouds differ). */
        readonly graphEndpoint: string;
        /** Name of the FIC that trusts the UAMI. */
        readonly uamiFicName: string;
        /** Further FICs on the same Blueprint, declared literally. */
        readonly additionalFederatedCredentials: readonly DeclaredFederatedCredential[];
    };
    /** The agent's container app (agent, Entra auth sidecar, token refresher); undefined when not deployed here. */
    readonly containerApp: ContainerAppConfig | undefined;
    /** The Kind lower environment (issuer on Azure Blob, FIC, optional workload); undefined when `kind` is unset. */
    readonly kind: KindConfig | undefined;
    /** Which identity the primary agent's cloud contracts trust: `uami` (Option 1, default) or `agentIdentity` (Option 2). */
    readonly cloudPrincipal: CloudPrincipal;
    /** The primary agent's Agent Identity (what it and its Kind workload call APIs as; Option 2: what the clouds trust); undefined when it has none. */
    readonly agentIdentity: AgentIdentityConfig | undefined;
    /**
     * The primary agent in the shape every agent has (`AgentConfig`), from the top-level keys: `uami`, `blueprint`,
     * `cloudPrincipal`, `agentIdentity`, `containerApp`, and its principal in each cloud section (undefined when the
     * section holds only the shared keys).
     */
    readonly primaryAgent: AgentConfig;
    /** Agent classes beside the primary agent (Rais, "Entra Agent ID Across Clouds", Part 3: one UAMI per agent class); empty when none. */
    readonly agentClasses: readonly AgentClassConfig[];
    /** Accepted but risky choices, shown by the plan and logged by `pulumi preview`. */
    readonly warnings: readonly string[];
}
