import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
    githubBranchSubject,
    githubEnvironmentSubject,
    githubPullRequestSubject,
    GITHUB_ACTIONS_ISSUER,
    GITHUB_AWS_AUDIENCE,
    GitHubRepository,
    GitHubSubjectFormat,
    githubGcpAudience,
    pulumiOrganizationAudience,
    pulumiRuleMatches,
    TOKEN_EXCHANGE_AUDIENCE,
    TrustContract,
    TrustContractError,
    TrustContractKind,
} from "../src/contracts";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { evaluateContracts, pinnedSubject } from "../src/doctor/evaluate";
import { runPlan } from "../src/plan/run-plan";

// The token matrix of issue #14, evaluated by the real evaluators (Entra's FIC rules, CEL for GCP, the IAM
// simulator for AWS, Pulumi's documented matcher) against the contracts the bootstrap program registers.

const ROOT = path.resolve(__dirname, "..");
const REPO: GitHubRepository = { owner: "contoso", name: "agentfed", ownerId: "100000001", repositoryId: "200000002" };
const ENVIRONMENTS = ["preview-dev", "preview-prod", "audit-dev", "audit-prod", "dev", "prod"] as const;
/** Stacks of the main project that deploy to GCP and AWS (Pulumi.prod.yaml); dev deploys to neither. */
const CLOUD_STACK: Record<(typeof ENVIRONMENTS)[number], "dev" | "prod"> = {
    "preview-dev": "dev",
    "preview-prod": "prod",
    "audit-dev": "dev",
    "audit-prod": "prod",
    dev: "dev",
    prod: "prod",
};
const NOW = Date.parse("2026-09-01T12:00:00Z") / 1000;
const PROVIDER = "projects/987654321098/locations/global/workloadIdentityPools/github-actions/providers/agentfed";

/** The audience each cloud's login step requests. */
const AUDIENCE: Record<TrustContractKind, string> = {
    "entra-fic": TOKEN_EXCHANGE_AUDIENCE,
    "gcp-provider": githubGcpAudience(PROVIDER),
    "aws-role": GITHUB_AWS_AUDIENCE,
    "pulumi-oidc-policy": pulumiOrganizationAudience("contoso"),
};
const KINDS = Object.keys(AUDIENCE) as TrustContractKind[];

/** A GitHub Actions token as GitHub mints it for a job in `environment` (claims per GitHub's OIDC reference). */
function token(environment: string, kind: TrustContractKind, format: GitHubSubjectFormat = "name", patch: Record<string, unknown> = {}) {
    return {
        iss: GITHUB_ACTIONS_ISSUER,
        sub: githubEnvironmentSubject(REPO, environment, format),
        aud: AUDIENCE[kind],
        repository: "contoso/agentfed",
        repository_owner: "contoso",
        repository_id: REPO.repositoryId,
        repository_owner_id: REPO.ownerId,
        environment,
        ref: "refs/heads/main",
        event_name: "push",
        iat: NOW - 60,
        nbf: NOW - 60,
        exp: NOW + 240,
        ...patch,
    };
}

const plans: Partial<Record<GitHubSubjectFormat, TrustContract[]>> = {};
const accepted = (format: GitHubSubjectFormat, kind: TrustContractKind, claims: Record<string, unknown>, now = NOW) =>
    evaluateContracts(
        plans[format]!.filter((c) => c.kind === kind),
        claims,
        now,
    )
        .filter((v) => v.accepted)
        .map((v) => v.contract);
const own = (format: GitHubSubjectFormat, kind: TrustContractKind, environment: string) =>
    plans[format]!.filter((c) => c.kind === kind && pinnedSubject(c) === githubEnvironmentSubject(REPO, environment, format));

before(async () => {
    plans.name = (await runPlan({ project: "bootstrap", stack: "github" })).trustContracts;
    plans.immutable = (
        await runPlan({ project: "bootstrap", stack: "github", config: { github: { ...githubConfig(), subjectFormat: "immutable" } } })
    ).trustContracts;
});

function githubConfig() {
    return { owner: "contoso", repository: "agentfed", ownerId: "100000001", repositoryId: "200000002", deployBranch: "main" };
}

