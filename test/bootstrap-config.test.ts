import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BootstrapConfig, parseBootstrapConfig } from "../bootstrap/config";
import { ConfigError } from "../src/config";
import { AgentFedMocks } from "../src/plan/mocks";
import { runPlan } from "../src/plan/run-plan";
import { PROJECT_DIR, readStackConfig } from "../src/plan/stack-files";

const BOOTSTRAP_DIR = path.join(PROJECT_DIR, "bootstrap");
const NS = "agentfed-bootstrap";

/** The committed Pulumi.github.yaml, with keys replaced (undefined removes one), parsed as Pulumi hands it over. */
function parse(patch: Record<string, unknown> = {}, projectDir = BOOTSTRAP_DIR): BootstrapConfig {
    const raw = readStackConfig("github", BOOTSTRAP_DIR);
    for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) delete raw[`${NS}:${key}`];
        else raw[`${NS}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return parseBootstrapConfig({ get: (k) => raw[`${NS}:${k}`], allKeys: () => Object.keys(raw) }, NS, projectDir);
}

function issues(patch: Record<string, unknown>, projectDir?: string): string[] {
    try {
        parse(patch, projectDir);
        return [];
    } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err.issues.map((i) => `${i.key}: ${i.problem} | ${i.fix}`);
    }
}

const github = () => JSON.parse(readStackConfig("github", BOOTSTRAP_DIR)[`${NS}:github`]!) as Record<string, unknown>;
/**
 * A scratch main project beside a `bootstrap/` folder: the committed Pulumi.yaml, and dev's and prod's stack files with
 * `edit` applied to their text. Returns the bootstrap folder to parse against.
 */
function mainProjectWith(edit: Partial<Record<"dev" | "prod", (text: string) => string>>): string {
    const dir = mkdtempSync(path.join(tmpdir(), "bootstrap-main-"));
    const boot = path.join(dir, "bootstrap");
    mkdirSync(boot);
    writeFileSync(path.join(dir, "Pulumi.yaml"), readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml")));
    for (const stack of ["dev", "prod"] as const) {
        const text = readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");
        writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), edit[stack]?.(text) ?? text);
    }
    return boot;
}

const environments = () => JSON.parse(readStackConfig("github", BOOTSTRAP_DIR)[`${NS}:environments`]!) as Record<string, unknown>[];

describe("bootstrap configuration", () => {
    it("reads the committed stack file, and what each environment may touch from its main stack's own file", () => {
        const c = parse();
        assert.deepEqual(
            c.environments.map((e) => [e.name, e.access, e.target.name, e.deployBranch ?? null]),
            [
                ["preview-dev", "preview", "dev", null],
                ["preview-prod", "preview", "prod", null],
                ["audit-dev", "preview", "dev", "main"],
                ["audit-prod", "preview", "prod", "main"],
                ["dev", "deploy", "dev", "main"],
                ["prod", "deploy", "prod", "main"],
            ],
        );
        assert.deepEqual(c.environments.find((e) => e.name === "preview-prod")!.reviewers, { users: [300000003], teams: [400000004] });
        const prod = c.environments.find((e) => e.name === "prod")!;
        assert.deepEqual(prod.reviewers, { users: [300000003], teams: [400000004] });
        assert.equal(prod.target.resourceGroup.name, "rg-agentfed-prod");
        assert.deepEqual(prod.target.aws?.roleNames, ["agentfed-weather-agent-bedrock"]);
        assert.equal(prod.target.aws?.providerUrl, "https://sts.windows.net/11111111-1111-1111-1111-111111111111/");
        assert.deepEqual(prod.target.gcp?.grantedRoles, ["roles/aiplatform.user"]);
        assert.deepEqual(c.environments.find((e) => e.name === "dev")!.target.entra.ownedApplicationObjectIds, ["77777777-7777-7777-7777-777777777777"]);
        assert.deepEqual(c.warnings, []);
    });

    it("refuses a CI project that is also a stack's project: that stack's deploy identity would administer every CI identity", () => {
        const gcp = JSON.parse(readStackConfig("github", BOOTSTRAP_DIR)[`${NS}:gcp`]!) as Record<string, unknown>;
        const found = issues({ gcp: { ...gcp, projectId: "contoso-agents-prod" } });
        assert.ok(
            found.some((i) =>
                /^agentfed-bootstrap:environments\[\d\]\.stack: names stack prod, whose GCP project contoso-agents-prod is the CI project .*administer the CI pool and every CI service account/.test(
                    i,
                ),
            ),
            found.join("\n"),
        );
    });

    it("protects the deploy branch with one required approval and no bypass actor unless configured; each bypass actor is a warning", () => {
        assert.deepEqual(parse().branchProtection, { branch: "main", requiredApprovals: 1, bypassActors: [] });
        const found = issues({
            branchProtection: {
                requiredApprovals: 0,
                bypassActors: [
                    { actorType: "Team" },
                    { actorType: "OrganizationAdmin", actorId: "1" },
                    { actorType: "Everyone", actorId: "1" },
                    { actorType: "User", actorId: 300000003 },
                    { actorType: "Team", actorId: "400000004", bypassMode: "sometimes" },
                    { actorType: "Team", actorId: "400000004" },
                ],
            },
        });
        for (const expected of [
            /branchProtection\.requiredApprovals: must be a whole number from 1 to 10 \(got 0\)/,
            /branchProtection\.bypassActors\[0\]\.actorId: is not set, but a Team is named by its id/,
            /branchProtection\.bypassActors\[1\]\.actorId: is set, but OrganizationAdmin has no id/,
            /branchProtection\.bypassActors\[2\]\.actorType: must be one of RepositoryRole, Team, Integration, OrganizationAdmin, DeployKey, User \(got "Everyone"\)/,
            /branchProtection\.bypassActors\[3\]\.actorId: is a YAML number/,
            /branchProtection\.bypassActors\[4\]\.bypassMode: must be one of always, pullRequest, exempt/,
            /branchProtection\.bypassActors\[5\]: repeats Team 400000004/,
        ])
            assert.ok(
                found.some((i) => expected.test(i)),
                `${String(expected)} not in:\n${found.join("\n")}`,
            );
        const bypassed = parse({ branchProtection: { bypassActors: [{ actorType: "Team", actorId: "400000004" }] } });
        assert.deepEqual(bypassed.branchProtection.bypassActors, [{ actorType: "Team", actorId: 400000004, bypassMode: "pullRequest" }]);
        assert.deepEqual(bypassed.warnings, [
            `${NS}:branchProtection.bypassActors[0] lets Team 400000004 bypass the ruleset on main (pullRequest): it can put unreviewed code on the branch every deploy environment trusts.`,
        ]);
    });

    it("refuses tenant-wide Graph writes (Agent ID Blueprint writes, app role assignments) for deploy environments of two stacks in one tenant, unless acknowledged by name", () => {
        // A main project whose dev stack writes FICs on an Agent ID Blueprint too, like prod.
        const boot = mainProjectWith({
            dev: (dev) => {
                assert.match(dev, /kind: application\n/);
                return dev.replace("kind: application\n", "kind: agentIdentityBlueprint\n");
            },
        });
        const azure = JSON.parse(readStackConfig("github", BOOTSTRAP_DIR)[`${NS}:azure`]!) as Record<string, unknown>;
        const found = issues({}, boot);
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(
            found[0]!,
            /^agentfed-bootstrap:azure\.acknowledgeTenantWideGraphWrites: does not name dev, prod: environments of different stacks in one tenant would hold tenant-wide Graph writes \(dev \(stack dev: AgentIdentityBlueprint\.Create, AgentIdentityBlueprint\.AddRemoveCreds\.All, AgentIdentityBlueprint\.DeleteRestore\.All\); prod \(stack prod: .*AppRoleAssignment\.ReadWrite\.All.*\)\).*\| put the stacks in different tenants, or acknowledge it: agentfed-bootstrap:azure\.acknowledgeTenantWideGraphWrites: \[dev, prod\]$/,
        );
        assert.match(issues({ azure: { ...azure, acknowledgeTenantWideGraphWrites: ["prod"] } }, boot).join("\n"), /does not name dev:/);
        const acknowledged = parse({ azure: { ...azure, acknowledgeTenantWideGraphWrites: ["dev", "prod"] } }, boot);
        assert.match(acknowledged.warnings.join("\n"), /acknowledges tenant-wide Graph writes held by environments of different stacks in one tenant/);
        // In the committed configuration only prod's deploy holds them: nothing to acknowledge, and a stale entry is refused.
        assert.deepEqual(issues({}), []);
        assert.deepEqual(issues({ azure: { ...azure, acknowledgeTenantWideGraphWrites: ["preview-prod"] } }), [
            `${NS}:azure.acknowledgeTenantWideGraphWrites[0]: names preview-prod, which holds no tenant-wide Graph write permission | remove it`,
        ]);
    });

    it("refuses unknown keys at the top of the namespace and inside each section, naming the closest known one", () => {
        const found = issues({ Github: github(), github: { ...github(), repositoryID: "1" }, enviroments: [] });
        for (const expected of [
            `${NS}:Github: is not a known setting | did you mean ${NS}:github? Rename the key`,
            `${NS}:enviroments: is not a known setting | did you mean ${NS}:environments? Rename the key`,
            `${NS}:github.repositoryID: is not a known setting | did you mean ${NS}:github.repositoryId? Rename the key`,
        ])
            assert.ok(found.includes(expected), `${expected}\nnot in:\n${found.join("\n")}`);
    });

    it("refuses a key in a near-miss of its namespace (the same rule as the main project's), and leaves provider namespaces alone", () => {
        const raw = readStackConfig("github", BOOTSTRAP_DIR);
        raw["agentfed-bootstrp:protect"] = "false";
        raw["azure-native:location"] = "westeurope";
        try {
            parseBootstrapConfig({ get: (k) => raw[`${NS}:${k}`], allKeys: () => Object.keys(raw) }, NS, BOOTSTRAP_DIR);
            assert.fail("expected a ConfigError");
        } catch (err) {
            assert.ok(err instanceof ConfigError, String(err));
            assert.deepEqual(
                err.issues.map((i) => `${i.key}: ${i.problem} | ${i.fix}`),
                [
                    `agentfed-bootstrp:protect: is in namespace agentfed-bootstrp, which nothing reads | did you mean ${NS}:protect? The project's settings are in the ${NS}: namespace`,
                ],
            );
        }
    });

    it("wants numeric ids as quoted digits, and says how to read them", () => {
        const found = issues({ github: { ...github(), ownerId: 100000001, repositoryId: "contoso/agentfed" } });
        assert.match(
            found.find((i) => i.startsWith(`${NS}:github.ownerId`))!,
            /is a YAML number \(100000001\).*\| gh api repos\/<owner>\/<repo> --jq \.owner\.id; quote it/,
        );
        assert.match(
            found.find((i) => i.startsWith(`${NS}:github.repositoryId`))!,
            /is not a numeric GitHub id \(got "contoso\/agentfed"/,
        );
        const reviewers = issues({ environments: environments().map((e) => (e.name === "prod" ? { ...e, reviewers: { users: ["octocat"] } } : e)) });
        assert.match(reviewers.join("\n"), /environments\[5\]\.reviewers\.users\[0\]: is not a numeric GitHub id/);
    });

    it("refuses a value of the wrong type instead of replacing it with the default", () => {
        const found = issues({
            github: { ...github(), subjectFormat: true, deployBranch: 5 },
            pulumi: { organization: "contoso", tokenType: 1, maxExpirationSeconds: [7200] },
        });
        assert.deepEqual(found, [
            `${NS}:github.subjectFormat: must be one of name, immutable (got true) | use immutable when the repository uses GitHub's immutable subject claims (created, renamed or transferred on or after 2026-07-15, or opted in), else name`,
            `${NS}:github.deployBranch: is not a string (got 5) | quote the value in Pulumi.<stack>.yaml`,
            `${NS}:pulumi.tokenType: must be one of team, organization (got 1) | team (Enterprise editions) keeps each environment to its own stack`,
            `${NS}:pulumi.maxExpirationSeconds: must be a whole number from 300 to 90000 (got [7200]) | set ${NS}:pulumi.maxExpirationSeconds to a whole number from 300 to 90000`,
        ]);
        const gcp = JSON.parse(readStackConfig("github", BOOTSTRAP_DIR)[`${NS}:gcp`]!) as Record<string, unknown>;
        assert.deepEqual(issues({ gcp: { ...gcp, poolId: 12345 } }), [
            `${NS}:gcp.poolId: is not a string (got 12345) | quote the value in Pulumi.<stack>.yaml`,
        ]);
        assert.deepEqual(issues({ pulumi: { organization: "contoso", maxExpirationSeconds: 299 } }), [
            `${NS}:pulumi.maxExpirationSeconds: must be a whole number from 300 to 90000 (got 299) | set ${NS}:pulumi.maxExpirationSeconds to a whole number from 300 to 90000`,
        ]);
    });

    it("reports every problem at once, each at its own key", () => {
        const found = issues({
            github: { ...github(), owner: "-contoso", subjectFormat: "ids" },
            environments: [
                { name: "pre.view", access: "preview", stack: "dev" },
                { name: "Prod", access: "deploy", stack: "prod" },
                { name: "prod", access: "admin", stack: "prod" },
                { name: "qa", access: "preview", stack: "qa", reviewers: { users: ["1"] } },
            ],
            azure: { tenantId: "not-a-guid", subscriptionId: "22222222-0000-4000-8000-000000000001" },
            pulumi: { organization: "contoso", tokenType: "personal" },
        });
        for (const key of [
            "github.owner",
            "github.subjectFormat",
            "environments[0].name",
            "environments[2].name",
            "environments[2].access",
            "environments[3].stack",
            "environments[1].reviewers",
            "azure.tenantId",
            "pulumi.tokenType",
        ])
            assert.ok(
                found.some((i) => i.startsWith(`${NS}:${key}:`)),
                `${key} missing from:\n${found.join("\n")}`,
            );
        assert.match(
            found.find((i) => i.startsWith(`${NS}:environments[0].name`))!,
            /wildcards in Pulumi Cloud policies/,
        );
        assert.match(
            found.find((i) => i.startsWith(`${NS}:environments[2].name`))!,
            /repeats environments\[1\]/,
        );
    });

    it("grants on the resource group of a stack that creates its own by id, with a warning that it must exist first", () => {
        const boot = mainProjectWith({ prod: (text) => text.replace("create: false", "create: true") });
        const c = parse({}, boot);
        assert.deepEqual(
            c.environments.map((e) => [e.name, e.target.resourceGroup.create]),
            [
                ["preview-dev", false],
                ["preview-prod", true],
                ["audit-dev", false],
                ["audit-prod", true],
                ["dev", false],
                ["prod", true],
            ],
        );
        // One warning per stack, not per environment naming it.
        assert.deepEqual(
            c.warnings.filter((w) => w.includes("creates its own resource group")),
            [
                `${NS}:environments[1].stack names main stack prod, which creates its own resource group rg-agentfed-prod: the bootstrap grants on it by id without managing it, so it must exist before pulumi up -C bootstrap (a first pulumi up -s prod by a person). New installations set agentfed:resourceGroup.create to false and let the bootstrap create the group.`,
            ],
        );
    });

    it("names a main stack whose configuration is wrong, with that project's own key, problem and fix", () => {
        const boot = mainProjectWith({ prod: (text) => text.replace(/^ {2}agentfed:agentIdentity:\n(?: {4}.*\n)+/m, "") });
        const found = issues({}, boot).find((i) => i.includes("names main stack prod")) ?? "";
        assert.match(found, /environments\[\d\]\.stack: names main stack prod, whose configuration cannot be used: agentfed:agentIdentity is not set/);
        assert.match(found, /\(fix: set agentfed:agentIdentity to \{ objectId, clientId \}/);
    });

    it("keeps one bootstrap to one tenant and one AWS account, and wants a cloud section for every cloud a stack uses", () => {
        const found = issues({
            azure: { tenantId: "99999999-9999-9999-9999-999999999999", subscriptionId: "22222222-0000-4000-8000-000000000001" },
            aws: { accountId: "210987654321", region: "us-east-1" },
            gcp: undefined,
        });
        assert.ok(found.some((i) => /environments\[0\]\.stack: names stack dev, whose tenant 1111.* is not 9999/.test(i)));
        assert.ok(found.some((i) => /environments\[1\]\.stack: names stack prod, which deploys to AWS account 123456789012, not 210987654321/.test(i)));
        assert.ok(found.some((i) => i.startsWith(`${NS}:gcp: is not set, but stack prod deploys to GCP`)));
    });

    it("refuses an unguarded environment of a prod-like stack, preview or deploy, unless it runs from the deploy branch only or says why", () => {
        const without = (name: string, patch: Record<string, unknown> = {}) =>
            environments().map((e) => (e.name === name ? { ...e, reviewers: undefined, ...patch } : e));
        const preview = issues({ environments: without("preview-prod") });
        assert.deepEqual(preview, [
            `${NS}:environments[1].reviewers: is not set, but stack prod protects its identities and this preview environment reads every secret and the whole state of it: anyone who can push a branch could name the environment in a workflow, and a pull request's preview runs the pull request's own code | set reviewers (gh api users/<login> --jq .id), or deployBranchOnly: true for a job that runs from main only, or noReviewersReason: "<why>"`,
        ]);
        assert.match(
            issues({ environments: without("prod") }).join("\n"),
            /environments\[5\]\.reviewers: is not set, but stack prod protects its identities and this deploy environment changes it/,
        );
        // The audit's environment runs from main only: reviewed code, no reviewer needed.
        assert.deepEqual(issues({ environments: without("audit-prod", { deployBranchOnly: true }) }), []);
        assert.match(issues({ environments: without("audit-prod", { deployBranchOnly: false }) }).join("\n"), /environments\[3\]\.reviewers: is not set/);
        // Not prod-like: nothing to guard.
        assert.deepEqual(issues({ environments: without("preview-dev") }), []);
        // An opt-out says why, and is shown as a warning; a reason that says nothing, or one where none is needed, is refused.
        const reason = "single-maintainer sandbox tenant; nothing in it is production";
        const optedOut = parse({ environments: without("preview-prod", { noReviewersReason: reason }) });
        assert.deepEqual(optedOut.warnings, [
            `${NS}:environments[1] reads every secret and the whole state of prod-like stack prod with no required reviewers (noReviewersReason: ${JSON.stringify(reason)}): anyone who can push a branch can run a job in it.`,
        ]);
        assert.match(
            issues({ environments: without("preview-prod", { noReviewersReason: "because" }) }).join("\n"),
            /noReviewersReason: is too short to say why/,
        );
        assert.match(
            issues({ environments: environments().map((e) => (e.name === "prod" ? { ...e, noReviewersReason: reason } : e)) }).join("\n"),
            /environments\[5\]\.noReviewersReason: is set, but reviewers are set too/,
        );
        assert.match(
            issues({ environments: without("preview-dev", { noReviewersReason: reason }) }).join("\n"),
            /environments\[0\]\.noReviewersReason: is set, but stack dev does not protect its identities/,
        );
        assert.match(
            issues({ environments: without("audit-prod", { noReviewersReason: reason }) }).join("\n"),
            /environments\[3\]\.noReviewersReason: is set on an environment limited to main, which needs no reviewers/,
        );
        assert.match(
            issues({ environments: environments().map((e) => (e.name === "dev" ? { ...e, deployBranchOnly: true } : e)) }).join("\n"),
            /environments\[4\]\.deployBranchOnly: is set on a deploy environment/,
        );
    });

    it("warns when Pulumi tokens cannot tell environments apart", () => {
        const c = parse({ pulumi: { organization: "contoso", tokenType: "organization" } });
        assert.match(c.warnings.join("\n"), /tokenType is organization: .* a preview token can write any stack/);
    });
});

