import { Provider as AzureNativeProvider } from "@pulumi/azure-native/provider";
import { Provider as AzureAdProvider } from "@pulumi/azuread/provider";

/**
 * The names of the bootstrap's explicit Azure and Entra providers. They are part of every Azure and Entra resource's
 * state (its provider reference): renaming one changes that reference on every resource, so they never change.
 */
export const AZURE_PROVIDER_NAME = "agentfed-azure";
export const ENTRA_PROVIDER_NAME = "agentfed-entra";

/** The bootstrap's Azure Resource Manager and Microsoft Graph providers, each pinned to the configured tenant. */
export interface TenantPinnedProviders {
    readonly azure: AzureNativeProvider;
    readonly entra: AzureAdProvider;
}

/**
 * Explicit providers pinned to `agentfed-bootstrap:azure`, so the resource groups, role assignments, apps and Graph
 * grants land in the configured subscription and tenant, never in whichever ones the operator's `az login` defaults
 * to. azure-native takes `subscriptionId` and `tenantId`, azuread takes `tenantId` (their `ProviderArgs`). With
 * Azure CLI credentials, azure-native asks the CLI for a token of that tenant and for that subscription's account
 * (`az account show --subscription`), and azuread for a token of that tenant: a login that cannot reach them fails
 * before anything is written (pulumi-azure-native, provider/pkg/provider/auth_azidentity.go).
 */
export function tenantPinnedProviders(azure: { readonly tenantId: string; readonly subscriptionId: string }): TenantPinnedProviders {
    return {
        azure: new AzureNativeProvider(AZURE_PROVIDER_NAME, { tenantId: azure.tenantId, subscriptionId: azure.subscriptionId }),
        entra: new AzureAdProvider(ENTRA_PROVIDER_NAME, { tenantId: azure.tenantId }),
    };
}
