import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Pulumi mocks that stand in for Azure Resource Manager and Microsoft Graph during the offline plan and the tests.
 * They return what the clouds would: ARM ids, Graph ids, and, for values only a cloud can know (object ids, client
 * ids), placeholder GUIDs of the form 00000000-0000-0000-0000-xxxxxxxxxxxx, each recorded with its meaning so the
 * plan can mark it.
 */

/** What a test may pin: computed properties by `<type>::<name>`, e.g. a specific UAMI principalId. */
export type MockOverrides = Record<string, Record<string, unknown>>;

export interface RecordedRegistration {
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    /** Resolved inputs, as the provider would receive them. */
    readonly inputs: Record<string, unknown>;
}

/** The placeholder subscription id used in ARM ids of the offline plan. */
export const PLACEHOLDER_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000";

export class AgentFedMocks implements pulumi.runtime.Mocks {
    readonly registrations: RecordedRegistration[] = [];
    /** Placeholder value -> what it stands for. */
    readonly placeholders = new Map<string, string>();

    constructor(
        private readonly tenantId: string,
        private readonly overrides: MockOverrides = {},
    ) {}

    private placeholder(type: string, name: string, field: string, meaning: string): string {
        const hex = createHash("sha256").update(`${type}::${name}::${field}`).digest("hex").slice(0, 12);
        const value = `00000000-0000-0000-0000-${hex}`;
        this.placeholders.set(value, meaning);
        return value;
    }

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
        const inputs = { ...(args.inputs as Record<string, unknown>) };
        // The dynamic provider's code is serialized into state; show its size, not the code.
        if (typeof inputs.__provider === "string") inputs.__provider = `<serialized dynamic provider: ${inputs.__provider.length} bytes>`;
        this.registrations.push({ type: args.type, name: args.name, custom: args.custom !== false, inputs });

        const computed = this.computed(args.type, args.name, inputs);
        const state = { ...inputs, ...computed.state, ...(this.overrides[`${args.type}::${args.name}`] ?? {}) };
        return { id: computed.id, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        return args.inputs as Record<string, unknown>;
    }

    private computed(type: string, name: string, inputs: Record<string, unknown>): { id: string; state: Record<string, unknown> } {
        const sub = `/subscriptions/${PLACEHOLDER_SUBSCRIPTION_ID}`;
        switch (type) {
            case "azure-native:resources:ResourceGroup":
                return { id: `${sub}/resourceGroups/${inputs.resourceGroupName}`, state: { name: inputs.resourceGroupName } };
            case "azure-native:managedidentity:UserAssignedIdentity": {
                const principalId = this.placeholder(type, name, "principalId", `principalId (object id) of UAMI ${inputs.resourceName}, assigned by Entra on create`);
                const clientId = this.placeholder(type, name, "clientId", `clientId of UAMI ${inputs.resourceName}, assigned by Entra on create`);
                return {
                    id: `${sub}/resourceGroups/${inputs.resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${inputs.resourceName}`,
                    state: { name: inputs.resourceName, principalId, clientId, tenantId: this.tenantId, type: "Microsoft.ManagedIdentity/userAssignedIdentities" },
                };
            }
            case "pulumi-nodejs:dynamic/agentfed:BlueprintFederatedIdentityCredential": {
                const credentialId = this.placeholder(type, name, "credentialId", `id Graph assigns to Blueprint FIC ${inputs.name}`);
                return { id: `${inputs.blueprintObjectId}/federatedIdentityCredentials/${credentialId}`, state: { credentialId } };
            }
            case "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": {
                const credentialId = this.placeholder(type, name, "credentialId", `id Entra assigns to FIC ${inputs.displayName}`);
                const objectId = String(inputs.applicationId).replace("/applications/", "");
                return { id: `${objectId}/federatedIdentityCredential/${credentialId}`, state: { credentialId } };
            }
            default:
                return { id: `${name}-id`, state: {} };
        }
    }
}
