import { TOKEN_EXCHANGE_AUDIENCE } from "./constants";
import { TrustContractError, WorkloadSubject } from "./workload-subject";

/**
 * GitHub Actions as a workload subject. Every fact here is GitHub's (docs.github.com, "OpenID Connect reference",
 * content/actions/reference/security/oidc.md): one issuer for every GitHub.com customer, a `sub` that names the
 * repository and the job's environment, and immutable numeric ids in the `repository_id` and
 * `repository_owner_id` claims (strings in the token).
 */

/** The issuer of every GitHub.com Actions OIDC token. Shared by all of GitHub: a trust must always pin who, too. */
export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";

/** The audience `aws-actions/configure-aws-credentials` requests, and the client id the IAM OIDC provider lists. */
export const GITHUB_AWS_AUDIENCE = "sts.amazonaws.com";

/**
 * How the repository appears in `sub`:
 *  - `name`: `repo:<owner>/<repo>:environment:<env>`, for repositories created before 2026-07-15 and neither
 *    renamed nor transferred since;
 *  - `immutable`: `repo:<owner>@<ownerId>/<repo>@<repoId>:environment:<env>`, GitHub's immutable subject claims:
 *    the default for repositories created, renamed or transferred on or after 2026-07-15, opt-in for others (GitHub
 *    changelog 2026-04-23, "Immutable subject claims for GitHub Actions OIDC tokens"; GitHub Docs, "OpenID Connect",
 *    Immutable subject claims). A rename or transfer therefore switches a `name` repository to `immutable`, and every
 *    login pinned on `name` fails until the configuration follows. Entra FICs and AWS then see the ids too, since
 *    they can only match `sub`.
 */
export type GitHubSubjectFormat = "name" | "immutable";

export const GITHUB_SUBJECT_FORMATS: readonly GitHubSubjectFormat[] = ["name", "immutable"];

/** A repository, by name and by the immutable ids GitHub puts in every token it mints for it. */
export interface GitHubRepository {
    /** User or organisation login (`repository_owner`). */
    readonly owner: string;
    /** Repository name without the owner. */
    readonly name: string;
    /** `repository_owner_id`: survives a rename; a re-created owner of the same name gets another. Digits. */
    readonly ownerId: string;
    /** `repository_id`: survives a rename; a re-created repository of the same name gets another. Digits. */
    readonly repositoryId: string;
}

/** What a GitHub Actions workload subject knows beyond iss/sub/aud: the claims a cloud may pin besides `sub`. */
export interface GitHubClaims {
    /** `owner/name` (the `repository` claim). */
    readonly repository: string;
    readonly repositoryId: string;
    readonly repositoryOwnerId: string;
    /** The job's environment (the `environment` claim). */
    readonly environment: string;
}

// GitHub's rules: a login is alphanumeric with single inner hyphens, at most 39 characters.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
// A repository name is letters, digits, '.', '-' and '_', at most 100 characters, and never "." or "..".
const REPOSITORY = /^[A-Za-z0-9._-]{1,100}$/;
// Stricter than GitHub (which allows up to 255 characters of almost anything): ':' arrives as %3A in `sub`,
// and '*', '?' and '.' are wildcards in Pulumi Cloud's policy rules, so they are refused rather than escaped.
const ENVIRONMENT = /^[A-Za-z0-9_-]{1,255}$/;
const NUMERIC_ID = /^[1-9][0-9]{0,19}$/;

/** Problems with a GitHub user or organisation login. */
export function githubOwnerProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value === "") return "is missing";
    if (!OWNER.test(value)) return `is not a GitHub login (got ${JSON.stringify(value)}; letters, digits and single inner hyphens, at most 39)`;
    return undefined;
}

/** Problems with a repository name. */
export function githubRepositoryProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value === "") return "is missing";
    if (!REPOSITORY.test(value) || value === "." || value === "..")
        return `is not a GitHub repository name (got ${JSON.stringify(value)}; letters, digits, '.', '-' and '_', at most 100)`;
    return undefined;
}

/** Problems with an environment name this stack can pin in every cloud. */
export function githubEnvironmentProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value === "") return "is missing";
    if (!ENVIRONMENT.test(value))
        return `must be letters, digits, '-' and '_' only (got ${JSON.stringify(value)}): ':' is rewritten as %3A in sub, and '.', '*' and '?' are wildcards in Pulumi Cloud policies`;
    return undefined;
}

/**
 * Problems with the one branch a deploy environment accepts, as GitHub's deployment branch policy names it: a branch
 * name matched against the branch being deployed (REST API, "Deployment branch policies": "the name pattern that
 * branches must match"), so never a ref (`refs/heads/main` would match no branch), never a pattern, and a name git
 * can create (git-check-ref-format: no component starting with '.' or ending in `.lock`, no '..', '@{', '\\',
 * control character, space, '~', '^' or ':', no leading, trailing or doubled '/', no trailing '.', not '@', not
 * starting with '-'), or no branch could ever deploy.
 */
