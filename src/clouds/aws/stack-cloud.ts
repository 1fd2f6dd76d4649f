import * as pulumi from "@pulumi/pulumi";
import type { AgentAppWiring, AgentCloudContext } from "../../components/agent";
import { AWS_FEDERATION_API, AWS_WEB_IDENTITY_TOKEN_FILE, awsAgentEnv, cloudFederationApi } from "../../runtime/container-env";
import type { CloudFederation } from "../cloud";
import type { AwsAgentConfig, AwsSharedConfig } from "./config";
import { AwsFederation } from "./federation";
import type { AwsTokenRefresherContract } from "./outputs";
import { AwsSharedFederation } from "./shared-federation";

/**
 * AWS's part of a stack, from its configuration: the provider, the OIDC provider and the intermediary app once
 * (`agentfed:aws`'s shared keys), and a role for each agent whose settings name one (`aws` of the primary agent or a class).
 */
export const AWS_FEDERATION: CloudFederation<AwsSharedConfig, AwsAgentConfig> = {
    forStack(settings, agents) {
        if (!settings || !agents.some((a) => a !== undefined)) return undefined;
        let shared: AwsSharedFederation | undefined;
        return {
            id: "aws",
            createShared(parent, ctx) {
                shared = new AwsSharedFederation("aws", { settings, tenantId: ctx.tenantId, protect: ctx.protect }, { parent });
            },
            forAgent(own) {
                if (!own) return undefined;
                return {
                    id: "aws",
                    federate(name, ctx, opts) {
                        if (!shared) throw new Error("AWS: the shared infrastructure creates the OIDC provider before any agent federates");
                        const ai = ctx.agentIdentity;
                        const federation = new AwsFederation(
                            name,
                            {
                                uamiSubject: ctx.uamiSubject,
                                tenantId: ctx.tenantId,
                                shared,
                                role: { name: own.roleName, modelArns: own.modelArns },
                                tokenFile: AWS_WEB_IDENTITY_TOKEN_FILE,
                                ...(ai
                                    ? {
                                          agentIdentity: pulumi
                                              .all([ctx.cloudSubject, ai])
                                              .apply(([subject, a]) => ({ subject, tokenSubject: a.tokenSubject, clientId: a.clientId })),
                                      }
                                    : {}),
                                protect: ctx.protect,
                            },
                            opts,
                        );
                        return {
                            resource: federation,
                            contract: federation.contract,
                            outputs: { awsRoleArn: federation.roleArn },
                            app: appWiring(federation, shared, ctx),
                        };
                    },
                };
            },
            stackOutputs(primary) {
                const federation = primary?.resource instanceof AwsFederation ? primary.resource : undefined;
                return {
                    awsRoleArn: federation ? federation.roleArn : pulumi.output(null),
                    awsOidcProviderArn: shared ? shared.oidcProviderArn : pulumi.output(null),
                    awsTokenRefresher: federation
                        ? pulumi.all([federation.tokenTarget, federation.roleArn]).apply(([target, roleArn]): AwsTokenRefresherContract => ({
                              mode: settings.audienceMode,
                              resource: target.resource,
                              scope: target.exchange?.scope ?? null,
                              intermediaryClientId: target.exchange?.clientId ?? null,
                              roleArn,
                              region: settings.region,
                              tokenFile: target.file,
                          }))
                        : pulumi.output(null),
                };
            },
        };
    },
};

/**
 * What the agent's app needs for AWS: the SDK's web-identity settings (role, token file, region, session name), the
 * token the refresher keeps fresh (its target comes from the federation, per audience mode), and under Option 2 the
 * sidecar entry minting the Agent Identity's token for the intermediary audience.
 */
function appWiring(federation: AwsFederation, shared: AwsSharedFederation, ctx: AgentCloudContext): AgentAppWiring {
    const { region, identifierUri } = shared.settings;
    return {
        agentEnv: federation.roleArn.apply((roleArn) => awsAgentEnv(roleArn, region, ctx.appName ?? "")),
        configFiles: [],
        tokenTargets: [federation.tokenTarget],
        sidecarApis: pulumi.output(ctx.agentIdentity ? [cloudFederationApi(AWS_FEDERATION_API, "https://sts.amazonaws.com", identifierUri)] : []),
    };
}
