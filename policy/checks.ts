/**
 * The security review as pure checks: each takes a resource's type and properties (as the policy engine sees them)
 * and returns the violations, in words a reviewer understands. `policies.ts` wraps them as CrossGuard policies;
 * tests call them directly and run them over the offline plan.
 */

export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
export const TOKEN_EXCHANGE_APP_ID = "fb60f99c-7a34-4190-8149-302f77469936";
/** GitHub Actions' issuer, shared by every GitHub customer: a trust must pin who, never only the issuer. */
export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";

export const TYPES = {
    containerApp: "azure-native:app:ContainerApp",
    uami: "azure-native:managedidentity:UserAssignedIdentity",
    armFic: "azure-native:managedidentity:FederatedIdentityCredential",
    appFic: "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    blueprintFic: "pulumi-nodejs:dynamic/agentfed:BlueprintFederatedIdentityCredential",
    agentIdBlueprint: "pulumi-nodejs:dynamic/agentfed:AgentIdentityBlueprint",
    blueprintPrincipal: "pulumi-nodejs:dynamic/agentfed:AgentIdentityBlueprintPrincipal",
    agentIdentity: "pulumi-nodejs:dynamic/agentfed:AgentIdentity",
    gcpPool: "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
    gcpProvider: "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
    gcpSaMember: "gcp:serviceaccount/iAMMember:IAMMember",
    gcpSaBinding: "gcp:serviceaccount/iAMBinding:IAMBinding",
    gcpProjectMember: "gcp:projects/iAMMember:IAMMember",
    gcpProjectBinding: "gcp:projects/iAMBinding:IAMBinding",
    gcpCustomRole: "gcp:projects/iAMCustomRole:IAMCustomRole",
    awsOidcProvider: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    awsRole: "aws:iam/role:Role",
    awsRolePolicy: "aws:iam/rolePolicy:RolePolicy",
    awsPolicy: "aws:iam/policy:Policy",
    storageAccount: "azure-native:storage:StorageAccount",
    blobContainer: "azure-native:storage:BlobContainer",
    blob: "azure-native:storage:Blob",
    pulumiOidcIssuer: "pulumiservice:index:OidcIssuer",
    k8sConfigMap: "kubernetes:core/v1:ConfigMap",
    k8sDeployment: "kubernetes:apps/v1:Deployment",
} as const;

/** The container whose blobs are the Kind OIDC issuer, and the only two documents it may hold. */
export const OIDC_CONTAINER = "oidc";
export const OIDC_BLOBS: readonly string[] = [".well-known/openid-configuration", "openid/v1/jwks"];

/** Identity resources whose replacement silently breaks trust: protected in prod. */
export const IDENTITY_TYPES: readonly string[] = [
    TYPES.uami,
    TYPES.armFic,
    TYPES.appFic,
    TYPES.blueprintFic,
    // Created in create mode: a recreated Blueprint has a new appId, a recreated Agent Identity a new object id.
    TYPES.agentIdBlueprint,
    TYPES.blueprintPrincipal,
    TYPES.agentIdentity,
    TYPES.gcpPool,
    TYPES.gcpProvider,
    TYPES.awsOidcProvider,
    TYPES.awsRole,
];

type Props = Record<string, unknown>;

const isEntraIssuer = (issuer: unknown): boolean => typeof issuer === "string" && /^https:\/\/(login\.microsoftonline\.com|sts\.windows\.net)\//.test(issuer);
/** GitHub.com's issuer, or an enterprise's custom one (`<issuer>/<enterprise slug>`). */
const isGitHubIssuer = (issuer: unknown): boolean =>
    typeof issuer === "string" && (issuer === GITHUB_ACTIONS_ISSUER || issuer.startsWith(`${GITHUB_ACTIONS_ISSUER}/`));

