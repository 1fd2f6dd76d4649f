import * as path from "node:path";
import {
    gcpSubjectProblem,
    GITHUB_SUBJECT_FORMATS,
    githubBranchProblem,
    githubEnvironmentSubject,
    githubEnvironmentProblem,
    githubIdProblem,
    githubOwnerProblem,
    githubRepositoryProblem,
    GitHubRepository,
    GitHubSubjectFormat,
    PULUMI_TOKEN_TYPES,
    pulumiOrganizationProblem,
    pulumiTeamNameProblem,
    PulumiTokenType,
} from "../src/contracts";
import { ConfigError, ConfigSource } from "../src/config";
import { poolOrProviderIdProblem, PROVIDER_ID_RULE } from "../src/clouds/gcp/config";
import { guid, isJsonObject, Json, JsonObject, Reader, ReaderOptions, str } from "../src/config/reader";
import { boolean, integer, list, object, ObjectSpec, text, value } from "../src/config/spec";
import { stackNameProblem } from "../src/plan/stack-files";
import { graphPermissions, TENANT_WIDE_GRAPH_WRITES } from "./permissions";
import { loadTargetStack, TargetStack, TargetStackError } from "./targets";

/** What a GitHub environment's identities may do: read (`preview`) or change (`deploy`) their stack. */
export type EnvironmentAccess = "preview" | "deploy";
const ACCESS: readonly EnvironmentAccess[] = ["preview", "deploy"];

/** One GitHub environment and the identities it gets in every cloud, never shared with another environment. */
export interface EnvironmentConfig {
    /** The GitHub environment name, exactly as the workflows spell it (`sub` is case-sensitive everywhere). */
    readonly name: string;
    readonly access: EnvironmentAccess;
    /** The main project's stack this environment previews or deploys. */
    readonly target: TargetStack;
    /** Required reviewers (GitHub user and team ids), who approve each job that names the environment. */
    readonly reviewers: { readonly users: readonly number[]; readonly teams: readonly number[] };
    /**
     * The only branch that may run jobs in the environment: the deploy branch for deploy environments and for preview
     * environments with `deployBranchOnly` (the scheduled audit); none for pull-request previews.
     */
    readonly deployBranch: string | undefined;
    /** Names of the per-environment identities, derived from the environment name. */
    readonly names: { readonly entraApp: string; readonly gcpServiceAccountId: string; readonly awsRole: string; readonly pulumiTeam: string };
}

/** The validated, typed bootstrap configuration (`agentfed-bootstrap:*`). */
export interface BootstrapConfig {
    readonly namespace: string;
    readonly github: GitHubRepository & { readonly subjectFormat: GitHubSubjectFormat };
    readonly environments: readonly EnvironmentConfig[];
    readonly azure: { readonly tenantId: string; readonly subscriptionId: string };
    readonly gcp: { readonly projectId: string; readonly projectNumber: string; readonly poolId: string; readonly providerId: string } | undefined;
    readonly aws: { readonly accountId: string; readonly region: string; readonly pinRepositoryId: boolean } | undefined;
    readonly pulumi: { readonly organization: string; readonly tokenType: PulumiTokenType; readonly maxExpirationSeconds: number };
    /** The repository ruleset on the deploy branch: reviewed pull requests only, and who may bypass it (no one by default). */
    readonly branchProtection: {
        readonly branch: string;
        readonly requiredApprovals: number;
        readonly bypassActors: readonly BypassActor[];
    };
    /** Protect identity resources (recreating one changes ids the GitHub variables carry). Default true. */
    readonly protect: boolean;
    /** Accepted-but-risky choices, logged by `pulumi preview` and printed by the plan. */
    readonly warnings: readonly string[];
}

/** Who may bypass the deploy branch's ruleset (GitHub's ruleset bypass actors; `actorId` absent for the id-less types). */
export interface BypassActor {
    readonly actorType: BypassActorType;
    readonly actorId: number | undefined;
    readonly bypassMode: "always" | "pullRequest" | "exempt";
}
/** Ruleset bypass actor types (@pulumi/github RepositoryRulesetBypassActor), and those GitHub gives no id. */
const BYPASS_ACTOR_TYPES = ["RepositoryRole", "Team", "Integration", "OrganizationAdmin", "DeployKey", "User"] as const;
type BypassActorType = (typeof BYPASS_ACTOR_TYPES)[number];
const ID_LESS_ACTORS: readonly BypassActorType[] = ["OrganizationAdmin", "DeployKey"];
const BYPASS_MODES = ["always", "pullRequest", "exempt"] as const;

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const SERVICE_ACCOUNT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]{2}-[a-z]+-\d$/;
const BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*\/$)[A-Za-z0-9._/-]{1,255}$/;
/** GitHub allows at most 6 user and 6 team reviewers per environment. */
const MAX_REVIEWERS = 6;
const ID_RULE = "digits, quoted in YAML: a YAML number is refused, since a large id loses digits as a number";

/** `environments[].reviewers.users` and `.teams`. */
const reviewerIds = (summary: string, lookup: string, example: string) =>
    list(
        { summary, rule: `at most ${MAX_REVIEWERS} (GitHub's limit per environment), each a numeric GitHub id (${lookup}), ${ID_RULE}`, example: [example] },
        value<string>("numeric id", { summary: "One id." }),
    );

/**
 * Every key of the bootstrap's configuration (`agentfed-bootstrap:*`), kept next to the code that parses it. The
 * parser takes its known keys, defaults and allowed values from here; `npm run docs` renders it into
 * docs/ci-bootstrap-configuration.md (bootstrap/reference.ts), and test/bootstrap-config-reference.test.ts proves
 * that every key the parser reads is described and every described key is read.
 */