export function githubBranchProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value === "") return "is missing";
    const got = `(got ${JSON.stringify(value)})`;
    if (/^refs\//.test(value))
        return `is a ref, not a branch name ${got}; GitHub's deployment branch policy matches branch names: write ${value.replace(/^refs\/heads\//, "")}`;
    if (/[*?[\]]/.test(value)) return `is a pattern ${got}; name one branch exactly`;
    // eslint-disable-next-line no-control-regex -- control characters are what git refuses here
    if (/[\u0000-\u0020\u007f~^:\\]|\.\.|@\{/.test(value) || value === "@" || value.startsWith("-") || value.length > 255)
        return `is not a branch name git can create ${got}: no space, control character, '~', '^', ':', '\\', '..' or '@{', not '@', not starting with '-', at most 255 characters`;
    const components = value.split("/");
    if (components.some((c) => c === "" || c.startsWith(".") || c.endsWith(".lock")) || value.endsWith("."))
        return `is not a branch name git can create ${got}: no leading, trailing or doubled '/', no component starting with '.' or ending in .lock, no trailing '.'`;
    return undefined;
}

/** Problems with a numeric GitHub id (`repository_id`, `repository_owner_id`, user and team ids). */
export function githubIdProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value === "") return "is missing";
    if (!NUMERIC_ID.test(value)) return `is not a numeric GitHub id (got ${JSON.stringify(value)}; digits only, quoted in YAML)`;
    return undefined;
}

function assertValid(what: string, problem: string | undefined): void {
    if (problem !== undefined) throw new TrustContractError(`GitHub ${what} ${problem}`);
}

function assertRepository(repo: GitHubRepository): void {
    assertValid("owner", githubOwnerProblem(repo.owner));
    assertValid("repository", githubRepositoryProblem(repo.name));
    assertValid("owner id", githubIdProblem(repo.ownerId));
    assertValid("repository id", githubIdProblem(repo.repositoryId));
}

/** The `repo:` part of `sub` in either format. */
export function githubRepoSegment(repo: GitHubRepository, format: GitHubSubjectFormat): string {
    assertRepository(repo);
    return format === "immutable" ? `repo:${repo.owner}@${repo.ownerId}/${repo.name}@${repo.repositoryId}` : `repo:${repo.owner}/${repo.name}`;
}

/** `sub` of a job that names `environment`: `repo:<owner>/<repo>:environment:<env>` (or the immutable form). */
export function githubEnvironmentSubject(repo: GitHubRepository, environment: string, format: GitHubSubjectFormat = "name"): string {
    assertValid("environment", githubEnvironmentProblem(environment));
    return `${githubRepoSegment(repo, format)}:environment:${environment}`;
}

/** `sub` of a pull-request job that names no environment. Never trusted here; used to prove it is rejected. */
export function githubPullRequestSubject(repo: GitHubRepository, format: GitHubSubjectFormat = "name"): string {
    return `${githubRepoSegment(repo, format)}:pull_request`;
}

/** `sub` of a branch job that names no environment. Never trusted here; used to prove it is rejected. */
export function githubBranchSubject(repo: GitHubRepository, branch: string, format: GitHubSubjectFormat = "name"): string {
    return `${githubRepoSegment(repo, format)}:ref:refs/heads/${branch}`;
}

/**
 * The workload subject of a job in `environment`, for one audience (each cloud's login step asks for its own:
 * `api://AzureADTokenExchange`, `sts.amazonaws.com`, `https://iam.googleapis.com/<provider>`, `urn:pulumi:org:<org>`).
 */
export function githubActionsWorkloadSubject(
    repo: GitHubRepository,
    environment: string,
    audience: string = TOKEN_EXCHANGE_AUDIENCE,
    format: GitHubSubjectFormat = "name",
): WorkloadSubject {
    const subject = githubEnvironmentSubject(repo, environment, format);
    if (audience === "" || /[\s*?]/.test(audience)) throw new TrustContractError(`GitHub token audience ${JSON.stringify(audience)} must be exact`);
    return {
        source: "github-actions",
        issuer: GITHUB_ACTIONS_ISSUER,
        subject,
        audiences: [audience],
        github: { repository: `${repo.owner}/${repo.name}`, repositoryId: repo.repositoryId, repositoryOwnerId: repo.ownerId, environment },
    };
}

/** The audience `google-github-actions/auth` requests by default: `https://iam.googleapis.com/<provider name>`. */
export function githubGcpAudience(providerName: string): string {
    return `https://iam.googleapis.com/${providerName}`;
}

/** The audience `pulumi/auth-actions` requests (src/main.ts: `urn:pulumi:org:${organization}`). */
export function pulumiOrganizationAudience(organization: string): string {
    return `urn:pulumi:org:${organization}`;
}
