import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/aws/iam";
import * as azuread from "@pulumi/azuread";
import { awsAudience, AwsRoleContract, awsRoleContract, bedrockInvokePolicy, entraFicContract, WorkloadSubject } from "../../contracts";
import { AWS_AUDIENCE_MODE_TABLE, awsAgentSubject, awsTokenRequest } from "./audience-modes";
import { AWS_FEDERATION_API, sidecarTokenTarget, TokenTarget } from "../../runtime/container-env";
import { ASSUME_ROLE_APP_ROLE_ID, AwsSharedFederation } from "./shared-federation";

/** Option 2 on AWS: the Agent Identity an agent's role trusts instead of its UAMI. */
export interface AwsAgentIdentity {
    /** The Agent Identity's workload subject (its object id, which gets the intermediary app's role). */
    readonly subject: WorkloadSubject;
    /** The `sub` its tokens carry, which the role pins (AWS has no `oid` key). */
    readonly tokenSubject: string;
    /** Its client id: the `AgentIdentity` parameter the refresher passes to the sidecar. */
    readonly clientId: string;
}

export interface AwsFederationArgs {
    /** The agent's UAMI workload subject; the AWS-side subject is derived from it (never retyped). */
    uamiSubject: pulumi.Input<WorkloadSubject>;
    /**
     * Option 2 (Rais, "Entra Agent ID Across Clouds", Part 3): the Agent Identity the role trusts instead of the UAMI, with the client id the refresher
     * names to have the sidecar mint it through the reserved AWS entry. Needs mode workload: the Agent Identity
     * requests the intermediary audience. Default: Option 1, the UAMI.
     */
    agentIdentity?: pulumi.Input<AwsAgentIdentity>;
    /** The stack's provider, OIDC provider and intermediary app, shared by every agent's role. */
    shared: AwsSharedFederation;
    /** The agent's role: its name and the Bedrock models it may invoke. */
    role: { name: string; modelArns: readonly string[] };
    /** Entra tenant id. */
    tenantId: string;
    /** Where the token refresher writes the web-identity token (AWS_WEB_IDENTITY_TOKEN_FILE). */
    tokenFile: string;
    /** Protect the role, its app role assignment and (exchange mode) the FIC. Default: true. */
    protect?: boolean;
}

/**
 * One agent's AWS principal: a role whose trust policy is computed by the pure `awsRoleContract` (one statement,
 * AssumeRoleWithWebIdentity, StringEquals on aud and sub) behind the stack's shared OIDC provider, its Bedrock invoke
 * policy, and what the agent's mode needs to obtain the audience (`AWS_AUDIENCE_MODE_TABLE`): the intermediary app's
 * role for its identity, or in exchange mode the app's FIC trusting its UAMI.
 */
