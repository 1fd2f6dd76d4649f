import { decodeJwt, decodeProtectedHeader } from "jose";
import { MAX_SMALL_INPUT_BYTES, readJsonInput } from "../cli-io";
import type { DeclaredAgentIdentity, DeclaredBlueprint, JwtClaims, TokenForm, TrustContract } from "../contracts";
import { readStackOutputsFile, StackOutputsError } from "../outputs-file";
import { describe } from "../json-checks";

/** Input the doctor cannot use; the CLI turns it into a clear message and exit 2. */
export class DoctorInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DoctorInputError";
    }
}

/**
 * Decodes a JWT without verifying it (the doctor never sends a token anywhere): its claims, and its form (the header's alg and the signature segment), which
 * every verifier checks before the claims.
 */
export function decodeToken(token: string): { claims: JwtClaims; form: TokenForm } {
    const trimmed = token.trim();
    try {
        const header = decodeProtectedHeader(trimmed);
        return { claims: decodeJwt(trimmed), form: { alg: header.alg, signature: trimmed.split(".")[2] ?? "" } };
    } catch (err) {
        throw new DoctorInputError(`--token is not a decodable JWT (${(err as Error).message}); pass the raw token: header.payload.signature`);
    }
}

function readJson(file: string, flag: string, maxBytes?: number): unknown {
    const input = readJsonInput(file, maxBytes);
    if ("problem" in input) throw new DoctorInputError(`${flag} ${file}: ${input.problem}`);
    return input.value;
}

/** Reads a claims document: a JSON object of claims. */
export function claimsFromFile(file: string): JwtClaims {
    const value = readJson(file, "--claims", MAX_SMALL_INPUT_BYTES);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new DoctorInputError(`--claims ${file}: expected a JSON object of claims`);
    return value as JwtClaims;
}

/**
 * Reads the contracts of a deployed stack from `pulumi stack output --json` (its `trustContracts` output), through
 * the reader the audit shares (`src/outputs-file.ts`): every field the evaluators read is checked first. Values
 * exported as secrets arrive as "[secret]" unless `--show-secrets` was used; contracts are never secret.
 */
export function contractsFromStackOutputs(file: string): TrustContract[] {
    return [...stackOutputsFromFile(file).contracts];
}

/** The contracts and every output of a deployed stack (`pulumi stack output --json`), checked as for `contractsFromStackOutputs`. */
export function stackOutputsFromFile(file: string): { contracts: readonly TrustContract[]; outputs: Readonly<Record<string, unknown>> } {
    try {
        const doc = readStackOutputsFile(file, "--outputs");
        return { contracts: doc.contracts, outputs: doc.outputs };
    } catch (err) {
        if (err instanceof StackOutputsError) throw new DoctorInputError(err.message);
        throw err;
    }
}

/** ISO 8601 date and time with an explicit zone: `2026-01-31T12:00:00Z`, `2026-01-31T13:00:00.5+01:00`. */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The instants the doctor evaluates at: a token's lifetime is judged between 1970 and 2199, and nothing else is a slip. */
const EARLIEST_YEAR = 1970;
const LATEST_YEAR = 2199;

/**
 * Parses `--at` strictly. `Date.parse` accepts "1", "2026" and "2026-02-30T00:00:00Z" (as 2 March); a wrong
 * instant here silently changes every lifetime verdict, so only a full ISO 8601 date-time with a zone is accepted,
 * its fields must name a real calendar instant, and its year must be one a token can be judged in (1970 to 2199).
 * The calendar check builds the date with setUTCFullYear, which keeps years 0-99 as written (`Date.UTC` maps them
 * to 1900-1999, so 0050-06-01 looked like no such date). Returns milliseconds since the epoch.
 */
