/**
 * Offline plan: `npm run plan -- [--project bootstrap|examples/consumer] --stack <name> [--json]`. The logic lives here (tested
 * in-process); scripts/plan.ts only wires it to the process.
 *
 * Exit 0 with the plan; 2 when the input cannot be planned (a usage error, a stack name that is not one, a stack file
 * Pulumi could not read, a configuration the parser refuses), before anything runs; 1 when the program itself
 * failed under the mocks.
 */
import type { CliIo } from "../cli-io";
import { EXIT } from "../cli-io";
import { CliValues, parseCliArgs, UsageError } from "../cli-args";
import { ConfigError } from "../config/errors";
import { planProject } from "./projects";
import { planJson, renderPlanText } from "./render";
import { runPlan } from "./run-plan";
import { StackFileError, stackNameProblem } from "./stack-files";

export const PLAN_USAGE = "usage: npm run plan -- [--project bootstrap|examples/consumer] --stack <name> [--json]";

const OPTIONS = { project: { type: "string" }, stack: { type: "string", short: "s" }, json: { type: "boolean" } } as const;

/**
 * Runs the plan CLI; returns the exit code. `options.projectDir` reads Pulumi.yaml and the stack file from another
 * directory than the project's (tests hand it stack files of their own).
 */
export async function runPlanCli(argv: readonly string[], io: CliIo, options: { readonly projectDir?: string } = {}): Promise<number> {
    let values: CliValues<typeof OPTIONS>;
    try {
        const parsed = parseCliArgs(argv, OPTIONS);
        if (parsed === "help") {
            io.out(`${PLAN_USAGE}\n`);
            return EXIT.ok;
        }
        values = parsed;
        if (values.stack === undefined) throw new UsageError("--stack is required");
        try {
            planProject(values.project);
        } catch (err) {
            throw new UsageError((err as Error).message);
        }
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        io.err(`plan: ${err.message}\n${PLAN_USAGE}\n`);
        return EXIT.unusable;
    }
    const nameProblem = stackNameProblem(values.stack);
    if (nameProblem) {
        io.err(`${nameProblem}. Fix: name a stack with a Pulumi.<stack>.yaml in the project's directory, e.g. --stack prod\n`);
        return EXIT.unusable;
    }
    try {
        const plan = await runPlan({
            stack: values.stack,
            ...(values.project !== undefined ? { project: values.project } : {}),
            ...(options.projectDir !== undefined ? { projectDir: options.projectDir } : {}),
        });
        io.out(values.json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : renderPlanText(plan));
        return EXIT.ok;
    } catch (err) {
        // What the plan was given: the stack file and the configuration in it. Nothing ran.
        if (err instanceof StackFileError || err instanceof ConfigError) {
            io.err(`plan: ${err.message}\n`);
            return EXIT.unusable;
        }
        io.err(`plan failed: ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
    }
}
