/**
 * The one reader of `pulumi stack output --json`, shared by `npm run doctor -- --outputs` and `npm run audit`.
 *
 * The file is untrusted input: hand-edited, truncated, produced by an older version of this stack, or not the right
 * document at all. Everything either tool dereferences is checked here, with a message naming the file and the JSON
 * path, so no consumer ever meets a `TypeError` on a missing field.
 */
import { JsonInput, parseJsonInput, readJsonInput } from "./cli-io";
import { CLOUDS } from "./clouds";
import { describe, fieldProblems, matching, nonEmptyString, object, oneOf, stringArray, stringRecord } from "./json-checks";
import { BlueprintKind, guidProblem, PULUMI_TOKEN_TYPES, TrustContract } from "./contracts";

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

/** Every contract kind this version reads: Entra's, each cloud federation's, and the CI bootstrap's Pulumi Cloud policies. */
const KNOWN_KINDS = ["entra-fic", ...CLOUDS.map((cloud) => cloud.contract.kind), "pulumi-oidc-policy"];

/** Every problem with one contract, each naming its JSON path. */
export function contractProblems(contract: unknown, path: string): string[] {
    if (contract === null || typeof contract !== "object" || Array.isArray(contract)) return [`${path} must be an object, got ${describe(contract)}`];
    const c = contract as Record<string, unknown>;
    // A cloud federation's contract is checked by its cloud (src/clouds/<cloud>/contract.ts).
    const cloud = CLOUDS.find((x) => x.contract.kind === c.kind);
    if (cloud) return cloud.contract.problems(c, path);
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
                `${path}.kind ${JSON.stringify(c.kind)} is not a contract kind this version knows (${KNOWN_KINDS.join(", ")}); update agentfed, or check the file`,
            ];
    }
}
