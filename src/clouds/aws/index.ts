/**
 * AWS web-identity federation: an IAM OIDC provider and (by audience mode) an intermediary Entra app the stack's
 * agents share, and per agent a role pinning its subject on aud and sub (docs/aws-federation.md).
 */
import type { AwsRoleContract } from "../../contracts";
import type { CloudDefinition, CloudFederation } from "../cloud";
import { AWS_CONFIG, AwsAgentConfig, AwsSharedConfig } from "./config";
import { AWS_CONTRACT } from "./contract";
import { AWS_MOCKS } from "./mocks";
import { AWS_OUTPUT_NAMES, AwsAgentOutputs, AwsStackOutputs } from "./outputs";

export const aws: CloudDefinition<
    "aws",
    { shared: AwsSharedConfig; agent: AwsAgentConfig; contract: AwsRoleContract; agentOutputs: AwsAgentOutputs; stackOutputs: AwsStackOutputs }
> = {
    id: "aws",
    label: "AWS",
    config: AWS_CONFIG,
    contract: AWS_CONTRACT,
    mocks: AWS_MOCKS,
    outputs: AWS_OUTPUT_NAMES,
    // Loaded when a stack is built, so the doctor and the docs never load the Pulumi SDK (src/clouds/cloud.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    federation: (): CloudFederation<AwsSharedConfig, AwsAgentConfig> => (require("./stack-cloud") as typeof import("./stack-cloud")).AWS_FEDERATION,
};
