/**
 * Trust-chain doctor: `npm run doctor -- [--project <dir>] --stack <name> (--token <jwt> | --claims <file.json>) [--outputs <file>] [--at <time>] [--json]`.
 * Checks a token against every contract of a stack (from its offline plan, or from `pulumi stack output --json`),
 * and says which accept it and why the others do not. The token is decoded locally and never sent anywhere.
 * Exit 0 when the evaluation ran, whatever the verdicts; 2 on unusable input.
 */
import { parseArgs } from "node:util";
import type { TrustContract } from "../src/contracts";
import { evaluateContracts } from "../src/doctor/evaluate";
import { claimsFromFile, claimsFromToken, contractsFromStackOutputs, DoctorInputError } from "../src/doctor/inputs";

const USAGE =
    "usage: npm run doctor -- [--project bootstrap] --stack <name> (--token <jwt> | --claims <file.json>) [--outputs <stack-output.json>] [--at <ISO time>] [--json]";

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            project: { type: "string" },
            stack: { type: "string" },
            token: { type: "string" },
            claims: { type: "string" },
            outputs: { type: "string" },
            at: { type: "string" },
            json: { type: "boolean", default: false },
        },
        strict: true,
    });
    if (!values.stack) throw new DoctorInputError(`--stack is required\n${USAGE}`);
    if (Boolean(values.token) === Boolean(values.claims)) throw new DoctorInputError(`pass exactly one of --token or --claims\n${USAGE}`);
    const claims = values.token ? claimsFromToken(values.token) : claimsFromFile(values.claims!);
    const nowMs = values.at ? Date.parse(values.at) : Date.now();
    if (Number.isNaN(nowMs)) throw new DoctorInputError(`--at ${values.at}: not a date; use ISO 8601, e.g. 2026-01-31T12:00:00Z`);

    let contracts: TrustContract[];
    let source: string;
    if (values.outputs) {
        contracts = contractsFromStackOutputs(values.outputs);
        source = `deployed outputs ${values.outputs}`;
    } else {
        const { runPlan } = await import("../src/plan/run-plan.js");
        contracts = (await runPlan({ stack: values.stack, ...(values.project !== undefined ? { project: values.project } : {}) })).trustContracts;
        source = `offline plan of ${values.project ? `project ${values.project}, ` : ""}stack ${values.stack} (cloud-assigned ids are placeholders: use --outputs for a deployed stack)`;
    }
    const verdicts = evaluateContracts(contracts, claims, Math.floor(nowMs / 1000));

    if (values.json) {
        process.stdout.write(`${JSON.stringify({ verdicts }, null, 2)}\n`);
        return;
    }
    const lines = [`Token iss=${JSON.stringify(claims.iss)} sub=${JSON.stringify(claims.sub)} aud=${JSON.stringify(claims.aud)}`, `Contracts: ${source}`, ""];
    for (const v of verdicts) {
        lines.push(`${v.accepted ? "ACCEPTED" : "REJECTED"}  [${v.kind}] ${v.contract}`);
        for (const r of v.reasons) lines.push(`    - ${r}`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((err: unknown) => {
    process.stderr.write(`doctor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof DoctorInputError ? 2 : 1);
});
