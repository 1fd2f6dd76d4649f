import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as github from "@pulumi/github";
import {
    githubActionsWorkloadSubject,
    GITHUB_AWS_AUDIENCE,
    githubGcpAudience,
    gcpProviderName,
    pulumiOrganizationAudience,
    TOKEN_EXCHANGE_AUDIENCE,
    TrustContract,
} from "../src/contracts";
import { BootstrapConfig, EnvironmentConfig } from "./config";
import { loadBootstrapConfig } from "./load";
import { tenantPinnedProviders } from "./providers";
import { awsPolicy, gcpRoles, graphPermissions, MICROSOFT_GRAPH_APP_ID, pulumiStackPermission } from "./permissions";
import { CiAwsFederation } from "./components/ci-aws-federation";
import { CiAzureScope } from "./components/ci-azure-scope";
import { CiDeployBranchRuleset } from "./components/ci-deploy-branch-ruleset";
import { CiEntraIdentity } from "./components/ci-entra-identity";
import { CiGcpFederation } from "./components/ci-gcp-federation";
import { CiGitHubEnvironment } from "./components/ci-github-environment";
import { CiPulumiCloud } from "./components/ci-pulumi-cloud";

/** What one GitHub environment got: its access, its stack, and the variables set on it. */
export interface BootstrapEnvironmentOutput {
    access: "preview" | "deploy";
    stack: string;
    /** The `sub` every identity of this environment pins. */
    subject: string;
    variables: Record<string, string>;
}

/** The bootstrap stack's outputs. */
export interface BootstrapOutputs {
    /** Every trust contract, as plain JSON (input to `npm run doctor -- --project bootstrap`). */
    trustContracts: pulumi.Output<TrustContract[]>;
    /** Per GitHub environment: access, stack, pinned subject and the variables set on it. */
    githubEnvironments: pulumi.Output<Record<string, BootstrapEnvironmentOutput>>;
    gcpWorkloadIdentityProvider: pulumi.Output<string | null>;
    awsOidcProviderArn: pulumi.Output<string | null>;
    pulumiOidcIssuerId: pulumi.Output<string>;
}

/**
 * The CI bootstrap: per GitHub environment one identity per cloud, never shared, each trusting exactly that
 * environment's subject, and the GitHub environment with every variable the workflows read. Run once by a person
 * with admin rights: `pulumi up -C bootstrap -s github`.
 */
