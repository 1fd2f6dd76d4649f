import type { AwsAudienceMode } from "../../contracts";

/** What AWS adds to an agent's outputs (each agent class's entry). */
export interface AwsAgentOutputs {
    /** ARN of the role the agent assumes with web identity; null without an AWS role. */
    awsRoleArn: string | null;
}

/** AWS's top-level stack outputs: the primary agent's role and refresher settings, and the shared OIDC provider. */
export interface AwsStackOutputs extends AwsAgentOutputs {
    /** ARN of the IAM OIDC provider for the token's issuer, shared by every agent's role; null when no agent uses AWS. */
    awsOidcProviderArn: string | null;
    /** What the primary agent's token refresher needs for AWS; null without its AWS role. */
    awsTokenRefresher: AwsTokenRefresherContract | null;
}

/** The runtime side of the AWS contract: what to request, where to write it, which role it buys. */
export interface AwsTokenRefresherContract {
    mode: AwsAudienceMode;
    /**
     * The audience of the token written to `tokenFile`: in modes workload and tenant, the resource requested from the
     * managed-identity endpoint; in mode exchange, the intermediary app's identifier URI, obtained by exchanging a
     * UAMI token for api://AzureADTokenExchange with the client-credentials grant (`scope`).
     */
    resource: string;
    /** Scope of the client-credentials exchange (mode `exchange`), else null. */
    scope: string | null;
    /** Client id of the intermediary app that performs the exchange (mode `exchange`), else null. */
    intermediaryClientId: string | null;
    roleArn: string;
    region: string;
    /** AWS_WEB_IDENTITY_TOKEN_FILE. */
    tokenFile: string;
}

export const AWS_OUTPUT_NAMES = {
    agent: ["awsRoleArn"],
    stack: ["awsRoleArn", "awsOidcProviderArn", "awsTokenRefresher"],
    objects: ["awsTokenRefresher"],
} as const satisfies { objects: readonly (keyof AwsStackOutputs)[]; agent: readonly (keyof AwsAgentOutputs)[]; stack: readonly (keyof AwsStackOutputs)[] };
