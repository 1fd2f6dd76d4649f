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
    /** Resolved inputs, as the provider would receive them (secrets unwrapped: the plan only ever holds placeholders). */
    readonly inputs: Record<string, unknown>;
    /** Top-level input names Pulumi marked secret. */
    readonly secretInputs: string[];
}

/** Pulumi's wire marker for a secret value: `{ [SECRET_SIG]: SECRET_VALUE, value }`. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

function isSecretEnvelope(value: unknown): value is { value: unknown } {
    return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** Replaces secret envelopes by their values, recursively. */
function unwrapSecrets(value: unknown): unknown {
    if (isSecretEnvelope(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    return value;
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
        const raw = args.inputs as Record<string, unknown>;
        const secretInputs = Object.keys(raw).filter((k) => isSecretEnvelope(raw[k]));
        const inputs = unwrapSecrets(raw) as Record<string, unknown>;
        // The dynamic provider's code is serialized into state; show its size, not the code.
        if (typeof inputs.__provider === "string") inputs.__provider = `<serialized dynamic provider: ${inputs.__provider.length} bytes>`;
        this.registrations.push({ type: args.type, name: args.name, custom: args.custom !== false, inputs, secretInputs });

        const computed = this.computed(args.type, args.name, inputs);
        const state = { ...inputs, ...computed.state, ...(this.overrides[`${args.type}::${args.name}`] ?? {}) };
        return { id: computed.id, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        if (args.token === "azure-native:operationalinsights:getSharedKeys") {
            return { primarySharedKey: "<placeholder: Log Analytics shared key, read at deploy time>", secondarySharedKey: "<placeholder>" };
        }
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
            case "azure-native:operationalinsights:Workspace": {
                const customerId = this.placeholder(type, name, "customerId", `workspace (customer) id of Log Analytics workspace ${name}`);
                return { id: `${sub}/resourceGroups/${inputs.resourceGroupName}/providers/Microsoft.OperationalInsights/workspaces/${name}`, state: { name, customerId } };
            }
            case "azure-native:app:ManagedEnvironment":
                return { id: `${sub}/resourceGroups/${inputs.resourceGroupName}/providers/Microsoft.App/managedEnvironments/${name}`, state: { name, defaultDomain: `${name}.westeurope.azurecontainerapps.io` } };
            case "azure-native:app:ContainerApp": {
                const appName = String(inputs.containerAppName ?? name);
                const configuration = (inputs.configuration ?? {}) as Record<string, unknown>;
                const ingress = (configuration.ingress ?? {}) as Record<string, unknown>;
                return {
                    id: `${sub}/resourceGroups/${inputs.resourceGroupName}/providers/Microsoft.App/containerApps/${appName}`,
                    state: { name: appName, configuration: { ...configuration, ingress: { ...ingress, fqdn: `${appName}.placeholder-env.westeurope.azurecontainerapps.io` } } },
                };
            }
            default:
                return { id: `${name}-id`, state: {} };
        }
    }
}
