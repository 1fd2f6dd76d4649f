import { Json, JsonObject, Reader } from "../../config/reader";
import type { CloudConfig } from "../cloud";
import { boolean, list, object, reuse, text } from "../../config/spec";

/** What every agent federating to GCP shares (`agentfed:gcp`): the project and the pool. */
export interface GcpSharedConfig {
    /** Project id (e.g. `contoso-agents-prod`): where the pool, providers and service accounts are created. */
    readonly projectId: string;
    /** Project number (digits): it appears in principal:// members and the STS audience. */
    readonly projectNumber: string;
    /** Workload identity pool id. Deleted ids cannot be reused for 30 days. */
    readonly poolId: string;
    /** Enable the iam, sts, iamcredentials and aiplatform APIs (never disabled on destroy). Default true. */
    readonly enableApis: boolean;
}

/** One agent's GCP principal: the primary agent's (in `agentfed:gcp`) or a class's (`agentClasses[i].gcp`). */
export interface GcpAgentConfig {
    /** Workload identity pool provider id. Deleted ids cannot be reused for 30 days. */
    readonly providerId: string;
    /** Account id of the dedicated service account the agent impersonates. */
    readonly serviceAccountId: string;
    /** Project roles for the service account (the model's permissions). Default: roles/aiplatform.user. */
    readonly modelRoles: readonly string[];
}

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const POOL_OR_PROVIDER_ID = /^[a-z0-9-]{4,32}$/;
const SERVICE_ACCOUNT_ID = /^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/;
const ROLE = /^(roles\/[a-zA-Z0-9_.]+|projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/roles\/[a-zA-Z0-9_.]{3,64}|organizations\/\d+\/roles\/[a-zA-Z0-9_.]{3,64})$/;
const CUSTOM_ROLE = /^(projects\/[^/]+|organizations\/\d+)\/roles\//;

/**
 * The predefined roles a model's service account may hold: Vertex AI User (call models, the default) and Vertex AI
 * Viewer (Google Cloud, "Vertex AI access control with IAM"). An allow-list, because the roles that matter are the
 * ones that can grant access or mint credentials, and a deny-list of families always misses the next one. The
 * policy pack keeps its own copy (policy/checks.ts, MODEL_ROLES), kept equal by test/policy.test.ts.
 */
export const GCP_MODEL_ROLES: readonly string[] = ["roles/aiplatform.user", "roles/aiplatform.viewer"];
/** What the model's service account holds when `modelRoles` is not set: enough to call models. */
const DEFAULT_MODEL_ROLES: readonly string[] = ["roles/aiplatform.user"];

/** Why a predefined role is not a model role, naming the family when it can grant access or mint credentials. */
export function modelRoleProblem(role: string): string | undefined {
    if (GCP_MODEL_ROLES.includes(role) || CUSTOM_ROLE.test(role)) return undefined;
    if (role === "roles/owner" || role === "roles/editor")
        return `grants ${role}, far beyond model access: a basic role holds every permission in the project, granting roles included`;
    if (role.startsWith("roles/iam."))
        return `grants ${role}, an IAM role: the family grants roles, or impersonates and mints tokens for service accounts (serviceAccountTokenCreator, workloadIdentityUser, serviceAccountKeyAdmin)`;
    if (role.startsWith("roles/resourcemanager.")) return `grants ${role}, a Resource Manager role: the family can change who holds which role in the project`;
    if (/admin$/i.test(role)) return `grants ${role}, an administrator role: administrators can change their resources' IAM policies`;
    return `grants ${role}, which is not a model role; a model's service account holds only ${GCP_MODEL_ROLES.join(" or ")}, or a custom role`;
}

/** `gcp.modelRoles` (and an agent class's): the project roles of the model's service account. */
export const MODEL_ROLES_KEY = list(
    {
        summary: "Project roles granted to the model's service account.",
        rule: `each a role name, listed once, and one of ${GCP_MODEL_ROLES.join(", ")} or a custom role (projects/<id>/roles/<name>, organizations/<n>/roles/<name>); never owner, editor, an IAM, Resource Manager or admin role, which can grant access or mint tokens. A custom role is shown as a warning: check it holds no iam.*, *.setIamPolicy or serviceAccounts.getAccessToken permission`,
        defaultText: `[${DEFAULT_MODEL_ROLES.join(", ")}]`,
        example: ["roles/aiplatform.user"],
        see: "gcp-federation.md",
    },
    text({ summary: "One role." }),
);

export const SERVICE_ACCOUNT_ID_RULE = "6-30 lowercase letters, digits or '-', starting with a letter, not ending with '-'";
export const PROVIDER_ID_RULE = "4-32 lowercase letters, digits or '-', not starting with gcp- (reserved by GCP); a deleted id stays reserved for 30 days";