export class AwsFederation extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    /** The shared OIDC provider's ARN, which the role's trust policy names. */
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** The deployed contract, as plain JSON. */
    public readonly contract: pulumi.Output<AwsRoleContract>;
    /** What the token refresher requests and where it writes (mirrors `TokenTarget`). */
    public readonly tokenTarget: pulumi.Output<TokenTarget>;

    constructor(name: string, args: AwsFederationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:aws:Federation", name, {}, opts);
        const s = args.shared.settings;
        const protect = args.protect ?? true;
        const mode = AWS_AUDIENCE_MODE_TABLE[s.audienceMode];
        const uami = pulumi.output(args.uamiSubject);
        const intermediary = args.shared.intermediary;
        const agentIdentity = args.agentIdentity === undefined ? undefined : pulumi.output(args.agentIdentity);
        if (mode.intermediaryApp && !intermediary) throw new Error(`AWS federation ${name}: mode ${s.audienceMode} needs the shared intermediary app`);
        if (agentIdentity && !mode.option2) throw new Error("Option 2 on AWS needs aws.audienceMode workload");

        if (mode.exchangesToken && intermediary) this.trustUamiForExchange(name, uami, intermediary, s.intermediaryAppName, protect);
        if (mode.assignsAgents && intermediary) {
            // Without the assignment the identity gets no token for the audience (AADSTS501051): protected like the role.
            new azuread.AppRoleAssignment(
                agentIdentity ? `${name}-agent-identity-assume` : `${name}-uami-assume`,
                {
                    appRoleId: ASSUME_ROLE_APP_ROLE_ID,
                    principalObjectId: agentIdentity ? agentIdentity.subject.subject : uami.subject,
                    resourceObjectId: intermediary.servicePrincipalObjectId,
                },
                { parent: this, protect },
            );
        }

        // Each value waits only for what it uses: the UAMI (Option 1), the service principal (exchange), nothing (Option 2).
        const subjectOf = (u?: WorkloadSubject, sp?: string, ai?: AwsAgentIdentity) =>
            awsAgentSubject({ mode: s.audienceMode, identifierUri: s.identifierUri, uami: u, agentIdentity: ai, intermediaryServicePrincipalObjectId: sp });
        const subject = agentIdentity
            ? agentIdentity.apply((ai) => subjectOf(undefined, undefined, ai))
            : mode.exchangesToken && intermediary
              ? pulumi.all([uami, intermediary.servicePrincipalObjectId]).apply(([u, sp]) => subjectOf(u, sp))
              : uami.apply((u) => subjectOf(u));
        this.contract = subject.apply((sub) => awsRoleContract({ accountId: s.accountId, roleName: args.role.name, mode: s.audienceMode }, sub));
        const target = (intermediaryClientId: string): TokenTarget => ({
            name: "aws",
            file: args.tokenFile,
            ...awsTokenRequest(s.audienceMode, s.identifierUri, { tenantId: args.tenantId, intermediaryClientId }),
        });
        this.tokenTarget = agentIdentity
            ? agentIdentity.apply((ai) => sidecarTokenTarget("aws", args.tokenFile, AWS_FEDERATION_API, s.identifierUri, ai.clientId))
            : mode.exchangesToken && intermediary
              ? intermediary.clientId.apply(target)
              : pulumi.output(target(""));

        this.roleArn = this.createRole(name, args, protect);
        this.oidcProviderArn = args.shared.oidcProviderArn;
        this.registerOutputs({ roleArn: this.roleArn, oidcProviderArn: this.oidcProviderArn, contract: this.contract, tokenTarget: this.tokenTarget });
    }

    /** The role, whose trust policy is the contract (checked against the shared OIDC provider), and its Bedrock policy. */
    private createRole(name: string, args: AwsFederationArgs, protect: boolean): pulumi.Output<string> {
        const s = args.shared.settings;
        const role = new iam.Role(
            name,
            {
                name: args.role.name,
                description: "Assumed by the agent's Entra workload identity through web identity federation. Managed by Pulumi (agentfed).",
                maxSessionDuration: 3600,
                // The trust policy names the provider; it is built from the provider's ARN so the role waits for it.
                assumeRolePolicy: pulumi.all([args.shared.oidcProviderArn, this.contract]).apply(([arn, c]) => {
                    if (arn !== c.providerArn) throw new Error(`OIDC provider ARN ${arn} differs from the contract's ${c.providerArn}`);
                    if (c.audience !== awsAudience(s.audienceMode, s.identifierUri))
                        throw new Error(`role ${c.name} pins audience ${c.audience}, which the OIDC provider does not list`);
                    return JSON.stringify(c.trustPolicy);
                }),
                tags: { "managed-by": "pulumi-agentfed" },
            },
            { parent: this, provider: args.shared.provider, protect },
        );
        const policy = JSON.stringify(bedrockInvokePolicy(args.role.modelArns));
        new iam.RolePolicy(`${name}-bedrock-invoke`, { role: role.name, policy }, { parent: this, provider: args.shared.provider });
        return role.arn;
    }

    /** Exchange mode: the intermediary app trusts this agent's UAMI through a FIC and requests its own token. */
    private trustUamiForExchange(
        name: string,
        uami: pulumi.Output<WorkloadSubject>,
        app: { id: pulumi.Output<string>; clientId: pulumi.Output<string>; objectId: pulumi.Output<string> },
        intermediaryAppName: string,
        protect: boolean,
    ): void {
        const fic = pulumi
            .all([uami, app.clientId, app.objectId])
            .apply(([u, appId, objectId]) => entraFicContract(`uami-${intermediaryAppName}`, { kind: "application", appId, objectId }, u));
        new azuread.ApplicationFederatedIdentityCredential(
            `${name}-intermediary-trusts-uami`,
            { applicationId: app.id, displayName: fic.name, issuer: fic.issuer, subject: fic.subject, audiences: fic.audiences.apply((a) => [...a]) },
            { parent: this, protect, deleteBeforeReplace: true },
        );
    }
}
