/**
 * Offline plan: `npm run plan -- [--project <dir>] --stack <name> [--json]` (`--project bootstrap` for the CI bootstrap).
 * Runs the real program in-process under Pulumi's mocks with Pulumi.<stack>.yaml, and prints every resource
 * (type, name, parent, inputs) and every trust contract. No cloud login, no Pulumi CLI. The logic lives in
 * src/plan/cli.ts (tested in-process); this file only wires it to the process. Exit 0 planned, 2 unusable input,
 * 1 the program failed.
 */
import { processIo } from "../src/cli-io";
import { runPlanCli } from "../src/plan/cli";

runPlanCli(process.argv.slice(2), processIo).then(
    (code) => {
        process.exitCode = code;
    },
    (err: unknown) => {
        process.stderr.write(`plan: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
    },
);
