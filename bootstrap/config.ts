import * as path from "node:path";
import {
    GITHUB_SUBJECT_FORMATS,
    githubEnvironmentProblem,
    githubIdProblem,
    githubOwnerProblem,
    githubRepositoryProblem,
    GitHubRepository,
    GitHubSubjectFormat,
    guidProblem,
    PULUMI_TOKEN_TYPES,
    pulumiOrganizationProblem,
    pulumiTeamNameProblem,
    PulumiTokenType,
} from "../src/contracts";
import { ConfigError, ConfigSource } from "../src/config";
import { poolOrProviderIdProblem } from "../src/config/gcp";
import { bool, isJsonObject, Json, JsonObject, Reader, str } from "../src/config/reader";
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

const TOP_LEVEL = ["github", "environments", "azure", "gcp", "aws", "pulumi", "protect", "mainProjectDir"];
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const SERVICE_ACCOUNT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]{2}-[a-z]+-\d$/;
const BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*\/$)[A-Za-z0-9._/-]{1,255}$/;
/** GitHub allows at most 6 user and 6 team reviewers per environment. */
const MAX_REVIEWERS = 6;
/** Pulumi Cloud's default (and our ceiling) for an OIDC-issued access token: 2 hours. */
const DEFAULT_MAX_EXPIRATION = 7200;

/** A numeric id written as a quoted string (YAML would otherwise turn a large id into a float). */
function numericId(r: Reader, path: string, value: Json | undefined, fix: string): string {
    const problem = typeof value === "number" ? `is a YAML number (${value}); large ids lose digits as numbers` : githubIdProblem(value);
    if (problem) r.report(path, problem, fix);
    return typeof value === "string" ? value : "";
}

function objectOrReport(r: Reader, key: string, fix: string, known: readonly string[], required = true): JsonObject | undefined {
    const obj = r.object(key, fix, required);
    if (obj) r.onlyKnownFields(key, obj, known);
    return obj;
}

function parseGitHub(r: Reader): BootstrapConfig["github"] & { deployBranch: string } {
    const o =
        objectOrReport(r, "github", `set ${r.key("github")} to { owner, repository, ownerId, repositoryId }`, [
            "owner",
            "repository",
            "ownerId",
            "repositoryId",
            "subjectFormat",
            "deployBranch",
        ]) ?? {};
    const ownerProblem = githubOwnerProblem(o.owner);
    if (ownerProblem) r.report("github.owner", ownerProblem, "set it to the organisation or user that owns the repository, e.g. contoso");
    const repoProblem = githubRepositoryProblem(o.repository);
    if (repoProblem) r.report("github.repository", repoProblem, "set it to the repository name without the owner, e.g. agentfed");
    const idFix = (claim: string) => `gh api repos/<owner>/<repo> --jq ${claim}; quote it in YAML`;
    const ownerId = numericId(r, "github.ownerId", o.ownerId, idFix(".owner.id"));
    const repositoryId = numericId(r, "github.repositoryId", o.repositoryId, idFix(".id"));
    const subjectFormat = (str(o.subjectFormat) ?? "name") as GitHubSubjectFormat;
    if (!GITHUB_SUBJECT_FORMATS.includes(subjectFormat))
        r.report(
            "github.subjectFormat",
            `must be one of ${GITHUB_SUBJECT_FORMATS.join(", ")} (got ${JSON.stringify(o.subjectFormat)})`,
            "use immutable when the repository uses GitHub's immutable subject claims (created after 2026-07-15, or opted in), else name",
        );
    const deployBranch = str(o.deployBranch) ?? "main";
    if (!BRANCH.test(deployBranch) || /[*?[\]]/.test(deployBranch))
        r.report("github.deployBranch", `is not a branch name (got ${JSON.stringify(o.deployBranch)})`, "name one branch exactly, e.g. main");
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
    return value.map((v, i) => Number(numericId(r, `${path}[${i}]`, v, 'use the numeric id, quoted, e.g. "1234567"')));
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
        r.onlyKnownFields(at, entry, ["name", "access", "stack", "reviewers"]);
        const nameProblem = githubEnvironmentProblem(entry.name);
        if (nameProblem) r.report(`${at}.name`, nameProblem, "use the environment's name as the workflows write it, e.g. preview-dev");
        const name = typeof entry.name === "string" ? entry.name : "";
        // GitHub environment names are not case-sensitive: two spellings are one environment.
        const first = seen.get(name.toLowerCase());
        if (name && first !== undefined) r.report(`${at}.name`, `repeats environments[${first}] (${name})`, "give each environment one entry");
        else seen.set(name.toLowerCase(), i);
        const access = entry.access as EnvironmentAccess;
        if (!ACCESS.includes(access))
            r.report(`${at}.access`, `must be preview or deploy (got ${JSON.stringify(entry.access ?? null)})`, "preview reads its stack; deploy changes it");
        const stack = str(entry.stack) ?? "";
        if (!/^[A-Za-z0-9_.-]{1,100}$/.test(stack))
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
                r.onlyKnownFields(`${at}.reviewers`, reviewersObj, ["users", "teams"]);
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
        if (!target || nameProblem || !ACCESS.includes(access)) return [];
        return [{ name, access, target, reviewers, deployBranch: access === "deploy" ? deployBranch : undefined, names }];
    });
    return { environments, warnings };
}