/** Container apps run as user-assigned identities only. */
export function containerAppIdentity(props: Props): string[] {
    const identity = props.identity as { type?: unknown; userAssignedIdentities?: unknown } | undefined;
    if (!identity || identity.type !== "UserAssigned") {
        return [
            `identity type is ${JSON.stringify(identity?.type ?? "none")}; it must be exactly "UserAssigned". A system-assigned identity gets a new object id on every recreate and breaks every trust contract pinned to it.`,
        ];
    }
    const ids = identity.userAssignedIdentities;
    if (!Array.isArray(ids) || ids.length === 0) return ["identity is UserAssigned but lists no identity"];
    return [];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An Agent ID Blueprint or Agent Identity the stack creates has someone accountable for it: at least one sponsor, each
 * an object id (Learn, "Administrative relationships in Microsoft Entra Agent ID": a sponsor is required when creating
 * either, and an app-only creator must name one). A Blueprint's identifier URIs never include the token-exchange
 * audience, which is reserved for FIC assertions; a token minted for it would be a FIC assertion for every Blueprint.
 */
export function agentIdObject(type: string, props: Props): string[] {
    if (type !== TYPES.agentIdBlueprint && type !== TYPES.agentIdentity) return [];
    const v: string[] = [];
    const ids = [props.sponsorUserIds, props.sponsorGroupIds].flatMap((list) => (Array.isArray(list) ? (list as unknown[]) : []));
    if (ids.length === 0) v.push("names no sponsor: every Blueprint and Agent Identity the stack creates needs a person or group accountable for it");
    for (const id of ids) if (typeof id !== "string" || !GUID.test(id)) v.push(`sponsor ${JSON.stringify(id)} is not an object id`);
    if (type === TYPES.agentIdBlueprint && Array.isArray(props.identifierUris))
        for (const uri of props.identifierUris as unknown[])
            if (typeof uri === "string" && [TOKEN_EXCHANGE_AUDIENCE.toLowerCase(), TOKEN_EXCHANGE_APP_ID].includes(uri.toLowerCase().replace(/\/+$/, "")))
                v.push(`identifier URI ${uri} is the token-exchange audience, reserved for FIC assertions`);
    return v;
}

/** A FIC pins an exact https issuer, one non-wildcard subject, and the single token-exchange audience. */
export function ficContract(props: Props): string[] {
    const v: string[] = [];
    const { issuer, subject, audiences } = props;
    if (typeof issuer !== "string" || !/^https:\/\/\S+$/.test(issuer))
        v.push(`issuer ${JSON.stringify(issuer)} must be an https URL without whitespace (verifiers compare it byte for byte)`);
    if (typeof subject !== "string" || subject === "" || /[*?]/.test(subject) || subject.trim() !== subject) {
        v.push(`subject ${JSON.stringify(subject)} must pin one exact workload: non-empty, no wildcard, no padding`);
    }
    if (!Array.isArray(audiences) || audiences.length !== 1 || audiences[0] !== TOKEN_EXCHANGE_AUDIENCE) {
        v.push(`audiences ${JSON.stringify(audiences)} must be exactly ["${TOKEN_EXCHANGE_AUDIENCE}"] (AADSTS700214 otherwise)`);
    }
    return v;
}

/**
 * A GCP provider's condition pins a subject (not only the tenant), and an Entra issuer's GUID audience is listed
 * (it is what arrives on the wire; Rais, "Entra Agent ID Across Clouds", Part 2).
 */
export function gcpProviderContract(props: Props): string[] {
    const v: string[] = [];
    const condition = props.attributeCondition;
    const oidc = props.oidc as { issuerUri?: unknown; allowedAudiences?: unknown } | undefined;
    if (typeof condition !== "string" || condition.trim() === "") {
        v.push("attributeCondition is empty: every token from the issuer would be accepted");
    } else if (isGitHubIssuer(oidc?.issuerUri)) {
        // GitHub's issuer serves every GitHub customer; names can be re-registered, the ids cannot.
        for (const claim of ["repository_id", "repository_owner_id"])
            if (!new RegExp(`assertion\\.${claim}\\s*==\\s*'\\d+'`).test(condition))
                v.push(
                    `attributeCondition ${JSON.stringify(condition)} does not pin assertion.${claim} == '<digits>'; on GitHub's shared issuer a condition on names (or an owner alone) admits a re-created repository, or every repository of the owner`,
                );
    } else if (!/assertion\.(sub|oid)\s*==\s*'[^'*]+'/.test(condition)) {
        v.push(
            `attributeCondition ${JSON.stringify(condition)} does not pin a subject (assertion.sub or assertion.oid == '<id>'); a tid-only condition accepts every workload in the tenant`,
        );
    }
    if (typeof condition === "string" && condition.includes("||")) v.push("attributeCondition uses ||, which can widen the subject pin; keep one conjunction");
    if (oidc && isEntraIssuer(oidc.issuerUri) && /\/v2\.0$/.test(String(oidc.issuerUri))) {
        const auds = Array.isArray(oidc.allowedAudiences) ? oidc.allowedAudiences : [];
        if (auds.includes(TOKEN_EXCHANGE_AUDIENCE) && !auds.includes(TOKEN_EXCHANGE_APP_ID)) {
            v.push(
                `allowedAudiences lists ${TOKEN_EXCHANGE_AUDIENCE} without its GUID ${TOKEN_EXCHANGE_APP_ID}; Entra puts the GUID on the wire and GCP compares byte for byte, so every token would be rejected`,
            );
        }
    }
    return v;
}

/** Who may impersonate a federated service account: one principal:// subject, never a principalSet. */
export function gcpServiceAccountMembers(props: Props): string[] {
    const members = props.member !== undefined ? [props.member] : Array.isArray(props.members) ? props.members : [];
    const role = props.role;
    if (role !== "roles/iam.workloadIdentityUser" && role !== "roles/iam.serviceAccountTokenCreator") return [];
    return members.flatMap((m) => {
        if (typeof m !== "string") return [];
        if (m.startsWith("principalSet://"))
            return [`member ${m} is a principalSet: every identity in the set could impersonate the service account; bind principal://.../subject/<id>`];
        if (m.startsWith("principal://") && !/\/subject\/[^*\s]+$/.test(m)) return [`member ${m} does not name a single subject`];
        return [];
    });
}

/**
 * The predefined roles a model's service account may hold on its project (a copy of src/clouds/gcp/config.ts,
 * GCP_MODEL_ROLES, kept equal by test/policy.test.ts: the pack ships alone). An allow-list: owner, editor, IAM,
 * Resource Manager and admin roles can grant access or mint tokens, and a deny-list always misses the next family.
 */
export const MODEL_ROLES: readonly string[] = ["roles/aiplatform.user", "roles/aiplatform.viewer"];
const CUSTOM_ROLE = /^(projects\/[^/]+|organizations\/\d+)\/roles\/[^/]+$/;

