/**
 * The one reader of `pulumi stack output --json`, shared by `npm run doctor -- --outputs` and `npm run audit`.
 *
 * The file is untrusted input: hand-edited, truncated, produced by an older version of this stack, or not the right
 * document at all. Everything either tool dereferences is checked here, with a message naming the file and the JSON
 * path, so no consumer ever meets a `TypeError` on a missing field.
 */
import { JsonInput, parseJsonInput, readJsonInput } from "./cli-io";
import { AWS_AUDIENCE_MODES, AwsRoleAudienceKind, BlueprintKind, guidProblem, PULUMI_TOKEN_TYPES, TrustContract } from "./contracts";

/** Input the tools cannot use. Their CLIs print the message (no stack trace) and exit 2. */
export class StackOutputsError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackOutputsError";
    }
}

/** A parsed and checked `pulumi stack output --json` document. */
export interface StackOutputsDocument {
    /** Where the document came from, for messages: `--outputs prod.json`, `pulumi stack output --stack prod`. */
    readonly source: string;
    /** Every output, as Pulumi printed it (secret outputs read "[secret]" without `--show-secrets`). */
    readonly outputs: Readonly<Record<string, unknown>>;
    /** The `trustContracts` output: at least one contract, each of a known kind with every field a tool reads. */
    readonly contracts: readonly TrustContract[];
}

const HOW_TO_PRODUCE = "produce it with: pulumi stack output --json --stack <stack> > outputs.json";
const BLUEPRINT_KINDS: readonly BlueprintKind[] = ["agentIdentityBlueprint", "application"];
/** GCP pool and provider ids: 4-32 lowercase letters, digits and hyphens (IAM's own rule). */
const GCP_ID = /^[a-z0-9-]{4,32}$/;
const SERVICE_ACCOUNT_EMAIL = /^[a-z0-9][a-z0-9.-]*@[a-z0-9][a-z0-9.-]*$/;
const AWS_ARN_PARTITION = "arn:aws(?:-[a-z]+)*";
const OIDC_PROVIDER_ARN = new RegExp(`^${AWS_ARN_PARTITION}:iam::\\d{12}:oidc-provider/[^\\s*?]+$`);
const ROLE_ARN = new RegExp(`^${AWS_ARN_PARTITION}:iam::\\d{12}:role/[\\w+=,.@/-]+$`);

/** Reads and checks an outputs file; `flag` names the option that gave it, for messages. */
export function readStackOutputsFile(file: string, flag = "--outputs"): StackOutputsDocument {
    return checkStackOutputs(readJsonInput(file), `${flag} ${file}`);
}

/** Parses and checks the text of `pulumi stack output --json`. */
export function parseStackOutputs(text: string, source: string): StackOutputsDocument {
    return checkStackOutputs(parseJsonInput(text), source);
}

function checkStackOutputs(input: JsonInput, source: string): StackOutputsDocument {
    if ("problem" in input) throw new StackOutputsError(`${source}: ${input.problem}; ${HOW_TO_PRODUCE}`);
    const value = input.value;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new StackOutputsError(`${source}: expected a JSON object of stack outputs, got ${describe(value)}; ${HOW_TO_PRODUCE}`);
    }
    const outputs = value as Record<string, unknown>;
    if (Array.isArray(outputs.resources) && outputs.placeholders !== undefined) {
        throw new StackOutputsError(
            `${source}: this is the offline plan (npm run plan -- --json), whose cloud-assigned ids are placeholders; ` +
                `use the deployed stack's outputs instead: pulumi stack output --json --stack <stack>`,
        );
    }
    const raw = outputs.trustContracts;
    if (raw === "[secret]") {
        throw new StackOutputsError(`${source}: trustContracts is "[secret]"; contracts are not secret, but if yours are, rerun with --show-secrets`);
    }
    if (raw === undefined) {
        throw new StackOutputsError(`${source}: has no trustContracts output; is this an agentfed stack, deployed by this version? ${HOW_TO_PRODUCE}`);
    }
    if (!Array.isArray(raw)) throw new StackOutputsError(`${source}: trustContracts must be an array of contracts, got ${describe(raw)}`);
    if (raw.length === 0) {
        throw new StackOutputsError(`${source}: trustContracts is empty: the stack declares no trust contract (was it deployed with pulumi up?)`);
    }
    const problems = raw.flatMap((c, i) => contractProblems(c, `trustContracts[${i}]`));
    if (problems.length > 0) {
        const shown = problems.slice(0, 25);
        const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : "";
        throw new StackOutputsError(`${source}: malformed trust contracts:\n  ${shown.join("\n  ")}${more}`);
    }
    return { source, outputs, contracts: raw as TrustContract[] };
}