export const BOOTSTRAP_KEYS = object(
    { summary: "The CI bootstrap's stack configuration (bootstrap/Pulumi.<stack>.yaml, namespace agentfed-bootstrap:)." },
    {
        github: object(
            {
                summary: "The repository whose workflows get the identities: its names, and the immutable ids every cloud that can pins.",
                required: true,
                section: "GitHub",
            },
            {
                owner: text({
                    summary: "The user or organisation that owns the repository.",
                    required: true,
                    rule: "a GitHub login: letters, digits and single inner hyphens, at most 39 characters",
                    example: "contoso",
                }),
                repository: text({
                    summary: "The repository name, without the owner.",
                    required: true,
                    rule: "letters, digits, '.', '-' and '_', at most 100 characters, never '.' or '..'",
                    example: "agentfed",
                }),
                ownerId: value<string>("numeric id", {
                    summary: "The owner's immutable id (the repository_owner_id claim): a re-created owner of the same name gets another.",
                    required: true,
                    rule: `gh api repos/<owner>/<repo> --jq .owner.id; ${ID_RULE}`,
                    example: "100000001",
                }),
                repositoryId: value<string>("numeric id", {
                    summary: "The repository's immutable id (the repository_id claim): a re-created repository of the same name gets another.",
                    required: true,
                    rule: `gh api repos/<owner>/<repo> --jq .id; ${ID_RULE}`,
                    example: "200000002",
                }),
                subjectFormat: text({
                    summary:
                        "How the repository appears in the token's sub: name (repo:<owner>/<repo>:environment:<env>) or immutable (repo:<owner>@<ownerId>/<repo>@<repoId>:environment:<env>).",
                    default: "name",
                    allowed: GITHUB_SUBJECT_FORMATS,
                    rule: "immutable when the repository uses GitHub's immutable subject claims: created, renamed or transferred on or after 2026-07-15, or opted in; else name. The wrong one makes every login fail, never succeed wrongly, so renaming or transferring a repository that uses name switches it to immutable and every login fails until this key follows",
                    example: "immutable",
                    see: "ci-bootstrap.md#what-each-cloud-can-see-of-a-github-token",
                }),
                deployBranch: text({
                    summary: "The only branch that may run jobs in deploy environments.",
                    default: "main",
                    rule: "one branch name, exactly, as git names it (git-check-ref-format): not a ref (refs/heads/main), no pattern characters (* ? [ ]), no leading, trailing or double '/', no '..', no component starting with '.' or ending in .lock",
                    example: "main",
                }),
            },
        ),
        environments: list(
            {
                summary:
                    "The GitHub environments, each with its own identity in every cloud its stack uses, never shared: a preview token buys no deploy right, a dev token nothing in prod.",
                required: true,
                rule: "at least one",
                example: [{ name: "prod", access: "deploy", stack: "prod", reviewers: { users: ["300000003"] } }],
                see: "ci-bootstrap.md#what-each-environment-can-and-cannot-do",
                section: "GitHub",
            },
            object(
                { summary: "One GitHub environment." },
                {
                    name: text({
                        summary: "The environment's name, exactly as the workflows spell it (every cloud compares sub byte for byte).",
                        required: true,
                        rule: "letters, digits, '-' and '_' only (':' arrives as %3A in sub; '.', '*' and '?' are wildcards in Pulumi Cloud policies); unique without case and with '_' read as '-' (GitHub's environment names are not case-sensitive, and each environment's identities are named from that form); 3-27 characters, not ending in '-' or '_', so that the GCP service account ci-<name> is a valid id; with a stack that deploys to GCP, the GitHub subject it gives (repo:<owner>/<repo>:environment:<name>) at most 127 bytes, GCP's google.subject limit",
                        example: "preview-dev",
                    }),
                    access: text({
                        summary: "What the environment's identities may do to its stack: preview reads it, deploy changes it.",
                        required: true,
                        allowed: ACCESS,
                        example: "preview",
                    }),
                    stack: text({
                        summary:
                            "The main project's stack the environment previews or deploys; what its identities may touch is read from that stack's own Pulumi.<stack>.yaml.",
                        required: true,
                        rule: "a stack of the main project whose configuration is valid; its tenant must be azure.tenantId, its AWS account aws.accountId. A stack that creates its own resource group is granted on by id (it must exist first), with a warning",
                        example: "dev",
                    }),
                    reviewers: object(
                        {
                            summary:
                                "Required reviewers: every job that names the environment waits until one of them approves it; a reviewer may not approve their own run, and admins cannot bypass.",
                            rule: "required on every environment whose stack protects its identities (protectIdentities: true, a prod-like stack), previews included: a preview identity reads every secret of its stack (Pulumi's Stack Read includes decrypt and export), and a pull request's preview runs the pull request's own code. Exceptions: a preview environment with deployBranchOnly (only reviewed code runs there), or noReviewersReason",
                            example: { users: ["300000003"], teams: ["400000004"] },
                            see: "ci-bootstrap.md#what-each-environment-can-and-cannot-do",
                        },
                        {
                            users: reviewerIds("GitHub user ids.", "gh api users/<login> --jq .id", "300000003"),
                            teams: reviewerIds("GitHub team ids.", "gh api orgs/<owner>/teams/<slug> --jq .id", "400000004"),
                        },
                    ),
                    deployBranchOnly: boolean({
                        summary:
                            "Preview environments: accept jobs from the deploy branch only (github.deployBranch), e.g. the scheduled trust audit, instead of pull requests. Only reviewed code reaches that branch (the bootstrap's ruleset), so a prod-like stack's environment needs no reviewers then.",
                        default: false,
                        rule: "preview environments only: deploy environments always accept the deploy branch only",
                    }),
                    noReviewersReason: text({
                        summary:
                            "Opt a prod-like stack's environment out of required reviewers, saying why; shown as a warning by the plan and every pulumi preview.",
                        rule: "at least 20 characters; refused when reviewers are set, when the stack does not protect its identities (nothing to opt out of), or on a preview environment with deployBranchOnly (it needs none)",
                        example: "single-maintainer sandbox tenant; nothing in it is production",
                    }),
                },
            ),
        ),
        branchProtection: object(
            {
                summary:
                    "The repository ruleset the bootstrap puts on the deploy branch (github.deployBranch): changes reach it only through a pull request approved by someone other than its last pusher, the branch can be neither deleted nor force-pushed, and nobody bypasses it unless listed here. Deploy environments trust that branch, so this is what makes a deploy reviewed code.",
                rule: "absent: one approval, no bypass actor. Rulesets on private repositories need GitHub Pro, Team or Enterprise",
                see: "ci-bootstrap.md#the-deploy-branch",
                section: "GitHub",
            },
            {
                requiredApprovals: integer({
                    summary: "Approving reviews a pull request needs before it can be merged into the deploy branch.",
                    default: 1,
                    min: 1,
                    max: 10,
                    rule: "GitHub's range for a ruleset is 0 to 10; 0 would leave the branch unreviewed, so it is refused",
                    example: 2,
                }),
                bypassActors: list(
                    {
                        summary: "Who may bypass the ruleset (each one is listed as a warning): by default no one, admins included.",
                        rule: "each entry once; a bypass actor can put unreviewed code on the deploy branch, and so into every deploy environment",
                        example: [{ actorType: "Team", actorId: "400000004", bypassMode: "pullRequest" }],
                    },
                    object(
                        { summary: "One bypass actor." },
                        {
                            actorType: text({ summary: "The kind of actor.", required: true, allowed: BYPASS_ACTOR_TYPES, example: "Team" }),
                            actorId: value<string>("numeric id", {
                                summary: "The actor's numeric id (a team, user, app or repository role id).",
                                required: "unless actorType is OrganizationAdmin or DeployKey, which have none",
                                rule: `gh api orgs/<owner>/teams/<slug> --jq .id (a team), gh api users/<login> --jq .id (a user); ${ID_RULE}`,
                                example: "400000004",
                            }),
                            bypassMode: text({
                                summary: "When the actor may bypass: always, only through a pull request (pullRequest), or exempt from the rules.",
                                default: "pullRequest",
                                allowed: BYPASS_MODES,
                            }),
                        },
                    ),
                ),
            },
        ),
        azure: object(
            { summary: "The Entra tenant and the Azure subscription of the main stacks.", required: true, section: "Azure and Entra" },
            {
                tenantId: value<string>("GUID", {
                    summary: "The Entra tenant: one bootstrap per tenant.",
                    required: true,
                    rule: "a GUID (az account show --query tenantId -o tsv); every environment's stack must be in this tenant",
                    example: "11111111-1111-1111-1111-111111111111",
                }),
                subscriptionId: value<string>("GUID", {
                    summary: "The subscription of the stacks' resource groups (the AZURE_SUBSCRIPTION_ID variable).",
                    required: true,
                    rule: "a GUID (az account show --query id -o tsv)",
                    example: "22222222-0000-4000-8000-000000000001",
                }),
                acknowledgeTenantWideGraphWrites: list(
                    {
                        summary:
                            "Environments allowed to hold tenant-wide Graph write permissions (AgentIdentityBlueprint.Create, .AddRemoveCreds.All, .DeleteRestore.All, AppRoleAssignment.ReadWrite.All) while environments of another stack in the same tenant hold them too. Those permissions have no owned-by variant: a dev deploy identity holding them can add a FIC to prod's Blueprint.",
                        rule: "required, naming every such environment, when deploy environments of two different stacks would hold them; each entry an environment that does hold them. Better: put stacks of different trust in different tenants",
                        example: ["dev", "prod"],
                        see: "ci-bootstrap.md#honest-limits",
                    },
                    text({ summary: "An environment name." }),
                ),
            },
        ),
        gcp: object(
            {
                summary:
                    "The GCP project that holds the CI workload identity pool and the CI service accounts; keep it apart from the stacks' projects, so no deploy identity administers a CI identity.",
                required: "when an environment's stack deploys to GCP",
                rule: "refused when no environment's stack deploys to GCP",
                see: "ci-bootstrap.md#what-it-creates",
                section: "GCP",
            },
            {
                projectId: text({
                    summary: "The CI project's id.",
                    required: true,
                    rule: "6-30 lowercase letters, digits or '-', starting with a letter, not ending with '-'",
                    example: "contoso-ci",
                }),
                projectNumber: text({
                    summary: "The CI project's number: it appears in the principal:// members and the provider's audience.",
                    required: true,
                    rule: "6-20 digits, quoted in YAML (gcloud projects describe <project> --format='value(projectNumber)')",
                    example: "987654321098",
                }),
                poolId: text({ summary: "Workload identity pool id.", required: true, rule: PROVIDER_ID_RULE, example: "github-actions" }),
                providerId: text({
                    summary: "Workload identity pool provider id (GitHub's issuer).",
                    required: true,
                    rule: PROVIDER_ID_RULE,
                    example: "agentfed",
                }),
            },
        ),
        aws: object(
            {
                summary: "The AWS account of the main stacks: the IAM OIDC provider for GitHub and the CI roles live there.",
                required: "when an environment's stack deploys to AWS",
                rule: "refused when no environment's stack deploys to AWS; every environment's stack must deploy to this account (one bootstrap stack per account)",
                see: "ci-bootstrap.md#what-it-creates",
                section: "AWS",
            },
            {
                accountId: text({
                    summary: "The 12-digit account id.",
                    required: true,
                    rule: "12 digits, quoted in YAML (aws sts get-caller-identity --query Account --output text)",
                    example: "123456789012",
                }),
                region: text({
                    summary: "The region the workflows use (the AWS_REGION variable).",
                    required: true,
                    rule: "an AWS region name",
                    example: "us-east-1",
                }),
                pinRepositoryId: boolean({
                    summary:
                        "Also pin token.actions.githubusercontent.com:repository_id in each role's trust policy, so a re-created repository of the same name is refused.",
                    default: true,
                    rule: "false only if AWS STS refuses the GitHub-specific condition key (every AWS login would then be denied); false with subjectFormat name is a warning, since the roles then pin the repository by name only",
                }),
            },
        ),
        pulumi: object(
            {
                summary: "Pulumi Cloud: the organisation that holds the main project's stacks, and the access tokens its OIDC issuer hands out.",
                required: true,
                see: "ci-bootstrap.md#what-it-creates",
                section: "Pulumi Cloud",
            },
            {
                organization: text({
                    summary: "The Pulumi Cloud organisation.",
                    required: true,
                    rule: "letters, digits and single inner hyphens (no '.', '_', '*' or '?', which Pulumi's policy rules treat as wildcards)",
                    example: "contoso",
                }),
                tokenType: text({
                    summary:
                        "The token an environment's GitHub token is exchanged for: team (the environment's own team, read or edit on its stack only) or organization (acts as the organisation).",
                    default: "team",
                    allowed: PULUMI_TOKEN_TYPES,
                    rule: "organization is a warning: every environment's token then acts as the organisation, so a preview token can write any stack. Team tokens need an edition with teams (Enterprise, Business Critical)",
                }),
                maxExpirationSeconds: integer({
                    summary: "The longest lifetime of a Pulumi access token the issuer hands out, in seconds; keep it close to the longest job.",
                    default: 7200,
                    min: 300,
                    max: 90000,
                    example: 7200,
                }),
            },
        ),
        protect: boolean({
            summary: "Protect the identity resources (Pulumi's protect): a recreated app or service account changes the ids the GitHub variables carry.",
            default: true,
            section: "Project",
        }),
        mainProjectDir: text({
            summary:
                "The main project's directory, relative to the bootstrap's (bootstrap/): its Pulumi.yaml and each environment's Pulumi.<stack>.yaml are read from there.",
            default: "..",
            section: "Project",
        }),
    },
);
const K = BOOTSTRAP_KEYS.fields;
const ENVIRONMENT = K.environments.items.fields;

