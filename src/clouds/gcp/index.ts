/**
 * GCP workload identity federation: a pool the stack's agents share, and per agent a provider trusting exactly its
 * workload subject and a service account only that subject may impersonate (docs/gcp-federation.md).
 */
import type { GcpProviderContract } from "../../contracts";
import type { CloudDefinition, CloudFederation } from "../cloud";
import { GCP_CONFIG, GcpAgentConfig, GcpSharedConfig } from "./config";
import { GCP_CONTRACT } from "./contract";
import { GCP_MOCKS } from "./mocks";
import { GCP_OUTPUT_NAMES, GcpAgentOutputs, GcpStackOutputs } from "./outputs";

export const gcp: CloudDefinition<
    "gcp",
    { shared: GcpSharedConfig; agent: GcpAgentConfig; contract: GcpProviderContract; agentOutputs: GcpAgentOutputs; stackOutputs: GcpStackOutputs }
> = {
    id: "gcp",
    label: "GCP",
    config: GCP_CONFIG,
    contract: GCP_CONTRACT,
    mocks: GCP_MOCKS,
    outputs: GCP_OUTPUT_NAMES,
    // Loaded when a stack is built, so the doctor and the docs never load the Pulumi SDK (src/clouds/cloud.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    federation: (): CloudFederation<GcpSharedConfig, GcpAgentConfig> => (require("./stack-cloud") as typeof import("./stack-cloud")).GCP_FEDERATION,
};
