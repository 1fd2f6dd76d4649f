/**
 * JWKS for existing keys, like `azwi jwks`: `npm run jwks -- --public-key <pem> [--public-key <pem> ...]`.
 * The logic lives in src/jwks/cli.ts (tested in-process); this file only wires it to the process.
 */
import { processIo } from "../src/cli-io";
import { runJwks } from "../src/jwks/cli";

try {
    process.exitCode = runJwks(process.argv.slice(2), processIo);
} catch (err) {
    process.stderr.write(`jwks: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
}