function describe(value: unknown): string {
    if (value === undefined) return "nothing (it is missing)";
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

type Check = (value: unknown) => string | undefined;

const nonEmptyString: Check = (v) => (typeof v === "string" && v.length > 0 ? undefined : `must be a non-empty string, got ${describe(v)}`);
const stringArray: Check = (v) => (Array.isArray(v) && v.every((x) => typeof x === "string") ? undefined : `must be an array of strings, got ${describe(v)}`);
const matching =
    (pattern: RegExp, what: string): Check =>
    (v) =>
        typeof v === "string" && pattern.test(v) ? undefined : `must be ${what}, got ${typeof v === "string" ? JSON.stringify(v) : describe(v)}`;
const oneOf =
    (allowed: readonly string[]): Check =>
    (v) =>
        typeof v === "string" && allowed.includes(v) ? undefined : `must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`;
const stringRecord: Check = (v) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string")
        ? undefined
        : `must be an object of strings, got ${describe(v)}`;
const object: Check = (v) => (v !== null && typeof v === "object" && !Array.isArray(v) ? undefined : `must be an object, got ${describe(v)}`);

function fieldProblems(value: Record<string, unknown>, path: string, checks: Record<string, Check>): string[] {
    return Object.entries(checks).flatMap(([key, check]) => {
        const problem = check(value[key]);
        return problem === undefined ? [] : [`${path}.${key} ${problem}`];
    });
}

/** Every problem with one contract, each naming its JSON path. */
export function contractProblems(contract: unknown, path: string): string[] {
    if (contract === null || typeof contract !== "object" || Array.isArray(contract)) return [`${path} must be an object, got ${describe(contract)}`];
    const c = contract as Record<string, unknown>;
    switch (c.kind) {
        case "entra-fic": {
            const problems = fieldProblems(c, path, {
                name: nonEmptyString,
                target: object,
                issuer: nonEmptyString,
                subject: nonEmptyString,
                audiences: stringArray,
            });
            if (object(c.target) === undefined) {
                const target = c.target as Record<string, unknown>;
                problems.push(...fieldProblems(target, `${path}.target`, { kind: oneOf(BLUEPRINT_KINDS), appId: nonEmptyString }));
                const objectId = guidProblem(target.objectId);
                if (objectId !== undefined) problems.push(`${path}.target.objectId ${objectId}`);
            }
            return problems;
        }
        case "gcp-provider":
            return fieldProblems(c, path, {
                name: nonEmptyString,
                projectNumber: matching(/^\d+$/, "a project number (digits)"),
                poolId: matching(GCP_ID, "a pool id (4-32 lowercase letters, digits, '-')"),
                providerId: matching(GCP_ID, "a provider id (4-32 lowercase letters, digits, '-')"),
                issuer: nonEmptyString,
                allowedAudiences: stringArray,
                attributeMapping: stringRecord,
                attributeCondition: nonEmptyString,
                principal: nonEmptyString,
                serviceAccountEmail: matching(SERVICE_ACCOUNT_EMAIL, "a service account email"),
            });
        case "aws-role": {
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
                problems.push(
                    ...fieldProblems(c.conditionKeys as Record<string, unknown>, `${path}.conditionKeys`, { aud: nonEmptyString, sub: nonEmptyString }),
                );
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
        }
        case "pulumi-oidc-policy":
            // The CI bootstrap's Pulumi Cloud contracts (npm run doctor -- --project bootstrap --outputs ...).
            return fieldProblems(c, path, {
                organization: nonEmptyString,
                issuer: matching(/^https:\/\/\S+$/, "an https:// URL"),
                decision: oneOf(["allow"]),
                tokenType: oneOf(PULUMI_TOKEN_TYPES),
                subject: nonEmptyString,
                rules: stringRecord,
            });
        case undefined:
            return [`${path} has no kind`];
        default:
            return [
                `${path}.kind ${JSON.stringify(c.kind)} is not a contract kind this version knows (entra-fic, gcp-provider, aws-role, pulumi-oidc-policy); update agentfed, or check the file`,
            ];
    }
}
