import type { CloudMocks } from "../cloud";

/**
 * What GCP would answer for the resources the stacks create: resource names built from the project number the stack
 * declares (GCP knows it from the project), emails from the account id, placeholders for ids only GCP assigns.
 */
export const GCP_MOCKS: CloudMocks = {
    bind(section, tools) {
        const projectNumbers = projectNumbersOf(section);
        const projectNumber = (projectId: unknown): string => {
            const id = String(projectId);
            const known = projectNumbers[id];
            if (known) return known;
            tools.note("000000000000", `project number of GCP project ${id}`);
            return "000000000000";
        };
        const text = tools.text;
        return (type, name, inputs) => {
            switch (type) {
                case "gcp:projects/service:Service":
                    return { id: `${text(inputs.project)}/${text(inputs.service)}`, state: {} };
                case "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": {
                    const poolName = `projects/${projectNumber(inputs.project)}/locations/global/workloadIdentityPools/${text(inputs.workloadIdentityPoolId)}`;
                    return { id: poolName, state: { name: poolName, state: "ACTIVE" } };
                }
                case "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": {
                    const providerName = `projects/${projectNumber(inputs.project)}/locations/global/workloadIdentityPools/${text(inputs.workloadIdentityPoolId)}/providers/${text(inputs.workloadIdentityPoolProviderId)}`;
                    return { id: providerName, state: { name: providerName, state: "ACTIVE" } };
                }
                case "gcp:serviceaccount/account:Account": {
                    const email = `${text(inputs.accountId)}@${text(inputs.project)}.iam.gserviceaccount.com`;
                    const uniqueId = tools.placeholder(type, name, "uniqueId", `unique id of service account ${email}, assigned by GCP`);
                    return {
                        id: `projects/${text(inputs.project)}/serviceAccounts/${email}`,
                        state: { name: `projects/${text(inputs.project)}/serviceAccounts/${email}`, email, member: `serviceAccount:${email}`, uniqueId },
                    };
                }
                case "gcp:projects/iAMCustomRole:IAMCustomRole": {
                    const roleName = `projects/${text(inputs.project)}/roles/${text(inputs.roleId)}`;
                    return { id: roleName, state: { name: roleName, deleted: false } };
                }
                case "gcp:serviceaccount/iAMMember:IAMMember":
                case "gcp:projects/iAMMember:IAMMember":
                    return { id: `${name}-binding`, state: { etag: "BwXplaceholder=" } };
                default:
                    return undefined;
            }
        };
    },
};

/** The GCP project id -> number the stack declares, so mocked resource names carry the number GCP would. */
function projectNumbersOf(section: string | undefined): Record<string, string> {
    try {
        const gcp = JSON.parse(section ?? "null") as { projectId?: unknown; projectNumber?: unknown } | null;
        return gcp && typeof gcp.projectId === "string" ? { [gcp.projectId]: String(gcp.projectNumber) } : {};
    } catch {
        return {};
    }
}
