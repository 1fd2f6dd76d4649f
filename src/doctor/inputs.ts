import { readFileSync } from "node:fs";
import { decodeJwt, decodeProtectedHeader } from "jose";
import type { JwtClaims, TrustContract } from "../contracts";

/** Input the doctor cannot use; the CLI turns it into a clear message and a non-zero exit. */
export class DoctorInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DoctorInputError";
    }
}

/** Decodes a JWT's claims without verifying it (the doctor never sends a token anywhere). */
export function claimsFromToken(token: string): JwtClaims {
    const trimmed = token.trim();
    try {
        decodeProtectedHeader(trimmed);
        return decodeJwt(trimmed);
    } catch (err) {
        throw new DoctorInputError(`--token is not a decodable JWT (${(err as Error).message}); pass the raw token: header.payload.signature`);
    }
}

function readJson(file: string, flag: string): unknown {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (err) {
        throw new DoctorInputError(`${flag} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
        return JSON.parse(text) as unknown;
    } catch (err) {
        throw new DoctorInputError(`${flag} ${file}: not JSON (${(err as Error).message})`);
    }
}

/** Reads a claims document: a JSON object of claims. */
export function claimsFromFile(file: string): JwtClaims {
    const value = readJson(file, "--claims");
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new DoctorInputError(`--claims ${file}: expected a JSON object of claims`);
    return value as JwtClaims;
}

/**
 * Reads the contracts of a deployed stack from `pulumi stack output --json` (its `trustContracts` output). Values
 * exported as secrets arrive as "[secret]" unless `--show-secrets` was used; contracts are never secret.
 */
export function contractsFromStackOutputs(file: string): TrustContract[] {
    const value = readJson(file, "--outputs") as Record<string, unknown> | null;
    const contracts = value && typeof value === "object" ? value.trustContracts : undefined;
    if (!Array.isArray(contracts)) {
        throw new DoctorInputError(`--outputs ${file}: no trustContracts array; produce the file with: pulumi stack output --json -s <stack> > ${file}`);
    }
    for (const [i, c] of contracts.entries()) {
        if (!c || typeof c !== "object" || typeof (c as { kind?: unknown }).kind !== "string") {
            throw new DoctorInputError(`--outputs ${file}: trustContracts[${i}] has no kind`);
        }
    }
    return contracts as TrustContract[];
}