describe("GitHub Actions subjects", () => {
    it("builds the documented subject formats, and the ones the clouds must reject", () => {
        assert.equal(githubEnvironmentSubject(REPO, "prod"), "repo:contoso/agentfed:environment:prod");
        assert.equal(githubEnvironmentSubject(REPO, "prod", "immutable"), "repo:contoso@100000001/agentfed@200000002:environment:prod");
        assert.equal(githubPullRequestSubject(REPO), "repo:contoso/agentfed:pull_request");
        assert.equal(githubBranchSubject(REPO, "main"), "repo:contoso/agentfed:ref:refs/heads/main");
    });

    it("refuses owners, repositories, environments and ids no cloud could pin literally", () => {
        assert.throws(() => githubEnvironmentSubject({ ...REPO, owner: "-contoso" }, "prod"), TrustContractError);
        assert.throws(() => githubEnvironmentSubject({ ...REPO, owner: "con--toso" }, "prod"), /single inner hyphens/);
        assert.throws(() => githubEnvironmentSubject({ ...REPO, name: ".." }, "prod"), /repository/);
        assert.throws(() => githubEnvironmentSubject({ ...REPO, repositoryId: "2e8" }, "prod"), /numeric GitHub id/);
        for (const env of ["pro.d", "prod:eu", "prod*", "pr od", ""]) assert.throws(() => githubEnvironmentSubject(REPO, env), TrustContractError, env);
    });

    it("models Pulumi Cloud's rule wildcards: * any run, ? zero or one character, . exactly one", () => {
        assert.ok(pulumiRuleMatches("repo:contoso/*", "repo:contoso/agentfed:environment:prod"));
        assert.ok(pulumiRuleMatches("a.c", "abc") && !pulumiRuleMatches("a.c", "ac"));
        assert.ok(pulumiRuleMatches("ab?", "ab") && pulumiRuleMatches("ab?", "abc") && !pulumiRuleMatches("ab?", "abcd"));
        assert.ok(!pulumiRuleMatches("repo:contoso/agentfed:environment:prod", "repo:contoso/agentfed:environment:prod2"));
    });
});

describe("every environment's token, in every cloud", () => {
    for (const format of ["name", "immutable"] as const) {
        for (const env of ENVIRONMENTS) {
            it(`${format} subjects: ${env}'s token is accepted by its own identity and by no other`, () => {
                for (const kind of KINDS) {
                    const expected = own(format, kind, env).map((c) => evaluateContracts([c], {}, NOW)[0]!.contract);
                    // Entra and Pulumi Cloud hold an identity for every environment; GCP and AWS only for stacks deploying there.
                    const inCloud = kind === "entra-fic" || kind === "pulumi-oidc-policy" || CLOUD_STACK[env] === "prod";
                    assert.equal(expected.length, inCloud ? 1 : 0, `${kind}: ${env} has ${inCloud ? "one identity" : "none"}`);
                    assert.deepEqual(accepted(format, kind, token(env, kind, format)), expected, `${kind} ${env}`);
                }
            });
        }
    }

    it("a token for one cloud buys nothing in another (each login step asks for its own audience)", () => {
        for (const kind of KINDS) {
            const others = KINDS.filter((k) => k !== kind);
            for (const other of others) assert.deepEqual(accepted("name", other, token("prod", kind)), [], `${kind} token at ${other}`);
        }
    });
});

describe("tokens no identity may accept", () => {
    const rejectedEverywhere = (claims: (kind: TrustContractKind) => Record<string, unknown>, format: GitHubSubjectFormat = "name", now = NOW) => {
        for (const kind of KINDS) assert.deepEqual(accepted(format, kind, claims(kind), now), [], kind);
    };

    it("a pull-request job's token (no environment)", () => {
        rejectedEverywhere((kind) => token("prod", kind, "name", { sub: githubPullRequestSubject(REPO), environment: undefined, event_name: "pull_request" }));
    });

    it("a branch job's token, even from main (no environment)", () => {
        rejectedEverywhere((kind) => token("prod", kind, "name", { sub: githubBranchSubject(REPO, "main"), environment: undefined }));
    });

    it("a token from a workflow run in another repository (a fork's own runs), even for an environment named prod", () => {
        const fork = { owner: "mallory", name: "agentfed", ownerId: "900000009", repositoryId: "800000008" };
        for (const format of ["name", "immutable"] as const)
            rejectedEverywhere(
                (kind) =>
                    token("prod", kind, format, {
                        sub: githubEnvironmentSubject(fork, "prod", format),
                        repository: "mallory/agentfed",
                        repository_owner: "mallory",
                        repository_id: fork.repositoryId,
                        repository_owner_id: fork.ownerId,
                    }),
                format,
            );
    });

    it("an expired token", () => {
        for (const env of ENVIRONMENTS) rejectedEverywhere((kind) => token(env, kind), "name", NOW + 3600);
    });
});

