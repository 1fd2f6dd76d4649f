import { awsOidcProviderArn, BLUEPRINT_FIC_GRAPH_PERMISSIONS } from "../src/contracts";
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
 *    need AgentIdentityBlueprint.Create, .AddRemoveCreds.All and .DeleteRestore.All.
 */
export function graphPermissions(access: EnvironmentAccess, target: TargetStack): string[] {
    const e = target.entra;
    const blueprintRead = e.usesAgentIdentityBlueprint ? [BLUEPRINT_FIC_GRAPH_PERMISSIONS.get] : [];
    if (access === "preview") return ["Application.Read.All", ...blueprintRead];
    return [
        "Application.Read.All",
        ...(e.createsIntermediaryApp || e.ownedApplicationObjectIds.length > 0 ? ["Application.ReadWrite.OwnedBy"] : []),
        ...(e.createsIntermediaryApp ? ["AppRoleAssignment.ReadWrite.All"] : []),
        ...(e.usesAgentIdentityBlueprint
            ? [...blueprintRead, BLUEPRINT_FIC_GRAPH_PERMISSIONS.create, BLUEPRINT_FIC_GRAPH_PERMISSIONS.update, BLUEPRINT_FIC_GRAPH_PERMISSIONS.delete]
            : []),
    ];
}

/** A project role, with an optional IAM condition. */
export interface GcpRoleGrant {
    readonly role: string;
    readonly condition?: { readonly title: string; readonly expression: string };
}

/**
 * Project roles on the stack's GCP project. A deploy may grant project roles only in the list the stack's config
 * names (its models' roles): Project IAM Admin with an IAM condition on `iam.googleapis.com/modifiedGrantsByRole`
 * (Google Cloud, "Set limits on granting roles").
 */
export function gcpRoles(access: EnvironmentAccess, target: TargetStack): GcpRoleGrant[] {
    const gcp = target.gcp;
    if (!gcp) return [];
    if (access === "preview")
        return [
            { role: "roles/iam.workloadIdentityPoolViewer" },
            { role: "roles/iam.serviceAccountViewer" },
            { role: "roles/iam.securityReviewer" },
            ...(gcp.enableApis ? [{ role: "roles/serviceusage.serviceUsageViewer" }] : []),
        ];
    const grantable = gcp.grantedRoles.map((r) => `'${r}'`).join(", ");
    return [
        { role: "roles/iam.workloadIdentityPoolAdmin" },
        { role: "roles/iam.serviceAccountAdmin" },
        {
            role: "roles/resourcemanager.projectIamAdmin",
            condition: {
                title: "agentfed-model-roles-only",
                expression: `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${grantable}])`,
            },
        },
        ...(gcp.enableApis ? [{ role: "roles/serviceusage.serviceUsageAdmin" }] : []),
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

/** Pulumi Cloud permission on the stack: read for previews, edit (update, not delete) for deploys. */
export function pulumiStackPermission(access: EnvironmentAccess): "read" | "edit" {
    return access === "deploy" ? "edit" : "read";
}
