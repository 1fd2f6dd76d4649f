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
import { poolOrProviderIdProblem, PROVIDER_ID_RULE } from "../src/config/gcp";
import { guid, isJsonObject, Json, JsonObject, Reader, ReaderOptions, str } from "../src/config/reader";
import { boolean, integer, list, object, ObjectSpec, text, value } from "../src/config/spec";
import { stackNameProblem } from "../src/plan/stack-files";
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
    /** Required reviewers (GitHub user and team ids; deploy environments only). */
    readonly reviewers: { readonly users: readonly number[]; readonly teams: readonly number[] };
    /** Deploy environments: the only branch that may run jobs in them. Preview environments: none (pull requests). */
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
    /** Protect identity resources (recreating one changes ids the GitHub variables carry). Default true. */
    readonly protect: boolean;
    /** Accepted-but-risky choices, logged by `pulumi preview` and printed by the plan. */
    readonly warnings: readonly string[];
}

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
                    rule: "immutable when the repository uses GitHub's immutable subject claims (created after 2026-07-15, or opted in), else name; the wrong one makes every login fail, never succeed wrongly",
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
                            summary: "Required reviewers of a deploy environment's runs; a reviewer may not approve their own run.",
                            rule: "deploy environments only: previews run on every pull request and only read. A deploy of a stack with protectIdentities: true and no reviewers is a warning",
                            example: { users: ["300000003"], teams: ["400000004"] },
                        },
                        {
                            users: reviewerIds("GitHub user ids.", "gh api users/<login> --jq .id", "300000003"),
                            teams: reviewerIds("GitHub team ids.", "gh api orgs/<owner>/teams/<slug> --jq .id", "400000004"),
                        },
                    ),
                },
            ),
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
        "use immutable when the repository uses GitHub's immutable subject claims (created after 2026-07-15, or opted in), else name",
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
                if (access === "preview")
                    r.report(`${at}.reviewers`, "is set on a preview environment", "remove it: previews run on every pull request and only read");
            }
        }
        if (access === "deploy" && target?.protectIdentities && reviewers.users.length + reviewers.teams.length === 0)
            warnings.push(
                `${r.key(`${at}`)} deploys stack ${stack}, which protects its identities, with no required reviewers: any push to ${deployBranch} deploys it.`,
            );
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
        return [{ name, access, target, reviewers, deployBranch: access === "deploy" ? deployBranch : undefined, names }];
    });
    return { environments, warnings };
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
        protect,
        warnings: [...warnings, ...r.warnings],
    };
}