/** A numeric id written as a quoted string (YAML would otherwise turn a large id into a float). */
function numericId(r: Reader, path: string, value: Json | undefined, fix: string): string {
    const problem = typeof value === "number" ? `is a YAML number (${value}); large ids lose digits as numbers` : githubIdProblem(value);
    if (problem) r.report(path, problem, fix);
    return typeof value === "string" ? value : "";
}

/** A top-level section: required as its spec says, its fields refused unless the spec describes them. */
function objectOrReport(r: Reader, key: keyof typeof K, fix: string, spec: ObjectSpec): JsonObject | undefined {
    const obj = r.object(key, fix, spec.required === true);
    if (obj) r.onlyKnownFields(key, obj, Object.keys(spec.fields));
    return obj;
}

function parseGitHub(r: Reader): BootstrapConfig["github"] & { deployBranch: string } {
    const G = K.github.fields;
    const o = objectOrReport(r, "github", `set ${r.key("github")} to { owner, repository, ownerId, repositoryId }`, K.github) ?? {};
    const ownerProblem = githubOwnerProblem(o.owner);
    if (ownerProblem) r.report("github.owner", ownerProblem, "set it to the organisation or user that owns the repository, e.g. contoso");
    const repoProblem = githubRepositoryProblem(o.repository);
    if (repoProblem) r.report("github.repository", repoProblem, "set it to the repository name without the owner, e.g. agentfed");
    const idFix = (claim: string) => `gh api repos/<owner>/<repo> --jq ${claim}; quote it in YAML`;
    const ownerId = numericId(r, "github.ownerId", o.ownerId, idFix(".owner.id"));
    const repositoryId = numericId(r, "github.repositoryId", o.repositoryId, idFix(".id"));
    // A value of another type (subjectFormat: true) is refused, never replaced by the default.
    const subjectFormat = r.oneOf(
        "github.subjectFormat",
        o.subjectFormat,
        G.subjectFormat,
        "use immutable when the repository uses GitHub's immutable subject claims (created, renamed or transferred on or after 2026-07-15, or opted in), else name",
    ) as GitHubSubjectFormat;
    const deployBranch = r.text("github.deployBranch", o.deployBranch) ?? G.deployBranch.default!;
    const branchProblem =
        githubBranchProblem(deployBranch) ?? (BRANCH.test(deployBranch) ? undefined : `is not a branch name (got ${JSON.stringify(o.deployBranch)})`);
    if (branchProblem) r.report("github.deployBranch", branchProblem, "name one branch exactly, as git names it, e.g. main");
    return {
        owner: typeof o.owner === "string" ? o.owner : "",
        name: typeof o.repository === "string" ? o.repository : "",
        ownerId,
        repositoryId,
        subjectFormat,
        deployBranch,
    };
}

