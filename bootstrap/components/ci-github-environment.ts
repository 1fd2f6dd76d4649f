import * as pulumi from "@pulumi/pulumi";
import * as github from "@pulumi/github";

export interface CiGitHubEnvironmentArgs {
    /** Repository name (the provider carries the owner). */
    repository: string;
    environment: string;
    /** The one branch allowed to run jobs in the environment (deploy environments, the audit's); none for pull-request previews. */
    deployBranch: string | undefined;
    /** Required reviewers (numeric GitHub ids). */
    reviewers: { users: readonly number[]; teams: readonly number[] };
    /** Every variable the workflows read, by name. */
    variables: Record<string, pulumi.Input<string>>;
    provider: github.Provider;
}

/**
 * One GitHub environment, as the workflows use it: deploy environments (and the audit's) accept jobs from one branch
 * only; an environment with reviewers makes every job wait for one of them, who may not approve their own run;
 * admins bypass neither. Every variable the workflows read is set here from the identities' outputs, so no one
 * copies an id by hand.
 */
export class CiGitHubEnvironment extends pulumi.ComponentResource {
    public readonly variableNames: string[];

    constructor(name: string, args: CiGitHubEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:bootstrap:GitHubEnvironment", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };
        const reviewed = args.reviewers.users.length + args.reviewers.teams.length > 0;
        const environment = new github.RepositoryEnvironment(
            name,
            {
                repository: args.repository,
                environment: args.environment,
                ...(args.deployBranch ? { deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true } } : {}),
                // Admins go through the same gate as everyone else (the environment's default lets them bypass it).
                ...(args.deployBranch || reviewed ? { canAdminsBypass: false } : {}),
                ...(reviewed ? { reviewers: [{ users: [...args.reviewers.users], teams: [...args.reviewers.teams] }], preventSelfReview: true } : {}),
            },
            childOpts,
        );
        if (args.deployBranch) {
            new github.RepositoryEnvironmentDeploymentPolicy(
                name,
                { repository: args.repository, environment: environment.environment, branchPattern: args.deployBranch },
                childOpts,
            );
        }
        this.variableNames = Object.keys(args.variables);
        for (const [variableName, value] of Object.entries(args.variables)) {
            new github.ActionsEnvironmentVariable(
                `${name}-${variableName}`,
                { repository: args.repository, environment: environment.environment, variableName, value },
                childOpts,
            );
        }
        this.registerOutputs({ variableNames: this.variableNames });
    }
}
