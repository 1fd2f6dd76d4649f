/**
 * JWKS for existing keys, like `azwi jwks`: `npm run jwks -- --public-key <pem> [--public-key <pem> ...]`.
 * Each <pem> is a file path of an RSA public or private key (or inline PEM text, as --public-key=<text>). Prints the
 * key set Kubernetes would publish (use, kty, kid, alg RS256, n, e), with kid = base64url(SHA-256(DER
 * SubjectPublicKeyInfo)), one entry per key id, through the same renderer as the stack, so the output is byte for
 * byte what `KindOidcIssuer` uploads. Exit 0 on success, 2 on unusable input (naming the file and the fix).
 */
import { createPublicKey } from "node:crypto";
import { parseCliArgs, UsageError } from "../cli-args";
import { CliIo, EXIT, MAX_SMALL_INPUT_BYTES, readBoundedFile } from "../cli-io";
import { KIND_RSA_BITS } from "../config/kind";
import { jsonWebKeySet, renderOidcDocument, serviceAccountJwk } from "../contracts/oidc-issuer";

export const JWKS_USAGE = "usage: npm run jwks -- --public-key <pem file> [--public-key <pem file> ...]\n";

/** The smallest RSA modulus a published key may have: the smallest `kind.rsaBits` allows. */
export const MIN_RSA_BITS = Math.min(...KIND_RSA_BITS);

class JwksInputError extends Error {}

/** One `--public-key` value: a PEM read from a file, or inline PEM text. */
export function readKeyArgument(arg: string, index: number): { pem: string; label: string } {
    if (arg.includes("-----BEGIN ")) return { pem: arg, label: `--public-key #${index + 1} (inline PEM)` };
    const label = `--public-key ${arg}`;
    const input = readBoundedFile(arg, MAX_SMALL_INPUT_BYTES, "pass the key file inside it");
    if ("problem" in input) throw new JwksInputError(`${label}: ${input.problem}`);
    const text = input.bytes.toString("utf8");
    if (text.trim() === "") throw new JwksInputError(`${label}: is empty; expected a PEM key (-----BEGIN PUBLIC KEY-----)`);
    if (!text.includes("-----BEGIN ")) {
        throw new JwksInputError(
            `${label}: is not a PEM key (no -----BEGIN line); convert a DER key with: openssl pkey -pubin -inform DER -in ${arg} -out key.pem`,
        );
    }
    return { pem: text, label };
}

/**
 * Checks one key before it is published: PEM, not encrypted, RSA, at least `MIN_RSA_BITS` bits. A private key is
 * accepted (its public half is taken; no private parameter is ever printed).
 */
export function keyProblem(pem: string, label: string): string | undefined {
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,\s*ENCRYPTED/.test(pem)) {
        return `${label}: is an encrypted private key; the key set needs only the public half: openssl pkey -in <key> -pubout -out sa.pub, then pass sa.pub`;
    }
    let bits: number | undefined;
    try {
        const key = createPublicKey(pem);
        if (key.asymmetricKeyType !== "rsa") {
            return `${label}: is ${/^[aeiou]/.test(key.asymmetricKeyType ?? "") ? "an" : "a"} ${key.asymmetricKeyType ?? "non-RSA"} key; the issuer publishes RS256 keys only, so it must be RSA`;
        }
        bits = key.asymmetricKeyDetails?.modulusLength;
    } catch (err) {
        return `${label}: is not a readable PEM key (${err instanceof Error ? err.message : String(err)})`;
    }
    if (bits === undefined || bits < MIN_RSA_BITS) {
        return `${label}: is a ${bits ?? "?"}-bit RSA key; published keys must be at least ${MIN_RSA_BITS} bits, as kind.rsaBits (${KIND_RSA_BITS.join(" or ")}) requires. Rotate to a new key: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:${MIN_RSA_BITS}`;
    }
    try {
        serviceAccountJwk(pem, label);
    } catch (err) {
        return err instanceof Error ? err.message : String(err);
    }
    return undefined;
}

/** Runs `npm run jwks`; returns the exit code. */
export function runJwks(argv: readonly string[], io: CliIo): number {
    let values: { "public-key"?: string[] };
    try {
        const parsed = parseCliArgs(argv, { "public-key": { type: "string", multiple: true } });
        if (parsed === "help") {
            io.out(JWKS_USAGE);
            return EXIT.ok;
        }
        values = parsed;
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        io.err(`jwks: ${err.message}\n${JWKS_USAGE}`);
        return EXIT.unusable;
    }
    const args = values["public-key"] ?? [];
    if (args.length === 0) {
        io.err(JWKS_USAGE);
        return EXIT.unusable;
    }
    const problems: string[] = [];
    const pems: string[] = [];
    args.forEach((arg, i) => {
        try {
            const { pem, label } = readKeyArgument(arg, i);
            const problem = keyProblem(pem, label);
            if (problem === undefined) pems.push(pem);
            else problems.push(problem);
        } catch (err) {
            if (!(err instanceof JwksInputError)) throw err;
            problems.push(err.message);
        }
    });
    if (problems.length > 0) {
        io.err(`jwks: ${problems.join("\njwks: ")}\n`);
        return EXIT.unusable;
    }
    io.out(renderOidcDocument(jsonWebKeySet(pems)));
    return EXIT.ok;
}
