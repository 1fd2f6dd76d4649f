import * as pulumi from "@pulumi/pulumi";
import type { AgentAppWiring, AgentCloudContext } from "../../components/agent";
import {
    cloudFederationApi,
    GCP_CREDENTIAL_FILE_NAME,
    GCP_FEDERATION_API,
    GCP_SUBJECT_TOKEN_FILE,
    GCP_TOKEN_TARGET,
    gcpAgentEnv,
    sidecarTokenTarget,
} from "../../runtime/container-env";
import type { CloudFederation } from "../cloud";
import type { GcpAgentConfig, GcpSharedConfig } from "./config";
import { GcpFederation } from "./federation";
import { GCP_OUTPUT_NAMES } from "./outputs";
import { GcpSharedFederation } from "./shared-federation";

/**
 * GCP's part of a stack, from its configuration: the pool and APIs once (`agentfed:gcp`'s shared keys), and a
 * provider and service account for each agent whose settings name one (`gcp` of the primary agent or a class).
 */
export const GCP_FEDERATION: CloudFederation<GcpSharedConfig, GcpAgentConfig> = {
    forStack(settings, agents) {
        if (!settings || !agents.some((a) => a !== undefined)) return undefined;
        let shared: GcpSharedFederation | undefined;
        return {
            id: "gcp",
            createShared(parent, ctx) {
                shared = new GcpSharedFederation("gcp", { settings, protect: ctx.protect }, { parent });
            },
            forAgent(own, label) {
                if (!own) return undefined;
                return {
                    id: "gcp",
                    federate(name, ctx, opts) {
                        if (!shared) throw new Error("GCP: the shared infrastructure creates the pool before any agent federates");
                        const federation = new GcpFederation(
                            name,
                            {
                                subject: ctx.cloudSubject,
                                settings: own,
                                shared,
                                subjectTokenFile: GCP_SUBJECT_TOKEN_FILE,
                                ...(label.className ? { serviceAccountDisplayName: `agentfed ${label.className} agent (federated)` } : {}),
                                protect: ctx.protect,
                            },
                            opts,
                        );
                        return {
                            resource: federation,
                            contract: federation.contract,
                            outputs: {
                                gcpWorkloadIdentityProvider: federation.providerName,
                                gcpServiceAccountEmail: federation.serviceAccountEmail,
                                gcpCredentialConfig: federation.credentialConfig,
                            },
                            app: appWiring(settings.projectId, federation, ctx),
                        };
                    },
                };
            },
            stackOutputs(primary) {
                return Object.fromEntries(GCP_OUTPUT_NAMES.stack.map((n) => [n, primary?.outputs[n] ?? pulumi.output(null)]));
            },
        };
    },
};

/**
 * What the agent's app needs for GCP: the credential configuration file and GOOGLE_APPLICATION_CREDENTIALS, and the
 * subject token the refresher keeps fresh: the UAMI's (Option 1) or the Agent Identity's, minted by the sidecar for
 * the dedicated cloud-federation audience (Option 2, with the sidecar entry that mints it).
 */
function appWiring(projectId: string, federation: GcpFederation, ctx: AgentCloudContext): AgentAppWiring {
    const ai = ctx.agentIdentity;
    return {
        agentEnv: pulumi.output(gcpAgentEnv(projectId)),
        configFiles: [{ name: "gcp-credential-config", fileName: GCP_CREDENTIAL_FILE_NAME, content: federation.credentialConfig }],
        tokenTargets: [
            ai
                ? ai.apply((a) => sidecarTokenTarget("gcp", GCP_SUBJECT_TOKEN_FILE, GCP_FEDERATION_API, a.cloudFederationAudience.identifierUri, a.clientId))
                : GCP_TOKEN_TARGET,
        ],
        sidecarApis: ai
            ? ai.apply((a) => [cloudFederationApi(GCP_FEDERATION_API, "https://sts.googleapis.com", a.cloudFederationAudience.identifierUri)])
            : pulumi.output([]),
    };
}
