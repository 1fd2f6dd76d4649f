import * as pulumi from "@pulumi/pulumi";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { uamiWorkloadSubject, WorkloadSubject } from "../contracts";

export interface ManagedIdentityArgs {
    /** Azure resource name of the UAMI (e.g. `mi-weather-agent`); a label, never used to look the identity up. */
    resourceName: string;
    /** Resource group that holds the UAMI. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Entra tenant the identity must belong to; its tokens' issuer is derived from it. */
    tenantId: string;
    /** Tags for the UAMI. Default: none. */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /**
     * Protect the UAMI from deletion and replacement. A recreated UAMI gets a new object id and every trust contract
     * pinned to the old one breaks silently (Rais, "Entra Agent ID Across Clouds", Part 3), so this defaults to true.
     */
    protect?: boolean;
}

/**
 * The agent's runtime witness: a user-assigned managed identity (never a system-assigned one, whose object id
 * changes with every recreate). Its object id is read once, here, and flows to every trust contract through
 * `workloadSubject`; nothing looks it up by name.
 */
export class ManagedIdentity extends pulumi.ComponentResource {
    /** The UAMI object id (principalId): the `sub` of its tokens and the value every contract pins. */
    public readonly oid: pulumi.Output<string>;
    /** The UAMI client id: `AZURE_CLIENT_ID` / `ManagedIdentityClientId` for code that requests its tokens. */
    public readonly clientId: pulumi.Output<string>;
    /** The ARM resource id, for attaching the UAMI to a container app and for Azure RBAC. */
    public readonly resourceId: pulumi.Output<string>;
    /** The Azure resource name. */
    public readonly resourceName: pulumi.Output<string>;
    /** The subject of the UAMI's token for api://AzureADTokenExchange, as it arrives on the wire. */
    public readonly workloadSubject: pulumi.Output<WorkloadSubject>;

    constructor(name: string, args: ManagedIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:azure:ManagedIdentity", name, {}, opts);

        const uami = new managedidentity.UserAssignedIdentity(
            name,
            {
                resourceName: args.resourceName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tags: args.tags,
            },
            { parent: this, protect: args.protect ?? true },
        );

        this.oid = uami.principalId;
        this.clientId = uami.clientId;
        this.resourceId = uami.id;
        this.resourceName = uami.name;
        // The one place the UAMI's subject is computed. The tenant check catches a subscription that belongs to
        // another tenant than configured, which would otherwise produce contracts no token can satisfy. Only a
        // different tenant fails: a provider that reports none gives no evidence of a mismatch.
        this.workloadSubject = pulumi.all([uami.tenantId, uami.principalId]).apply(([actualTenant, oid]) => {
            // Compared without case: a GUID names the same tenant in either case (config is lowercased when parsed).
            if (typeof actualTenant === "string" && actualTenant !== "" && actualTenant.toLowerCase() !== args.tenantId.toLowerCase()) {
                throw new Error(
                    `UAMI ${args.resourceName} belongs to tenant ${actualTenant}, but agentfed:tenantId is ${args.tenantId}. ` +
                        "Its tokens would never match the contracts built here: fix agentfed:tenantId or the Azure subscription.",
                );
            }
            return uamiWorkloadSubject(args.tenantId, oid);
        });

        this.registerOutputs({ oid: this.oid, clientId: this.clientId, resourceId: this.resourceId, workloadSubject: this.workloadSubject });
    }
}
