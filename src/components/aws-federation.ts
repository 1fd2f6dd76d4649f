import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/aws/iam";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as azuread from "@pulumi/azuread";
import type { AwsConfig } from "../config/aws";
import { AwsRoleContract, awsRoleContract, awsWebIdentitySubject, bedrockInvokePolicy, entraFicContract, WorkloadSubject } from "../contracts";
import type { TokenTarget } from "../runtime/container-env";

export interface AwsFederationArgs {
    /** The UAMI's workload subject; the AWS-side subject is derived from it (never retyped). */
    uamiSubject: pulumi.Input<WorkloadSubject>;
    /** Entra tenant id. */
    tenantId: string;
    /** Account, region, audience mode, intermediary app, role and models: the validated `agentfed:aws` section. */
    settings: AwsConfig;
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
    /** The intermediary app's client id, or null in tenant mode. */
    public readonly intermediaryClientId: pulumi.Output<string | null>;

    constructor(name: string, args: AwsFederationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:aws:Federation", name, {}, opts);
        const s = args.settings;
        const protect = args.protect ?? true;
        const uami = pulumi.output(args.uamiSubject);

        // The provider refuses to touch any account but the configured one.
        const provider = new AwsProvider(name, { region: s.region, allowedAccountIds: [s.accountId] }, { parent: this });
        const awsOpts = { parent: this, provider, protect };

        let subject: pulumi.Output<WorkloadSubject>;
        let target: pulumi.Output<TokenTarget>;
        if (s.audienceMode === "tenant") {
            subject = uami.apply((u) => awsWebIdentitySubject(u, "tenant", s.identifierUri));
            target = pulumi.output({ name: "aws", file: args.tokenFile, resource: "api://AzureADTokenExchange" });
            this.intermediaryClientId = pulumi.output(null);
        } else {
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
            this.intermediaryClientId = app.clientId;
            if (s.audienceMode === "workload") {
                new azuread.AppRoleAssignment(
                    `${name}-uami-assume`,
                    { appRoleId: ASSUME_ROLE_APP_ROLE_ID, principalObjectId: uami.subject, resourceObjectId: sp.objectId },
                    // Without it the UAMI gets no token for the audience (AADSTS501051): protected like the role.
                    { parent: this, protect },
                );
                subject = uami.apply((u) => awsWebIdentitySubject(u, "workload", s.identifierUri));
                target = pulumi.output({ name: "aws", file: args.tokenFile, resource: s.identifierUri });
            } else {
                // exchange: the app trusts the UAMI through a FIC and requests its own token (client credentials).
                const fic = pulumi
                    .all([uami, app.clientId, app.objectId])
                    .apply(([u, appId, objectId]) => entraFicContract(`uami-${s.intermediaryAppName}`, { kind: "application", appId, objectId }, u));
                new azuread.ApplicationFederatedIdentityCredential(
                    `${name}-intermediary-trusts-uami`,
                    { applicationId: app.id, displayName: fic.name, issuer: fic.issuer, subject: fic.subject, audiences: fic.audiences.apply((a) => [...a]) },
                    { parent: this, protect, deleteBeforeReplace: true },
                );
                new azuread.AppRoleAssignment(
                    `${name}-self-assume`,
                    { appRoleId: ASSUME_ROLE_APP_ROLE_ID, principalObjectId: sp.objectId, resourceObjectId: sp.objectId },
                    { parent: this, protect },
                );
                subject = pulumi.all([uami, sp.objectId]).apply(([u, spOid]) => awsWebIdentitySubject(u, "exchange", s.identifierUri, spOid));
                target = app.clientId.apply((clientId) => ({
                    name: "aws",
                    file: args.tokenFile,
                    resource: s.identifierUri,
                    exchange: { tenantId: args.tenantId, clientId, scope: `${s.identifierUri}/.default` },
                }));
            }
        }

        this.contract = subject.apply((sub) => awsRoleContract({ accountId: s.accountId, roleName: s.roleName, mode: s.audienceMode }, sub));
        const oidc = new iam.OpenIdConnectProvider(
            name,
            { url: this.contract.providerUrl, clientIdLists: [this.contract.audience], tags: { "managed-by": "pulumi-agentfed" } },
            awsOpts,
        );
        const role = new iam.Role(
            name,
            {
                name: s.roleName,
                description: "Assumed by the agent's Entra workload identity through web identity federation. Managed by Pulumi (agentfed).",
                maxSessionDuration: 3600,
                // The trust policy names the provider; it is built from the provider's ARN so the role waits for it.
                assumeRolePolicy: pulumi.all([oidc.arn, this.contract]).apply(([arn, c]) => {
                    if (arn !== c.providerArn) throw new Error(`OIDC provider ARN ${arn} differs from the contract's ${c.providerArn}`);
                    return JSON.stringify(c.trustPolicy);
                }),
                tags: { "managed-by": "pulumi-agentfed" },
            },
            awsOpts,
        );
        new iam.RolePolicy(`${name}-bedrock-invoke`, { role: role.name, policy: JSON.stringify(bedrockInvokePolicy(s.modelArns)) }, { parent: this, provider });

        this.roleArn = role.arn;
        this.oidcProviderArn = oidc.arn;
        this.tokenTarget = target;
        this.registerOutputs({ roleArn: this.roleArn, oidcProviderArn: this.oidcProviderArn, contract: this.contract, tokenTarget: this.tokenTarget });
    }
}
