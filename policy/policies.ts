import type { PolicyPackArgs, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import * as checks from "./checks";

type Policies = PolicyPackArgs["policies"];

function forTypes(types: readonly string[], check: (props: Record<string, unknown>) => string[]) {
    return (args: ResourceValidationArgs, report: ReportViolation): void => {
        if (types.includes(args.type)) for (const v of check(args.props)) report(v);
    };
}

/** Stacks held to production rules (protection). Configurable per policy: `prodStacks`. */
const DEFAULT_PROD_STACKS = ["prod"];

/** The security review of this stack, as mandatory CrossGuard policies. */
export const policies: Policies = [
    {
        name: "container-apps-user-assigned-identity-only",
        description:
            "Container apps run as user-assigned managed identities only: a system-assigned identity changes object id on every recreate, silently breaking every FIC and cloud condition pinned to it (Rais, 'Entra Agent ID Across Clouds', Part 3).",
        enforcementLevel: "mandatory",
        validateResource: forTypes([checks.TYPES.containerApp], checks.containerAppIdentity),
    },
    {
        name: "fic-exact-contract",
        description:
            "Every federated identity credential pins an exact https issuer, one non-wildcard subject, and the single audience api://AzureADTokenExchange (AADSTS70021 / AADSTS700214 otherwise).",
        enforcementLevel: "mandatory",
        validateResource: forTypes([checks.TYPES.armFic, checks.TYPES.appFic, checks.TYPES.blueprintFic], checks.ficContract),
    },
    {
        name: "entra-sidecar-loopback-only",
        description:
            "The Entra auth sidecar answers loopback callers only: an image of 1.1.0 or later (1.0.x only filters the Host header, which any caller sets), never the Development environment (which turns the check off), no forwarded-headers processing (X-Forwarded-For would pass a remote caller off as local).",
        enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            for (const v of checks.sidecarLoopbackOnly(args.type, args.props)) report(v);
        },
    },
    {
        name: "entra-sidecar-overrides-bounded",
        description:
            "Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated=true (which every agent on an Agent ID Blueprint needs: the sidecar takes the Agent Identity only from ?AgentIdentity=) only where nothing but the replica reaches the sidecar: 1.1.0 or later, not Development, no forwarded headers, the sidecar port outside ingress, and GetAuthorizationHeader, CallDownstreamApi and CallDownstreamApiUnauthenticated written false. CallDownstreamApiUnauthenticated overrides never.",
        enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            for (const v of checks.sidecarOverrides(args.type, args.props)) report(v);
        },
    },
    {
        name: "agent-identities-share-blueprint",
        description:
            "Advice: container apps whose agents call as different Agent Identities of one Blueprint. Any replica the Blueprint trusts can act as any of its Agent Identities (Entra's model, not a sidecar setting); give an agent a Blueprint of its own where that matters.",
        enforcementLevel: "advisory",
        validateStack: (args: StackValidationArgs, report) => {
            for (const v of checks.sharedBlueprintIdentities(args.resources)) report(v);
        },
    },
    {
        name: "gcp-provider-pins-subject",
        description:
            "GCP workload identity providers have an attribute condition that pins a subject (never tid-only), pin a GitHub repository by its immutable repository_id and repository_owner_id (never by name or owner alone), and list the token-exchange GUID audience whenever the issuer is Entra v2 (it is what arrives on the wire).",
        enforcementLevel: "mandatory",
        validateResource: forTypes([checks.TYPES.gcpProvider], checks.gcpProviderContract),
    },
    {
        name: "gcp-impersonation-single-subject",
        description: "Service-account impersonation is granted to one principal://.../subject/<id>, never to a principalSet wildcard.",
        enforcementLevel: "mandatory",
        validateResource: forTypes([checks.TYPES.gcpSaMember, checks.TYPES.gcpSaBinding], checks.gcpServiceAccountMembers),
    },
    {
        name: "gcp-project-roles-model-only",
        description:
            "Project roles the agent stack grants are model roles only (roles/aiplatform.user, roles/aiplatform.viewer, or a custom role): never owner, editor, an IAM, Resource Manager or admin role, which can grant access or mint tokens (privilege escalation through the model's service account). In the CI bootstrap (projects in ciProjects), CI identities hold only the CI custom roles (the trust audit's reads for previews; the pool, service-account and API-enabling verbs for deploys), each defined with exactly its permissions, and Project IAM Admin only with the condition that limits it to granting model roles.",
        enforcementLevel: "mandatory",
        configSchema: { properties: { ciProjects: { type: "array", items: { type: "string" }, default: checks.DEFAULT_CI_PROJECTS } } },
        validateResource: (args, report) => {
            const { ciProjects } = args.getConfig<{ ciProjects?: string[] }>();
            const ci = (ciProjects ?? checks.DEFAULT_CI_PROJECTS).includes(checks.projectOfUrn(args.urn));
            if (ci && args.type === checks.TYPES.gcpCustomRole) for (const v of checks.gcpCiCustomRoleDefinition(args.props)) report(v);
            if (args.type !== checks.TYPES.gcpProjectMember && args.type !== checks.TYPES.gcpProjectBinding) return;
            for (const v of ci ? checks.gcpCiProjectRole(args.props) : checks.gcpProjectRole(args.props)) report(v);
        },
    },
    {
        name: "aws-web-identity-trust-pinned",
        description:
            "Roles trusting an OIDC provider allow only sts:AssumeRoleWithWebIdentity, with StringEquals on both <provider>:aud and <provider>:sub, no StringLike, no wildcard.",
        enforcementLevel: "mandatory",
        validateResource: forTypes([checks.TYPES.awsRole], checks.awsRoleTrust),
    },
    {
        name: "pulumi-oidc-policies-pinned",
        description:
            "Pulumi Cloud OIDC issuer policies pin aud and one exact sub (no * or ?), pin GitHub repositories by their immutable ids, and never issue personal or admin tokens.",
        enforcementLevel: "mandatory",
        validateResource: forTypes([checks.TYPES.pulumiOidcIssuer], checks.pulumiOidcIssuer),
    },
    {
        name: "ci-identities-not-shared",
        description:
            "Every identity trusting GitHub Actions (FIC app, GCP service account, Pulumi team, AWS role) trusts exactly one GitHub subject: a preview token never buys deploy rights, a dev token nothing in prod.",
        enforcementLevel: "mandatory",
        validateStack: (args: StackValidationArgs, report) => {
            for (const v of checks.sharedGitHubIdentities(args.resources)) report(v);
        },
    },
    {
        name: "aws-no-star-on-star",
        description: "Permission policies never allow every action on every resource.",
        enforcementLevel: "mandatory",
        validateResource: forTypes([checks.TYPES.awsRolePolicy, checks.TYPES.awsPolicy], checks.awsPermissionPolicy),
    },
    {
        name: "storage-tls-and-anonymous-access",
        description:
            "Storage accounts require HTTPS and TLS 1.2+; anonymous read exists only on the OIDC issuer's 'oidc' container, at blob level (listing denied), holding only the two OIDC documents as application/json.",
        enforcementLevel: "mandatory",
        validateResource: [
            forTypes([checks.TYPES.storageAccount], checks.storageAccount),
            forTypes([checks.TYPES.blobContainer], checks.blobContainer),
            forTypes([checks.TYPES.blob], checks.blob),
        ],
    },
    {
        name: "agent-id-objects-accountable",
        description:
            "Every Entra Agent ID Blueprint and Agent Identity the stack creates names at least one sponsor (a person or group accountable for it, as Entra requires), and a created Blueprint never exposes the token-exchange audience as an identifier URI.",
        enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            for (const v of checks.agentIdObject(args.type, args.props)) report(v);
        },
    },
    {
        name: "identity-resources-protected-in-prod",
        description:
            "In production stacks, identity resources (UAMI, FICs, Agent ID Blueprints, their principals and Agent Identities the stack creates, GCP pool/provider, AWS OIDC provider and role) are protected, so a replacement that would change pinned identifiers fails loudly instead.",
        enforcementLevel: "mandatory",
        configSchema: { properties: { prodStacks: { type: "array", items: { type: "string" }, default: DEFAULT_PROD_STACKS } } },
        validateResource: (args, report) => {
            const { prodStacks } = args.getConfig<{ prodStacks?: string[] }>();
            for (const v of checks.identityProtected(args.type, args.urn, args.opts.protect, prodStacks ?? DEFAULT_PROD_STACKS)) report(v);
        },
    },
    {
        name: "cloud-contracts-reject-downstream-audiences",
        description:
            "No cloud contract accepts the audience of a downstream API the sidecar calls (e.g. api://weather): a token minted for one service must never buy cloud credentials (the confused deputy of Rais, 'Entra Agent ID Across Clouds', Part 3).",
        enforcementLevel: "mandatory",
        configSchema: { properties: { forbiddenAudiences: { type: "array", items: { type: "string" }, default: ["api://weather"] } } },
        validateStack: (args: StackValidationArgs, report) => {
            const { forbiddenAudiences } = args.getConfig<{ forbiddenAudiences?: string[] }>();
            // Compared as Entra resolves them, without case or trailing slashes (sameEntraAudience in src/contracts).
            const forbidden = new Set(
                [...(forbiddenAudiences ?? ["api://weather"]), ...args.resources.flatMap((r) => checks.downstreamAudiences(r.type, r.props))].map(
                    checks.entraAudienceKey,
                ),
            );
            for (const r of args.resources) {
                for (const aud of checks.cloudAudiences(r.type, r.props)) {
                    if (forbidden.has(checks.entraAudienceKey(aud)))
                        report(
                            `${r.type} ${r.name} accepts ${aud}, the audience of a downstream API; define a dedicated cloud-federation audience instead`,
                            r.urn,
                        );
                }
            }
        },
    },
];
