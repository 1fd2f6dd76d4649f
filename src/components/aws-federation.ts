import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/aws/iam";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as azuread from "@pulumi/azuread";
import {
    AwsAudienceMode,
    awsAgentIdentitySubject,
    awsAudience,
    awsOidcProviderUrl,
    AwsRoleContract,
    awsRoleContract,
    awsWebIdentitySubject,
    bedrockInvokePolicy,
    entraFicContract,
    WorkloadSubject,
} from "../contracts";
import { AWS_FEDERATION_API, sidecarTokenTarget, TokenTarget } from "../runtime/container-env";

/** What an agent class reuses from the primary agent's federation: AWS allows one OIDC provider per issuer URL. */
export interface AwsSharedFederation {
    /** The AWS provider pinned to the configured account. */
    readonly provider: AwsProvider;
    /** The account's OIDC provider for the token issuer; its audience list takes no per-class value. */
    readonly oidcProvider: iam.OpenIdConnectProvider;
    /** The intermediary app's service principal (modes workload and exchange); classes get its app role. */
    readonly intermediaryServicePrincipalObjectId: pulumi.Output<string> | undefined;
}

/** The account, the audience mode and the intermediary app the role is reached through, and the role itself. */
export interface AwsFederationSettings {
    /** The 12-digit account the provider and role live in; the AWS provider refuses any other. */
    readonly accountId: string;
    /** Region of the Bedrock models and of the AWS provider. */
    readonly region: string;
    /** How the token gets an audience AWS accepts (see `AwsAudienceMode`). */
    readonly audienceMode: AwsAudienceMode;
    /** Display name of the intermediary Entra app (modes workload and exchange). */
    readonly intermediaryAppName: string;
    /** The intermediary app's identifier URI: the audience the role pins (modes workload and exchange). */
    readonly identifierUri: string;
    /** IAM role name. */
    readonly roleName: string;
    /** Bedrock model ARNs the role may invoke (never `*`). */
    readonly modelArns: readonly string[];
}

export interface AwsFederationArgs {
    /** The UAMI's workload subject; the AWS-side subject is derived from it (never retyped). */
    uamiSubject: pulumi.Input<WorkloadSubject>;
    /**
     * Option 2 (seed 001): the Agent Identity the role trusts instead of the UAMI, with the client id the refresher
     * names to have the sidecar mint it through the reserved AWS entry. Needs mode workload: the Agent Identity
     * requests the intermediary audience. Default: Option 1, the UAMI.
     */
    agentIdentity?: {
        /** The Agent Identity's workload subject (its object id, which gets the intermediary app's role). */
        subject: WorkloadSubject;
        /** The `sub` its tokens carry, which the role pins (AWS has no `oid` key). */
        tokenSubject: string;
        clientId: string;
    };
    /** An agent class: reuse the primary federation's provider, OIDC provider and intermediary app. */
    shared?: AwsSharedFederation;
    /** The role's name and models; default `settings.roleName` and `settings.modelArns`. */
    role?: { name: string; modelArns: readonly string[] };
    /** Entra tenant id. */
    tenantId: string;
    /** Account, region, audience mode, intermediary app, role and models. */
    settings: AwsFederationSettings;
    /** Where the token refresher writes the web-identity token (AWS_WEB_IDENTITY_TOKEN_FILE). */
    tokenFile: string;
    /** Protect the OIDC provider, the role and the intermediary app. Default: true. */
    protect?: boolean;
}

/** Fixed id of the intermediary app's role: assignments reference it, so it must not change between runs. */
const ASSUME_ROLE_APP_ROLE_ID = "5b0c7a8e-3f0e-4f6e-9a55-0a6f3c2b7d41";

/**
 * AWS federation for one workload: an intermediary Entra app that gives the UAMI a workload-scoped audience (modes
 * workload and exchange), an IAM OIDC provider for the token's issuer, and a role whose trust policy is computed by
 * the pure `awsRoleContract`: one statement, AssumeRoleWithWebIdentity, StringEquals on aud and sub.
 */
