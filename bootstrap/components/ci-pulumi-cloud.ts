import * as pulumi from "@pulumi/pulumi";
import * as pulumiservice from "@pulumi/pulumiservice";
import { GITHUB_ACTIONS_ISSUER, PulumiOidcPolicyContract, pulumiOidcPolicyContract, PulumiTokenType, WorkloadSubject } from "../../src/contracts";

export interface CiPulumiEnvironment {
    /** The environment's workload subject for `urn:pulumi:org:<org>`; its policy pins that subject. */
    subject: WorkloadSubject;
    /** The team its token acts as (token type `team`). */
    teamName: string;
    /** The main project's stack, `<project>/<stack>`, and the permission the team gets on it. */
    stack: { project: string; name: string; permission: "read" | "edit" };
}

export interface CiPulumiCloudArgs {
    organization: string;
    tokenType: PulumiTokenType;
    maxExpirationSeconds: number;
    environments: readonly CiPulumiEnvironment[];
    protect: boolean;
}

/**
 * Pulumi Cloud's stack permission levels (TeamStackPermissionScope in @pulumi/pulumiservice): 101 is Stack Read
 * (read, export, decrypt: every secret of the stack), 102 is Stack Write (read, plus update, destroy, import, cancel;
 * not delete the stack), per Pulumi Cloud's "Permission sets" table.
 */
const STACK_PERMISSION = { read: 101, edit: 102 } as const;

/**
 * Pulumi Cloud trusts GitHub Actions through one OIDC issuer registration whose allow policies each pin one
 * environment's subject (plus `aud` and the repository ids). With team tokens (the default), each environment's
 * token acts as its own team, which may read (preview) or edit (deploy) exactly its stack; Pulumi denies every
 * exchange no allow policy matches.
 */
export class CiPulumiCloud extends pulumi.ComponentResource {
    public readonly issuerId: pulumi.Output<string>;
    public readonly contracts: PulumiOidcPolicyContract[];

    constructor(name: string, args: CiPulumiCloudArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:bootstrap:PulumiCloud", name, {}, opts);
        this.contracts = args.environments.map((e) =>
            pulumiOidcPolicyContract(
                { organization: args.organization, tokenType: args.tokenType, ...(args.tokenType === "team" ? { teamName: e.teamName } : {}) },
                e.subject,
            ),
        );
        const teams =
            args.tokenType === "team"
                ? args.environments.map((e) => {
                      const team = new pulumiservice.Team(
                          `${name}-${e.teamName}`,
                          {
                              organizationName: args.organization,
                              teamType: "pulumi",
                              name: e.teamName,
                              displayName: e.teamName,
                              description: `GitHub Actions ${e.subject.subject}: ${e.stack.permission} ${e.stack.project}/${e.stack.name}. Managed by Pulumi (agentfed bootstrap).`,
                              members: [],
                          },
                          { parent: this, protect: args.protect },
                      );
                      new pulumiservice.TeamStackPermission(
                          `${name}-${e.teamName}`,
                          {
                              organization: args.organization,
                              project: e.stack.project,
                              stack: e.stack.name,
                              team: e.teamName,
                              permission: STACK_PERMISSION[e.stack.permission],
                          },
                          { parent: this, dependsOn: [team] },
                      );
                      return team;
                  })
                : [];
        const issuer = new pulumiservice.OidcIssuer(
            name,
            {
                organization: args.organization,
                name: "github-actions",
                url: GITHUB_ACTIONS_ISSUER,
                maxExpirationSeconds: args.maxExpirationSeconds,
                policies: this.contracts.map((c) => ({
                    decision: c.decision,
                    tokenType: c.tokenType,
                    ...(c.teamName ? { teamName: c.teamName } : {}),
                    // Organization tokens: standard (not admin) permissions.
                    ...(c.tokenType === "organization" ? { authorizedPermissions: ["standard" as const] } : {}),
                    rules: { ...c.rules },
                })),
            },
            { parent: this, protect: args.protect, dependsOn: teams },
        );
        this.issuerId = issuer.id;
        this.registerOutputs({ issuerId: this.issuerId, contracts: this.contracts });
    }
}
