import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as azuread from "@pulumi/azuread";
import { EntraFicContract, entraFicContract, WorkloadSubject } from "../../src/contracts";
import { builtInRoleId } from "./ci-azure-scope";

export interface CiEntraIdentityArgs {
    /** Display name of the app registration (one per GitHub environment). */
    displayName: string;
    /** The GitHub environment's workload subject for `api://AzureADTokenExchange`; the FIC pins it. */
    subject: WorkloadSubject;
    /** Subscription of the resource group. */
    subscriptionId: string;
    /** The resource group the identity may read (`Reader`) or change (`Contributor`). */
    resourceGroupId: pulumi.Input<string>;
    /** `preview` reads, `deploy` writes. */
    access: "preview" | "deploy";
    /** Microsoft Graph application permissions, by value (e.g. `Application.Read.All`). */
    graphPermissions: readonly string[];
    /** Graph's service principal: its object id and its app role ids by value (read from Graph, never typed). */
    graph: { objectId: pulumi.Input<string>; appRoleIds: pulumi.Input<Record<string, string>> };
    /** Classic app registrations (object ids) the deploy identity owns, so Application.ReadWrite.OwnedBy covers their FICs. */
    ownedApplicationObjectIds?: readonly string[];
    protect: boolean;
}

/**
 * One GitHub environment's identity in Entra and Azure: an app registration and its service principal, a FIC
 * pinning exactly the environment's subject (audience `api://AzureADTokenExchange`), Azure RBAC on the stack's
 * resource group only, and Graph application permissions granted as app role assignments on Graph's service
 * principal (the ids resolved from Graph at deploy time). No secret or certificate is ever added to the app.
 */
export class CiEntraIdentity extends pulumi.ComponentResource {
    /** AZURE_CLIENT_ID of the environment. */
    public readonly clientId: pulumi.Output<string>;
    public readonly servicePrincipalObjectId: pulumi.Output<string>;
    /** The FIC, as plain JSON. */
    public readonly contract: pulumi.Output<EntraFicContract>;

    constructor(name: string, args: CiEntraIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:bootstrap:EntraIdentity", name, {}, opts);
        const protect = args.protect;
        const app = new azuread.Application(
            name,
            {
                displayName: args.displayName,
                description: `GitHub Actions, ${args.subject.subject}: ${args.access} only. Federated (no secret). Managed by Pulumi (agentfed bootstrap).`,
                signInAudience: "AzureADMyOrg",
                preventDuplicateNames: true,
            },
            { parent: this, protect },
        );
        const sp = new azuread.ServicePrincipal(name, { clientId: app.clientId }, { parent: this, protect });

        this.contract = pulumi
            .all([app.clientId, app.objectId])
            .apply(([appId, objectId]) =>
                entraFicContract(`github-${args.subject.github?.environment ?? "ci"}`, { kind: "application", appId, objectId }, args.subject),
            );
        new azuread.ApplicationFederatedIdentityCredential(
            name,
            {
                applicationId: app.id,
                displayName: this.contract.name,
                description: `Trusts ${args.subject.subject} only.`,
                issuer: this.contract.issuer,
                subject: this.contract.subject,
                audiences: this.contract.audiences.apply((a) => [...a]),
            },
            { parent: this, protect, deleteBeforeReplace: true },
        );

        const assign = (suffix: string, roleDefinitionId: pulumi.Input<string>, description: string) =>
            new authorization.RoleAssignment(
                `${name}-${suffix}`,
                { scope: args.resourceGroupId, principalId: sp.objectId, principalType: "ServicePrincipal", roleDefinitionId, description },
                { parent: this },
            );
        if (args.access === "deploy") assign("contributor", builtInRoleId(args.subscriptionId, "Contributor"), "agentfed CI deploy: the stack's resources");
        else assign("reader", builtInRoleId(args.subscriptionId, "Reader"), "agentfed CI preview: read the stack's resources");

        for (const permission of args.graphPermissions) {
            new azuread.AppRoleAssignment(
                `${name}-graph-${permission}`,
                {
                    appRoleId: pulumi.output(args.graph.appRoleIds).apply((ids) => {
                        const id = ids[permission];
                        if (!id)
                            throw new Error(
                                `Microsoft Graph publishes no application permission ${permission}; check the name in Graph's permissions reference`,
                            );
                        return id;
                    }),
                    principalObjectId: sp.objectId,
                    resourceObjectId: args.graph.objectId,
                },
                { parent: this, protect },
            );
        }
        for (const objectId of args.ownedApplicationObjectIds ?? []) {
            new azuread.ApplicationOwner(
                `${name}-owns-${objectId}`,
                { applicationId: `/applications/${objectId}`, ownerObjectId: sp.objectId },
                { parent: this },
            );
        }

        this.clientId = app.clientId;
        this.servicePrincipalObjectId = sp.objectId;
        this.registerOutputs({ clientId: this.clientId, servicePrincipalObjectId: this.servicePrincipalObjectId, contract: this.contract });
    }
}
