import { AWS_AUDIENCE_MODES, AwsRoleAudienceKind, AwsRoleContract } from "../../contracts";
import { describe, fieldProblems, matching, nonEmptyString, object, oneOf, stringRecord } from "../../json-checks";
import type { CloudContractKind } from "../cloud";

const AWS_ARN_PARTITION = "arn:aws(?:-[a-z]+)*";
const OIDC_PROVIDER_ARN = new RegExp(`^${AWS_ARN_PARTITION}:iam::\\d{12}:oidc-provider/[^\\s*?]+$`);
const ROLE_ARN = new RegExp(`^${AWS_ARN_PARTITION}:iam::\\d{12}:role/[\\w+=,.@/-]+$`);

/** An IAM role trusting one web-identity subject (the agents', and the CI bootstrap's GitHub Actions roles). */
export const AWS_CONTRACT: CloudContractKind<AwsRoleContract> = {
    kind: "aws-role",
    problems(c, path) {
        const problems = fieldProblems(c, path, {
            name: nonEmptyString,
            mode: oneOf([...AWS_AUDIENCE_MODES, "github-actions"] satisfies AwsRoleAudienceKind[]),
            accountId: matching(/^\d{12}$/, "a 12-digit account id"),
            providerUrl: matching(/^https:\/\/\S+$/, "an https:// URL"),
            providerArn: matching(OIDC_PROVIDER_ARN, "an IAM OIDC provider ARN"),
            roleArn: matching(ROLE_ARN, "an IAM role ARN"),
            audience: nonEmptyString,
            subject: nonEmptyString,
            conditionKeys: object,
            trustPolicy: object,
        });
        if (object(c.conditionKeys) === undefined) {
            problems.push(...fieldProblems(c.conditionKeys as Record<string, unknown>, `${path}.conditionKeys`, { aud: nonEmptyString, sub: nonEmptyString }));
        }
        // Further pins (the CI bootstrap's repository_id): condition key -> value, audited like aud and sub.
        const claimPins = c.claimPins === undefined ? undefined : stringRecord(c.claimPins);
        if (claimPins !== undefined) problems.push(`${path}.claimPins ${claimPins}`);
        if (object(c.trustPolicy) === undefined) {
            const statements = (c.trustPolicy as Record<string, unknown>).Statement;
            if (!Array.isArray(statements) || statements.length === 0 || statements.some((st) => object(st) !== undefined)) {
                problems.push(`${path}.trustPolicy.Statement must be a non-empty array of statement objects, got ${describe(statements)}`);
            }
        }
        return problems;
    },
    evaluate: (contract, claims, now) => verifier().evaluateAwsRole(contract, claims, now),
    name: (contract) => `${contract.roleArn} (${contract.mode} audience)`,
    pinnedSubject: (contract) => contract.subject,
};

/** The verifier (a real policy evaluator), loaded when a token is checked rather than whenever the cloud registry is read. */
function verifier(): typeof import("../../verifiers/aws-sts") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("../../verifiers/aws-sts") as typeof import("../../verifiers/aws-sts");
}
