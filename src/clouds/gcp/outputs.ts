/** What GCP adds to an agent's outputs (each agent class's entry, and the primary agent's at the top level). */
export interface GcpAgentOutputs {
    /** GCP provider resource name (projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>); null without a GCP principal. */
    gcpWorkloadIdentityProvider: string | null;
    /** Email of the service account the agent impersonates; null without a GCP principal. */
    gcpServiceAccountEmail: string | null;
    /** The agent's `external_account` credential configuration (JSON text); null without a GCP principal. */
    gcpCredentialConfig: string | null;
}

/** GCP's top-level stack outputs: the primary agent's. */
export type GcpStackOutputs = GcpAgentOutputs;

export const GCP_OUTPUT_NAMES = {
    agent: ["gcpWorkloadIdentityProvider", "gcpServiceAccountEmail", "gcpCredentialConfig"],
    stack: ["gcpWorkloadIdentityProvider", "gcpServiceAccountEmail", "gcpCredentialConfig"],
    objects: [],
} as const satisfies { objects: readonly (keyof GcpStackOutputs)[]; agent: readonly (keyof GcpAgentOutputs)[]; stack: readonly (keyof GcpStackOutputs)[] };