/** Project roles this stack grants are model roles only: an allow-listed predefined role, or a custom role. */
export function gcpProjectRole(props: Props): string[] {
    const role = props.role;
    if (typeof role === "string" && (MODEL_ROLES.includes(role) || CUSTOM_ROLE.test(role))) return [];
    return [
        `role ${JSON.stringify(role)} is granted on the project; only model roles are (${MODEL_ROLES.join(", ")}, or a custom role): owner, editor, IAM, Resource Manager and admin roles can grant access or mint tokens`,
    ];
}

/** Pulumi projects whose GCP grants are CI identities' rights (the bootstrap), not the agent's model access. */
export const DEFAULT_CI_PROJECTS: readonly string[] = ["agentfed-bootstrap"];

/**
 * The custom roles a CI identity may hold on a stack's project, by role id, with exactly the permissions each may
 * contain (the bootstrap's own copy is GCP_CI_ROLES in bootstrap/permissions.ts, kept equal by
 * test/bootstrap-plan.test.ts: the pack ships alone). Previews hold the trust audit's two reads; deploys the
 * service-account, pool and API-enabling verbs the stack's resources call, never a predefined admin role (Service
 * Usage Admin can disable APIs; IAM conditions cannot narrow the IAM service's resources). Project IAM Admin is the
 * one that can grant anything, so it is accepted only with the IAM condition that limits the roles it may grant to
 * model roles (`iam.googleapis.com/modifiedGrantsByRole`, Google Cloud, "Set limits on granting roles").
 */
