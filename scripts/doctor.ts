/**
 * Trust-chain doctor: `npm run doctor -- [--project <dir>] --stack <name> (--token <jwt> | --claims <file.json>) [--outputs <file>] [--at <time>] [--json]`.
 * The logic lives in src/doctor/cli.ts (tested in-process); this file only wires it to the process.
 */
import { processIo } from "../src/cli-io";
import { runDoctor } from "../src/doctor/cli";

void runDoctor(process.argv.slice(2), processIo).then((code) => {
    process.exitCode = code;
});
