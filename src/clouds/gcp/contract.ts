import type { GcpProviderContract } from "../../contracts";
import { fieldProblems, matching, nonEmptyString, stringArray, stringRecord } from "../../json-checks";
import type { CloudContractKind } from "../cloud";

/** GCP pool and provider ids: 4-32 lowercase letters, digits and hyphens (IAM's own rule). */
const GCP_ID = /^[a-z0-9-]{4,32}$/;
const SERVICE_ACCOUNT_EMAIL = /^[a-z0-9][a-z0-9.-]*@[a-z0-9][a-z0-9.-]*$/;

/** A GCP workload identity pool provider and the service account its one subject may impersonate. */
export const GCP_CONTRACT: CloudContractKind<GcpProviderContract> = {
    kind: "gcp-provider",
    problems: (c, path) =>
        fieldProblems(c, path, {
            name: nonEmptyString,
            projectNumber: matching(/^\d+$/, "a project number (digits)"),
            poolId: matching(GCP_ID, "a pool id (4-32 lowercase letters, digits, '-')"),
            providerId: matching(GCP_ID, "a provider id (4-32 lowercase letters, digits, '-')"),
            issuer: nonEmptyString,
            allowedAudiences: stringArray,
            attributeMapping: stringRecord,
            attributeCondition: nonEmptyString,
            principal: nonEmptyString,
            serviceAccountEmail: matching(SERVICE_ACCOUNT_EMAIL, "a service account email"),
        }),
    evaluate: (contract, claims, now) => verifier().evaluateGcpProvider(contract, claims, now),
    name: (contract) => `${contract.name} -> ${contract.serviceAccountEmail}`,
    // The subject the service account binds: `principal://.../subject/<sub>`.
    pinnedSubject: (contract) => contract.principal.slice(contract.principal.indexOf("/subject/") + "/subject/".length),
};

/** The verifier (a real policy evaluator), loaded when a token is checked rather than whenever the cloud registry is read. */
function verifier(): typeof import("../../verifiers/gcp-sts") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("../../verifiers/gcp-sts") as typeof import("../../verifiers/gcp-sts");
}
