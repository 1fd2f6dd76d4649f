/**
 * Live trust audit: `npm run audit -- (--stack <name> | --outputs <file>) [--clouds entra,gcp,aws] [--json]`.
 * The logic lives in src/audit/cli.ts (tested in-process against loopback stand-ins); this file only wires it to
 * the process. Exit 0 clean, 1 findings, 2 could not audit. See docs/audit.md.
 */
import { processIo } from "../src/cli-io";
import { runAuditCli } from "../src/audit/cli";

void runAuditCli(process.argv.slice(2), processIo, { env: process.env }).then((code) => {
    process.exitCode = code;
});