describe("a deleted and re-created owner and repository of the same name (other ids)", () => {
    const recreated = (kind: TrustContractKind, format: GitHubSubjectFormat) =>
        token("prod", kind, format, {
            sub: githubEnvironmentSubject({ ...REPO, ownerId: "555000555", repositoryId: "666000666" }, "prod", format),
            repository_id: "666000666",
            repository_owner_id: "555000555",
        });

    it("is rejected where the cloud sees ids: GCP's condition, AWS's repository_id pin, Pulumi Cloud's rules", () => {
        for (const kind of ["gcp-provider", "aws-role", "pulumi-oidc-policy"] as const)
            assert.deepEqual(accepted("name", kind, recreated(kind, "name")), [], kind);
    });

    it("is accepted by the Entra FIC under name subjects, which see only iss/sub/aud: the documented gap immutable subjects close", () => {
        assert.equal(accepted("name", "entra-fic", recreated("entra-fic", "name")).length, 1);
    });

    it("is rejected everywhere under immutable subjects, whose sub carries the ids", () => {
        for (const kind of KINDS) assert.deepEqual(accepted("immutable", kind, recreated(kind, "immutable")), [], kind);
    });

    it("GCP says why: the attribute condition; a sibling environment's token: the service account binding", () => {
        const gcp = plans.name!.filter((c) => c.kind === "gcp-provider");
        const other = evaluateContracts(gcp, recreated("gcp-provider", "name"), NOW);
        assert.ok(other.every((v) => v.reasons.some((r) => r.includes("rejected by the attribute condition"))));
        const sibling = evaluateContracts(gcp, token("preview-prod", "gcp-provider"), NOW).find((v) => v.contract.endsWith("environment:prod"))!;
        assert.equal(sibling.accepted, false);
        assert.match(sibling.reasons.join("\n"), /PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied.*ci-prod@contoso-ci/);
    });
});