describe("bootstrap configuration: what pulumi up would otherwise meet late, or never (issue 24, item 9)", () => {
    it("refuses two environment names that give the same identities (prod_x and prod-x, Prod-X)", () => {
        for (const [first, second] of [
            ["prod_x", "prod-x"],
            ["prod-x", "Prod_X"],
        ]) {
            const committed = environments();
            const envs = [...committed, { name: first, access: "preview", stack: "prod" }, { name: second, access: "preview", stack: "prod" }];
            const found = issues({ environments: envs });
            const [a, b] = [committed.length, committed.length + 1];
            assert.ok(
                found.some((i) =>
                    i.startsWith(`${NS}:environments[${b}].name: repeats environments[${a}] (${second}): both would get the identities named prod-x`),
                ),
                found.join("\n"),
            );
        }
    });

    it("refuses, naming the environment, a GitHub subject longer than GCP's 127-byte google.subject, and registers nothing", async () => {
        const repository = "a".repeat(95);
        const found = issues({ github: { ...github(), repository } });
        // preview-prod and prod name the prod stack, which deploys to GCP: repo:contoso/<95>:environment:preview-prod is 133 bytes.
        assert.ok(
            found.some((i) =>
                /^agentfed-bootstrap:environments\[1\]\.name: gives the GitHub subject "repo:contoso\/a{95}:environment:preview-prod" is 133 bytes, longer than the 127 bytes GCP allows/.test(
                    i,
                ),
            ),
            found.join("\n"),
        );
        // audit-prod's (...:environment:audit-prod) is 131 bytes and refused too; prod's own (...:environment:prod) is 125
        // bytes and passes; the dev stack does not deploy to GCP.
        assert.deepEqual(
            found.filter((i) => i.includes("gives the GitHub subject")).map((i) => i.split(":")[1]),
            ["environments[1].name", "environments[3].name"],
        );
        let mocks: AgentFedMocks | undefined;
        await assert.rejects(
            runPlan({ project: "bootstrap", stack: "github", config: { github: { ...github(), repository } }, onMocks: (m) => (mocks = m) }),
            /environments\[1\]\.name gives the GitHub subject/,
        );
        assert.deepEqual(
            mocks!.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack"),
            [],
        );
    });

    it("refuses reviewer ids the GitHub provider's numbers cannot carry exactly (past 2^53 - 1)", () => {
        const envs = environments().map((e) => (e.name === "prod" ? { ...e, reviewers: { users: ["9007199254740993"], teams: ["9007199254740991"] } } : e));
        const prod = envs.findIndex((e) => e.name === "prod");
        const found = issues({ environments: envs });
        assert.deepEqual(
            found.filter((i) => i.includes("reviewers")),
            [
                `${NS}:environments[${prod}].reviewers.users[0]: is 9007199254740993, beyond 9007199254740991, the largest id the GitHub provider's numeric reviewer ids carry exactly (it would become 9007199254740992) | check the id: gh api users/<login> --jq .id (or orgs/<owner>/teams/<slug> --jq .id)`,
            ],
        );
    });

    it("warns when aws.pinRepositoryId is false with name subjects, and stays quiet with immutable ones (whose sub carries the id)", () => {
        const aws = JSON.parse(readStackConfig("github", BOOTSTRAP_DIR)[`${NS}:aws`]!) as Record<string, unknown>;
        const named = parse({ aws: { ...aws, pinRepositoryId: false } });
        assert.match(
            named.warnings.join("\n"),
            /aws\.pinRepositoryId is false: the AWS roles pin only aud and sub .* a repository re-created under the same name can assume them/,
        );
        const immutable = parse({ aws: { ...aws, pinRepositoryId: false }, github: { ...github(), subjectFormat: "immutable" } });
        assert.deepEqual(
            immutable.warnings.filter((w) => w.includes("pinRepositoryId")),
            [],
        );
    });

    it("refuses a deploy branch that is a ref, a name git cannot create, or a pattern", () => {
        for (const [branch, problem] of [
            ["refs/heads/main", /is a ref, not a branch name .*write main/],
            ["main.lock", /is not a branch name git can create/],
            ["release/.hidden", /is not a branch name git can create/],
            ["release/", /is not a branch name/],
            ["main@{1}", /is not a branch name/],
            ["-main", /is not a branch name git can create/],
            ["release/*", /is a pattern/],
        ] as const) {
            const found = issues({ github: { ...github(), deployBranch: branch } });
            assert.equal(found.length, 1, `${branch}: ${found.join("\n")}`);
            assert.match(found[0]!, new RegExp(`^${NS}:github\\.deployBranch: ${problem.source}`), branch);
        }
        for (const branch of ["main", "release/2026.10", "hotfix_1"]) assert.deepEqual(issues({ github: { ...github(), deployBranch: branch } }), [], branch);
    });

    it("names the key, not a --stack flag nobody passed, for a stack that is not a stack name", () => {
        for (const stack of ["..", ".", "../prod", "dev/prod"]) {
            const envs = environments().map((e, i) => (i === 0 ? { ...e, stack } : e));
            const found = issues({ environments: envs }).filter((i) => i.includes("environments[0].stack"));
            assert.deepEqual(found, [
                `${NS}:environments[0].stack: is not a stack name (got ${JSON.stringify(stack)}) | name a stack of the main project, e.g. dev`,
            ]);
        }
    });
});
