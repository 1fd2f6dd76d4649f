import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
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
    /** The stack deploys a Container Apps environment: previews read its Log Analytics shared key. */
    hasContainerApp: boolean;
    /** Protect the group (deleting it deletes the stack's identities). */
    protect: boolean;
}

/** Built-in role ids, identical in every tenant (Microsoft Learn, "Azure built-in roles"). */
export const AZURE_BUILT_IN_ROLES = {
    Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
} as const;

/**
 * The Azure scope of one main stack: its resource group, and the one extra action a preview needs there.
 * `pulumi preview` of a stack with a Container Apps environment calls the `getSharedKeys` invoke on its Log
 * Analytics workspace (Microsoft.OperationalInsights/workspaces/sharedKeys/action), which Reader lacks; a custom
 * role assignable only in this group grants exactly that action.
 */
export class CiAzureScope extends pulumi.ComponentResource {
    /** ARM id of the resource group: every CI role assignment of this stack is scoped to it. */
    public readonly resourceGroupId: pulumi.Output<string>;
    /** Full role definition id of the shared-key reader, when the stack has a Container Apps environment. */
    public readonly sharedKeyReaderRoleId: pulumi.Output<string> | undefined;

    constructor(name: string, args: CiAzureScopeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:bootstrap:AzureScope", name, {}, opts);
        this.resourceGroupId = args.createGroup
            ? new resources.ResourceGroup(
                  name,
                  { resourceGroupName: args.resourceGroupName, location: args.location, tags: { "managed-by": "pulumi-agentfed-bootstrap" } },
                  { parent: this, protect: args.protect },
              ).id
            : pulumi.output(`/subscriptions/${args.subscriptionId}/resourceGroups/${args.resourceGroupName}`);
        const groupId = this.resourceGroupId;
        if (args.hasContainerApp) {
            const role = new authorization.RoleDefinition(
                `${name}-log-analytics-key-reader`,
                {
                    scope: groupId,
                    roleName: `agentfed CI: Log Analytics shared key reader (${args.resourceGroupName})`,
                    description:
                        "Reads the shared key of the stack's Log Analytics workspace, which pulumi preview reads. Managed by Pulumi (agentfed bootstrap).",
                    roleType: "CustomRole",
                    permissions: [
                        { actions: ["Microsoft.OperationalInsights/workspaces/sharedKeys/action"], notActions: [], dataActions: [], notDataActions: [] },
                    ],
                    assignableScopes: [groupId],
                },
                { parent: this },
            );
            this.sharedKeyReaderRoleId = role.id;
        }
        this.registerOutputs({ resourceGroupId: this.resourceGroupId });
    }
}

/** The full id of a built-in role definition in a subscription. */
export function builtInRoleId(subscriptionId: string, role: keyof typeof AZURE_BUILT_IN_ROLES): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${AZURE_BUILT_IN_ROLES[role]}`;
}