/** `gcp`. */
export const GCP_KEYS = object(
    {
        summary:
            "GCP workload identity federation for the agents' model (Vertex AI): the project and pool every agent shares, and the primary agent's provider trusting exactly its UAMI and the service account it impersonates. With only the shared keys, the primary agent gets no GCP principal and agent classes still federate through the pool. Absent: no GCP resources.",
        section: "GCP federation",
        see: "gcp-federation.md",
    },
    {
        projectId: text({
            summary: "Project id.",
            scope: "shared",
            required: true,
            rule: "6-30 lowercase letters, digits or '-', starting with a letter",
            example: "contoso-agents-prod",
        }),
        projectNumber: text({
            summary: "Project number: it appears in principal:// members and the STS audience.",
            scope: "shared",
            required: true,
            rule: "digits, quoted in YAML (a number beyond 2^53 would be rounded)",
            example: "123456789012",
        }),
        poolId: text({ summary: "Workload identity pool id.", required: true, scope: "shared", rule: PROVIDER_ID_RULE, example: "agentfed-prod" }),
        providerId: text({
            summary: "Workload identity pool provider id.",
            required: "for the primary agent's GCP principal (with serviceAccountId)",
            scope: "agent",
            rule: PROVIDER_ID_RULE,
            example: "entra-uami",
        }),
        serviceAccountId: text({
            summary: "Account id of the dedicated service account.",
            required: "for the primary agent's GCP principal (with providerId)",
            scope: "agent",
            rule: SERVICE_ACCOUNT_ID_RULE,
            example: "weather-agent-llm",
        }),
        modelRoles: reuse(MODEL_ROLES_KEY, { scope: "agent" }),
        enableApis: boolean({
            summary: "Enable the iam, sts, iamcredentials and aiplatform APIs (never disabled on destroy).",
            default: true,
            scope: "shared",
        }),
    },
);
const K = GCP_KEYS.fields;

/** Problems with a workload identity pool or provider id (GCP's rules). */
export function poolOrProviderIdProblem(id: string): string | undefined {
    if (!POOL_OR_PROVIDER_ID.test(id)) return `must be 4-32 lowercase letters, digits or '-' (got ${JSON.stringify(id)})`;
    if (id.startsWith("gcp-")) return `must not start with "gcp-", a prefix GCP reserves (got ${JSON.stringify(id)})`;
    return undefined;
}

/** Project roles for a federated service account; default roles/aiplatform.user. Only model roles (see above). */
export function parseModelRoles(r: Reader, path: string, value: Json | undefined): string[] {
    if (value === undefined || value === null) return [...DEFAULT_MODEL_ROLES];
    if (!Array.isArray(value) || value.length === 0) {
        r.report(path, "must be a non-empty list of roles", "e.g. [roles/aiplatform.user]");
        return [...DEFAULT_MODEL_ROLES];
    }
    const modelRoles = value.map((role, i) => r.text(`${path}[${i}]`, role) ?? "");
    modelRoles.forEach((role, i) => {
        if (role === "") return;
        if (!ROLE.test(role)) {
            r.report(
                `${path}[${i}]`,
                `is not a role name (got ${JSON.stringify(role)})`,
                "use roles/<name>, projects/<id>/roles/<name> or organizations/<n>/roles/<name>",
            );
            return;
        }
        if (modelRoles.indexOf(role) !== i) r.report(`${path}[${i}]`, `repeats ${role}`, "list each role once");
        const problem = modelRoleProblem(role);
        if (problem)
            r.report(
                `${path}[${i}]`,
                problem,
                `grant ${GCP_MODEL_ROLES.join(" or ")}, or a custom role holding only the model permissions (e.g. aiplatform.endpoints.predict)`,
            );
        else if (CUSTOM_ROLE.test(role) && modelRoles.indexOf(role) === i)
            r.warnings.push(
                `${r.key(`${path}[${i}]`)} is the custom role ${role}, whose permissions this stack cannot see: make sure it holds no iam.*, resourcemanager.*, *.setIamPolicy or iam.serviceAccounts.getAccessToken/signJwt/actAs permission.`,
            );
    });
    return modelRoles;
}

/** A service account id (GCP's rules), reported under `path`. */
export function parseServiceAccountId(r: Reader, path: string, value: Json | undefined): string {
    return r.matching(path, value, SERVICE_ACCOUNT_ID, "a service account id", "use 6-30 lowercase letters, digits or '-', starting with a letter");
}

/** The keys of `agentfed:gcp` that describe the primary agent's principal; the others are shared. */
export const GCP_AGENT_KEYS = ["providerId", "serviceAccountId", "modelRoles"] as const;

