import { AGENT_ID_GRAPH_CALLS, agentIdGraphPermissions, awsOidcProviderArn, BLUEPRINT_FIC_GRAPH_PERMISSIONS } from "../src/contracts";
import type { EnvironmentAccess } from "./config";
import type { PermissionPolicy } from "./components/ci-aws-federation";
import type { TargetStack } from "./targets";

/**
 * What each environment's identities may do, per cloud, as pure functions of its access and its stack's own
 * configuration. Previews only read (enough for `pulumi preview` and the live trust audit); deploys may change
 * exactly what the stack manages.
 */

/** The appId of Microsoft Graph: its service principal publishes the app roles (application permissions). */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/**
 * Microsoft Graph application permissions, by value (Graph permissions reference; least-privileged per API):
 *  - Application.Read.All: read apps, service principals, their app role assignments and FICs, Blueprint FICs
 *    included (GET federatedIdentityCredentials lists Application.Read.All as least privileged);
 *  - Application.ReadWrite.OwnedBy: create the intermediary app and manage FICs on apps the identity owns;
 *  - AppRoleAssignment.ReadWrite.All (with Application.Read.All): assign the intermediary app's role to the UAMI;
 *  - for FICs on an Entra Agent ID Blueprint (Graph beta), one permission per verb the Blueprint FIC provider calls
 *    (BLUEPRINT_FIC_GRAPH_PERMISSIONS, from the beta pages' "Permissions for an agentIdentityBlueprint" tables): list and
 *    get need AgentIdentityBlueprint.Read.All (previews and the live audit read them too), create, update and delete
 *    need AgentIdentityBlueprint.Create, .AddRemoveCreds.All and .DeleteRestore.All;
 *  - for the Agent ID objects a stack creates (create mode: Blueprints, their principals, Agent Identities), exactly
 *    the least-privileged permission of each Graph call their providers make, derived from AGENT_ID_GRAPH_CALLS
 *    (`agentIdGraphPermissions`; previews get its read-only rows). Never AgentIdentityBlueprint.ReadWrite.All,
 *    Application.ReadWrite.All or Directory.ReadWrite.All; the opt-ins (sponsor changes, renames) are not granted.
 */
export function graphPermissions(access: EnvironmentAccess, target: TargetStack): string[] {
    const e = target.entra;
    const blueprintRead = e.usesAgentIdentityBlueprint ? [BLUEPRINT_FIC_GRAPH_PERMISSIONS.get] : [];
    const creating = agentIdGraphPermissions(e.agentIdCreation, access);
    // Appended, each once: a stack that creates nothing is granted exactly what it was before.
    const withCreation = (base: string[]): string[] => [...base, ...creating.filter((p) => !base.includes(p))];
    if (access === "preview") return withCreation(["Application.Read.All", ...blueprintRead]);
    return withCreation([
        "Application.Read.All",
        ...(e.createsIntermediaryApp || e.ownedApplicationObjectIds.length > 0 ? ["Application.ReadWrite.OwnedBy"] : []),
        ...(e.createsIntermediaryApp ? ["AppRoleAssignment.ReadWrite.All"] : []),
        ...(e.usesAgentIdentityBlueprint
            ? [...blueprintRead, BLUEPRINT_FIC_GRAPH_PERMISSIONS.create, BLUEPRINT_FIC_GRAPH_PERMISSIONS.update, BLUEPRINT_FIC_GRAPH_PERMISSIONS.delete]
            : []),
    ]);
}

/**
 * Graph application permissions that reach every object of their kind in the tenant, with no owned-by variant: the
 * Agent ID Blueprint writes (Graph beta, "Permissions for an agentIdentityBlueprint": any Blueprint's FICs), the
 * Agent ID object writes of create mode (AGENT_ID_GRAPH_CALLS: create, update, delete any Blueprint, principal or
 * Agent Identity) and AppRoleAssignment.ReadWrite.All (any app role, Graph's own included, to any service principal).
 */
export const TENANT_WIDE_GRAPH_WRITES: readonly string[] = [
    ...new Set([
        BLUEPRINT_FIC_GRAPH_PERMISSIONS.create,
        BLUEPRINT_FIC_GRAPH_PERMISSIONS.update,
        BLUEPRINT_FIC_GRAPH_PERMISSIONS.delete,
        "AppRoleAssignment.ReadWrite.All",
        // Every write of the Agent ID object providers: each reaches every Blueprint or Agent Identity in the tenant.
        ...AGENT_ID_GRAPH_CALLS.filter((c) => !c.readOnly).map((c) => c.application),
    ]),
];

