import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";

export interface CiAzureScopeArgs {
    /** Subscription of the stack's resource group. */
    subscriptionId: string;
    /** The main stack's resource group, which every CI role assignment of the stack is scoped to. */
    resourceGroupName: string;
    /**
     * Create the group here (the main stack says `resourceGroup.create: false`), so CI identities can be scoped to it
     * before the stack's first deploy. False: the main stack manages the group, which must already exist; it is
     * named by id only.
     */
    createGroup: boolean;
    /** Azure region of the group (the main stack's `location`). */
    location: string;
    /** Protect the group (deleting it deletes the stack's identities). */
    protect: boolean;
}

/** Built-in role ids, identical in every tenant (Microsoft Learn, "Azure built-in roles"). */
export const AZURE_BUILT_IN_ROLES = {
    Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
} as const;

/**
 * The Azure scope of one main stack: its resource group, which every CI role assignment of the stack is scoped to.
 * Previews need nothing beyond `Reader` there: the stack's Container Apps environment sends its logs through Azure
 * Monitor, so no preview reads a Log Analytics shared key (the custom role that granted
 * `Microsoft.OperationalInsights/workspaces/sharedKeys/action` is gone).
 */
export class CiAzureScope extends pulumi.ComponentResource {
    /** ARM id of the resource group: every CI role assignment of this stack is scoped to it. */
    public readonly resourceGroupId: pulumi.Output<string>;

    constructor(name: string, args: CiAzureScopeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:bootstrap:AzureScope", name, {}, opts);
        this.resourceGroupId = args.createGroup
            ? new resources.ResourceGroup(
                  name,
                  { resourceGroupName: args.resourceGroupName, location: args.location, tags: { "managed-by": "pulumi-agentfed-bootstrap" } },
                  { parent: this, protect: args.protect },
              ).id
            : pulumi.output(`/subscriptions/${args.subscriptionId}/resourceGroups/${args.resourceGroupName}`);
        this.registerOutputs({ resourceGroupId: this.resourceGroupId });
    }
}

/** The full id of a built-in role definition in a subscription. */
export function builtInRoleId(subscriptionId: string, role: keyof typeof AZURE_BUILT_IN_ROLES): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${AZURE_BUILT_IN_ROLES[role]}`;
}