/**
 * Parses and validates the whole bootstrap configuration, reading each target stack's own configuration from the
 * main project (`mainProjectDir`, relative to the bootstrap project in `projectDir`; default its parent). Throws
 * one `ConfigError` listing every problem; nothing is registered before.
 */
export function parseBootstrapConfig(source: ConfigSource, namespace: string, projectDir: string): BootstrapConfig {
    const r = new Reader(source, namespace);
    // Unknown top-level keys are refused too (a near-miss of the namespace included): a typo must not silently drop
    // a setting. The same rule as the main project's (Reader.onlyKnownKeys).
    r.onlyKnownKeys(TOP_LEVEL);
    const mainDir = path.resolve(projectDir, r.raw("mainProjectDir") ?? "..");
    const github = parseGitHub(r);
    const { environments, warnings } = parseEnvironments(r, mainDir, github.deployBranch);

    const az = objectOrReport(r, "azure", `set ${r.key("azure")} to { tenantId, subscriptionId }`, ["tenantId", "subscriptionId"]) ?? {};
    for (const field of ["tenantId", "subscriptionId"] as const) {
        const problem = guidProblem(az[field]);
        if (problem) r.report(`azure.${field}`, problem, `az account show --query ${field === "tenantId" ? "tenantId" : "id"} -o tsv`);
    }
    const azure = { tenantId: str(az.tenantId) ?? "", subscriptionId: str(az.subscriptionId) ?? "" };

    const gcpObj = objectOrReport(
        r,
        "gcp",
        `set ${r.key("gcp")} to { projectId, projectNumber, poolId, providerId }`,
        ["projectId", "projectNumber", "poolId", "providerId"],
        false,
    );
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
        const ids = { poolId: str(gcpObj.poolId) ?? "", providerId: str(gcpObj.providerId) ?? "" };
        for (const field of ["poolId", "providerId"] as const) {
            const problem = poolOrProviderIdProblem(ids[field]);
            if (problem) r.report(`gcp.${field}`, problem, "e.g. github-actions; a deleted id stays reserved for 30 days");
        }
        gcp = { projectId, projectNumber, ...ids };
    }
    const awsObj = objectOrReport(r, "aws", `set ${r.key("aws")} to { accountId, region }`, ["accountId", "region", "pinRepositoryId"], false);
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
        aws = { accountId, region, pinRepositoryId: bool(r, "aws.pinRepositoryId", awsObj.pinRepositoryId, true) };
    }
    const pulumiObj =
        objectOrReport(r, "pulumi", `set ${r.key("pulumi")} to { organization, tokenType: team }`, ["organization", "tokenType", "maxExpirationSeconds"]) ?? {};
    const orgProblem = pulumiOrganizationProblem(pulumiObj.organization);
    if (orgProblem) r.report("pulumi.organization", orgProblem, "the Pulumi Cloud organisation that holds the main project's stacks");
    const tokenType = (str(pulumiObj.tokenType) ?? "team") as PulumiTokenType;
    if (!PULUMI_TOKEN_TYPES.includes(tokenType))
        r.report(
            "pulumi.tokenType",
            `must be team or organization (got ${JSON.stringify(pulumiObj.tokenType)})`,
            "team (Enterprise editions) keeps each environment to its own stack",
        );
    if (tokenType === "organization")
        warnings.push(
            `${r.key("pulumi.tokenType")} is organization: every environment's Pulumi token acts as the organisation, so a preview token can write any stack in Pulumi Cloud. Prefer team.`,
        );
    const maxExpirationSeconds = pulumiObj.maxExpirationSeconds === undefined ? DEFAULT_MAX_EXPIRATION : Number(pulumiObj.maxExpirationSeconds);
    if (!Number.isInteger(maxExpirationSeconds) || maxExpirationSeconds < 300 || maxExpirationSeconds > 90000)
        r.report(
            "pulumi.maxExpirationSeconds",
            `must be whole seconds between 300 and 90000 (got ${JSON.stringify(pulumiObj.maxExpirationSeconds)})`,
            "keep it close to the longest job, e.g. 7200",
        );

    const protect = bool(r, "protect", r.raw("protect"), true);
    // Cross-checks against the stacks the environments name.
    for (const [i, env] of environments.entries()) {
        const t = env.target;
        if (azure.tenantId && t.tenantId !== azure.tenantId)
            r.report(
                `environments[${i}].stack`,
                `names stack ${t.name}, whose tenant ${t.tenantId} is not ${azure.tenantId}`,
                `one bootstrap per tenant: set ${r.key("azure.tenantId")} to the stacks' tenant`,
            );
        if (t.gcp && !gcp) r.report("gcp", `is not set, but stack ${t.name} deploys to GCP`, `set ${r.key("gcp")} to the project that holds the CI pool`);
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