export const CI_CUSTOM_ROLES: Readonly<Record<string, readonly string[]>> = {
    agentfedCiTrustAudit: ["iam.googleapis.com/workloadIdentityPoolProviders.list", "iam.serviceAccounts.getIamPolicy"],
    agentfedCiServiceAccounts: [
        "iam.serviceAccounts.create",
        "iam.serviceAccounts.delete",
        "iam.serviceAccounts.get",
        "iam.serviceAccounts.getIamPolicy",
        "iam.serviceAccounts.list",
        "iam.serviceAccounts.setIamPolicy",
        "iam.serviceAccounts.update",
    ],
    agentfedCiWorkloadIdentityPools: [
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
    agentfedCiServiceEnabler: ["serviceusage.operations.get", "serviceusage.services.enable", "serviceusage.services.get", "serviceusage.services.list"],
};
const CI_CUSTOM_ROLE = /^projects\/[^/]+\/roles\/([^/]+)$/;

/** A CI custom role's definition holds exactly the permissions the pack allows for its id. */
export function gcpCiCustomRoleDefinition(props: Props): string[] {
    const id = typeof props.roleId === "string" ? props.roleId : "";
    const allowed = CI_CUSTOM_ROLES[id];
    if (!allowed) return [`custom role ${JSON.stringify(props.roleId ?? null)} is not one of the CI roles (${Object.keys(CI_CUSTOM_ROLES).join(", ")})`];
    const permissions = Array.isArray(props.permissions) ? props.permissions.map(String) : [];
    const extra = permissions.filter((p) => !allowed.includes(p));
    const missing = allowed.filter((p) => !permissions.includes(p));
    if (extra.length === 0 && missing.length === 0) return [];
    return [
        `custom role ${id} must hold exactly ${allowed.join(", ")}${extra.length > 0 ? `; it adds ${extra.join(", ")}` : ""}${missing.length > 0 ? `; it lacks ${missing.join(", ")}` : ""}`,
    ];
}

const PROJECT_IAM_ADMIN = "roles/resourcemanager.projectIamAdmin";
const GRANT_LIMIT = /^api\.getAttribute\('iam\.googleapis\.com\/modifiedGrantsByRole', \[\]\)\.hasOnly\(\[((?:'[^']+'(?:, )?)+)\]\)$/;

/** Project roles a CI identity holds: the CI custom roles, and Project IAM Admin only limited to granting model roles. */
export function gcpCiProjectRole(props: Props): string[] {
    const role = props.role;
    const customId = typeof role === "string" ? CI_CUSTOM_ROLE.exec(role)?.[1] : undefined;
    if (customId !== undefined && CI_CUSTOM_ROLES[customId] && props.condition === undefined) return [];
    if (role === PROJECT_IAM_ADMIN) {
        const expression = (props.condition as { expression?: unknown } | undefined)?.expression;
        const granted = typeof expression === "string" ? GRANT_LIMIT.exec(expression)?.[1] : undefined;
        const roles = granted?.split(", ").map((r) => r.slice(1, -1)) ?? [];
        if (roles.length > 0 && roles.every((r) => MODEL_ROLES.includes(r) || CUSTOM_ROLE.test(r))) return [];
        return [
            `${PROJECT_IAM_ADMIN} is granted without the condition api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([<model roles>]) limiting it to model roles (got ${JSON.stringify(expression ?? null)}): unconditioned, it grants any role to anyone, itself included`,
        ];
    }
    return [
        `role ${JSON.stringify(role)} is granted to a CI identity; CI identities hold only the CI custom roles (${Object.keys(CI_CUSTOM_ROLES).join(", ")}) and ${PROJECT_IAM_ADMIN} limited to granting model roles`,
    ];
}

/** The project segment of a URN: urn:pulumi:<stack>::<project>::<type>::<name>. */
export function projectOfUrn(urn: string): string {
    return urn.split("::")[1] ?? "";
}

interface Statement {
    Effect?: string;
    Principal?: { Federated?: string | string[] } | string;
    Action?: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
}

function statementsOf(policy: unknown): Statement[] | undefined {
    let doc = policy;
    if (typeof doc === "string") {
        try {
            doc = JSON.parse(doc);
        } catch {
            return undefined;
        }
    }
    const statement = (doc as { Statement?: unknown } | undefined)?.Statement;
    if (statement === undefined) return [];
    return (Array.isArray(statement) ? statement : [statement]) as Statement[];
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A role trusting an OIDC provider allows only AssumeRoleWithWebIdentity, pinned with StringEquals on aud and sub. */
export function awsRoleTrust(props: Props): string[] {
    const statements = statementsOf(props.assumeRolePolicy);
    if (statements === undefined) return ["assumeRolePolicy is not valid JSON"];
    const v: string[] = [];
    for (const [i, s] of statements.entries()) {
        const federated = typeof s.Principal === "object" ? list(s.Principal.Federated) : [];
        if (federated.length === 0 || s.Effect !== "Allow") continue;
        const actions = list(s.Action);
        if (actions.length !== 1 || actions[0] !== "sts:AssumeRoleWithWebIdentity") {
            v.push(`statement ${i}: a federated principal may only be granted sts:AssumeRoleWithWebIdentity (got ${JSON.stringify(s.Action)})`);
        }
        const condition = s.Condition ?? {};
        for (const operator of Object.keys(condition)) {
            if (operator !== "StringEquals")
                v.push(`statement ${i}: condition operator ${operator} is not allowed; use StringEquals only (StringLike/ForAnyValue widen the pin)`);
        }
        const equals = condition.StringEquals ?? {};
        for (const suffix of [":aud", ":sub"]) {
            const key = Object.keys(equals).find((k) => k.endsWith(suffix));
            if (!key) v.push(`statement ${i}: no StringEquals on <provider>${suffix}`);
            // A list of subjects is one role shared by several workloads (a preview and a deploy, dev and prod).
            else if (suffix === ":sub" && typeof equals[key] !== "string")
                v.push(`statement ${i}: ${key} lists ${JSON.stringify(equals[key])}; a role trusts exactly one subject, never a list shared between workloads`);
        }
        const flat = JSON.stringify(condition);
        if (flat.includes("*") || flat.includes("?")) v.push(`statement ${i}: a condition value contains a wildcard`);
    }
    return v;
}

interface OidcIssuerPolicy {
    decision?: unknown;
    tokenType?: unknown;
    teamName?: unknown;
    authorizedPermissions?: unknown;
    rules?: Record<string, unknown>;
}

/**
 * Pulumi Cloud OIDC issuer policies: every allow pins `aud` and one exact `sub` (Pulumi's rules treat `*`, `?`
 * as wildcards), never issues personal or admin tokens, and, for GitHub's issuer, pins the repository's
 * immutable ids (Pulumi can match any claim).
 */
export function pulumiOidcIssuer(props: Props): string[] {
    const policies = Array.isArray(props.policies) ? (props.policies as OidcIssuerPolicy[]) : [];
    const github = isGitHubIssuer(props.url);
    return policies.flatMap((p, i) => {
        if (p.decision !== "allow") return [];
        const v: string[] = [];
        const rules = p.rules ?? {};
        if (typeof rules.aud !== "string" || rules.aud === "" || /[*?]/.test(rules.aud)) v.push(`policy ${i}: no exact rule on aud`);
        if (typeof rules.sub !== "string" || rules.sub === "" || /[*?]/.test(rules.sub))
            v.push(`policy ${i}: sub rule ${JSON.stringify(rules.sub ?? null)} must pin one exact subject (no * or ?)`);
        if (github)
            for (const claim of ["repository_id", "repository_owner_id"])
                if (typeof rules[claim] !== "string" || !/^\d+$/.test(rules[claim])) v.push(`policy ${i}: no rule pinning ${claim} to the repository's id`);
        if (p.tokenType === "personal") v.push(`policy ${i}: issues personal tokens, which act with a person's full rights; use a team token`);
        if (Array.isArray(p.authorizedPermissions) && p.authorizedPermissions.includes("admin")) v.push(`policy ${i}: grants admin organization tokens`);
        return v;
    });
}

/** A GitHub subject's trust, keyed by the identity that holds it, for the not-shared rule. */
export function githubTrusts(type: string, props: Props): { identity: string; subject: string }[] {
    switch (type) {
        case TYPES.appFic:
        case TYPES.blueprintFic:
        case TYPES.armFic:
            return isGitHubIssuer(props.issuer) && typeof props.subject === "string"
                ? [
                      {
                          identity: `${type} on ${String(props.applicationId ?? props.blueprintObjectId ?? props.parentId ?? props.resourceName)}`,
                          subject: props.subject,
                      },
                  ]
                : [];
        case TYPES.gcpSaMember:
            return props.role === "roles/iam.workloadIdentityUser" && typeof props.member === "string" && props.member.includes("/subject/repo:")
                ? [{ identity: `service account ${String(props.serviceAccountId)}`, subject: props.member.slice(props.member.indexOf("/subject/") + 9) }]
                : [];
        case TYPES.pulumiOidcIssuer:
            return (Array.isArray(props.policies) ? (props.policies as OidcIssuerPolicy[]) : []).flatMap((p) =>
                p.decision === "allow" && typeof p.teamName === "string" && typeof p.rules?.sub === "string"
                    ? [{ identity: `Pulumi team ${p.teamName}`, subject: p.rules.sub }]
                    : [],
            );
        default:
            return [];
    }
}

/** Identities trusting more than one GitHub subject: a preview token must never buy deploy rights, nor dev prod's. */
export function sharedGitHubIdentities(resources: readonly { type: string; props: Props }[]): string[] {
    const subjects = new Map<string, Set<string>>();
    for (const r of resources) for (const t of githubTrusts(r.type, r.props)) subjects.set(t.identity, (subjects.get(t.identity) ?? new Set()).add(t.subject));
    return [...subjects]
        .filter(([, s]) => s.size > 1)
        .map(([identity, s]) => `${identity} trusts ${[...s].join(" and ")}: one identity per GitHub environment`);
}

/** Permission policies never grant every action on every resource. */
export function awsPermissionPolicy(props: Props): string[] {
    const statements = statementsOf(props.policy);
    if (statements === undefined) return ["policy is not valid JSON"];
    return statements.flatMap((s, i) =>
        s.Effect === "Allow" && list(s.Action).some((a) => a === "*" || a === "*:*") && list(s.Resource).includes("*")
            ? [`statement ${i} allows "*" on "*"`]
            : [],
    );
}

/** Storage: TLS 1.2+ and HTTPS only; anonymous blob access only where the OIDC issuer needs it. */
export function storageAccount(props: Props): string[] {
    const v: string[] = [];
    if (props.minimumTlsVersion !== "TLS1_2" && props.minimumTlsVersion !== "TLS1_3")
        v.push(`minimumTlsVersion is ${JSON.stringify(props.minimumTlsVersion ?? "unset")}; require TLS1_2 or later`);
    if (props.enableHttpsTrafficOnly !== true) v.push("enableHttpsTrafficOnly must be true");
    return v;
}

export function blobContainer(props: Props): string[] {
    const access = props.publicAccess ?? "None";
    const name = props.containerName;
    if (access === "None") return [];
    if (name === OIDC_CONTAINER && access === "Blob") return [];
    if (access === "Container")
        return [`container ${JSON.stringify(name)} allows anonymous listing (publicAccess Container); only blob-level read on the OIDC container is allowed`];
    return [`container ${JSON.stringify(name)} allows anonymous read; only the "${OIDC_CONTAINER}" container of the OIDC issuer may`];
}

export function blob(props: Props): string[] {
    if (props.containerName !== OIDC_CONTAINER) return [];
    const name = props.blobName;
    if (typeof name !== "string" || !OIDC_BLOBS.includes(name))
        return [`blob ${JSON.stringify(name)} in the anonymous "${OIDC_CONTAINER}" container is not one of the two OIDC documents (${OIDC_BLOBS.join(", ")})`];
    if (props.contentType !== "application/json") return [`OIDC document ${name} must be served as application/json`];
    return [];
}

/** The stack name of a URN: urn:pulumi:<stack>::<project>::<type>::<name>. */
export function stackOfUrn(urn: string): string {
    return urn.split("::")[0]?.split(":").pop() ?? "";
}

/** Identity resources are protected in prod. */
export function identityProtected(type: string, urn: string, protect: boolean, prodStacks: readonly string[]): string[] {
    if (!IDENTITY_TYPES.includes(type) || !prodStacks.includes(stackOfUrn(urn)) || protect) return [];
    return [
        `${type} is not protected in stack ${stackOfUrn(urn)}: a replacement would change identifiers every trust contract pins; set protectIdentities: true`,
    ];
}

/** Audiences a cloud contract accepts, by resource. */
export function cloudAudiences(type: string, props: Props): string[] {
    switch (type) {
        case TYPES.gcpProvider: {
            const oidc = props.oidc as { allowedAudiences?: unknown } | undefined;
            return Array.isArray(oidc?.allowedAudiences) ? (oidc.allowedAudiences as string[]) : [];
        }
        case TYPES.awsOidcProvider:
            return Array.isArray(props.clientIdLists) ? (props.clientIdLists as string[]) : [];
        case TYPES.awsRole:
            return (statementsOf(props.assumeRolePolicy) ?? []).flatMap((s) =>
                Object.entries(s.Condition?.StringEquals ?? {}).flatMap(([k, val]) => (k.endsWith(":aud") ? list(val as string | string[]) : [])),
            );
        default:
            return [];
    }
}

/** Prefix of the sidecar entries the program adds for cloud federation (src/runtime/container-env.ts, RESERVED_API_PREFIX). */
export const CLOUD_FEDERATION_API_PREFIX = "Agentfed";

/**
 * An audience as Entra resolves it: without case or trailing slashes (`API://Weather/` is `api://weather`). Mirrors
 * `sameEntraAudience` in src/contracts/agent-identity.ts, which the pack cannot import.
 */
export function entraAudienceKey(audience: string): string {
    return audience.toLowerCase().replace(/\/+$/, "");
}

/**
 * The audiences of downstream APIs, read from the sidecar's configured scopes (`api://weather/.default` ->
 * `api://weather`). The `Agentfed*` entries are not downstream APIs: they mint the Agent Identity JWT for a cloud's
 * dedicated federation audience (Option 2), and the program refuses that prefix for user-declared APIs.
 */
export function downstreamAudiences(type: string, props: Props): string[] {
    if (type !== TYPES.containerApp) return [];
    const containers = ((props.template as { containers?: unknown } | undefined)?.containers ?? []) as { env?: { name?: string; value?: string }[] }[];
    return containers.flatMap((c) =>
        (c.env ?? [])
            .filter(
                (e) =>
                    /^DownstreamApis__.+__Scopes__\d+$/.test(e.name ?? "") &&
                    !(e.name ?? "").toLowerCase().startsWith(`DownstreamApis__${CLOUD_FEDERATION_API_PREFIX}`.toLowerCase()),
            )
            .map((e) => String(e.value).replace(/\/\.default$|\/[^/]+$/, "")),
    );
}

/**
 * The Entra auth sidecar, as the policies see it: its settings (environment of a Container Apps container, or the
 * Kind config map it reads) and its image when known. A sidecar is recognised by its settings (`AzureAd__ClientId`)
 * or its image repository (`.../auth-sidecar`).
 */
interface SidecarView {
    readonly where: string;
    /** Its settings, by `settingKey`, each with every value written for it. */
    readonly env: SidecarSettings;
    readonly image: string | undefined;
}

/** A sidecar's settings by `settingKey`, each with every value any entry writes for it (in order). */
type SidecarSettings = Readonly<Record<string, readonly string[]>>;

/**
 * The key .NET configuration reads a setting under: environment variable names with `__` for `:`
 * (EnvironmentVariablesConfigurationProvider), compared without case (configuration keys are case-insensitive). So
 * `SIDECAR__ALLOWOVERRIDES__CALLDOWNSTREAMAPI` and `Sidecar:AllowOverrides:CallDownstreamApi` set the same flag the
 * sidecar reads; the checks below must see them as one.
 */
function settingKey(name: string): string {
    return name.replace(/__/g, ":").toLowerCase();
}

function settings(entries: readonly (readonly [unknown, unknown])[]): SidecarSettings {
    const out: Record<string, string[]> = {};
    for (const [name, value] of entries) (out[settingKey(String(name))] ??= []).push(String(value));
    return out;
}

const valuesOf = (env: SidecarSettings, name: string): readonly string[] => env[settingKey(name)] ?? [];
/** A boolean setting as .NET reads it: `bool.Parse` ignores case and surrounding white space. */
const isBool = (value: string, expected: "true" | "false"): boolean => value.trim().toLowerCase() === expected;
/** True when any entry writes it true (which entry wins is the platform's; the check assumes the worst). */
const anyTrue = (env: SidecarSettings, name: string): boolean => valuesOf(env, name).some((v) => isBool(v, "true"));
/** The one value of a setting the checks read as text (the last entry's). */
const valueOf = (env: SidecarSettings, name: string): string | undefined => valuesOf(env, name).at(-1);
const isDevelopment = (env: SidecarSettings): boolean =>
    (valueOf(env, "ASPNETCORE_ENVIRONMENT") ?? valueOf(env, "DOTNET_ENVIRONMENT") ?? "").toLowerCase() === "development";

type Container = { name?: unknown; image?: unknown; env?: { name?: unknown; value?: unknown }[]; envFrom?: unknown };

const isSidecarImage = (image: unknown): boolean => typeof image === "string" && /\/auth-sidecar(?::|@|$)/.test(image);

function sidecarsOf(type: string, props: Props): SidecarView[] {
    if (type === TYPES.containerApp) {
        const containers = ((props.template as { containers?: unknown } | undefined)?.containers ?? []) as Container[];
        return containers
            .map((c) => ({
                where: `container ${JSON.stringify(c.name)}`,
                env: settings((c.env ?? []).map((e) => [e.name, e.value] as const)),
                image: typeof c.image === "string" ? c.image : undefined,
            }))
            .filter((c) => valuesOf(c.env, "AzureAd__ClientId").length > 0 || isSidecarImage(c.image));
    }
    if (type === TYPES.k8sConfigMap) {
        const data = (props.data ?? {}) as Record<string, unknown>;
        const env = settings(Object.entries(data));
        if (valuesOf(env, "AzureAd__ClientId").length === 0) return [];
        return [{ where: "config map", env, image: undefined }];
    }
    if (type === TYPES.k8sDeployment) {
        const spec = props.spec as { template?: { spec?: { containers?: Container[] } } } | undefined;
        const containers = (spec?.template?.spec?.containers ?? []).filter((c) => isSidecarImage(c.image));
        // Its own env entries override the config map it loads (envFrom): checked too.
        return containers.map((c) => ({
            where: `container ${JSON.stringify(c.name)}`,
            env: settings((c.env ?? []).map((e) => [e.name, e.value] as const)),
            image: String(c.image),
        }));
    }
    return [];
}

/**
 * The sidecar version an image tag names (mirrors `sidecarImageVersion` in src/runtime/container-env.ts: the pack
 * runs without the program's sources; test/container-app.test.ts keeps the two equal). Semver's rule: whatever
 * follows the version's first '-' is a pre-release, except Microsoft's base-image suffix (`azurelinux3.0-distroless`),
 * matched whole at the end of the tag.
 */
export function sidecarTagVersion(image: string): [number, number, number, boolean] | undefined {
    const lastSegment = (image.split("@")[0] ?? "").split("/").pop() ?? "";
    const colon = lastSegment.indexOf(":");
    const match = colon < 0 ? null : /^v?(\d+)\.(\d+)\.(\d+)(?:-(.+))?$/.exec(lastSegment.slice(colon + 1));
    if (!match) return undefined;
    const parts = match[4]?.split("-") ?? [];
    const variantAt = parts.findIndex((_, i) => /^azurelinux\d+(?:\.\d+)*(?:-distroless)?$/.test(parts.slice(i).join("-")));
    const preRelease = variantAt < 0 ? parts.length > 0 : variantAt > 0;
    return [Number(match[1]), Number(match[2]), Number(match[3]), preRelease];
}

/**
 * The sidecar answers loopback callers only (its /healthz excepted): an image of 1.1.0 or later (1.0.x only filters
 * the Host header, which any caller sets), never the Development environment (which skips the check), and no
 * forwarded-headers processing (X-Forwarded-For would let a remote caller pass as 127.0.0.1; the sidecar refuses it
 * outside Development only in releases after 1.1.x, AzureAD/microsoft-identity-web#4018).
 */
export function sidecarLoopbackOnly(type: string, props: Props): string[] {
    return sidecarsOf(type, props).flatMap(({ where, env, image }) => {
        const v: string[] = [];
        if (image !== undefined) {
            const version = sidecarTagVersion(image);
            if (!version)
                v.push(
                    `${where}: the sidecar image ${JSON.stringify(image)} names no version, so nothing shows it answers loopback callers only (1.1.0 or later)`,
                );
            else {
                const [major, minor, patch, pre] = version;
                if (major < 1 || (major === 1 && minor < 1) || (major === 1 && minor === 1 && patch === 0 && pre))
                    v.push(
                        `${where}: sidecar ${major}.${minor}.${patch} answers any caller that reaches its port and sends Host: localhost; use 1.1.0 or later`,
                    );
            }
        }
        if (isDevelopment(env)) v.push(`${where}: the sidecar runs in the Development environment, which turns its loopback-only check off`);
        if (anyTrue(env, "ASPNETCORE_FORWARDEDHEADERS_ENABLED"))
            v.push(`${where}: ASPNETCORE_FORWARDEDHEADERS_ENABLED lets X-Forwarded-For pass a remote caller off as a loopback one`);
        return v;
    });
}

/** The environment variable that turns the unauthenticated token route's overrides on (sidecar >= 1.1.0). */
export const AGENT_IDENTITY_OVERRIDE_ENV = "Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated";

/**
 * The sidecar's other per-route override flags (AzureAD/microsoft-identity-web, src/Microsoft.Identity.Web.Sidecar/
 * Configuration/SidecarOptions.cs): `GetAuthorizationHeader` and `CallDownstreamApi` default to true, so they must be
 * written false, not left out. Mirrors `OTHER_OVERRIDE_ENVS` in src/runtime/container-env.ts.
 */
export const OTHER_OVERRIDE_ENVS: readonly string[] = [
    "Sidecar__AllowOverrides__GetAuthorizationHeader",
    "Sidecar__AllowOverrides__CallDownstreamApi",
    "Sidecar__AllowOverrides__CallDownstreamApiUnauthenticated",
];

/** The environment variable that names the Agent Identity an agent container calls as (src/runtime/container-env.ts). */
export const AGENT_IDENTITY_CLIENT_ID_ENV = "AGENT_IDENTITY_CLIENT_ID";

/**
 * The port a sidecar listens on, from `ASPNETCORE_URLS` (`http://+:5000`) or `ASPNETCORE_HTTP_PORTS`; 8080 when
 * neither is set (the default of .NET 8 and later container images).
 */
function sidecarPorts(env: SidecarSettings): number[] {
    const urls = valueOf(env, "ASPNETCORE_URLS");
    if (urls) return urls.split(";").flatMap((u) => /:(\d+)\/?$/.exec(u.trim())?.slice(1).map(Number) ?? []);
    const ports = valueOf(env, "ASPNETCORE_HTTP_PORTS");
    if (ports)
        return ports
            .split(/[;,]/)
            .map((p) => Number(p.trim()))
            .filter((p) => Number.isInteger(p));
    return [8080];
}

/** The ports a container app's ingress sends traffic to: its target port and any additional port mappings. */
function ingressPorts(props: Props): number[] {
    const ingress = (props.configuration as { ingress?: { targetPort?: unknown; additionalPortMappings?: { targetPort?: unknown }[] } } | undefined)?.ingress;
    if (!ingress) return [];
    return [ingress.targetPort, ...(ingress.additionalPortMappings ?? []).map((m) => m.targetPort)].filter((p): p is number => typeof p === "number");
}

/**
 * What bounds `Sidecar__AllowOverrides__GetAuthorizationHeaderUnauthenticated=true`. An agent on an Entra Agent ID
 * Blueprint needs it: the sidecar picks the Agent Identity only from `?AgentIdentity=`, which 1.1.x ignores on that
 * route unless the flag is on (CHANGELOG 1.1.0, AzureAD/microsoft-identity-web#3871), and a Blueprint gets no API token of its own. With it on, any
 * process that reaches the route chooses the Agent Identity (or agent user), scopes, app token, tenant and FmiPath
 * (BindableDownstreamApiOptions.cs, AuthorizationHeaderEndpoint.cs). So the flag is accepted only where only the
 * replica's own processes reach it: sidecar 1.1.0 or later (loopback callers only), not the Development environment
 * (which skips that check), no forwarded headers, the sidecar's port outside the app's ingress; and the three other
 * override flags written false (the authenticated routes default to honouring overrides for any bearer token the
 * sidecar accepts). `CallDownstreamApiUnauthenticated=true` is refused whether or not the flag is on.
 */
export function sidecarOverrides(type: string, props: Props): string[] {
    return sidecarsOf(type, props).flatMap(({ where, env, image }) => {
        const v: string[] = [];
        const isTrue = (name: string) => anyTrue(env, name);
        if (isTrue("Sidecar__AllowOverrides__CallDownstreamApiUnauthenticated"))
            v.push(`${where}: Sidecar__AllowOverrides__CallDownstreamApiUnauthenticated=true lets callers rewrite the sidecar's own downstream calls`);
        if (!isTrue(AGENT_IDENTITY_OVERRIDE_ENV)) return v;
        const opened = `${AGENT_IDENTITY_OVERRIDE_ENV}=true lets whoever reaches the sidecar choose the Agent Identity, scopes, tenant and FmiPath of the tokens it mints`;
        if (image !== undefined) {
            const version = sidecarTagVersion(image);
            const [major, minor, patch, pre] = version ?? [0, 0, 0, false];
            if (!version || major < 1 || (major === 1 && minor < 1) || (major === 1 && minor === 1 && patch === 0 && pre))
                v.push(
                    `${where}: ${opened}, and sidecar ${JSON.stringify(image)} is not shown to be 1.1.0 or later, the first to answer loopback callers only`,
                );
        }
        if (isDevelopment(env)) v.push(`${where}: ${opened}, and the Development environment turns the loopback-only check off`);
        if (isTrue("ASPNETCORE_FORWARDEDHEADERS_ENABLED"))
            v.push(`${where}: ${opened}, and ASPNETCORE_FORWARDEDHEADERS_ENABLED lets a remote caller pass as a loopback one`);
        for (const name of OTHER_OVERRIDE_ENVS) {
            const written = valuesOf(env, name);
            if (written.length === 0 || !written.every((value) => isBool(value, "false")))
                v.push(
                    `${where}: ${AGENT_IDENTITY_OVERRIDE_ENV}=true needs ${name}=false written out (got ${written.length === 0 ? "nothing, and it may default to true" : written.map((w) => JSON.stringify(w)).join(", ")})`,
                );
        }
        if (type === TYPES.containerApp) {
            const exposed = sidecarPorts(env).filter((p) => ingressPorts(props).includes(p));
            if (exposed.length > 0) v.push(`${where}: ${opened}, and the app's ingress sends traffic to the sidecar's port ${exposed.join(", ")}`);
        }
        return v;
    });
}

/**
 * Container apps whose agents call as different Agent Identities of one Blueprint (the sidecar's `AzureAd__ClientId`):
 * any replica the Blueprint trusts can have its sidecar mint a token as any of the Blueprint's Agent Identities. That
 * is Entra's model (an Agent Identity's tokens go to its parent Blueprint's credential), so it is advice, not a fault.
 */
export function sharedBlueprintIdentities(resources: readonly { type: string; name: string; props: Props }[]): string[] {
    const byBlueprint = new Map<string, Map<string, string[]>>();
    for (const r of resources) {
        if (r.type !== TYPES.containerApp) continue;
        const containers = ((r.props.template as { containers?: unknown } | undefined)?.containers ?? []) as Container[];
        // The sidecar reads its client id as .NET configuration does (any case, `:` or `__`); the agent reads its
        // Agent Identity from the process environment, where names are exact.
        const blueprint = containers
            .map((c) => valueOf(settings((c.env ?? []).map((e) => [e.name, e.value] as const)), "AzureAd__ClientId"))
            .find((v) => v !== undefined);
        const env = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [String(e.name), String(e.value)]));
        const identity = containers.map(env).find((e) => AGENT_IDENTITY_CLIENT_ID_ENV in e)?.[AGENT_IDENTITY_CLIENT_ID_ENV];
        if (!blueprint || !identity) continue;
        const identities = byBlueprint.get(blueprint.toLowerCase()) ?? new Map<string, string[]>();
        identities.set(identity.toLowerCase(), [...(identities.get(identity.toLowerCase()) ?? []), r.name]);
        byBlueprint.set(blueprint.toLowerCase(), identities);
    }
    return [...byBlueprint].flatMap(([blueprint, identities]) =>
        identities.size < 2
            ? []
            : [
                  `container apps ${[...identities.values()].flat().join(", ")} call as ${identities.size} different Agent Identities of Blueprint ${blueprint}: ` +
                      "any replica the Blueprint trusts can have its sidecar mint a token as any of them (Entra's model); give an agent its own Blueprint where that matters",
              ],
    );
}
