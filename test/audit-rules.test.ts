/**
 * The audit's rules, defined once in src/audit/{entra,gcp,aws}.ts, tested without any I/O: what counts as the same
 * FIC, provider, grant or role, what is loosened, and which severity each difference gets. The AWS rules are
 * cross-checked with a real IAM policy evaluator (@cloud-copilot/iam-simulate, through the doctor's verifier):
 * every trust policy the rules call loosened by a pin admits a token the declared policy refuses.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
    AwsRoleContract,
    awsRoleContract,
    EntraFicContract,
    GcpProviderContract,
    GITHUB_AWS_AUDIENCE,
    githubActionsWorkloadSubject,
    TrustPolicy,
} from "../src/contracts";
import { evaluateAwsRole } from "../src/verifiers/aws-sts";
import { admitsProvider, awsProviders, diffAwsProvider, globMatches, LiveRole, statementLoosenings, statementsOf } from "../src/audit/aws";
import { AuditInputError, diffEntraTarget, entraTargets, EntraTarget, ficDifferences, LiveFic } from "../src/audit/entra";
import { AuditReport, exitCodeOf, Finding, renderMarkdown, renderText, sortFindings } from "../src/audit/findings";
import { declaredUamis, diffUami } from "../src/audit/uami";
import { conditionWeakness, diffGcpPool, diffServiceAccount, effectiveAudiences, gcpPools, gcpServiceAccounts, LiveProvider } from "../src/audit/gcp";
import { ACCOUNT_ID, CLASSIC_OBJECT_ID, deployedContracts, deployedOutputs, FINANCE_OID, INTERMEDIARY_URI, uamiResourceId } from "./fixtures/deployed";
import { BLUEPRINT_OBJECT_ID, OTHER_OID, TENANT, UAMI_OID } from "./helpers";

const contracts = deployedContracts();
const NOW = Date.parse("2026-01-31T12:00:00Z");

describe("audit rules: Entra FICs", () => {
    const [blueprint, classic] = entraTargets(contracts);
    const live = (target: EntraTarget): LiveFic[] =>
        target.declared.map((d, i) => ({
            id: `id-${i}`,
            name: d.name,
            issuer: d.issuer,
            subject: d.subject,
            audiences: [...d.audiences],
            claimsMatchingExpression: null,
        }));
    const declared = blueprint!.declared[0] as EntraFicContract;

    it("groups FICs by the application they target: the shared Blueprint holds two, the classic app one", () => {
        assert.deepEqual(
            entraTargets(contracts).map((t) => [t.kind, t.objectId, t.declared.length]),
            [
                ["agentIdentityBlueprint", BLUEPRINT_OBJECT_ID, 2],
                ["application", CLASSIC_OBJECT_ID, 1],
            ],
        );
    });

    it("refuses contracts that disagree about an application's kind", () => {
        const bad = { ...declared, name: "other", target: { ...declared.target, kind: "application" as const } };
        assert.throws(() => entraTargets([declared, bad]), AuditInputError);
    });

    it("the declared state is clean", () => {
        assert.deepEqual(
            diffEntraTarget(blueprint!, { fics: live(blueprint!), application: { appId: blueprint!.appId, passwordCredentials: [], keyCredentials: [] } }, NOW),
            [],
        );
        assert.deepEqual(diffEntraTarget(classic!, { fics: live(classic!) }, NOW), []);
    });

    it("a FIC is the same FIC by name, without case; any issuer, subject, audience or flexible-expression change is tampering", () => {
        const base = live(blueprint!)[0]!;
        assert.deepEqual(ficDifferences(declared, { ...base, name: base.name.toUpperCase() }), []);
        assert.match(ficDifferences(declared, { ...base, subject: OTHER_OID }).join(), /subject is "8888/);
        assert.match(ficDifferences(declared, { ...base, issuer: "https://token.actions.githubusercontent.com" }).join(), /issuer is/);
        assert.match(ficDifferences(declared, { ...base, audiences: ["api://AzureADTokenExchange", "api://other"] }).join(), /audiences are/);
        assert.match(
            ficDifferences(declared, {
                ...base,
                subject: null,
                claimsMatchingExpression: { value: "claims['sub'] matches 'repo:contoso/*'", languageVersion: 1 },
            }).join(),
            /matches claims expression .* instead of one subject/,
        );
        const findings = diffEntraTarget(blueprint!, { fics: [{ ...base, name: base.name.toUpperCase() }, live(blueprint!)[1]!] }, NOW);
        assert.deepEqual(findings, [], "a name differing only in case is the declared FIC");
    });

    it("an undeclared FIC is an error naming it; a tampered one an error; a missing declared one an error too", () => {
        const fics = live(blueprint!);
        const backdoor: LiveFic = {
            id: "bd",
            name: "debug",
            issuer: "https://token.actions.githubusercontent.com",
            subject: "repo:evil/x:ref:refs/heads/main",
            audiences: ["api://AzureADTokenExchange"],
            claimsMatchingExpression: null,
        };
        const findings = diffEntraTarget(blueprint!, { fics: [backdoor, { ...fics[0]!, subject: OTHER_OID }] }, NOW);
        assert.deepEqual(
            findings.map((f) => [f.severity, f.resource.split("/").pop()]),
            [
                ["error", "debug"],
                ["error", declared.name],
                ["error", blueprint!.declared[1]!.name],
            ],
        );
        assert.match(findings[0]!.message, /undeclared FIC "debug".*repo:evil\/x.*DELETE .*\/federatedIdentityCredentials\/bd/);
        assert.match(findings[2]!.message, /is missing.*AADSTS70021/);
    });

    it("secrets and sign-in certificates on the application are errors; expired ones and token-encryption keys are not", () => {
        const application = {
            appId: blueprint!.appId,
            passwordCredentials: [
                { keyId: "live-secret", displayName: "debug", endDateTime: "2027-01-01T00:00:00Z" },
                { keyId: "old-secret", displayName: "old", endDateTime: "2025-01-01T00:00:00Z" },
            ],
            keyCredentials: [
                { keyId: "cert", displayName: "CN=debug", type: "AsymmetricX509Cert", usage: "Verify", endDateTime: null },
                { keyId: "enc", displayName: "CN=enc", type: "AsymmetricX509Cert", usage: "Encrypt", endDateTime: null },
            ],
        };
        const findings = diffEntraTarget(blueprint!, { fics: live(blueprint!), application }, NOW);
        assert.deepEqual(
            findings.map((f) => [f.severity, f.resource.split("/").slice(-2).join("/")]),
            [
                ["error", "passwordCredentials/live-secret"],
                ["warning", "passwordCredentials/old-secret"],
                ["error", "keyCredentials/cert"],
            ],
        );
    });

    it("an object that is another application is an error (the real one was not audited); a declared one not found is an error", () => {
        const other = diffEntraTarget(
            blueprint!,
            { application: { appId: "99999999-0000-4000-8000-000000000000", passwordCredentials: [], keyCredentials: [] } },
            NOW,
        );
        assert.equal(other[0]?.severity, "error");
        assert.match(other[0]?.message ?? "", /the audit read an object the agent does not sign in as/);
        const gone = diffEntraTarget(blueprint!, { application: "not-found", fics: "not-found" }, NOW);
        assert.deepEqual(
            gone.map((f) => [f.severity, f.resource.split("/").pop()]),
            [
                ["error", "microsoft.graph.agentIdentityBlueprint"],
                ["error", "federatedIdentityCredentials"],
            ],
        );
        assert.match(gone[0]!.message, /was not found \(404\), though the stack declares it.*check AGENTFED_GRAPH_ENDPOINT/s);
    });

    it("a 404 on the application hides nothing its FIC list returned: the backdoor there is still reported, and vice versa", () => {
        const backdoor: LiveFic = {
            id: "bd",
            name: "debug",
            issuer: "https://token.actions.githubusercontent.com",
            subject: "repo:evil/x:ref:refs/heads/main",
            audiences: ["api://AzureADTokenExchange"],
            claimsMatchingExpression: null,
        };
        const findings = diffEntraTarget(blueprint!, { application: "not-found", fics: [...live(blueprint!), backdoor] }, NOW);
        assert.deepEqual(
            findings.map((f) => [f.severity, f.resource.split("/").pop()]),
            [
                ["error", "microsoft.graph.agentIdentityBlueprint"],
                ["error", "debug"],
            ],
        );
        const secret = { keyId: "k1", displayName: "debug", endDateTime: "2099-01-01T00:00:00Z" };
        const listGone = diffEntraTarget(
            blueprint!,
            { application: { appId: blueprint!.appId, passwordCredentials: [secret], keyCredentials: [] }, fics: "not-found" },
            NOW,
        );
        assert.deepEqual(
            listGone.map((f) => [f.severity, f.resource.split("/").pop()]),
            [
                ["error", "federatedIdentityCredentials"],
                ["error", "k1"],
            ],
        );
    });
});

describe("audit rules: GCP providers and grants", () => {
    const [pool] = gcpPools(contracts);
    const declared = pool!.declared[0] as GcpProviderContract;
    const liveOf = (c: GcpProviderContract): LiveProvider => ({
        name: c.name,
        state: "ACTIVE",
        disabled: false,
        attributeCondition: c.attributeCondition,
        attributeMapping: { ...c.attributeMapping },
        oidc: { issuerUri: c.issuer, allowedAudiences: [...c.allowedAudiences] },
    });
    const clean = pool!.declared.map(liveOf);
    const tidOnly = `assertion.tid == '${TENANT}'`;

    it("one pool with three providers, three service accounts with one member each", () => {
        assert.deepEqual([pool!.poolId, pool!.declared.length], ["agentfed-prod", 3]);
        assert.deepEqual(
            gcpServiceAccounts(contracts).map((a) => a.declaredMembers.length),
            [1, 1, 1],
        );
        assert.deepEqual(diffGcpPool(pool!, clean), []);
    });

    it("an empty audience list accepts the provider's own resource name (GCP's documented default)", () => {
        assert.deepEqual(
            effectiveAudiences({ name: "projects/1/locations/global/workloadIdentityPools/p/providers/x", oidc: { issuerUri: "i", allowedAudiences: [] } }),
            [
                "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/x",
                "https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/x",
            ],
        );
    });

    it("names what makes a condition admit more than one identity", () => {
        assert.match(conditionWeakness("")!, /empty/);
        assert.match(conditionWeakness(tidOnly)!, /compares no subject.*tid-only/);
        assert.match(conditionWeakness(`${declared.attributeCondition} || assertion.sub == 'x'`)!, /\|\| branch/);
        assert.equal(conditionWeakness(declared.attributeCondition), undefined);
    });

    const cases: [string, Partial<LiveProvider>, "error" | "warning", RegExp][] = [
        ["a tid-only condition", { attributeCondition: tidOnly }, "error", /attributeCondition is .*compares no subject/],
        [
            "another issuer",
            { oidc: { issuerUri: "https://token.actions.githubusercontent.com", allowedAudiences: declared.allowedAudiences } },
            "error",
            /issuerUri/,
        ],
        [
            "an extra audience",
            { oidc: { issuerUri: declared.issuer, allowedAudiences: [...declared.allowedAudiences, "api://weather"] } },
            "error",
            /also accepts audiences \["api:\/\/weather"\]/,
        ],
        ["an emptied audience list", { oidc: { issuerUri: declared.issuer, allowedAudiences: [] } }, "error", /the list is empty/],
        [
            "uploaded JWKS",
            { oidc: { issuerUri: declared.issuer, allowedAudiences: declared.allowedAudiences, jwksJson: '{"keys":[]}' } },
            "error",
            /jwksJson is set/,
        ],
        [
            "a remapped google.subject",
            { attributeMapping: { "google.subject": "assertion.tid", "attribute.tid": "assertion.tid" } },
            "error",
            /attributeMapping is/,
        ],
        ["an AWS provider in its place", { oidc: undefined, otherProtocol: "aws" }, "error", /it is a non-OIDC provider \(aws\)/],
        [
            "one audience fewer",
            { oidc: { issuerUri: declared.issuer, allowedAudiences: [declared.allowedAudiences[0]!] } },
            "warning",
            /no longer accepts audiences/,
        ],
        ["disabled", { disabled: true }, "warning", /it is disabled/],
        ["soft-deleted", { state: "DELETED", expireTime: "2026-02-28T00:00:00Z" }, "warning", /soft-deleted \(purged at 2026-02-28.*undelete entra-uami/],
    ];
    for (const [name, change, severity, message] of cases) {
        it(`a declared provider with ${name}: ${severity}`, () => {
            const findings = diffGcpPool(pool!, [{ ...clean[0]!, ...change }, ...clean.slice(1)]);
            assert.equal(findings.length, 1);
            assert.equal(findings[0]!.severity, severity);
            assert.equal(findings[0]!.resource, declared.name);
            assert.match(findings[0]!.message, message);
        });
    }

    it("a provider declared with an empty audience list (the CI bootstrap's GitHub provider) is clean as deployed; a listed audience is an error", () => {
        const github: GcpProviderContract = { ...declared, allowedAudiences: [] };
        const [githubPool] = gcpPools([github]);
        const deployed: LiveProvider = { ...clean[0]!, oidc: { issuerUri: declared.issuer, allowedAudiences: [] } };
        assert.deepEqual(diffGcpPool(githubPool!, [deployed]), []);
        // Listing the provider's own name explicitly accepts the same audiences: no difference either.
        const explicit: LiveProvider = { ...deployed, oidc: { issuerUri: declared.issuer, allowedAudiences: [`//iam.googleapis.com/${declared.name}`] } };
        assert.deepEqual(
            diffGcpPool(githubPool!, [explicit]).map((f) => f.severity),
            ["warning"],
            "one of the two default forms dropped: tokens asking for it are refused",
        );
        const widened: LiveProvider = { ...deployed, oidc: { issuerUri: declared.issuer, allowedAudiences: ["api://weather"] } };
        assert.match(
            diffGcpPool(githubPool!, [widened])
                .map((f) => `${f.severity} ${f.message}`)
                .join("\n"),
            /^error provider "entra-uami" differs from its declaration: it also accepts audiences \["api:\/\/weather"\]/,
        );
    });

    it("an undeclared provider: active is an error, disabled a warning, soft-deleted nothing; a missing declared one an error", () => {
        const rogue = (over: Partial<LiveProvider>): LiveProvider => ({
            ...clean[0]!,
            name: `${pool!.declared[0]!.name.replace(/entra-uami$/, "debug")}`,
            attributeCondition: tidOnly,
            ...over,
        });
        const findings = diffGcpPool(pool!, [rogue({}), { ...rogue({ disabled: true }), name: rogue({}).name.replace("debug", "old") }, clean[0]!, clean[1]!]);
        assert.deepEqual(
            findings.map((f) => [f.severity, f.resource.split("/").pop()]),
            [
                ["error", "debug"],
                ["warning", "old"],
                ["error", "agent-research"],
            ],
        );
        assert.match(findings[0]!.message, /undeclared provider "debug".*compares no subject.*providers delete debug/);
        assert.deepEqual(diffGcpPool(pool!, [...clean, rogue({ state: "DELETED" })]), [], "a soft-deleted undeclared provider trusts nothing");
        assert.deepEqual(
            diffGcpPool(pool!, "not-found").map((f) => f.severity),
            ["error"],
        );
    });

    it("grants: only the declared principal in roles/iam.workloadIdentityUser; principalSet and any other member are errors", () => {
        const [account] = gcpServiceAccounts(contracts);
        const member = account!.declaredMembers[0]!;
        const wiu = "roles/iam.workloadIdentityUser";
        assert.deepEqual(diffServiceAccount(account!, [{ role: wiu, members: [member] }]), []);
        const poolSet = `principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/agentfed-prod/*`;
        const findings = diffServiceAccount(account!, [
            { role: wiu, members: [member, poolSet] },
            { role: "roles/iam.serviceAccountTokenCreator", members: ["user:mallory@contoso.example"] },
            { role: "roles/iam.serviceAccountUser", members: ["deleted:serviceAccount:mallory@other.iam.gserviceaccount.com?uid=1"] },
        ]);
        assert.deepEqual(
            findings.map((f) => f.severity),
            ["error", "error", "error"],
        );
        // A deleted principal gets the role back when undeleted (IAM Policy reference, Binding.members).
        assert.match(findings[2]!.message, /a deleted principal: if it is undeleted .* it gets the role back/);
        assert.match(findings[0]!.message, /principalSet admits every identity/);
        assert.match(findings[1]!.message, /serviceAccountTokenCreator is granted to user:mallory/);
        assert.ok(findings.every((f) => f.resource === `projects/-/serviceAccounts/${account!.email}`));
    });

    it("the declared grant only under a condition, or not at all, is an error (the declared object is missing; the agent is denied)", () => {
        const [account] = gcpServiceAccounts(contracts);
        const member = account!.declaredMembers[0]!;
        const conditional = diffServiceAccount(account!, [
            {
                role: "roles/iam.workloadIdentityUser",
                members: [member],
                condition: { title: "until", expression: "request.time < timestamp('2026-01-01T00:00:00Z')" },
            },
        ]);
        assert.deepEqual(
            conditional.map((f) => f.severity),
            ["error"],
        );
        assert.match(conditional[0]!.message, /getAccessToken denied/);
        assert.deepEqual(
            diffServiceAccount(account!, []).map((f) => f.severity),
            ["error"],
        );
        assert.deepEqual(
            diffServiceAccount(account!, "not-found").map((f) => f.severity),
            ["error"],
        );
    });
});

describe("audit rules: AWS trust policies", () => {
    const [provider] = awsProviders(contracts);
    const role = provider!.roles[0] as AwsRoleContract;
    const keys = provider!.conditionKeys;
    const statement = (over: Record<string, unknown> = {}) => ({ ...(role.trustPolicy.Statement[0] as object), ...over });
    const policy = (...statements: object[]) => ({ Version: "2012-10-17", Statement: statements }) as unknown as TrustPolicy;
    const pins = (aud: unknown, sub: unknown, op = "StringEquals") => ({ [op]: { [keys.aud]: aud, [keys.sub]: sub } });
    const AT = Date.parse("2026-01-31T12:00:00Z") / 1000;
    /** Does AWS (as modelled by the real evaluator) let this token assume a role with this trust policy? */
    const admits = (trustPolicy: TrustPolicy, aud: string, sub: string) =>
        evaluateAwsRole({ ...role, trustPolicy, audience: aud }, { iss: provider!.providerUrl, aud, sub, exp: AT + 600 }, AT).accepted;
    const probes: [string, string][] = [
        [role.audience, `${role.subject}0`],
        [role.audience, OTHER_OID],
        [`${role.audience}-other`, role.subject],
        ["api://weather", role.subject],
    ];

    it("the declared policy admits the declared token and no probe", () => {
        assert.equal(admits(role.trustPolicy, role.audience, role.subject), true);
        for (const [aud, sub] of probes) assert.equal(admits(role.trustPolicy, aud, sub), false, `${aud} ${sub}`);
        const [st] = statementsOf(role.trustPolicy) as ReturnType<typeof statementsOf> & object[];
        assert.deepEqual(statementLoosenings(st!, provider!, role), []);
    });

    const loosened: [string, object, RegExp, boolean][] = [
        [
            "StringLike on sub",
            statement({ Condition: { StringEquals: { [keys.aud]: role.audience }, StringLike: { [keys.sub]: `${role.subject}*` } } }),
            /:sub is matched with StringLike/,
            true,
        ],
        [
            "a wildcard sub",
            statement({ Condition: { StringEquals: { [keys.aud]: role.audience }, StringLike: { [keys.sub]: "*" } } }),
            /StringLike \["\*"\]/,
            true,
        ],
        ["no sub pin", statement({ Condition: { StringEquals: { [keys.aud]: role.audience } } }), /:sub is not pinned at all/, true],
        ["no aud pin", statement({ Condition: { StringEquals: { [keys.sub]: role.subject } } }), /:aud is not pinned at all/, true],
        ["no condition at all", statement({ Condition: undefined }), /:aud is not pinned at all; .*:sub is not pinned at all/, true],
        ["an extra sub value", statement({ Condition: pins(role.audience, [role.subject, OTHER_OID]) }), /:sub pin also accepts \["8888/, true],
        ["another sub", statement({ Condition: pins(role.audience, OTHER_OID) }), /:sub is pinned to \["8888.*\] instead of/, true],
        ["StringEqualsIfExists", statement({ Condition: pins(role.audience, role.subject, "StringEqualsIfExists") }), /StringEqualsIfExists/, false],
        [
            "ForAnyValue:StringLike on aud",
            statement({ Condition: { "ForAnyValue:StringLike": { [keys.aud]: "api://*" }, StringEquals: { [keys.sub]: role.subject } } }),
            /:aud is matched with ForAnyValue:StringLike/,
            true,
        ],
        ["an extra action", statement({ Action: ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"] }), /Action also allows \["sts:TagSession"\]/, false],
        ["an action wildcard", statement({ Action: "sts:*" }), /Action also allows \["sts:\*"\]/, false],
        ["Principal *", statement({ Principal: "*" }), /Principal is "\*"/, false],
        [
            "a wildcard provider",
            statement({ Principal: { Federated: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/*` } }),
            /Principal also names Federated arn:aws:iam::\d+:oidc-provider\/\*/,
            false,
        ],
    ];
    for (const [name, st, message, observable] of loosened) {
        it(`${name}: loosened${observable ? ", and the evaluator admits a probe token the declared policy refuses" : ""}`, () => {
            const [normalized] = statementsOf(policy(st)) as Exclude<ReturnType<typeof statementsOf>, string>;
            assert.equal(admitsProvider(normalized!, provider!.providerArn), true);
            assert.match(statementLoosenings(normalized!, provider!, role).join("; "), message);
            if (observable)
                assert.ok(
                    probes.some(([aud, sub]) => admits(policy(st), aud, sub)),
                    "the evaluator finds the looser policy admits a probe",
                );
        });
    }

    it("condition keys match without case (as IAM compares them), and narrowing conditions are not loosening", () => {
        const upper = statement({
            Condition: {
                StringEquals: { [keys.aud.toUpperCase()]: role.audience, [keys.sub.toUpperCase()]: role.subject },
                "ForAnyValue:StringEquals": { amr: ["mfa"] },
            },
        });
        const [st] = statementsOf(policy(upper)) as Exclude<ReturnType<typeof statementsOf>, string>;
        assert.deepEqual(statementLoosenings(st!, provider!, role), []);
    });

    it("which statements admit the provider: its ARN, a matching wildcard, *, NotAction; not another provider, not sts:AssumeRole, not Deny", () => {
        const admitted = (st: object) =>
            admitsProvider((statementsOf(policy(st)) as Exclude<ReturnType<typeof statementsOf>, string>)[0]!, provider!.providerArn);
        assert.equal(admitted(statement()), true);
        assert.equal(admitted(statement({ Principal: { Federated: [`arn:aws:iam::${ACCOUNT_ID}:oidc-provider/sts.windows.net/*`] } })), true);
        assert.equal(admitted(statement({ Principal: { AWS: "*" } })), true);
        assert.equal(admitted(statement({ Action: undefined, NotAction: "iam:*" })), true);
        assert.equal(admitted(statement({ Action: "sts:AssumeRole*" })), true);
        assert.equal(admitted(statement({ Principal: { Federated: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com` } })), false);
        assert.equal(admitted(statement({ Action: "sts:AssumeRole" })), false);
        assert.equal(admitted(statement({ Effect: "Deny" })), false);
        assert.equal(globMatches("sts:assumerolewith*", "sts:AssumeRoleWithWebIdentity", true), true);
    });

    const live = (name: string, trustPolicy: unknown): LiveRole => ({
        arn: `arn:aws:iam::${ACCOUNT_ID}:role/${name}`,
        name,
        trustPolicy,
        policyText: JSON.stringify(trustPolicy),
    });
    const declaredRoles = () => provider!.roles.map((r) => live(r.name, r.trustPolicy));
    const cleanProvider = { url: provider!.providerUrl.replace("https://", ""), clientIds: [INTERMEDIARY_URI] };

    it("the declared account is clean; unrelated roles are ignored", () => {
        const unrelated = live("lambda", {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
        assert.deepEqual(diffAwsProvider(provider!, cleanProvider, [...declaredRoles(), unrelated]), []);
    });

    it("a second role on the provider is an error naming it and what it pins", () => {
        const second = live("debug-role", policy(statement({ Condition: pins(INTERMEDIARY_URI, FINANCE_OID.replace("aaaa", "bbbb")) })));
        const findings = diffAwsProvider(provider!, cleanProvider, [...declaredRoles(), second]);
        assert.deepEqual(
            findings.map((f) => [f.severity, f.resource]),
            [["error", `arn:aws:iam::${ACCOUNT_ID}:role/debug-role`]],
        );
        assert.match(findings[0]!.message, /undeclared role debug-role trusts the provider \(sub StringEquals \["3333bbbb/);
    });

    it("an extra statement in a declared role is an error; a role that no longer admits the provider a warning; a missing one an error", () => {
        const root = { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` }, Action: "sts:AssumeRole" };
        const roles = declaredRoles();
        const findings = diffAwsProvider(provider!, cleanProvider, [
            { ...roles[0]!, trustPolicy: policy(statement(), root) },
            { ...roles[1]!, trustPolicy: policy(root) },
        ]);
        assert.deepEqual(
            findings.map((f) => [f.severity, f.resource.split("/").pop()]),
            [
                ["error", role.name],
                ["error", provider!.roles[1]!.name],
                ["warning", provider!.roles[1]!.name],
                ["error", provider!.roles[2]!.name],
            ],
        );
        assert.match(findings[0]!.message, /an extra Allow statement trusts AWS arn:aws:iam::\d+:root to sts:AssumeRole/);
    });

    it("the provider's client ids: an extra one is an error, a missing one a warning; no provider is an error", () => {
        const extra = diffAwsProvider(provider!, { ...cleanProvider, clientIds: [INTERMEDIARY_URI, "fb60f99c-7a34-4190-8149-302f77469936"] }, declaredRoles());
        assert.deepEqual(
            extra.map((f) => [f.severity, f.resource]),
            [["error", provider!.providerArn]],
        );
        assert.deepEqual(
            diffAwsProvider(provider!, { ...cleanProvider, clientIds: [] }, declaredRoles()).map((f) => f.severity),
            ["warning"],
        );
        assert.deepEqual(
            diffAwsProvider(provider!, "not-found", declaredRoles()).map((f) => f.severity),
            ["error"],
        );
    });

    it("a trust policy that cannot be parsed is an error when it names the provider, ignored otherwise", () => {
        const broken = (name: string, text: string): LiveRole => ({
            arn: `arn:aws:iam::${ACCOUNT_ID}:role/${name}`,
            name,
            parseError: "not JSON",
            policyText: text,
        });
        const findings = diffAwsProvider(provider!, cleanProvider, [
            ...declaredRoles(),
            broken("a", `{"Federated":"${provider!.providerUrl.replace("https://", "")}"`),
            broken("b", "{"),
        ]);
        assert.deepEqual(
            findings.map((f) => f.resource.split("/").pop()),
            ["a"],
        );
    });

    it("UAMI_OID is the primary role's pinned subject (fixture sanity)", () => assert.equal(role.subject, UAMI_OID));

    it("a declared claim pin (the CI bootstrap's repository_id) dropped or loosened is an error, as the evaluator confirms", () => {
        const repo = { owner: "contoso", name: "agentfed", ownerId: "100000001", repositoryId: "200000002" };
        const github = awsRoleContract(
            { accountId: ACCOUNT_ID, roleName: "github-prod", mode: "github-actions", claimPins: { repository_id: repo.repositoryId } },
            githubActionsWorkloadSubject(repo, "prod", GITHUB_AWS_AUDIENCE),
        );
        const [ghProvider] = awsProviders([github]);
        const key = "token.actions.githubusercontent.com:repository_id";
        assert.deepEqual(Object.keys(github.claimPins ?? {}), [key]);
        const tokenOf = (repositoryId: string) => ({
            iss: github.providerUrl,
            aud: github.audience,
            sub: github.subject,
            repository_id: repositoryId,
            exp: AT + 600,
        });
        const statementOf = (trust: TrustPolicy) => (statementsOf(trust) as Exclude<ReturnType<typeof statementsOf>, string>)[0]!;
        // As declared: tight, and a re-created repository of the same name (another id) is refused.
        assert.deepEqual(statementLoosenings(statementOf(github.trustPolicy), ghProvider!, github), []);
        assert.equal(evaluateAwsRole(github, tokenOf("999999"), AT).accepted, false);
        const [declared] = github.trustPolicy.Statement;
        const equals = { ...declared!.Condition.StringEquals };
        delete equals[key];
        const cases: [string, object, RegExp][] = [
            ["dropped", { StringEquals: equals }, /repository_id is not pinned at all/],
            ["StringLike", { StringEquals: equals, StringLike: { [key]: "*" } }, /repository_id is matched with StringLike/],
            ["another value", { StringEquals: { ...equals, [key]: "999999" } }, /repository_id is pinned to \["999999"\]/],
        ];
        for (const [name, condition, message] of cases) {
            const trustPolicy = { Version: "2012-10-17", Statement: [{ ...declared, Condition: condition }] } as unknown as TrustPolicy;
            assert.match(statementLoosenings(statementOf(trustPolicy), ghProvider!, github).join("; "), message, name);
            if (name !== "another value")
                assert.equal(
                    evaluateAwsRole({ ...github, trustPolicy }, tokenOf("999999"), AT).accepted,
                    true,
                    `${name}: the evaluator admits another repository`,
                );
        }
    });
});

describe("audit rules: the agents' UAMIs", () => {
    it("finds the primary agent's and every class's UAMI in the outputs, and says which it cannot audit", () => {
        const { uamis, problems } = declaredUamis(deployedOutputs());
        assert.deepEqual(
            uamis.map((u) => [u.owner, u.resourceId.split("/").pop(), u.oid]),
            [
                ["the primary agent", "mi-weather-agent", UAMI_OID],
                ["agent class finance", "mi-finance-agent", FINANCE_OID],
                ["agent class research", "mi-research-agent", "3333aaaa-0000-4000-8000-000000000002"],
            ],
        );
        assert.deepEqual(problems, []);
        const broken = declaredUamis({ ...deployedOutputs(), uamiResourceId: "../../x", agentClasses: { finance: { uamiResourceId: null } } });
        assert.deepEqual(broken.uamis, []);
        assert.match(broken.problems.join("\n"), /outputs\.uamiResourceId is "\.\.\/\.\.\/x".*\n.*outputs\.agentClasses\.finance\.uamiResourceId is null/);
    });

    it("agent classes it cannot read are problems, never skipped in silence (a secret output, an array, a null entry)", () => {
        const secret = declaredUamis({ ...deployedOutputs(), agentClasses: "[secret]" });
        assert.deepEqual(
            secret.uamis.map((u) => u.owner),
            ["the primary agent"],
        );
        assert.match(secret.problems.join("\n"), /outputs\.agentClasses is "\[secret\]".*--show-secrets.*no agent class's UAMI was audited/);
        assert.match(declaredUamis({ ...deployedOutputs(), agentClasses: [] }).problems.join("\n"), /outputs\.agentClasses is \[\]/);
        const entry = declaredUamis({ ...deployedOutputs(), agentClasses: { finance: null, research: "[secret]" } });
        assert.match(entry.problems.join("\n"), /agentClasses\.finance is null.*\n.*agentClasses\.research is "\[secret\]".*--show-secrets/);
    });

    it("outputs with no UAMI at all (the CI bootstrap's) declare none, and say nothing is missing", () => {
        assert.deepEqual(declaredUamis({ trustContracts: [], githubEnvironments: {} }), { uamis: [], problems: [] });
    });

    it("any FIC on a UAMI is an error; a new object id a warning; a UAMI not found an error that hides no FIC; the declared state is clean", () => {
        const [uami] = declaredUamis(deployedOutputs()).uamis;
        assert.deepEqual(diffUami(uami!, { identity: { principalId: UAMI_OID }, fics: [] }), []);
        const fic = { name: "x", issuer: "https://i.example", subject: "s", audiences: ["api://AzureADTokenExchange"] };
        assert.deepEqual(
            diffUami(uami!, { identity: { principalId: UAMI_OID }, fics: [fic] }).map((f) => [f.severity, f.resource]),
            [["error", `${uamiResourceId("weather")}/federatedIdentityCredentials/x`]],
        );
        assert.deepEqual(
            diffUami(uami!, { identity: { principalId: OTHER_OID }, fics: [] }).map((f) => f.severity),
            ["warning"],
        );
        assert.deepEqual(
            diffUami(uami!, { identity: "not-found", fics: "not-found" }).map((f) => f.severity),
            ["error", "error"],
        );
        assert.deepEqual(
            diffUami(uami!, { identity: "not-found", fics: [fic] }).map((f) => [f.severity, f.resource.split("/").pop()]),
            [
                ["error", "mi-weather-agent"],
                ["error", "x"],
            ],
        );
    });
});

describe("audit rules: reports", () => {
    const f = (severity: Finding["severity"], cloud: Finding["cloud"], resource: string): Finding => ({ severity, cloud, resource, message: `m ${resource}` });

    it("sorts errors first, then entra, gcp, aws, then by resource: the same state prints the same report", () => {
        const shuffled = [f("warning", "entra", "b"), f("error", "aws", "a"), f("error", "entra", "z"), f("error", "gcp", "a"), f("error", "entra", "a")];
        assert.deepEqual(
            sortFindings(shuffled).map((x) => `${x.severity}:${x.cloud}:${x.resource}`),
            ["error:entra:a", "error:entra:z", "error:gcp:a", "error:aws:a", "warning:entra:b"],
        );
        assert.deepEqual(sortFindings(shuffled), sortFindings([...shuffled].reverse()));
    });

    it("exit codes: 0 clean, 1 on an error finding (even when part was not read), 2 when part was not read, warnings fail only with --fail-on warning", () => {
        const err = { cloud: "gcp" as const, resource: "r", message: "m" };
        const cases: [AuditReport, "error" | "warning", number][] = [
            [{ findings: [], errors: [] }, "error", 0],
            [{ findings: [f("warning", "gcp", "x")], errors: [] }, "error", 0],
            [{ findings: [f("warning", "gcp", "x")], errors: [] }, "warning", 1],
            [{ findings: [f("error", "gcp", "x")], errors: [] }, "error", 1],
            [{ findings: [], errors: [err] }, "error", 2],
            [{ findings: [f("warning", "gcp", "x")], errors: [err] }, "warning", 2],
            [{ findings: [f("error", "gcp", "x")], errors: [err] }, "error", 1],
        ];
        for (const [report, failOn, code] of cases) assert.equal(exitCodeOf(report, failOn), code, JSON.stringify([report, failOn]));
    });

    it("renders a text table and a Markdown table that survives pipes and newlines in messages", () => {
        const report = { findings: [{ severity: "error" as const, cloud: "aws" as const, resource: "arn|x", message: "a | b\nc" }], errors: [] };
        assert.match(
            renderText(report, ["title"]),
            /^title\n\nSEVERITY {2}CLOUD {2}RESOURCE\nerror {5}aws {4}arn\|x\n {17}a \| b\n {17}c\n\nSummary: 1 error, 0 warnings\.\n$/,
        );
        assert.match(renderMarkdown(report, "t"), /\| error \| aws \| `arn\\\|x` \| a \\\| b<br>c \|/);
    });
});