function idList(r: Reader, path: string, value: Json | undefined): number[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
        r.report(path, "must be a list of numeric ids", `e.g. ["1234567"] (gh api users/<login> --jq .id)`);
        return [];
    }
    if (value.length > MAX_REVIEWERS) r.report(path, `lists ${value.length} reviewers; GitHub allows at most ${MAX_REVIEWERS}`, "keep six at most");
    return value.map((v, i) => {
        const id = numericId(r, `${path}[${i}]`, v, 'use the numeric id, quoted, e.g. "1234567"');
        // The GitHub provider takes reviewer ids as numbers: past 2^53 - 1 Number() would hand it another id.
        if (id !== "" && !Number.isSafeInteger(Number(id)))
            r.report(
                `${path}[${i}]`,
                `is ${id}, beyond ${Number.MAX_SAFE_INTEGER}, the largest id the GitHub provider's numeric reviewer ids carry exactly (it would become ${Number(id)})`,
                "check the id: gh api users/<login> --jq .id (or orgs/<owner>/teams/<slug> --jq .id)",
            );
        return Number(id);
    });
}

/**
 * What guards an environment of a prod-like stack (protectIdentities: true): required reviewers, or (previews) the
 * deploy branch only, or a stated reason. Its identities read every secret of the stack (Pulumi's Stack Read includes
 * decrypt and export) or change it; anyone who can push a branch can write a workflow naming the environment, and a
 * pull request's preview runs the pull request's own code. Reports an unguarded environment; returns the warning an
 * accepted opt-out shows.
 */
