import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/aws/iam";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import { AwsRoleContract, awsRoleContract, GITHUB_ACTIONS_ISSUER, GITHUB_AWS_AUDIENCE, WorkloadSubject } from "../../src/contracts";

/** An IAM permission policy document. */
export interface PermissionPolicy {
    readonly Version: "2012-10-17";
    readonly Statement: readonly { readonly Sid: string; readonly Effect: "Allow"; readonly Action: readonly string[]; readonly Resource: readonly string[] }[];
}

export interface CiAwsEnvironment {
    /** The environment's workload subject for `sts.amazonaws.com`; the role pins its `sub`. */
    subject: WorkloadSubject;
    roleName: string;
    /** What the role may do (inline policy). */
    policy: PermissionPolicy;
}

export interface CiAwsFederationArgs {
    accountId: string;
    region: string;
    /** Also pin `token.actions.githubusercontent.com:repository_id` (AWS STS evaluates GitHub's claims since 2026-02). */
    pinRepositoryId: boolean;
    environments: readonly CiAwsEnvironment[];
    protect: boolean;
}

/**
 * GitHub Actions federation into AWS: the account's IAM OIDC provider for GitHub's issuer (client id
 * `sts.amazonaws.com`), and per environment a role whose trust policy is the pure `awsRoleContract`: one
 * statement, AssumeRoleWithWebIdentity, StringEquals on aud and sub (and the repository id), no wildcard.
 */
export class CiAwsFederation extends pulumi.ComponentResource {
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** AWS_ROLE_ARN per environment subject. */
    public readonly roleArns: Record<string, pulumi.Output<string>>;
    public readonly contracts: AwsRoleContract[];

    constructor(name: string, args: CiAwsFederationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:bootstrap:AwsFederation", name, {}, opts);
        // The provider refuses to touch any account but the configured one.
        const provider = new AwsProvider(name, { region: args.region, allowedAccountIds: [args.accountId] }, { parent: this });
        this.contracts = args.environments.map((e) =>
            awsRoleContract(
                {
                    accountId: args.accountId,
                    roleName: e.roleName,
                    mode: "github-actions",
                    ...(args.pinRepositoryId && e.subject.github ? { claimPins: { repository_id: e.subject.github.repositoryId } } : {}),
                },
                e.subject,
            ),
        );
        const oidc = new iam.OpenIdConnectProvider(
            name,
            { url: GITHUB_ACTIONS_ISSUER, clientIdLists: [GITHUB_AWS_AUDIENCE], tags: { "managed-by": "pulumi-agentfed-bootstrap" } },
            { parent: this, provider, protect: args.protect },
        );
        this.roleArns = {};
        args.environments.forEach((e, i) => {
            const contract = this.contracts[i]!;
            const env = e.subject.github?.environment ?? e.roleName;
            const role = new iam.Role(
                `${name}-${env}`,
                {
                    name: e.roleName,
                    description: `GitHub Actions ${e.subject.subject} only. Managed by Pulumi (agentfed bootstrap).`,
                    maxSessionDuration: 3600,
                    assumeRolePolicy: oidc.arn.apply((arn) => {
                        if (arn !== contract.providerArn) throw new Error(`OIDC provider ARN ${arn} differs from the contract's ${contract.providerArn}`);
                        return JSON.stringify(contract.trustPolicy);
                    }),
                    tags: { "managed-by": "pulumi-agentfed-bootstrap", "github-environment": env },
                },
                { parent: this, provider, protect: args.protect },
            );
            new iam.RolePolicy(`${name}-${env}`, { role: role.name, policy: JSON.stringify(e.policy) }, { parent: this, provider });
            this.roleArns[e.subject.subject] = role.arn;
        });
        this.oidcProviderArn = oidc.arn;
        this.registerOutputs({ oidcProviderArn: this.oidcProviderArn, contracts: this.contracts });
    }
}
