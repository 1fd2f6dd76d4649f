import { decodeJwt, decodeProtectedHeader } from "jose";
import { readJsonInput } from "../cli-io";
import type { JwtClaims, TokenForm, TrustContract } from "../contracts";
import { readStackOutputsFile, StackOutputsError } from "../outputs-file";

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

function readJson(file: string, flag: string): unknown {
    const input = readJsonInput(file);
    if ("problem" in input) throw new DoctorInputError(`${flag} ${file}: ${input.problem}`);
    return input.value;
}

/** Reads a claims document: a JSON object of claims. */
export function claimsFromFile(file: string): JwtClaims {
    const value = readJson(file, "--claims");
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new DoctorInputError(`--claims ${file}: expected a JSON object of claims`);
    return value as JwtClaims;
}

/**
 * Reads the contracts of a deployed stack from `pulumi stack output --json` (its `trustContracts` output), through
 * the reader the audit shares (`src/outputs-file.ts`): every field the evaluators read is checked first. Values
 * exported as secrets arrive as "[secret]" unless `--show-secrets` was used; contracts are never secret.
 */
export function contractsFromStackOutputs(file: string): TrustContract[] {
    try {
        return [...readStackOutputsFile(file, "--outputs").contracts];
    } catch (err) {
        if (err instanceof StackOutputsError) throw new DoctorInputError(err.message);
        throw err;
    }
}

/** ISO 8601 date and time with an explicit zone: `2026-01-31T12:00:00Z`, `2026-01-31T13:00:00.5+01:00`. */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses `--at` strictly. `Date.parse` accepts "1", "2026" and "2026-02-30T00:00:00Z" (as 2 March); a wrong
 * instant here silently changes every lifetime verdict, so only a full ISO 8601 date-time with a zone is accepted,
 * and its fields must name a real calendar instant. Returns milliseconds since the epoch.
 */
export function parseInstant(value: string, flag = "--at"): number {
    const fix = `use ISO 8601 with a zone, e.g. 2026-01-31T12:00:00Z`;
    const m = INSTANT.exec(value);
    if (!m) throw new DoctorInputError(`${flag} ${JSON.stringify(value)}: not an ISO 8601 date-time with a zone; ${fix}`);
    const [, y, mo, d, h, mi, s = "0", zone] = m;
    const fields = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)] as const;
    const asUtc = new Date(Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]));
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
    return ms;
}