function environmentGuard(
    r: Reader,
    at: string,
    reasonValue: Json | undefined,
    env: { stack: string; access: EnvironmentAccess; prodLike: boolean; reviewed: boolean; deployBranchOnly: boolean; deployBranch: string },
): string | undefined {
    const reason = r.text(`${at}.noReviewersReason`, reasonValue)?.trim();
    const what = env.access === "deploy" ? "changes" : "reads every secret and the whole state of";
    if (reason !== undefined) {
        if (reason.length < 20)
            r.report(
                `${at}.noReviewersReason`,
                `is too short to say why (${reason.length} characters)`,
                "write at least 20 characters: why this environment needs no reviewer",
            );
        else if (env.reviewed) r.report(`${at}.noReviewersReason`, "is set, but reviewers are set too", "remove one of them");
        else if (!env.prodLike)
            r.report(
                `${at}.noReviewersReason`,
                `is set, but stack ${env.stack} does not protect its identities: reviewers are not required there`,
                "remove it",
            );
        else if (env.deployBranchOnly)
            r.report(`${at}.noReviewersReason`, `is set on an environment limited to ${env.deployBranch}, which needs no reviewers`, "remove it");
        else
            return `${r.key(at)} ${what} prod-like stack ${env.stack} with no required reviewers (noReviewersReason: ${JSON.stringify(reason)}): anyone who can push a branch can run a job in it.`;
        return undefined;
    }
    if (env.prodLike && !env.reviewed && !env.deployBranchOnly)
        r.report(
            `${at}.reviewers`,
            `is not set, but stack ${env.stack} protects its identities and this ${env.access} environment ${what} it: anyone who can push a branch could name the environment in a workflow${env.access === "preview" ? ", and a pull request's preview runs the pull request's own code" : ""}`,
            env.access === "preview"
                ? `set reviewers (gh api users/<login> --jq .id), or deployBranchOnly: true for a job that runs from ${env.deployBranch} only, or noReviewersReason: "<why>"`
                : `set reviewers (gh api users/<login> --jq .id), or noReviewersReason: "<why>"`,
        );
    return undefined;
}