export function runBootstrap(config: BootstrapConfig = loadBootstrapConfig()): BootstrapOutputs {
    for (const warning of config.warnings) void pulumi.log.warn(warning);
    const repo = config.github;
    const format = repo.subjectFormat;
    const subjectFor = (env: EnvironmentConfig, audience: string) => githubActionsWorkloadSubject(repo, env.name, audience, format);

    // Every Azure and Entra resource (and the Graph lookup) goes through providers pinned to the configured tenant and
    // subscription; the components pass them to their children.
    const pinned = tenantPinnedProviders(config.azure);
    const azureOpts = { providers: [pinned.azure, pinned.entra] };

    // One Azure scope per stack the environments target.
    const stacks = [...new Map(config.environments.map((e) => [e.target.name, e.target])).values()];
    const scopes = new Map(
        stacks.map((t) => [
            t.name,
            new CiAzureScope(
                `stack-${t.name}`,
                {
                    subscriptionId: config.azure.subscriptionId,
                    resourceGroupName: t.resourceGroup.name,
                    createGroup: !t.resourceGroup.create,
                    location: t.location,
                    protect: config.protect,
                },
                azureOpts,
            ),
        ]),
    );

    // Graph's app role ids come from Graph's own service principal, never from a typed GUID.
    const graphSp = azuread.getServicePrincipalOutput({ clientId: MICROSOFT_GRAPH_APP_ID }, { provider: pinned.entra });
    const entra = config.environments.map((env) => {
        const scope = scopes.get(env.target.name)!;
        return new CiEntraIdentity(
            `ci-${env.name}`,
            {
                displayName: env.names.entraApp,
                subject: subjectFor(env, TOKEN_EXCHANGE_AUDIENCE),
                subscriptionId: config.azure.subscriptionId,
                resourceGroupId: scope.resourceGroupId,
                access: env.access,
                graphPermissions: graphPermissions(env.access, env.target),
                graph: { objectId: graphSp.objectId, appRoleIds: graphSp.appRoleIds },
                ...(env.access === "deploy" ? { ownedApplicationObjectIds: env.target.entra.ownedApplicationObjectIds } : {}),
                protect: config.protect,
            },
            azureOpts,
        );
    });

    // A cloud gets identities only for the environments whose stack deploys there.
    const gcpEnvironments = config.environments.filter((e) => e.target.gcp);
    const awsEnvironments = config.environments.filter((e) => e.target.aws);
    const gcpConfig = config.gcp;
    const gcp =
        gcpConfig && gcpEnvironments.length > 0
            ? new CiGcpFederation("github", {
                  projectId: gcpConfig.projectId,
                  location: { projectNumber: gcpConfig.projectNumber, poolId: gcpConfig.poolId, providerId: gcpConfig.providerId },
                  environments: gcpEnvironments.map((env) => ({
                      subject: subjectFor(
                          env,
                          githubGcpAudience(
                              gcpProviderName({ projectNumber: gcpConfig.projectNumber, poolId: gcpConfig.poolId, providerId: gcpConfig.providerId }),
                          ),
                      ),
                      serviceAccountId: env.names.gcpServiceAccountId,
                      target: { projectId: env.target.gcp!.projectId, roles: gcpRoles(env.access, env.target) },
                  })),
                  protect: config.protect,
              })
            : undefined;

    const awsConfig = config.aws;
    const aws =
        awsConfig && awsEnvironments.length > 0
            ? new CiAwsFederation("github", {
                  accountId: awsConfig.accountId,
                  region: awsConfig.region,
                  pinRepositoryId: awsConfig.pinRepositoryId,
                  environments: awsEnvironments.map((env) => ({
                      subject: subjectFor(env, GITHUB_AWS_AUDIENCE),
                      roleName: env.names.awsRole,
                      policy: awsPolicy(env.access, env.target)!,
                  })),
                  protect: config.protect,
              })
            : undefined;

    const pulumiCloud = new CiPulumiCloud("github", {
        organization: config.pulumi.organization,
        tokenType: config.pulumi.tokenType,
        maxExpirationSeconds: config.pulumi.maxExpirationSeconds,
        environments: config.environments.map((env) => ({
            subject: subjectFor(env, pulumiOrganizationAudience(config.pulumi.organization)),
            teamName: env.names.pulumiTeam,
            stack: { project: env.target.project, name: env.target.name, permission: pulumiStackPermission(env.access) },
        })),
        protect: config.protect,
    });

    // The workflows read these variables (.github/actions/cloud-login); nobody copies an id by hand.
    const provider = new github.Provider("github", { owner: repo.owner });
    const variablesOf = (env: EnvironmentConfig, i: number): Record<string, pulumi.Input<string>> => {
        const subject = subjectFor(env, TOKEN_EXCHANGE_AUDIENCE).subject;
        return {
            AZURE_CLIENT_ID: entra[i]!.clientId,
            AZURE_TENANT_ID: config.azure.tenantId,
            AZURE_SUBSCRIPTION_ID: config.azure.subscriptionId,
            ...(gcp && env.target.gcp ? { GCP_WORKLOAD_IDENTITY_PROVIDER: gcp.providerName, GCP_SERVICE_ACCOUNT: gcp.serviceAccountEmails[subject]! } : {}),
            ...(aws && awsConfig && env.target.aws ? { AWS_ROLE_ARN: aws.roleArns[subject]!, AWS_REGION: awsConfig.region } : {}),
            PULUMI_ORGANIZATION: config.pulumi.organization,
            ...(config.pulumi.tokenType === "team" ? { PULUMI_TEAM: env.names.pulumiTeam } : {}),
        };
    };
    // Deploy environments trust the deploy branch: only a reviewed pull request reaches it.
    new CiDeployBranchRuleset("deploy-branch", {
        repository: repo.name,
        branch: config.branchProtection.branch,
        requiredApprovals: config.branchProtection.requiredApprovals,
        bypassActors: config.branchProtection.bypassActors,
        provider,
    });
    const environments = config.environments.map((env, i) => {
        const variables = variablesOf(env, i);
        new CiGitHubEnvironment(`env-${env.name}`, {
            repository: repo.name,
            environment: env.name,
            deployBranch: env.deployBranch,
            reviewers: env.reviewers,
            variables,
            provider,
        });
        return pulumi.all(variables).apply((values): BootstrapEnvironmentOutput => ({
            access: env.access,
            stack: env.target.name,
            subject: subjectFor(env, TOKEN_EXCHANGE_AUDIENCE).subject,
            variables: values,
        }));
    });

    return {
        trustContracts: pulumi
            .all(entra.map((e) => e.contract))
            .apply((fics): TrustContract[] => [...fics, ...(gcp?.contracts ?? []), ...(aws?.contracts ?? []), ...pulumiCloud.contracts]),
        githubEnvironments: pulumi.all(environments).apply((outs) => Object.fromEntries(config.environments.map((e, i) => [e.name, outs[i]!]))),
        gcpWorkloadIdentityProvider: gcp ? gcp.providerName : pulumi.output(null),
        awsOidcProviderArn: aws ? aws.oidcProviderArn : pulumi.output(null),
        pulumiOidcIssuerId: pulumiCloud.issuerId,
    };
}