/** A custom role the bootstrap defines in a stack's project (`projects/<project>/roles/<id>`). */
export interface GcpCustomRole {
    readonly id: string;
    readonly title: string;
    readonly description: string;
    /** Exactly these permissions, each justified where the role is defined below. */
    readonly permissions: readonly string[];
}

/** A project role, with an optional IAM condition; `custom` when the bootstrap defines the role itself. */
export interface GcpRoleGrant {
    /** `roles/<predefined>` or `projects/<project>/roles/<custom id>`. */
    readonly role: string;
    readonly custom?: GcpCustomRole;
    readonly condition?: { readonly title: string; readonly expression: string };
}

/**
 * The custom roles CI identities hold on a stack's project, with exactly the permissions each one needs. Permission
 * names as Google's role reference and "Manage workload identity pools and providers" spell them (workload identity
 * pool permissions carry the `iam.googleapis.com/` prefix there; the REST reference shortens them).
 *
 * No condition can narrow the service-account and pool permissions to the agent's own resources: IAM Conditions'
 * resource attributes (`resource.name`, `resource.type`) are recognised only for the services Google lists in
 * "Resource attributes for IAM Conditions", and IAM itself (`iam.googleapis.com`: service accounts, workload identity
 * pools) is not among them; `iam.googleapis.com/modifiedGrantsByRole` is documented for project, folder and
 * organization allow policies ("Set limits on granting roles"), not a service account's. The narrowest correct
 * alternative is a custom role holding only the verbs the stack's resources call, granted on the stack's project
 * only, with the CI pool and CI service accounts in a project no stack may use (bootstrap config refuses it).
 */
export const GCP_CI_ROLES = {
    /** Previews and the live trust audit: exactly the two reads docs/audit.md lists. */
    trustAudit: {
        id: "agentfedCiTrustAudit",
        title: "agentfed CI: trust audit (read)",
        description:
            "Lists workload identity pool providers and reads service-account allow policies: the live trust audit's reads. Managed by Pulumi (agentfed bootstrap).",
        permissions: ["iam.googleapis.com/workloadIdentityPoolProviders.list", "iam.serviceAccounts.getIamPolicy"],
    },
    /** Deploys: the agent's service accounts (serviceaccount.Account) and their impersonation binding (serviceaccount.IAMMember). */
    serviceAccounts: {
        id: "agentfedCiServiceAccounts",
        title: "agentfed CI: agent service accounts",
        description:
            "Creates, updates and deletes service accounts and sets their allow policies; no keys, no impersonation, no disable/undelete. Managed by Pulumi (agentfed bootstrap).",
        permissions: [
            "iam.serviceAccounts.create",
            "iam.serviceAccounts.delete",
            "iam.serviceAccounts.get",
            "iam.serviceAccounts.getIamPolicy",
            "iam.serviceAccounts.list",
            "iam.serviceAccounts.setIamPolicy",
            "iam.serviceAccounts.update",
        ],
    },
    /** Deploys: the agent's pool and providers (iam.WorkloadIdentityPool, iam.WorkloadIdentityPoolProvider). */
    workloadIdentityPools: {
        id: "agentfedCiWorkloadIdentityPools",
        title: "agentfed CI: agent workload identity pools",
        description: "Creates, reads, updates and deletes workload identity pools and their providers; no undelete. Managed by Pulumi (agentfed bootstrap).",
        permissions: [
            "iam.googleapis.com/workloadIdentityPoolProviders.create",
            "iam.googleapis.com/workloadIdentityPoolProviders.delete",
            "iam.googleapis.com/workloadIdentityPoolProviders.get",
            "iam.googleapis.com/workloadIdentityPoolProviders.list",
            "iam.googleapis.com/workloadIdentityPoolProviders.update",
            "iam.googleapis.com/workloadIdentityPools.create",
            "iam.googleapis.com/workloadIdentityPools.delete",
            "iam.googleapis.com/workloadIdentityPools.get",
            "iam.googleapis.com/workloadIdentityPools.list",
            "iam.googleapis.com/workloadIdentityPools.update",
        ],
    },
    /**
     * Deploys of a stack that enables APIs (projects.Service, never disabled on destroy): the one write,
     * `serviceusage.services.enable`, and the reads the provider makes after it (terraform-provider-google,
     * resource_google_project_service.go: create enables, then reads the enabled services; the enable call is a
     * long-running operation). Never `serviceusage.services.disable`, which Service Usage Admin holds.
     */
    serviceEnabler: {
        id: "agentfedCiServiceEnabler",
        title: "agentfed CI: enable APIs",
        description: "Enables services and reads their state; never disables one. Managed by Pulumi (agentfed bootstrap).",
        permissions: ["serviceusage.operations.get", "serviceusage.services.enable", "serviceusage.services.get", "serviceusage.services.list"],
    },
} as const satisfies Record<string, GcpCustomRole>;