function parseEnvironments(r: Reader, mainDir: string, deployBranch: string): { environments: EnvironmentConfig[]; warnings: string[] } {
    const warnings: string[] = [];
    const list = r.list("environments", "list the GitHub environments, e.g. [{ name: preview-dev, access: preview, stack: dev }, ...]");
    if (list === undefined || list.length === 0) {
        r.report("environments", "is not set", "list at least one GitHub environment: { name, access: preview | deploy, stack }");
        return { environments: [], warnings };
    }
    const targets = new Map<string, TargetStack | null>();
    const seen = new Map<string, number>();
    const warned = new Set<string>();
    const environments = list.flatMap((entry, i): EnvironmentConfig[] => {
        const at = `environments[${i}]`;
        if (!isJsonObject(entry)) {
            r.report(at, "must be an object", "write it as { name, access, stack }");
            return [];
        }
        r.onlyKnownFields(at, entry, Object.keys(ENVIRONMENT));
        const nameProblem = githubEnvironmentProblem(entry.name);
        if (nameProblem) r.report(`${at}.name`, nameProblem, "use the environment's name as the workflows write it, e.g. preview-dev");
        const name = typeof entry.name === "string" ? entry.name : "";
        // Compared as the identities are named (the slug below: lowercase, '_' as '-'): GitHub environment names are
        // not case-sensitive, and prod_x and prod-x would get the same service account, role, app and team.
        const identityName = name.toLowerCase().replace(/_/g, "-");
        const first = seen.get(identityName);
        if (name && first !== undefined)
            r.report(
                `${at}.name`,
                `repeats environments[${first}] (${name}): both would get the identities named ${identityName}, since names are compared without case and with '_' as '-'`,
                "give each environment one entry, with a name that differs by more than case or '_' for '-'",
            );
        else seen.set(identityName, i);
        const access = entry.access as EnvironmentAccess;
        const accessAllowed = ENVIRONMENT.access.allowed ?? [];
        if (!accessAllowed.includes(access))
            r.report(
                `${at}.access`,
                `must be ${accessAllowed.join(" or ")} (got ${JSON.stringify(entry.access ?? null)})`,
                "preview reads its stack; deploy changes it",
            );
        const stack = str(entry.stack) ?? "";
        if (stackNameProblem(stack) !== undefined)
            r.report(`${at}.stack`, `is not a stack name (got ${JSON.stringify(entry.stack ?? null)})`, "name a stack of the main project, e.g. dev");
        else if (!targets.has(stack)) {
            try {
                targets.set(stack, loadTargetStack(stack, mainDir));
            } catch (err) {
                targets.set(stack, null);
                const problems = err instanceof TargetStackError ? err.problems : [(err as Error).message];
                r.report(
                    `${at}.stack`,
                    `names main stack ${stack}, whose configuration cannot be used: ${problems.join("; ")}`,
                    "fix Pulumi.<stack>.yaml of the main project first",
                );
            }
        }
        const target = targets.get(stack) ?? undefined;
        // A stack that creates its own group (an installation older than this bootstrap) keeps it: the group is
        // then granted on by id, and must exist before the bootstrap runs (Azure refuses a role assignment on a
        // missing scope), so CI can update it but never create it.
        if (target?.resourceGroup.create && !warned.has(stack)) {
            warned.add(stack);
            warnings.push(
                `${r.key(`${at}.stack`)} names main stack ${stack}, which creates its own resource group ${target.resourceGroup.name}: ` +
                    `the bootstrap grants on it by id without managing it, so it must exist before pulumi up -C bootstrap (a first pulumi up -s ${stack} by a person). ` +
                    `New installations set agentfed:resourceGroup.create to false and let the bootstrap create the group.`,
            );
        }
        const reviewersObj = entry.reviewers;
        let reviewers = { users: [] as number[], teams: [] as number[] };
        if (reviewersObj !== undefined) {
            if (!isJsonObject(reviewersObj)) r.report(`${at}.reviewers`, "must be an object", "write it as { users: [ids], teams: [ids] }");
            else {
                r.onlyKnownFields(`${at}.reviewers`, reviewersObj, Object.keys(ENVIRONMENT.reviewers.fields));
                reviewers = { users: idList(r, `${at}.reviewers.users`, reviewersObj.users), teams: idList(r, `${at}.reviewers.teams`, reviewersObj.teams) };
            }
        }
        const deployBranchOnly = r.boolean(`${at}.deployBranchOnly`, entry.deployBranchOnly, ENVIRONMENT.deployBranchOnly);
        if (deployBranchOnly && access === "deploy")
            r.report(`${at}.deployBranchOnly`, "is set on a deploy environment", `remove it: deploy environments accept ${deployBranch} only anyway`);
        const guard = environmentGuard(r, at, entry.noReviewersReason, {
            stack,
            access,
            prodLike: target?.protectIdentities === true,
            reviewed: reviewers.users.length + reviewers.teams.length > 0,
            deployBranchOnly: deployBranchOnly && access === "preview",
            deployBranch,
        });
        if (guard) warnings.push(guard);
        const slug = name.toLowerCase().replace(/_/g, "-");
        const names = { entraApp: `agentfed-ci-${slug}`, gcpServiceAccountId: `ci-${slug}`, awsRole: `agentfed-ci-${slug}`, pulumiTeam: `agentfed-ci-${slug}` };
        if (name && !SERVICE_ACCOUNT_ID.test(names.gcpServiceAccountId))
            r.report(
                `${at}.name`,
                `gives the GCP service account id ${names.gcpServiceAccountId}, which GCP refuses (6-30 characters)`,
                "use a shorter environment name",
            );
        if (name && pulumiTeamNameProblem(names.pulumiTeam)) r.report(`${at}.name`, "gives a Pulumi team name longer than 64 characters", "shorten it");
        if (!target || nameProblem || !accessAllowed.includes(access)) return [];
        return [{ name, access, target, reviewers, deployBranch: access === "deploy" || deployBranchOnly ? deployBranch : undefined, names }];
    });
    return { environments, warnings };
}

/**
 * Tenant-wide Graph writes (TENANT_WIDE_GRAPH_WRITES) held by environments of two different stacks in one tenant make
 * the lower stack's identity as strong as the higher one's: refused unless `azure.acknowledgeTenantWideGraphWrites`
 * names every such environment (a warning then). An entry naming an environment that holds none is refused, so the
 * acknowledgement cannot go stale silently.
 */
function checkTenantWideGraphWrites(r: Reader, environments: readonly EnvironmentConfig[], value: Json | undefined, warnings: string[]): void {
    const key = "azure.acknowledgeTenantWideGraphWrites";
    const holders = environments
        .map((env) => ({ env, writes: graphPermissions(env.access, env.target).filter((p) => TENANT_WIDE_GRAPH_WRITES.includes(p)) }))
        .filter((h) => h.writes.length > 0);
    let acknowledged: string[] = [];
    if (value !== undefined && value !== null) {
        if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) r.report(key, "must be a list of environment names", "e.g. [dev, prod]");
        else acknowledged = value as string[];
    }
    for (const [i, name] of acknowledged.entries())
        if (!holders.some((h) => h.env.name === name))
            r.report(`${key}[${i}]`, `names ${name}, which holds no tenant-wide Graph write permission`, "remove it");
    const stacks = new Set(holders.map((h) => h.env.target.name));
    if (stacks.size < 2) return;
    const missing = holders.filter((h) => !acknowledged.includes(h.env.name));
    const list = holders.map((h) => `${h.env.name} (stack ${h.env.target.name}: ${h.writes.join(", ")})`).join("; ");
    if (missing.length > 0)
        r.report(
            key,
            `does not name ${missing.map((h) => h.env.name).join(", ")}: environments of different stacks in one tenant would hold tenant-wide Graph writes (${list}); they have no owned-by variant, so each can change the other stack's Blueprints and app role assignments`,
            `put the stacks in different tenants, or acknowledge it: ${r.key(key)}: [${holders.map((h) => h.env.name).join(", ")}]`,
        );
    else
        warnings.push(
            `${r.key(key)} acknowledges tenant-wide Graph writes held by environments of different stacks in one tenant (${list}): each can change the other stack's Blueprints and app role assignments.`,
        );
}

