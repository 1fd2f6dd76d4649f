/**
 * JWKS for existing keys, like `azwi jwks`: `npm run jwks -- --public-key <pem> [--public-key <pem> ...]`.
 * Each <pem> is a file path of an RSA public or private key (or inline PEM text, as --public-key=<text>). Prints the key set Kubernetes would
 * publish (use, kty, kid, alg RS256, n, e), with kid = base64url(SHA-256(DER SubjectPublicKeyInfo)), one entry per
 * key id. Uses the same renderer as the stack, so the output is byte for byte what `KindOidcIssuer` uploads.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { jsonWebKeySet, renderOidcDocument } from "../src/contracts/oidc-issuer";

const USAGE = "usage: npm run jwks -- --public-key <pem file> [--public-key <pem file> ...]\n";

function main(): void {
    const { values } = parseArgs({ options: { "public-key": { type: "string", multiple: true }, help: { type: "boolean", short: "h" } }, strict: true });
    if (values.help) {
        process.stdout.write(USAGE);
        return;
    }
    const keys = values["public-key"] ?? [];
    if (keys.length === 0) {
        process.stderr.write(USAGE);
        process.exit(2);
    }
    const pems = keys.map((k) => (k.includes("-----BEGIN ") ? k : readFileSync(k, "utf8")));
    process.stdout.write(renderOidcDocument(jsonWebKeySet(pems)));
}

try {
    main();
} catch (err) {
    process.stderr.write(`jwks failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
}