/** One agent's provider id, service account and model roles, under `path` (`gcp`, `agentClasses[i].gcp`). */
export function parseGcpAgent(r: Reader, path: string, root: JsonObject, providerExample: string): GcpAgentConfig {
    const providerId = r.text(`${path}.providerId`, root.providerId) ?? "";
    if (providerId !== "" || root.providerId === undefined || root.providerId === null || root.providerId === "") {
        const problem = poolOrProviderIdProblem(providerId);
        if (problem) r.report(`${path}.providerId`, problem, `choose an id such as ${providerExample}; a deleted id stays reserved for 30 days`);
    }
    return {
        providerId,
        serviceAccountId: parseServiceAccountId(r, `${path}.serviceAccountId`, root.serviceAccountId),
        modelRoles: parseModelRoles(r, `${path}.modelRoles`, root.modelRoles),
    };
}

/**
 * Parses `agentfed:gcp`: the shared project and pool, and the primary agent's principal when any of its keys
 * (`GCP_AGENT_KEYS`) is set; without them the primary agent has no GCP principal.
 */
export function parseGcpConfig(r: Reader): { gcp: GcpSharedConfig | undefined; primary: GcpAgentConfig | undefined } {
    const key = "gcp";
    const root = r.object(key, `set ${r.key(key)} to { projectId, projectNumber, poolId, providerId, serviceAccountId }`, false);
    if (!root) return { gcp: undefined, primary: undefined };
    r.onlyKnownFields(key, root, Object.keys(K));

    const projectId = r.matching(
        `${key}.projectId`,
        root.projectId,
        PROJECT_ID,
        "a GCP project id",
        "use the project id (6-30 lowercase letters, digits, '-'), e.g. from: gcloud projects list",
    );
    const rawNumber = root.projectNumber;
    const projectNumber = typeof rawNumber === "number" && Number.isSafeInteger(rawNumber) ? String(rawNumber) : typeof rawNumber === "string" ? rawNumber : "";
    if (!/^\d{6,20}$/.test(projectNumber)) {
        r.report(
            `${key}.projectNumber`,
            `must be numeric (got ${JSON.stringify(rawNumber ?? null)})`,
            `gcloud projects describe ${projectId || "<project>"} --format='value(projectNumber)'; quote it in YAML`,
        );
    }
    const poolId = r.text(`${key}.poolId`, root.poolId);
    if (poolId !== undefined || root.poolId === undefined || root.poolId === null || root.poolId === "") {
        const problem = poolOrProviderIdProblem(poolId ?? "");
        if (problem) r.report(`${key}.poolId`, problem, "choose an id such as agentfed-prod; a deleted id stays reserved for 30 days");
    }
    const agentKeySet = GCP_AGENT_KEYS.some((k) => root[k] !== undefined && root[k] !== null);
    const primary = agentKeySet ? parseGcpAgent(r, key, root, "agentfed-prod") : undefined;
    return {
        gcp: { projectId, projectNumber, poolId: poolId ?? "", enableApis: r.boolean(`${key}.enableApis`, root.enableApis, K.enableApis) },
        primary,
    };
}

/** `agentClasses[].gcp`: one class's provider (in the stack's pool) and service account. */
export const GCP_CLASS_KEYS = object(
    { summary: "The class's GCP provider (in the stack's pool) and service account.", rule: "needs the stack's gcp" },
    {
        providerId: text({ summary: "Workload identity pool provider id.", required: true, rule: PROVIDER_ID_RULE, example: "agent-finance" }),
        serviceAccountId: text({
            summary: "Account id of the class's service account.",
            required: true,
            rule: SERVICE_ACCOUNT_ID_RULE,
            example: "agent-finance-llm",
        }),
        modelRoles: MODEL_ROLES_KEY,
    },
);

/** GCP's configuration, as the stack's parser reads every cloud's. */
export const GCP_CONFIG: CloudConfig<GcpSharedConfig, GcpAgentConfig> = {
    keys: GCP_KEYS,
    classKeys: GCP_CLASS_KEYS,
    parse(r) {
        const { gcp, primary } = parseGcpConfig(r);
        return { shared: gcp, primary, warnings: [] };
    },
    parseClass(r, path, value, shared) {
        r.onlyKnownFields(path, value, Object.keys(GCP_CLASS_KEYS.fields));
        if (!shared) r.report(path, `needs ${r.key("gcp")}: classes share its project and pool`, `configure ${r.key("gcp")}, or remove ${r.key(path)}`);
        return parseGcpAgent(r, path, value, "agent-finance");
    },
    uniqueValues: (agent) => [
        { field: "providerId", value: agent.providerId, what: "GCP provider id" },
        { field: "serviceAccountId", value: agent.serviceAccountId, what: "GCP service account id" },
    ],
    // The Agent Identity requests the dedicated cloud-federation audience GCP's provider lists: no mode to check.
    option2Problem: () => undefined,
    pinsTokenSubject: false,
    option2Audience: () => undefined,
    primaryKeysHint: "providerId and serviceAccountId",
};