/** `branchProtection`: the deploy branch's ruleset. A bypass actor is accepted with a warning. */
function parseBranchProtection(r: Reader, branch: string, warnings: string[]): BootstrapConfig["branchProtection"] {
    const B = K.branchProtection.fields;
    const obj = objectOrReport(r, "branchProtection", `set ${r.key("branchProtection")} to { requiredApprovals, bypassActors }`, K.branchProtection) ?? {};
    const requiredApprovals = r.integer("branchProtection.requiredApprovals", obj.requiredApprovals, B.requiredApprovals);
    const bypassActors: BypassActor[] = [];
    const list = obj.bypassActors;
    if (list !== undefined && !Array.isArray(list))
        r.report("branchProtection.bypassActors", "must be a list", "write it as [{ actorType, actorId, bypassMode }], or leave it out: no one bypasses");
    const A = B.bypassActors.items.fields;
    const seen = new Set<string>();
    for (const [i, entry] of (Array.isArray(list) ? list : []).entries()) {
        const at = `branchProtection.bypassActors[${i}]`;
        if (!isJsonObject(entry)) {
            r.report(at, "must be an object", "write it as { actorType, actorId, bypassMode }");
            continue;
        }
        r.onlyKnownFields(at, entry, Object.keys(A));
        const actorType = r.oneOf(`${at}.actorType`, entry.actorType, A.actorType, "the kind of actor GitHub rulesets accept") as BypassActorType;
        const bypassMode = r.oneOf(`${at}.bypassMode`, entry.bypassMode, A.bypassMode) as BypassActor["bypassMode"];
        let actorId: number | undefined;
        if (ID_LESS_ACTORS.includes(actorType)) {
            if (entry.actorId !== undefined) r.report(`${at}.actorId`, `is set, but ${actorType} has no id`, "remove it");
        } else if (entry.actorId === undefined) r.report(`${at}.actorId`, `is not set, but a ${actorType} is named by its id`, A.actorId.rule!);
        else {
            const id = numericId(r, `${at}.actorId`, entry.actorId, A.actorId.rule!);
            if (id) actorId = Number(id);
            if (actorId !== undefined && !Number.isSafeInteger(actorId)) r.report(`${at}.actorId`, "is larger than any GitHub id", "check the id");
        }
        const key = `${actorType}:${actorId ?? ""}`;
        if (seen.has(key)) r.report(at, `repeats ${actorType} ${actorId ?? ""}`.trim(), "list each actor once");
        seen.add(key);
        bypassActors.push({ actorType, actorId, bypassMode });
        warnings.push(
            `${r.key(at)} lets ${actorType}${actorId === undefined ? "" : ` ${actorId}`} bypass the ruleset on ${branch} (${bypassMode}): it can put unreviewed code on the branch every deploy environment trusts.`,
        );
    }
    return { branch, requiredApprovals, bypassActors };
}

/**
 * Parses and validates the whole bootstrap configuration, reading each target stack's own configuration from the
 * main project (`mainProjectDir`, relative to the bootstrap project in `projectDir`; default its parent). Throws
 * one `ConfigError` listing every problem; nothing is registered before.
 */
