import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createValidatedPolicy, validateTrustPolicy } from "@cloud-copilot/iam-policy";
import { runUnsafeSimulation } from "@cloud-copilot/iam-simulate";
import { AWS_AUDIENCE_MODE_TABLE, awsAgentSubject, awsTokenRequest } from "../src/clouds/aws/audience-modes";
import {
    agentIdentityWorkloadSubject,
    AwsAudienceMode,
    AwsRoleContract,
    awsConditionKeys,
    awsRoleContract,
    awsWebIdentitySubject,
    bedrockInvokePolicy,
    defaultIntermediaryIdentifierUri,
    EntraFicContract,
    intermediaryIdentifierUriProblem,
    uamiWorkloadSubject,
} from "../src/contracts";
import { readStackConfig } from "../src/plan/stack-files";
import { runPlan, PlanResult } from "../src/plan/run-plan";
import { evaluateAwsRole } from "../src/verifiers/aws-sts";
import { OTHER_OID, OTHER_TENANT, SEED_UAMI_TOKEN_CLAIMS, TENANT, UAMI_CLIENT_ID, UAMI_OID, UAMI_TYPE, prodConfigIssues } from "./helpers";

// The default intermediary audience: api://<tenantId>/<intermediaryAppName>, a form tenants with the identifier-URI restriction accept.
const AUDIENCE = `api://${TENANT}/agentfed-aws-prod`;
const uami = uamiWorkloadSubject(TENANT, UAMI_OID);
const role = { accountId: "123456789012", roleName: "agentfed-weather-agent-bedrock" };
const workload = awsRoleContract({ ...role, mode: "workload" }, awsWebIdentitySubject(uami, "workload", AUDIENCE));
/** The UAMI's v1 token for the intermediary app, as Rais, "Entra Agent ID Across Clouds", Part 2, describes it. */
const workloadToken = { iss: `https://sts.windows.net/${TENANT}/`, sub: UAMI_OID, oid: UAMI_OID, aud: AUDIENCE, tid: TENANT, exp: 1748736000 };
const AT = 1748736000 - 60;

