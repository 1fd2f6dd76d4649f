/**
 * Offline plan: `npm run plan -- [--project <dir>] --stack <name> [--json]` (`--project bootstrap` for the CI bootstrap).
 * Runs the real program in-process under Pulumi's mocks with Pulumi.<stack>.yaml, and prints every resource
 * (type, name, parent, inputs) and every trust contract. No cloud login, no Pulumi CLI.
 */
import { parseArgs } from "node:util";
import { runPlan } from "../src/plan/run-plan";
import { stackNameProblem } from "../src/plan/stack-files";
import { renderPlanText, planJson } from "../src/plan/render";

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: { project: { type: "string" }, stack: { type: "string", short: "s" }, json: { type: "boolean", default: false } },
        strict: true,
    });
    if (!values.stack) {
        process.stderr.write("usage: npm run plan -- [--project bootstrap] --stack <dev|prod|github> [--json]\n");
        process.exit(2);
    }
    const nameProblem = stackNameProblem(values.stack);
    if (nameProblem) {
        process.stderr.write(`${nameProblem}\n`);
        process.exit(2);
    }
    const plan = await runPlan({ stack: values.stack, ...(values.project !== undefined ? { project: values.project } : {}) });
    process.stdout.write(values.json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : renderPlanText(plan));
}

main().catch((err: unknown) => {
    process.stderr.write(`plan failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
});