export function parseInstant(value: string, flag = "--at"): number {
    const fix = `use ISO 8601 with a zone, e.g. 2026-01-31T12:00:00Z`;
    const m = INSTANT.exec(value);
    if (!m) throw new DoctorInputError(`${flag} ${JSON.stringify(value)}: not an ISO 8601 date-time with a zone; ${fix}`);
    const [, y, mo, d, h, mi, s = "0", zone] = m;
    const fields = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)] as const;
    const asUtc = new Date(0);
    asUtc.setUTCFullYear(fields[0], fields[1] - 1, fields[2]);
    asUtc.setUTCHours(fields[3], fields[4], fields[5], 0);
    const real =
        asUtc.getUTCFullYear() === fields[0] &&
        asUtc.getUTCMonth() === fields[1] - 1 &&
        asUtc.getUTCDate() === fields[2] &&
        asUtc.getUTCHours() === fields[3] &&
        asUtc.getUTCMinutes() === fields[4] &&
        asUtc.getUTCSeconds() === fields[5];
    const zoneOk = zone === "Z" || (Number(zone!.slice(1, 3)) <= 23 && Number(zone!.slice(4, 6)) <= 59);
    const ms = Date.parse(value);
    if (!real || !zoneOk || Number.isNaN(ms)) throw new DoctorInputError(`${flag} ${JSON.stringify(value)}: no such date or time; ${fix}`);
    if (ms < Date.UTC(EARLIEST_YEAR, 0, 1) || ms >= Date.UTC(LATEST_YEAR + 1, 0, 1))
        throw new DoctorInputError(
            `${flag} ${JSON.stringify(value)}: outside the years a token is judged in (${EARLIEST_YEAR}-01-01 to ${LATEST_YEAR}-12-31, UTC); ${fix}`,
        );
    return ms;
}

/** What the doctor knows of a stack's Agent Identities and Blueprints, from its outputs (deployed or planned). */
export interface DeclaredIdentities {
    readonly agentIdentities: readonly DeclaredAgentIdentity[];
    readonly blueprints: readonly DeclaredBlueprint[];
    /**
     * Outputs the third leg would read but cannot: present, yet of the wrong type or exported as "[secret]". Said,
     * so a broken outputs file does not pass for a stack without Agent Identities.
     */
    readonly unread: readonly string[];
}

const str = (value: unknown): string | undefined => (typeof value === "string" && value !== "" && value !== "[secret]" ? value : undefined);

/** Why an output present in the file cannot be read as an id, or undefined (absent, null, or a usable string). */
function unreadable(path: string, value: unknown): string | undefined {
    if (value === undefined || value === null || str(value) !== undefined) return undefined;
    return value === "[secret]"
        ? `${path} is "[secret]": rerun pulumi stack output --json with --show-secrets (ids are no secret)`
        : `${path} is ${describe(value)}, not an id: is this file the output of pulumi stack output --json?`;
}

/**
 * The Agent Identities and Blueprints a stack's outputs declare: the primary agent's (`agentIdentityObjectId`,
 * `agentIdentityClientId`, `blueprintAppId`) and each class's under `agentClasses`. Outputs are untrusted input: an
 * entry missing a field is skipped, never dereferenced, and one present but unusable is listed in `unread`. A stack
 * deployed before these outputs declares none.
 */
export function declaredIdentities(outputs: Readonly<Record<string, unknown>>): DeclaredIdentities {
    const unread: string[] = [];
    const tenantId = str(outputs.tenantId);
    const tenantProblem = unreadable("tenantId", outputs.tenantId);
    if (tenantId === undefined) return { agentIdentities: [], blueprints: [], unread: tenantProblem ? [tenantProblem] : [] };
    const agents: { agent: string; path: string; o: Record<string, unknown> }[] = [{ agent: "the primary agent", path: "", o: outputs }];
    const classes = outputs.agentClasses;
    if (classes !== null && typeof classes === "object" && !Array.isArray(classes)) {
        for (const [name, o] of Object.entries(classes as Record<string, unknown>))
            if (o !== null && typeof o === "object" && !Array.isArray(o))
                agents.push({ agent: `agent class ${name}`, path: `agentClasses.${name}.`, o: o as Record<string, unknown> });
            else unread.push(`agentClasses.${name} is ${describe(o)}, not an object: agent class ${name} is not checked`);
    } else if (classes !== undefined && classes !== null)
        unread.push(`agentClasses is ${classes === "[secret]" ? '"[secret]"' : describe(classes)}, not an object: no agent class is checked`);
    const agentIdentities: DeclaredAgentIdentity[] = [];
    const blueprints: DeclaredBlueprint[] = [];
    for (const { agent, path, o } of agents) {
        for (const field of ["blueprintAppId", "agentIdentityObjectId", "agentIdentityClientId"]) {
            const problem = unreadable(`${path}${field}`, o[field]);
            if (problem) unread.push(problem);
        }
        const blueprintAppId = str(o.blueprintAppId);
        if (blueprintAppId === undefined) continue;
        blueprints.push({ agent, tenantId, appId: blueprintAppId });
        const objectId = str(o.agentIdentityObjectId);
        const clientId = str(o.agentIdentityClientId);
        if (objectId !== undefined && clientId !== undefined) agentIdentities.push({ agent, tenantId, blueprintAppId, objectId, clientId });
    }
    return { agentIdentities, blueprints, unread };
}