export class AwsFederation extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** The deployed contract, as plain JSON. */
    public readonly contract: pulumi.Output<AwsRoleContract>;
    /** What the token refresher requests and where it writes (mirrors `TokenTarget`). */
    public readonly tokenTarget: pulumi.Output<TokenTarget>;
    /** The intermediary app's client id, or null in tenant mode (and in agent classes, which reuse the primary's). */
    public readonly intermediaryClientId: pulumi.Output<string | null>;
    /** What agent classes reuse (set on the primary federation only). */
    public readonly shared: AwsSharedFederation | undefined;

    constructor(name: string, args: AwsFederationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:aws:Federation", name, {}, opts);
        const s = args.settings;
        const protect = args.protect ?? true;
        const uami = pulumi.output(args.uamiSubject);

        const roleName = args.role?.name ?? s.roleName;
        const modelArns = args.role?.modelArns ?? s.modelArns;
        if (args.agentIdentity && s.audienceMode !== "workload") throw new Error("Option 2 on AWS needs aws.audienceMode workload");

        // The provider refuses to touch any account but the configured one.
        const provider = args.shared?.provider ?? new AwsProvider(name, { region: s.region, allowedAccountIds: [s.accountId] }, { parent: this });
        const awsOpts = { parent: this, provider, protect };

        let subject: pulumi.Output<WorkloadSubject>;
        let target: pulumi.Output<TokenTarget>;
        let intermediarySp: pulumi.Output<string> | undefined = args.shared?.intermediaryServicePrincipalObjectId;
        this.intermediaryClientId = pulumi.output(null);
        if (s.audienceMode === "tenant") {
            subject = uami.apply((u) => awsWebIdentitySubject(u, "tenant", s.identifierUri));
            target = pulumi.output({ name: "aws", file: args.tokenFile, resource: "api://AzureADTokenExchange" });
        } else {
            if (!args.shared) {
                const app = new azuread.Application(
                    `${name}-intermediary`,
                    {
                        displayName: s.intermediaryAppName,
                        description: "Gives the agent's UAMI a workload-scoped audience for AWS. Managed by Pulumi (agentfed).",
                        signInAudience: "AzureADMyOrg",
                        identifierUris: [s.identifierUri],
                        // v1 access tokens: iss https://sts.windows.net/<tenant>/, aud = the identifier URI.
                        api: { requestedAccessTokenVersion: 1 },
                        appRoles: [
                            {
                                id: ASSUME_ROLE_APP_ROLE_ID,
                                allowedMemberTypes: ["Application"],
                                value: "AssumeAwsRole",
                                displayName: "Assume the agent's AWS role",
                                description: "Holders may obtain tokens for this audience, which the AWS role trusts.",
                                enabled: true,
                            },
                        ],
                    },
                    { parent: this, protect },
                );
                // Role assignment required: only identities granted the app role can get a token for this audience.
                const sp = new azuread.ServicePrincipal(
                    `${name}-intermediary`,
                    { clientId: app.clientId, appRoleAssignmentRequired: true },
                    { parent: this, protect },
                );
                intermediarySp = sp.objectId;
                this.intermediaryClientId = app.clientId;
                if (s.audienceMode === "exchange") {
                    // exchange: the app trusts the UAMI through a FIC and requests its own token (client credentials).
                    const fic = pulumi
                        .all([uami, app.clientId, app.objectId])
                        .apply(([u, appId, objectId]) => entraFicContract(`uami-${s.intermediaryAppName}`, { kind: "application", appId, objectId }, u));
                    new azuread.ApplicationFederatedIdentityCredential(
                        `${name}-intermediary-trusts-uami`,
                        {
                            applicationId: app.id,
                            displayName: fic.name,
                            issuer: fic.issuer,
                            subject: fic.subject,
                            audiences: fic.audiences.apply((a) => [...a]),
                        },
                        { parent: this, protect, deleteBeforeReplace: true },
                    );
                    new azuread.AppRoleAssignment(
                        `${name}-self-assume`,
                        { appRoleId: ASSUME_ROLE_APP_ROLE_ID, principalObjectId: sp.objectId, resourceObjectId: sp.objectId },
                        { parent: this, protect },
                    );
                }
            }
            if (!intermediarySp)
                throw new Error(`AWS federation ${name}: a shared federation in mode ${s.audienceMode} needs the intermediary service principal`);
            if (s.audienceMode === "workload") {
                const agentIdentity = args.agentIdentity;
                // Without the assignment the identity gets no token for the audience (AADSTS501051): protected like the role.
                new azuread.AppRoleAssignment(
                    agentIdentity ? `${name}-agent-identity-assume` : `${name}-uami-assume`,
                    {
                        appRoleId: ASSUME_ROLE_APP_ROLE_ID,
                        principalObjectId: agentIdentity ? agentIdentity.subject.subject : uami.subject,
                        resourceObjectId: intermediarySp,
                    },
                    { parent: this, protect },
                );
                if (agentIdentity) {
                    subject = pulumi.output(awsAgentIdentitySubject(agentIdentity.subject, s.identifierUri, agentIdentity.tokenSubject));
                    target = pulumi.output(sidecarTokenTarget("aws", args.tokenFile, AWS_FEDERATION_API, s.identifierUri, agentIdentity.clientId));
                } else {
                    subject = uami.apply((u) => awsWebIdentitySubject(u, "workload", s.identifierUri));
                    target = pulumi.output({ name: "aws", file: args.tokenFile, resource: s.identifierUri });
                }
            } else {
                const spOid = intermediarySp;
                const clientId = this.intermediaryClientId;
                subject = pulumi.all([uami, spOid]).apply(([u, oid]) => awsWebIdentitySubject(u, "exchange", s.identifierUri, oid));
                target = clientId.apply((id) => ({
                    name: "aws",
                    file: args.tokenFile,
                    resource: s.identifierUri,
                    exchange: { tenantId: args.tenantId, clientId: id ?? "", scope: `${s.identifierUri}/.default` },
                }));
            }
        }

        this.contract = subject.apply((sub) => awsRoleContract({ accountId: s.accountId, roleName, mode: s.audienceMode }, sub));
        const oidc =
            args.shared?.oidcProvider ??
            new iam.OpenIdConnectProvider(
                name,
                // From config alone (issuer and audience of the mode), never from the UAMI's outputs: the provider
                // does not wait for the identity, and the role's contract is checked against it below.
                {
                    url: awsOidcProviderUrl(s.audienceMode, args.tenantId),
                    clientIdLists: [awsAudience(s.audienceMode, s.identifierUri)],
                    tags: { "managed-by": "pulumi-agentfed" },
                },
                awsOpts,
            );
        const role = new iam.Role(
            name,
            {
                name: roleName,
                description: "Assumed by the agent's Entra workload identity through web identity federation. Managed by Pulumi (agentfed).",
                maxSessionDuration: 3600,
                // The trust policy names the provider; it is built from the provider's ARN so the role waits for it.
                assumeRolePolicy: pulumi.all([oidc.arn, this.contract]).apply(([arn, c]) => {
                    if (arn !== c.providerArn) throw new Error(`OIDC provider ARN ${arn} differs from the contract's ${c.providerArn}`);
                    if (c.audience !== awsAudience(s.audienceMode, s.identifierUri))
                        throw new Error(`role ${c.name} pins audience ${c.audience}, which the OIDC provider does not list`);
                    return JSON.stringify(c.trustPolicy);
                }),
                tags: { "managed-by": "pulumi-agentfed" },
            },
            awsOpts,
        );
        new iam.RolePolicy(`${name}-bedrock-invoke`, { role: role.name, policy: JSON.stringify(bedrockInvokePolicy(modelArns)) }, { parent: this, provider });

        this.roleArn = role.arn;
        this.oidcProviderArn = oidc.arn;
        this.tokenTarget = target;
        this.shared = args.shared ? undefined : { provider, oidcProvider: oidc, intermediaryServicePrincipalObjectId: intermediarySp };
        this.registerOutputs({ roleArn: this.roleArn, oidcProviderArn: this.oidcProviderArn, contract: this.contract, tokenTarget: this.tokenTarget });
    }
}