describe("pull requests from forks", () => {
    /**
     * The token GitHub mints for a fork's pull_request job that names preview-prod (GitHub Docs, "OpenID Connect
     * reference": the job runs in the base repository, so `repository`, its ids and `sub` are the base repository's;
     * only `ref` (refs/pull/<n>/merge) and the event's head say where the code came from).
     */
    const forkPullRequestToken = (kind: TrustContractKind, format: GitHubSubjectFormat = "name") =>
        token("preview-prod", kind, format, { event_name: "pull_request", ref: "refs/pull/7/merge", head_ref: "mallory-patch-1", base_ref: "main" });

    it("carry the base repository and the environment's subject, so every cloud accepts them: the claims cannot tell a fork", () => {
        for (const format of ["name", "immutable"] as const)
            for (const kind of KINDS)
                assert.deepEqual(
                    accepted(format, kind, forkPullRequestToken(kind, format)),
                    own(format, kind, "preview-prod").map((c) => evaluateContracts([c], {}, NOW)[0]!.contract),
                    `${format} ${kind}`,
                );
    });

    type Workflow = {
        permissions?: Record<string, string>;
        jobs: Record<string, { if?: string; environment?: string; permissions?: Record<string, string>; steps?: { uses?: string }[] }>;
    };
    const workflow = () => yaml.load(readFileSync(path.join(ROOT, ".github/workflows/pull-request.yml"), "utf8")) as Workflow;

    /**
     * The pull_request event payload as GitHub sends it (webhook "pull_request": `pull_request.head.repo` is null once a
     * fork is deleted), and `github.actor`, the account whose push or pull request started the run.
     */
    const event = (headRepository: string | null, repository = "contoso/agentfed", actor = "alice") => ({
        github: {
            repository,
            repository_id: "200000002",
            event_name: "pull_request",
            actor,
            event: {
                pull_request: {
                    number: 7,
                    head: { ref: "patch-1", repo: headRepository === null ? null : { full_name: headRepository, fork: headRepository !== repository } },
                    base: { ref: "main", repo: { full_name: repository } },
                },
            },
        },
    });

    it("never reach a job that can mint a token: the preview job's if: (GitHub's own expression evaluator) skips them", async () => {
        const wf = workflow();
        assert.equal(wf.permissions?.["id-token"], undefined, "no workflow-wide id-token: write");
        const minting = Object.entries(wf.jobs).filter(([, job]) => job.permissions?.["id-token"] === "write");
        assert.deepEqual(
            minting.map(([name]) => name),
            ["preview"],
        );
        for (const [name, job] of Object.entries(wf.jobs)) {
            const usesIdentity = job.environment !== undefined || (job.steps ?? []).some((step) => step.uses === "./.github/actions/cloud-login");
            if (usesIdentity || job.permissions?.["id-token"] === "write") assert.ok(job.if, `job ${name} mints OIDC tokens without a guard`);
        }
        const guard = wf.jobs.preview!.if!;
        assert.equal(await evaluateWorkflowCondition(guard, event("contoso/agentfed")), true, "a branch of this repository");
        assert.equal(await evaluateWorkflowCondition(guard, event("mallory/agentfed")), false, "a fork");
        assert.equal(await evaluateWorkflowCondition(guard, event("contoso-forks/agentfed")), false, "a fork in another organisation");
        assert.equal(await evaluateWorkflowCondition(guard, event(null)), false, "a deleted fork");
        // GitHub compares strings without case; owner and repository names are unique without case too.
        assert.equal(await evaluateWorkflowCondition(guard, event("Contoso/AgentFed")), true);
    });

    it("nor do Dependabot's: its runs get a read-only token and no secrets, so the test job alone proves its updates", async () => {
        const guard = workflow().jobs.preview!.if!;
        // Dependabot pushes its branches to this repository, so only the actor tells its runs apart (GitHub Docs,
        // "Troubleshooting Dependabot on GitHub Actions": the restrictions apply when github.actor is dependabot[bot]).
        assert.equal(
            await evaluateWorkflowCondition(guard, event("contoso/agentfed", "contoso/agentfed", "dependabot[bot]")),
            false,
            "a Dependabot pull request",
        );
        assert.equal(
            await evaluateWorkflowCondition(guard, event("contoso/agentfed", "contoso/agentfed", "Dependabot[bot]")),
            false,
            "without case, as GitHub compares",
        );
        // A person who pushes to Dependabot's branch starts a run with their own token: the preview runs.
        assert.equal(await evaluateWorkflowCondition(guard, event("contoso/agentfed", "contoso/agentfed", "alice")), true, "a person's push");
        assert.equal(
            await evaluateWorkflowCondition(guard, event("mallory/agentfed", "contoso/agentfed", "alice")),
            false,
            "a fork stays out whoever the actor",
        );
        // Only Dependabot is singled out: any other actor (a person, github-actions[bot]) passes on this repository's branches.
        assert.equal(await evaluateWorkflowCondition(guard, event("contoso/agentfed", "contoso/agentfed", "github-actions[bot]")), true);
        // The job's test sibling has no guard and no token to mint: it is what runs on Dependabot's pull requests.
        const test = workflow().jobs.test!;
        assert.equal(test.if, undefined);
        assert.equal(test.permissions?.["id-token"], undefined);
    });
});

/** Evaluates a workflow `if:` with GitHub's own expression library (@actions/expressions), against a context. */
async function evaluateWorkflowCondition(condition: string, context: Record<string, unknown>): Promise<boolean> {
    const { Evaluator, Lexer, Parser, data } = await import("@actions/expressions");
    const { truthy } = await import("@actions/expressions/result");
    const lexed = new Lexer(condition.replace(/^\$\{\{\s*|\s*\}\}$/g, "")).lex();
    const expression = new Parser(lexed.tokens, Object.keys(context), []).parse();
    const revived = JSON.parse(JSON.stringify(context), data.reviver) as InstanceType<typeof data.Dictionary>;
    return truthy(new Evaluator(expression, revived).evaluate());
}
