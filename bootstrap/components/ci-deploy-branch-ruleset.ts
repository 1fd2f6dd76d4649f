import * as pulumi from "@pulumi/pulumi";
import * as github from "@pulumi/github";
import type { BypassActor } from "../config";

export interface CiDeployBranchRulesetArgs {
    /** Repository name (the provider carries the owner). */
    repository: string;
    /** The deploy branch, exactly as the deploy environments' branch policies name it. */
    branch: string;
    /** Approving reviews a pull request needs (at least 1). */
    requiredApprovals: number;
    /** Who may bypass the ruleset; empty by default. */
    bypassActors: readonly BypassActor[];
    provider: github.Provider;
}

/**
 * The deploy branch's repository ruleset. Deploy environments (and the audit's) accept jobs from that branch only, so
 * whoever can put code on it holds their identities: here only a pull request with the required approvals gets there
 * (`pull_request` rule; GitHub REST "Repository rules": `required_approving_review_count`, `dismiss_stale_reviews_on_push`,
 * `require_last_push_approval`), the branch can be neither deleted (`deletion`) nor force-pushed
 * (`non_fast_forward`), and nobody bypasses it but the configured actors (`bypass_actors`, empty by default, so
 * repository admins are held to it too). Enforcement is `active`.
 */
export class CiDeployBranchRuleset extends pulumi.ComponentResource {
    public readonly rulesetId: pulumi.Output<number>;

    constructor(name: string, args: CiDeployBranchRulesetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:bootstrap:DeployBranchRuleset", name, {}, opts);
        const ruleset = new github.RepositoryRuleset(
            name,
            {
                repository: args.repository,
                name: `agentfed: reviewed pull requests only into ${args.branch}`,
                target: "branch",
                enforcement: "active",
                conditions: { refName: { includes: [`refs/heads/${args.branch}`], excludes: [] } },
                bypassActors: args.bypassActors.map((a) => ({
                    actorType: a.actorType,
                    bypassMode: a.bypassMode,
                    ...(a.actorId === undefined ? {} : { actorId: a.actorId }),
                })),
                rules: {
                    pullRequest: {
                        requiredApprovingReviewCount: args.requiredApprovals,
                        // An approval counts for the code approved: a later push dismisses it, and the last push needs
                        // an approval from someone other than its pusher.
                        dismissStaleReviewsOnPush: true,
                        requireLastPushApproval: true,
                    },
                    deletion: true,
                    nonFastForward: true,
                },
            },
            { parent: this, provider: args.provider },
        );
        this.rulesetId = ruleset.rulesetId;
        this.registerOutputs({ rulesetId: this.rulesetId });
    }
}
