import { awsAgentIdentitySubject, AwsAudienceMode, awsWebIdentitySubject, TOKEN_EXCHANGE_AUDIENCE, TrustContractError, WorkloadSubject } from "../../contracts";

/**
 * What each AWS audience mode needs, one row per mode (Rais, "Entra Agent ID Across Clouds", Part 2, "Why the same token federates to one cloud but not
 * another"; the modes are described at `AwsAudienceMode`). The AWS components, the config parser and the docs read
 * this table; nothing else branches on the mode.
 */
export interface AwsAudienceModeRow {
    /** The stack creates the intermediary Entra app (and its service principal) whose identifier URI is the audience. */
    readonly intermediaryApp: boolean;
    /**
     * Each agent's identity (its UAMI, or its Agent Identity under Option 2) is assigned the intermediary app's role:
     * the app requires an assignment, and without one Entra issues no token for the audience (AADSTS501051).
     */
    readonly assignsAgents: boolean;
    /**
     * The intermediary app trusts the agent's UAMI through a FIC and exchanges its token for the app's own (client
     * credentials), so the app is assigned its own role and the `sub` AWS sees is the app's service principal.
     */
    readonly exchangesToken: boolean;
    /** The `sub` AWS sees is the agent's own, so every agent gets a role of its own (not so in exchange mode). */
    readonly subjectPerAgent: boolean;
    /** Option 2 works: the Agent Identity can request the mode's audience (the intermediary app's). */
    readonly option2: boolean;
}

export const AWS_AUDIENCE_MODE_TABLE: Readonly<Record<AwsAudienceMode, AwsAudienceModeRow>> = {
    workload: { intermediaryApp: true, assignsAgents: true, exchangesToken: false, subjectPerAgent: true, option2: true },
    exchange: { intermediaryApp: true, assignsAgents: false, exchangesToken: true, subjectPerAgent: false, option2: false },
    tenant: { intermediaryApp: false, assignsAgents: false, exchangesToken: false, subjectPerAgent: true, option2: false },
};

/** What one agent presents to AWS: its UAMI's subject, or under Option 2 its Agent Identity's. */
export interface AwsAgentSubjectInput {
    readonly mode: AwsAudienceMode;
    /** The intermediary app's identifier URI (the audience of modes workload and exchange). */
    readonly identifierUri: string;
    /** The agent's UAMI workload subject (not needed under Option 2). */
    readonly uami?: WorkloadSubject | undefined;
    /** Option 2: the Agent Identity's workload subject and the `sub` its tokens carry. */
    readonly agentIdentity?: { readonly subject: WorkloadSubject; readonly tokenSubject: string } | undefined;
    /** The intermediary app's service principal object id: the `sub` of the exchanged token (mode exchange). */
    readonly intermediaryServicePrincipalObjectId?: string | undefined;
}

/** The web-identity subject the agent's role pins, for its mode and option. */
export function awsAgentSubject(input: AwsAgentSubjectInput): WorkloadSubject {
    const { mode, identifierUri, uami, agentIdentity } = input;
    if (agentIdentity) {
        if (!AWS_AUDIENCE_MODE_TABLE[mode].option2) throw new TrustContractError(`Option 2 on AWS needs aws.audienceMode workload (got ${mode})`);
        return awsAgentIdentitySubject(agentIdentity.subject, identifierUri, agentIdentity.tokenSubject);
    }
    if (!uami) throw new TrustContractError("the AWS federation derives an Option 1 subject from the agent's UAMI workload subject");
    return awsWebIdentitySubject(uami, mode, identifierUri, input.intermediaryServicePrincipalObjectId);
}

/**
 * What the agent's token refresher asks the managed-identity endpoint for under Option 1: the mode's audience, and in
 * exchange mode the client-credentials exchange through the intermediary app. (Option 2 asks the sidecar instead.)
 */
export function awsTokenRequest(
    mode: AwsAudienceMode,
    identifierUri: string,
    exchange: { readonly tenantId: string; readonly intermediaryClientId: string },
): { resource: string; exchange?: { tenantId: string; clientId: string; scope: string } } {
    if (mode === "tenant") return { resource: TOKEN_EXCHANGE_AUDIENCE };
    if (!AWS_AUDIENCE_MODE_TABLE[mode].exchangesToken) return { resource: identifierUri };
    return { resource: identifierUri, exchange: { tenantId: exchange.tenantId, clientId: exchange.intermediaryClientId, scope: `${identifierUri}/.default` } };
}