describe("AWS role contract", () => {
    it("names the condition keys after the provider URL without https://, in every mode and in the policy it writes", () => {
        // AWS names a web identity provider's condition keys <provider URL without https://>:aud and :sub (IAM User
        // Guide, "Available keys for AWS web identity federation").
        // Expected values are written out here, never computed by the function under test.
        const spAid = "77777777-aaaa-bbbb-cccc-777777777777";
        const expected: Record<AwsAudienceMode, { providerUrl: string; aud: string; sub: string }> = {
            workload: { providerUrl: `https://sts.windows.net/${TENANT}/`, aud: `sts.windows.net/${TENANT}/:aud`, sub: `sts.windows.net/${TENANT}/:sub` },
            exchange: { providerUrl: `https://sts.windows.net/${TENANT}/`, aud: `sts.windows.net/${TENANT}/:aud`, sub: `sts.windows.net/${TENANT}/:sub` },
            tenant: {
                providerUrl: `https://login.microsoftonline.com/${TENANT}/v2.0`,
                aud: `login.microsoftonline.com/${TENANT}/v2.0:aud`,
                sub: `login.microsoftonline.com/${TENANT}/v2.0:sub`,
            },
        };
        for (const mode of ["workload", "exchange", "tenant"] as const) {
            const contract = awsRoleContract({ ...role, mode }, awsWebIdentitySubject(uami, mode, AUDIENCE, spAid));
            const { providerUrl, aud, sub } = expected[mode];
            assert.equal(contract.providerUrl, providerUrl, mode);
            assert.deepEqual(contract.conditionKeys, { aud, sub }, mode);
            assert.deepEqual(Object.keys(contract.trustPolicy.Statement[0]!.Condition.StringEquals).sort(), [aud, sub].sort(), mode);
        }
        assert.throws(() => awsConditionKeys(`http://sts.windows.net/${TENANT}/`), /must start with https:\/\//);
    });

    it("has exactly one statement: AssumeRoleWithWebIdentity from the provider, StringEquals on aud and sub", () => {
        const parsed = JSON.parse(JSON.stringify(workload.trustPolicy)) as { Statement: unknown[] };
        assert.deepEqual(parsed.Statement, [
            {
                Effect: "Allow",
                Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/sts.windows.net/${TENANT}/` },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { [`sts.windows.net/${TENANT}/:aud`]: AUDIENCE, [`sts.windows.net/${TENANT}/:sub`]: UAMI_OID } },
            },
        ]);
        assert.doesNotMatch(JSON.stringify(workload.trustPolicy), /StringLike|\*/);
    });

    it("allows the intended token, evaluated by a real IAM policy evaluator", () => {
        assert.deepEqual(evaluateAwsRole(workload, workloadToken, AT), { accepted: true, reasons: [] });
    });

    it("denies another sub, another aud and another issuer", () => {
        assert.match(evaluateAwsRole(workload, { ...workloadToken, sub: OTHER_OID }, AT).reasons.join("\n"), /AccessDenied.*ImplicitlyDenied/);
        assert.match(
            evaluateAwsRole(workload, { ...workloadToken, aud: "api://weather" }, AT).reasons.join("\n"),
            /InvalidIdentityToken: Incorrect token audience/,
        );
        const otherIssuer = evaluateAwsRole(workload, { ...workloadToken, iss: `https://sts.windows.net/${OTHER_TENANT}/` }, AT);
        assert.equal(otherIssuer.accepted, false);
        assert.match(otherIssuer.reasons.join("\n"), /No OpenIDConnect provider found/);
    });

    it("rejects the seed's UAMI v2 token in workload mode: wrong issuer and audience for this role (seed 000)", () => {
        const v = evaluateAwsRole(workload, SEED_UAMI_TOKEN_CLAIMS, AT);
        assert.equal(v.accepted, false);
        assert.match(v.reasons.join("\n"), /No OpenIDConnect provider found.*login\.microsoftonline\.com/);
        assert.match(v.reasons.join("\n"), /Incorrect token audience/);
    });

    it("shows why StringLike is never produced: the same evaluator lets another subject through", () => {
        const keys = workload.conditionKeys;
        const like = {
            ...workload.trustPolicy,
            Statement: [{ ...workload.trustPolicy.Statement[0]!, Condition: { StringLike: { [keys.aud]: AUDIENCE, [keys.sub]: "3333*" } } }],
        };
        const decide = (sub: string) =>
            runUnsafeSimulation(
                {
                    request: {
                        principal: workload.providerArn,
                        action: "sts:AssumeRoleWithWebIdentity",
                        resource: { resource: workload.roleArn, accountId: "123456789012" },
                        contextVariables: { [keys.aud]: AUDIENCE, [keys.sub]: sub },
                    },
                    identityPolicies: [],
                    serviceControlPolicies: [],
                    resourceControlPolicies: [],
                    resourcePolicy: createValidatedPolicy(like, validateTrustPolicy, { name: "like" }) as never,
                },
                {},
            );
        assert.equal(decide("33333333-ffff-ffff-ffff-ffffffffffff"), "Allowed");
        assert.equal(evaluateAwsRole(workload, { ...workloadToken, sub: "33333333-ffff-ffff-ffff-ffffffffffff" }, AT).accepted, false);
    });

    it("tenant mode pins the tenant-wide GUID and the v2 issuer, and accepts the seed's token", () => {
        const tenant = awsRoleContract({ ...role, mode: "tenant" }, awsWebIdentitySubject(uami, "tenant", AUDIENCE));
        assert.equal(tenant.audience, "fb60f99c-7a34-4190-8149-302f77469936");
        assert.equal(tenant.providerUrl, `https://login.microsoftonline.com/${TENANT}/v2.0`);
        assert.equal(evaluateAwsRole(tenant, SEED_UAMI_TOKEN_CLAIMS, AT).accepted, true);
        assert.equal(evaluateAwsRole(tenant, { ...SEED_UAMI_TOKEN_CLAIMS, sub: OTHER_OID }, AT).accepted, false);
    });

    it("exchange mode pins the intermediary service principal, not the UAMI", () => {
        const spOid = "77777777-aaaa-bbbb-cccc-777777777777";
        const exchange = awsRoleContract({ ...role, mode: "exchange" }, awsWebIdentitySubject(uami, "exchange", AUDIENCE, spOid));
        assert.equal(exchange.subject, spOid);
        assert.equal(evaluateAwsRole(exchange, { ...workloadToken, sub: spOid }, AT).accepted, true);
        assert.equal(evaluateAwsRole(exchange, workloadToken, AT).accepted, false);
    });

    it("grants invoke on the configured models only", () => {
        const arn = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0";
        assert.deepEqual(bedrockInvokePolicy([arn]).Statement[0]!.Resource, [arn]);
        assert.throws(() => bedrockInvokePolicy(["arn:aws:bedrock:us-east-1::foundation-model/*"]), /wildcard/);
        assert.throws(() => bedrockInvokePolicy([]), /none given/);
    });
});

describe("AWS configuration", () => {
    it("accepts the prod stack's section", () => assert.deepEqual(prodConfigIssues("aws", {}), []));
    it("refuses regions of other partitions (ARNs are built for arn:aws only)", () => {
        assert.match(prodConfigIssues("aws", { region: "us-gov-west-1" })[0]!, /^agentfed:aws\.region: is in another AWS partition/);
        assert.match(prodConfigIssues("aws", { region: "cn-north-1" })[0]!, /another AWS partition/);
        assert.match(prodConfigIssues("aws", { region: "US East" })[0]!, /is not an AWS region/);
    });
    it("requires a 12-digit account id", () =>
        assert.match(prodConfigIssues("aws", { accountId: "12345" })[0]!, /^agentfed:aws\.accountId: must be 12 digits/));
    it("refuses tenant mode without an explicit acknowledgement, naming the risk", () => {
        assert.match(
            prodConfigIssues("aws", { audienceMode: "tenant" })[0]!,
            /^agentfed:aws\.audienceMode: is tenant: .*any identity in the tenant.*acknowledgeTenantWideAudience: true/,
        );
        assert.deepEqual(prodConfigIssues("aws", { audienceMode: "tenant", acknowledgeTenantWideAudience: true }), []);
    });
    it("refuses wildcard audiences and the token-exchange audience as the intermediary's identifier", () => {
        assert.match(prodConfigIssues("aws", { identifierUri: "api://*" })[0]!, /identifierUri: is not a workload-scoped identifier URI/);
        assert.match(prodConfigIssues("aws", { identifierUri: "api://AzureADTokenExchange" })[0]!, /identifierUri/);
    });
    it("defaults the intermediary URI to api://<tenantId>/<name> and refuses forms the identifier-URI restriction refuses", () => {
        // Microsoft Entra docs, "Restrictions on identifier URIs of Microsoft Entra applications": api://<tenantId>/<string> and
        // verified-domain forms are accepted; api://<string> carries no tenant identifier.
        assert.equal(intermediaryIdentifierUriProblem(defaultIntermediaryIdentifierUri(TENANT, "agentfed-aws-prod"), TENANT), undefined);
        const [bare] = prodConfigIssues("aws", { identifierUri: "api://agentfed-aws-prod" });
        assert.match(bare!, /^agentfed:aws\.identifierUri: is api:\/\/agentfed-aws-prod, a form tenants that enforce identifier-URI restrictions refuse/);
        assert.match(bare!, /\| remove the key to use api:\/\/<tenantId>\/agentfed-aws-prod, or use https:\/\/<verified domain>\/<path>$/);
        assert.match(
            prodConfigIssues("aws", { identifierUri: `api://${OTHER_TENANT}/agentfed-aws-prod` })[0]!,
            /names the GUID .* which is not agentfed:tenantId/,
        );
        assert.match(prodConfigIssues("aws", { identifierUri: `api://${TENANT}/a/b` })[0]!, /one path segment/);
        for (const accepted of [
            `api://${TENANT}/agentfed-aws`,
            "https://contoso.com/agentfed-aws",
            "https://aws.contoso.com",
            "api://contoso.com/agentfed-aws",
        ])
            assert.deepEqual(prodConfigIssues("aws", { identifierUri: accepted }), [], accepted);
    });
    it("refuses malformed and wildcard model ARNs", () => {
        assert.match(prodConfigIssues("aws", { modelArns: ["anthropic.claude"] })[0]!, /^agentfed:aws\.modelArns\[0\]: is not a Bedrock model ARN/);
        assert.match(prodConfigIssues("aws", { modelArns: ["arn:aws:bedrock:us-east-1::foundation-model/*"] })[0]!, /wildcard/);
        assert.match(prodConfigIssues("aws", { modelArns: [] })[0]!, /at least one/);
    });
});

describe("AWS federation in the prod plan", () => {
    const pin = (oid: string) => ({ [`${UAMI_TYPE}::agent`]: { principalId: oid, clientId: UAMI_CLIENT_ID } });
    const awsContract = (plan: PlanResult) => plan.trustContracts.find((c): c is AwsRoleContract => c.kind === "aws-role")!;
    const fic = (plan: PlanResult) => plan.trustContracts.find((c): c is EntraFicContract => c.kind === "entra-fic")!;
    const of = (plan: PlanResult, type: string) => plan.resources.filter((r) => r.type === type);
    const awsWith = (extra: object) => ({ aws: { ...(JSON.parse(readStackConfig("prod")["agentfed:aws"]!) as object), ...extra } });

    it("pins, in the registered trust policy, the same oid the FIC pins, and follows it", async () => {
        for (const oid of [UAMI_OID, OTHER_OID]) {
            const plan = await runPlan({ stack: "prod", mockOverrides: pin(oid) });
            const [roleResource] = of(plan, "aws:iam/role:Role");
            const trust = JSON.parse(String(roleResource!.inputs.assumeRolePolicy)) as { Statement: { Condition: { StringEquals: Record<string, string> } }[] };
            assert.equal(trust.Statement.length, 1);
            assert.equal(trust.Statement[0]!.Condition.StringEquals[`sts.windows.net/${TENANT}/:sub`], fic(plan).subject);
            assert.equal(fic(plan).subject, oid);
            assert.deepEqual(trust, awsContract(plan).trustPolicy);
            const [oidc] = of(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
            assert.deepEqual([oidc!.inputs.url, oidc!.inputs.clientIdLists], [`https://sts.windows.net/${TENANT}/`, [AUDIENCE]]);
            const [assignment] = of(plan, "azuread:index/appRoleAssignment:AppRoleAssignment");
            assert.equal(assignment!.inputs.principalObjectId, oid, "only the UAMI may get tokens for the intermediary audience");
            assert.equal(assignment!.protect, true, "losing the assignment cuts the agent off (AADSTS501051)");
        }
    });

    it("makes the intermediary app issue v1 tokens for api://<name>, with role assignment required", async () => {
        const plan = await runPlan({ stack: "prod" });
        const [app] = of(plan, "azuread:index/application:Application");
        assert.deepEqual(
            [app!.inputs.identifierUris, (app!.inputs.api as { requestedAccessTokenVersion: number }).requestedAccessTokenVersion],
            [[AUDIENCE], 1],
        );
        assert.equal(of(plan, "azuread:index/servicePrincipal:ServicePrincipal")[0]!.inputs.appRoleAssignmentRequired, true);
    });

    it("gives the agent AWS_ROLE_ARN and the token file, and the refresher the intermediary resource", async () => {
        const plan = await runPlan({ stack: "prod" });
        const [app] = of(plan, "azure-native:app:ContainerApp");
        const containers = (app!.inputs.template as { containers: { name: string; env: { name: string; value: string }[] }[] }).containers;
        const env = (name: string) => Object.fromEntries(containers.find((c) => c.name === name)!.env.map((e) => [e.name, e.value]));
        assert.equal(env("agent")["AWS_ROLE_ARN"], plan.outputs.awsRoleArn);
        assert.equal(env("agent")["AWS_WEB_IDENTITY_TOKEN_FILE"], "/var/run/secrets/agentfed/aws-web-identity-token");
        const targets = JSON.parse(env("token-refresher")["AGENTFED_TOKEN_TARGETS"]!) as { name: string; resource: string }[];
        assert.deepEqual(
            targets.map((t) => [t.name, t.resource]),
            [
                ["gcp", "api://AzureADTokenExchange"],
                ["aws", AUDIENCE],
            ],
        );
        assert.deepEqual(plan.outputs.awsTokenRefresher, {
            mode: "workload",
            resource: AUDIENCE,
            scope: null,
            intermediaryClientId: null,
            roleArn: "arn:aws:iam::123456789012:role/agentfed-weather-agent-bedrock",
            region: "us-east-1",
            tokenFile: "/var/run/secrets/agentfed/aws-web-identity-token",
        });
    });

    it("tenant mode, acknowledged: no intermediary app, the GUID audience, and a visible warning", async () => {
        const plan = await runPlan({ stack: "prod", config: awsWith({ audienceMode: "tenant", acknowledgeTenantWideAudience: true }) });
        assert.equal(of(plan, "azuread:index/application:Application").length, 0);
        assert.equal(awsContract(plan).audience, "fb60f99c-7a34-4190-8149-302f77469936");
        assert.match(plan.warnings.join("\n"), /trusts the tenant-wide audience/);
    });

    it("exchange mode: the intermediary app trusts the UAMI by FIC, and the role pins its service principal", async () => {
        const plan = await runPlan({ stack: "prod", mockOverrides: pin(UAMI_OID), config: awsWith({ audienceMode: "exchange" }) });
        const [ficResource] = of(plan, "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential");
        assert.deepEqual([ficResource!.inputs.subject, ficResource!.inputs.audiences], [UAMI_OID, ["api://AzureADTokenExchange"]]);
        const spOid = plan.outputs.awsTokenRefresher as { intermediaryClientId: string; scope: string };
        assert.equal(spOid.scope, `${AUDIENCE}/.default`);
        assert.notEqual(awsContract(plan).subject, UAMI_OID);
        assert.match(plan.placeholders[awsContract(plan).subject] ?? "", /service principal/);
    });
});

describe("AWS audience modes: one table the components and the parser read", () => {
    const exchange = { tenantId: TENANT, intermediaryClientId: "99999999-0000-4000-8000-000000000001" };
    const agentIdentity = {
        subject: agentIdentityWorkloadSubject(TENANT, "aaaaaaaa-0000-4000-8000-000000000003", {
            identifierUri: "api://agentfed-weather-cloud",
            appId: "44444444-4444-4444-4444-444444444444",
            tokenVersion: 2,
        }),
        tokenSubject: "aaaaaaaa-0000-4000-8000-000000000005",
    };

    it("asks the managed-identity endpoint for the mode's audience, and exchanges through the intermediary app only in exchange mode", () => {
        assert.deepEqual(awsTokenRequest("workload", AUDIENCE, exchange), { resource: AUDIENCE });
        assert.deepEqual(awsTokenRequest("tenant", AUDIENCE, exchange), { resource: "api://AzureADTokenExchange" });
        assert.deepEqual(awsTokenRequest("exchange", AUDIENCE, exchange), {
            resource: AUDIENCE,
            exchange: { tenantId: TENANT, clientId: exchange.intermediaryClientId, scope: `${AUDIENCE}/.default` },
        });
    });

    it("pins each agent's own sub where the table says the subject is per agent, and the app's in exchange mode", () => {
        const sp = "77777777-aaaa-bbbb-cccc-777777777777";
        for (const mode of ["workload", "exchange", "tenant"] as const) {
            const sub = awsAgentSubject({ mode, identifierUri: AUDIENCE, uami, intermediaryServicePrincipalObjectId: sp }).subject;
            assert.equal(sub === UAMI_OID, AWS_AUDIENCE_MODE_TABLE[mode].subjectPerAgent, mode);
            assert.equal(AWS_AUDIENCE_MODE_TABLE[mode].intermediaryApp, mode !== "tenant", mode);
        }
    });

    it("takes Option 2 only where the table allows it, pinning the Agent Identity's token subject", () => {
        const sub = awsAgentSubject({ mode: "workload", identifierUri: AUDIENCE, agentIdentity });
        assert.deepEqual([sub.subject, sub.audiences, sub.issuer], [agentIdentity.tokenSubject, [AUDIENCE], `https://sts.windows.net/${TENANT}/`]);
        for (const mode of ["exchange", "tenant"] as const) {
            assert.equal(AWS_AUDIENCE_MODE_TABLE[mode].option2, false);
            assert.throws(() => awsAgentSubject({ mode, identifierUri: AUDIENCE, agentIdentity }), /Option 2 on AWS needs aws.audienceMode workload/);
        }
        assert.throws(() => awsAgentSubject({ mode: "workload", identifierUri: AUDIENCE }), /UAMI workload subject/);
    });
});