export function parseBootstrapConfig(source: ConfigSource, namespace: string, projectDir: string, options: ReaderOptions = {}): BootstrapConfig {
    const r = new Reader(source, namespace, options);
    // Unknown top-level keys are refused too (a near-miss of the namespace included): a typo must not silently drop
    // a setting. The same rule as the main project's (Reader.onlyKnownKeys).
    r.onlyKnownKeys(Object.keys(K));
    const mainDir = path.resolve(projectDir, r.raw("mainProjectDir") ?? K.mainProjectDir.default!);
    const github = parseGitHub(r);
    const { environments, warnings } = parseEnvironments(r, mainDir, github.deployBranch);
    const branchProtection = parseBranchProtection(r, github.deployBranch, warnings);

    const az = objectOrReport(r, "azure", `set ${r.key("azure")} to { tenantId, subscriptionId }`, K.azure) ?? {};
    // Lowercased by the one GUID reader: the tenant is compared with each stack's and set as AZURE_TENANT_ID.
    const azureId = (field: "tenantId" | "subscriptionId") =>
        guid(r, `azure.${field}`, az[field], "", `az account show --query ${field === "tenantId" ? "tenantId" : "id"} -o tsv`);
    const azure = { tenantId: azureId("tenantId"), subscriptionId: azureId("subscriptionId") };

    const gcpObj = objectOrReport(r, "gcp", `set ${r.key("gcp")} to { projectId, projectNumber, poolId, providerId }`, K.gcp);
    let gcp: BootstrapConfig["gcp"];
    if (gcpObj) {
        const projectId = r.matching("gcp.projectId", gcpObj.projectId, PROJECT_ID, "a GCP project id", "the project that holds the CI pool, e.g. contoso-ci");
        const projectNumber = str(gcpObj.projectNumber) ?? "";
        if (!/^\d{6,20}$/.test(projectNumber))
            r.report(
                "gcp.projectNumber",
                `must be numeric, quoted (got ${JSON.stringify(gcpObj.projectNumber ?? null)})`,
                `gcloud projects describe ${projectId || "<project>"} --format='value(projectNumber)'`,
            );
        const ids = { poolId: "", providerId: "" };
        for (const field of ["poolId", "providerId"] as const) {
            // Another type is reported as such ("is not a string (got 12345)"), not as an empty id.
            const id = r.text(`gcp.${field}`, gcpObj[field]);
            if (id === undefined && gcpObj[field] !== undefined && gcpObj[field] !== null && gcpObj[field] !== "") continue;
            const problem = poolOrProviderIdProblem(id ?? "");
            if (problem) r.report(`gcp.${field}`, problem, "e.g. github-actions; a deleted id stays reserved for 30 days");
            ids[field] = id ?? "";
        }
        gcp = { projectId, projectNumber, ...ids };
    }
    const awsObj = objectOrReport(r, "aws", `set ${r.key("aws")} to { accountId, region }`, K.aws);
    let aws: BootstrapConfig["aws"];
    if (awsObj) {
        const accountId = str(awsObj.accountId) ?? "";
        if (!/^\d{12}$/.test(accountId))
            r.report(
                "aws.accountId",
                `must be 12 digits, quoted (got ${JSON.stringify(awsObj.accountId ?? null)})`,
                "aws sts get-caller-identity --query Account --output text",
            );
        const region = r.matching("aws.region", awsObj.region, REGION, "an AWS region", "e.g. us-east-1 (the workflows' AWS_REGION)");
        aws = { accountId, region, pinRepositoryId: r.boolean("aws.pinRepositoryId", awsObj.pinRepositoryId, K.aws.fields.pinRepositoryId) };
        // With subjectFormat immutable the sub itself carries the repository id; with name, the pin was the only guard.
        if (!aws.pinRepositoryId && github.subjectFormat === "name")
            warnings.push(
                `${r.key("aws.pinRepositoryId")} is false: the AWS roles pin only aud and sub (repo:${github.owner}/${github.name}:environment:<env>), so a repository re-created under the same name can assume them. ` +
                    `Set it back to true once AWS STS evaluates token.actions.githubusercontent.com:repository_id, or use ${r.key("github.subjectFormat")}: immutable, whose sub carries the repository id.`,
            );
    }
    const P = K.pulumi.fields;
    const pulumiObj = objectOrReport(r, "pulumi", `set ${r.key("pulumi")} to { organization, tokenType: team }`, K.pulumi) ?? {};
    const orgProblem = pulumiOrganizationProblem(pulumiObj.organization);
    if (orgProblem) r.report("pulumi.organization", orgProblem, "the Pulumi Cloud organisation that holds the main project's stacks");
    const tokenType = r.oneOf(
        "pulumi.tokenType",
        pulumiObj.tokenType,
        P.tokenType,
        "team (Enterprise editions) keeps each environment to its own stack",
    ) as PulumiTokenType;
    if (tokenType === "organization")
        warnings.push(
            `${r.key("pulumi.tokenType")} is organization: every environment's Pulumi token acts as the organisation, so a preview token can write any stack in Pulumi Cloud. Prefer team.`,
        );
    const maxExpirationSeconds = r.integer("pulumi.maxExpirationSeconds", pulumiObj.maxExpirationSeconds, P.maxExpirationSeconds);

    const protect = r.boolean("protect", r.raw("protect"), K.protect);
    // Cross-checks against the stacks the environments name.
    const repositoryValid = [
        githubOwnerProblem(github.owner),
        githubRepositoryProblem(github.name),
        githubIdProblem(github.ownerId),
        githubIdProblem(github.repositoryId),
    ].every((p) => p === undefined);
    for (const [i, env] of environments.entries()) {
        const t = env.target;
        if (azure.tenantId && t.tenantId !== azure.tenantId)
            r.report(
                `environments[${i}].stack`,
                `names stack ${t.name}, whose tenant ${t.tenantId} is not ${azure.tenantId}`,
                `one bootstrap per tenant: set ${r.key("azure.tenantId")} to the stacks' tenant`,
            );
        if (t.gcp && !gcp) r.report("gcp", `is not set, but stack ${t.name} deploys to GCP`, `set ${r.key("gcp")} to the project that holds the CI pool`);
        // A deploy identity administers service accounts and pools in its stack's project (no IAM condition can narrow
        // that to the agent's own: bootstrap/permissions.ts), so the CI pool and CI accounts must live elsewhere.
        if (t.gcp && gcp?.projectId && t.gcp.projectId === gcp.projectId)
            r.report(
                `environments[${i}].stack`,
                `names stack ${t.name}, whose GCP project ${t.gcp.projectId} is the CI project (${r.key("gcp.projectId")}): its deploy identity would administer the CI pool and every CI service account`,
                "keep the CI pool and the CI service accounts in a project no stack deploys to",
            );
        // GCP refuses a google.subject over 127 bytes: found here, not after pulumi up has registered the other clouds' identities.
        const subjectProblem = t.gcp && repositoryValid ? gcpSubjectProblem(githubEnvironmentSubject(github, env.name, github.subjectFormat)) : undefined;
        if (subjectProblem)
            r.report(
                `environments[${i}].name`,
                `gives the GitHub ${subjectProblem}, and GCP pins it as the environment's principal://.../subject/<sub>`,
                `shorten the environment name (or the repository's${github.subjectFormat === "immutable" ? ", or use subjectFormat name" : ""})`,
            );
        if (t.aws && !aws) r.report("aws", `is not set, but stack ${t.name} deploys to AWS`, `set ${r.key("aws")} to { accountId, region }`);
        if (t.aws && aws && aws.accountId && t.aws.accountId !== aws.accountId)
            r.report(
                `environments[${i}].stack`,
                `names stack ${t.name}, which deploys to AWS account ${t.aws.accountId}, not ${aws.accountId}`,
                "run one bootstrap stack per AWS account",
            );
    }
    checkTenantWideGraphWrites(r, environments, az.acknowledgeTenantWideGraphWrites, warnings);
    if (gcp && environments.length > 0 && !environments.some((e) => e.target.gcp))
        r.report("gcp", "is set, but no environment's stack deploys to GCP", `remove ${r.key("gcp")}`);
    if (aws && environments.length > 0 && !environments.some((e) => e.target.aws))
        r.report("aws", "is set, but no environment's stack deploys to AWS", `remove ${r.key("aws")}`);
    if (r.issues.length > 0) throw new ConfigError(r.issues);
    return {
        namespace,
        github: { owner: github.owner, name: github.name, ownerId: github.ownerId, repositoryId: github.repositoryId, subjectFormat: github.subjectFormat },
        environments,
        azure,
        gcp,
        aws,
        pulumi: { organization: str(pulumiObj.organization) ?? "", tokenType, maxExpirationSeconds },
        branchProtection,
        protect,
        warnings: [...warnings, ...r.warnings],
    };
}
