import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/aws/iam";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as azuread from "@pulumi/azuread";
import { awsAudience, AwsAudienceMode, awsOidcProviderUrl } from "../../contracts";
import { AWS_AUDIENCE_MODE_TABLE } from "./audience-modes";

/** The account, region and audience every agent's role shares. */
export interface AwsSharedSettings {
    /** The 12-digit account the provider, the OIDC provider and every role live in; the AWS provider refuses any other. */
    readonly accountId: string;
    /** Region of the AWS provider (and of the Bedrock models). */
    readonly region: string;
    /** How tokens get an audience AWS accepts (see `AWS_AUDIENCE_MODE_TABLE`). */
    readonly audienceMode: AwsAudienceMode;
    /** Display name of the intermediary Entra app (modes workload and exchange). */
    readonly intermediaryAppName: string;
    /** The intermediary app's identifier URI: the audience the OIDC provider lists and every role pins (modes workload and exchange). */
    readonly identifierUri: string;
}

export interface AwsSharedFederationArgs {
    /** Account, region, audience mode and intermediary app. */
    settings: AwsSharedSettings;
    /** Entra tenant id: the issuer of the tokens the OIDC provider trusts. */
    tenantId: string;
    /** Protect the OIDC provider, the intermediary app, its service principal and its self-assignment. Default: true. */
    protect?: boolean;
}

/** The intermediary app as the agents' federations use it. */
export interface AwsIntermediaryApp {
    /** The application's ARM-style id (`/applications/<objectId>`), for FICs on it. */
    readonly id: pulumi.Output<string>;
    readonly clientId: pulumi.Output<string>;
    readonly objectId: pulumi.Output<string>;
    /** Its service principal's object id: agents get its app role; in exchange mode, the `sub` AWS sees. */
    readonly servicePrincipalObjectId: pulumi.Output<string>;
}

/** Fixed id of the intermediary app's role: assignments reference it, so it must not change between runs. */
export const ASSUME_ROLE_APP_ROLE_ID = "5b0c7a8e-3f0e-4f6e-9a55-0a6f3c2b7d41";

/**
 * What every agent's AWS role shares, created once per stack: the AWS provider pinned to the account, the account's
 * one IAM OIDC provider for the token issuer (AWS allows one per issuer URL), and, in modes workload and exchange,
 * the intermediary Entra app whose identifier URI is the audience. Nothing here takes an agent's input: the OIDC
 * provider is built from config alone, so it never waits for an identity.
 *
 * Until the stack had shared infrastructure, these were children of the primary agent's `agentfed:aws:Federation`
 * of the same name; each carries an alias to that parent, so `pulumi up` takes them over instead of replacing them.
 */
export class AwsSharedFederation extends pulumi.ComponentResource {
    public readonly settings: AwsSharedSettings;
    /** The AWS provider every agent's role and policy use. */
    public readonly provider: AwsProvider;
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** The intermediary app (modes workload and exchange), else undefined. */
    public readonly intermediary: AwsIntermediaryApp | undefined;

    constructor(name: string, args: AwsSharedFederationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:aws:SharedFederation", name, {}, opts);
        const s = args.settings;
        const protect = args.protect ?? true;
        const mode = AWS_AUDIENCE_MODE_TABLE[s.audienceMode];
        const moved = { parent: this, aliases: [{ parent: pulumi.createUrn(name, "agentfed:aws:Federation") }] };
        this.settings = s;

        // The provider refuses to touch any account but the configured one.
        this.provider = new AwsProvider(name, { region: s.region, allowedAccountIds: [s.accountId] }, moved);
        const oidc = new iam.OpenIdConnectProvider(
            name,
            // From config alone (issuer and audience of the mode), never from a UAMI's outputs: the provider does not
            // wait for any identity, and each role's contract is checked against it.
            {
                url: awsOidcProviderUrl(s.audienceMode, args.tenantId),
                clientIdLists: [awsAudience(s.audienceMode, s.identifierUri)],
                tags: { "managed-by": "pulumi-agentfed" },
            },
            { ...moved, provider: this.provider, protect },
        );
        this.oidcProviderArn = oidc.arn;
        this.intermediary = mode.intermediaryApp ? this.createIntermediaryApp(name, s, protect, mode.exchangesToken, moved) : undefined;
        this.registerOutputs({ oidcProviderArn: this.oidcProviderArn });
    }

    /** The intermediary app and its service principal (role assignment required), and in exchange mode the app's own assignment. */
    private createIntermediaryApp(
        name: string,
        s: AwsSharedSettings,
        protect: boolean,
        selfAssign: boolean,
        moved: pulumi.CustomResourceOptions,
    ): AwsIntermediaryApp {
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
            { ...moved, protect },
        );
        // Role assignment required: only identities granted the app role can get a token for this audience.
        const sp = new azuread.ServicePrincipal(`${name}-intermediary`, { clientId: app.clientId, appRoleAssignmentRequired: true }, { ...moved, protect });
        if (selfAssign) {
            // exchange: the app requests its own token (client credentials), so its service principal holds the role.
            new azuread.AppRoleAssignment(
                `${name}-self-assume`,
                { appRoleId: ASSUME_ROLE_APP_ROLE_ID, principalObjectId: sp.objectId, resourceObjectId: sp.objectId },
                { ...moved, protect },
            );
        }
        return { id: app.id, clientId: app.clientId, objectId: app.objectId, servicePrincipalObjectId: sp.objectId };
    }
}