const custom = (projectId: string, role: GcpCustomRole): GcpRoleGrant => ({ role: `projects/${projectId}/roles/${role.id}`, custom: role });

/**
 * Project roles on the stack's GCP project. Previews: the trust audit's two reads (`pulumi preview` refreshes
 * nothing). Deploys: the custom roles above, and Project IAM Admin with an IAM condition on
 * `iam.googleapis.com/modifiedGrantsByRole` limiting the roles it may grant to the list the stack's config names (its
 * models' roles) (Google Cloud, "Set limits on granting roles"). No CI identity holds an `iam.roles.*` permission, so
 * none can widen these custom roles.
 */
export function gcpRoles(access: EnvironmentAccess, target: TargetStack): GcpRoleGrant[] {
    const gcp = target.gcp;
    if (!gcp) return [];
    if (access === "preview") return [custom(gcp.projectId, GCP_CI_ROLES.trustAudit)];
    const grantable = gcp.grantedRoles.map((r) => `'${r}'`).join(", ");
    return [
        custom(gcp.projectId, GCP_CI_ROLES.workloadIdentityPools),
        custom(gcp.projectId, GCP_CI_ROLES.serviceAccounts),
        {
            role: "roles/resourcemanager.projectIamAdmin",
            condition: {
                title: "agentfed-model-roles-only",
                expression: `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${grantable}])`,
            },
        },
        ...(gcp.enableApis ? [custom(gcp.projectId, GCP_CI_ROLES.serviceEnabler)] : []),
    ];
}

/** Read-only IAM actions on the stack's OIDC provider and roles (enough for a preview and the trust audit). */
const AWS_READ = {
    provider: ["iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviderTags"],
    role: ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRoleTags"],
};
const AWS_WRITE = {
    provider: [
        "iam:CreateOpenIDConnectProvider",
        "iam:DeleteOpenIDConnectProvider",
        "iam:AddClientIDToOpenIDConnectProvider",
        "iam:RemoveClientIDFromOpenIDConnectProvider",
        "iam:UpdateOpenIDConnectProviderThumbprint",
        "iam:TagOpenIDConnectProvider",
        "iam:UntagOpenIDConnectProvider",
    ],
    role: [
        "iam:CreateRole",
        "iam:DeleteRole",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:ListInstanceProfilesForRole",
    ],
};

/** The role's inline policy: the stack's own OIDC provider and roles, by exact ARN; never a wildcard resource but the list calls. */
export function awsPolicy(access: EnvironmentAccess, target: TargetStack): PermissionPolicy | undefined {
    const aws = target.aws;
    if (!aws) return undefined;
    const providerArn = awsOidcProviderArn(aws.accountId, aws.providerUrl);
    const roleArns = aws.roleNames.map((n) => `arn:aws:iam::${aws.accountId}:role/${n}`);
    const write = access === "deploy";
    return {
        Version: "2012-10-17",
        Statement: [
            // List calls have no resource type in the Service Authorization Reference, so their resource is "*".
            // Previews also list roles: the live trust audit (docs/audit.md) runs with the preview identities and
            // must see every role whose trust policy names the provider, not only the stack's own.
            { Sid: "ListCalls", Effect: "Allow", Action: ["iam:ListOpenIDConnectProviders", ...(write ? [] : ["iam:ListRoles"])], Resource: ["*"] },
            { Sid: "StackOidcProvider", Effect: "Allow", Action: [...AWS_READ.provider, ...(write ? AWS_WRITE.provider : [])], Resource: [providerArn] },
            { Sid: "StackRoles", Effect: "Allow", Action: [...AWS_READ.role, ...(write ? AWS_WRITE.role : [])], Resource: roleArns },
        ],
    };
}

/**
 * Pulumi Cloud permission on the stack (Pulumi Cloud, "Permission sets"): previews get **Stack Read**, which includes
 * `stack:decrypt` and `stack:export` (every secret of the stack's configuration and its whole checkpoint, outputs
 * and secret outputs included); deploys get **Stack Write**, which adds `stack:write` (updates, `pulumi destroy`
 * included), `stack:import` (replace the checkpoint) and `stack:cancel_update`, but not `stack:delete` (Stack Admin).
 */
export function pulumiStackPermission(access: EnvironmentAccess): "read" | "edit" {
    return access === "deploy" ? "edit" : "read";
}
