import { bool, Json, Reader, str } from "./reader";

/** GCP workload identity federation for the agent's model calls (`agentfed:gcp`). Absent: no GCP resources. */
export interface GcpConfig {
    /** Project id (e.g. `contoso-agents-prod`): where the pool, provider and service account are created. */
    readonly projectId: string;
    /** Project number (digits): it appears in principal:// members and the STS audience. */
    readonly projectNumber: string;
    /** Workload identity pool id. Deleted ids cannot be reused for 30 days. */
    readonly poolId: string;
    /** Workload identity pool provider id. Deleted ids cannot be reused for 30 days. */
    readonly providerId: string;
    /** Account id of the dedicated service account the agent impersonates. */
    readonly serviceAccountId: string;
    /** Project roles for the service account (the model's permissions). Default: roles/aiplatform.user. */
    readonly modelRoles: readonly string[];
    /** Enable the iam, sts, iamcredentials and aiplatform APIs (never disabled on destroy). Default true. */
    readonly enableApis: boolean;
}

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const POOL_OR_PROVIDER_ID = /^[a-z0-9-]{4,32}$/;
const SERVICE_ACCOUNT_ID = /^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/;
const ROLE = /^(roles\/[a-zA-Z0-9_.]+|projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/roles\/[a-zA-Z0-9_.]{3,64}|organizations\/\d+\/roles\/[a-zA-Z0-9_.]{3,64})$/;

/** Problems with a workload identity pool or provider id (GCP's rules). */
export function poolOrProviderIdProblem(id: string): string | undefined {
    if (!POOL_OR_PROVIDER_ID.test(id)) return `must be 4-32 lowercase letters, digits or '-' (got ${JSON.stringify(id)})`;
    if (id.startsWith("gcp-")) return `must not start with "gcp-", a prefix GCP reserves (got ${JSON.stringify(id)})`;
    return undefined;
}

/** Project roles for a federated service account; default roles/aiplatform.user. Never owner or editor. */
export function parseModelRoles(r: Reader, path: string, value: Json | undefined): string[] {
    if (value === undefined) return ["roles/aiplatform.user"];
    if (!Array.isArray(value) || value.length === 0) {
        r.report(path, "must be a non-empty list of roles", "e.g. [roles/aiplatform.user]");
        return ["roles/aiplatform.user"];
    }
    const modelRoles = value.map(String);
    modelRoles.forEach((role, i) => {
        if (!ROLE.test(role))
            r.report(
                `${path}[${i}]`,
                `is not a role name (got ${JSON.stringify(role)})`,
                "use roles/<name>, projects/<id>/roles/<name> or organizations/<n>/roles/<name>",
            );
        if (modelRoles.indexOf(role) !== i) r.report(`${path}[${i}]`, `repeats ${role}`, "list each role once");
        if (role === "roles/owner" || role === "roles/editor")
            r.report(`${path}[${i}]`, `grants ${role}, far beyond model access`, "grant roles/aiplatform.user or a custom role");
    });
    return modelRoles;
}

/** A service account id (GCP's rules), reported under `path`. */
export function parseServiceAccountId(r: Reader, path: string, value: Json | undefined): string {
    return r.matching(path, value, SERVICE_ACCOUNT_ID, "a service account id", "use 6-30 lowercase letters, digits or '-', starting with a letter");
}

/** Parses `agentfed:gcp`. */
export function parseGcpConfig(r: Reader): GcpConfig | undefined {
    const key = "gcp";
    const root = r.object(key, `set ${r.key(key)} to { projectId, projectNumber, poolId, providerId, serviceAccountId }`, false);
    if (!root) return undefined;
    r.onlyKnownFields(key, root, ["projectId", "projectNumber", "poolId", "providerId", "serviceAccountId", "modelRoles", "enableApis"]);

    const projectId = r.matching(
        `${key}.projectId`,
        root.projectId,
        PROJECT_ID,
        "a GCP project id",
        "use the project id (6-30 lowercase letters, digits, '-'), e.g. from: gcloud projects list",
    );
    const projectNumber = typeof root.projectNumber === "number" ? String(root.projectNumber) : (str(root.projectNumber) ?? "");
    if (!/^\d{6,20}$/.test(projectNumber)) {
        r.report(
            `${key}.projectNumber`,
            `must be numeric (got ${JSON.stringify(root.projectNumber ?? null)})`,
            `gcloud projects describe ${projectId || "<project>"} --format='value(projectNumber)'; quote it in YAML`,
        );
    }
    const ids: Record<"poolId" | "providerId", string> = { poolId: "", providerId: "" };
    for (const field of ["poolId", "providerId"] as const) {
        const id = str(root[field]) ?? "";
        const problem = poolOrProviderIdProblem(id);
        if (problem) r.report(`${key}.${field}`, problem, "choose an id such as agentfed-prod; a deleted id stays reserved for 30 days");
        ids[field] = id;
    }
    const serviceAccountId = parseServiceAccountId(r, `${key}.serviceAccountId`, root.serviceAccountId);
    const modelRoles = parseModelRoles(r, `${key}.modelRoles`, root.modelRoles);
    return {
        projectId,
        projectNumber,
        poolId: ids.poolId,
        providerId: ids.providerId,
        serviceAccountId,
        modelRoles,
        enableApis: bool(r, `${key}.enableApis`, root.enableApis, true),
    };
}
