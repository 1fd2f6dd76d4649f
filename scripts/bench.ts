// Scale benchmark: plans the prod stack with 1, 10, 50 and 100 agent classes, in-process under Pulumi's mocks, and
// prints for each: resources, wall time, peak memory, and the longest dependency chain (the sequential cloud
// round-trips a real `pulumi up` waits for). Each size runs in its own Node process, so memory is per plan and
// Pulumi's per-process runtime state starts clean.
//
//   npm run bench                     # sizes 1, 10, 50, 100
//   npm run bench -- --sizes 1,200    # other sizes
//   npm run bench -- --json           # one JSON document
//   npm run bench -- --help           # the usage line; a malformed command line exits 2 with it
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import * as path from "node:path";
import { CliValues, parseCliArgs, UsageError } from "../src/cli-args";
import { CliIo, EXIT, processIo } from "../src/cli-io";
import { longestDependencyChain } from "../src/plan/dependency-chain";
import { runPlan } from "../src/plan/run-plan";
import { manyAgentClasses } from "../test/fixtures/agent-classes";

interface Measurement {
    classes: number;
    /** Custom resources (what a cloud creates), components excluded. */
    resources: number;
    components: number;
    /** Wall time of the plan itself: program, mocks and outputs (the SDKs' module loading is reported apart). */
    planMs: number;
    /** Wall time of the whole child process, Node start-up and module loading included. */
    processMs: number;
    /** Peak resident set size of the process, MiB. */
    peakRssMiB: number;
    chainLength: number;
    chain: readonly string[];
}

async function child(classes: number): Promise<void> {
    // Load the SDKs first, so planMs measures the plan and not `require`.
    await import("../src/program.js");
    const planStart = performance.now();
    const plan = await runPlan({ stack: "prod", config: { agentClasses: manyAgentClasses(classes) }, recordGraph: true });
    const planMs = performance.now() - planStart;
    const { length, chain } = longestDependencyChain(plan.graph);
    const m: Omit<Measurement, "processMs"> = {
        classes,
        resources: plan.resources.filter((r) => r.custom).length,
        components: plan.resources.filter((r) => !r.custom).length,
        planMs,
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
        chainLength: length,
        chain,
    };
    process.stdout.write(`${JSON.stringify(m)}\n`);
}

function parent(sizes: number[], json: boolean): void {
    const results: Measurement[] = [];
    for (const classes of sizes) {
        const started = performance.now();
        const run = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "bench.ts"), "--child", String(classes)], {
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        });
        const processMs = performance.now() - started;
        if (run.status !== 0) {
            process.stderr.write(run.stderr);
            throw new Error(`plan with ${classes} classes failed (exit ${run.status})`);
        }
        const line = run.stdout.trim().split("\n").pop() ?? "{}";
        results.push({ ...(JSON.parse(line) as Omit<Measurement, "processMs">), processMs });
    }
    if (json) {
        process.stdout.write(`${JSON.stringify({ node: process.version, cpus: cpus().length, results }, null, 2)}\n`);
        return;
    }
    const rows = results.map((r) => [
        String(r.classes),
        String(r.resources),
        (r.resources / Math.max(1, r.classes)).toFixed(1),
        r.planMs.toFixed(0),
        r.processMs.toFixed(0),
        r.peakRssMiB.toFixed(0),
        String(r.chainLength),
    ]);
    const header = ["classes", "resources", "per class", "plan ms", "process ms", "peak RSS MiB", "longest chain"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    const last = results.at(-1);
    if (last) {
        console.log(`\nLongest dependency chain at ${last.classes} classes (${last.chainLength} sequential cloud round-trips):`);
        last.chain.forEach((step, i) => console.log(`  ${i + 1}. ${step}`));
    }
}

export const BENCH_USAGE = "usage: npm run bench -- [--sizes <n>[,<n>...]] [--json]";
/** Each size is a plan of that many agent classes in its own process: beyond this, a typing slip, not a benchmark. */
const MAX_CLASSES = 1000;
const DEFAULT_SIZES = [1, 10, 50, 100];
const OPTIONS = { sizes: { type: "string" }, json: { type: "boolean" }, child: { type: "string" } } as const;

/** A class count as written on the command line: digits only, within MAX_CLASSES. */
function classCount(text: string, flag: string): number {
    if (!/^\d+$/.test(text) || Number(text) > MAX_CLASSES)
        throw new UsageError(
            `${flag} ${JSON.stringify(text)}: each size is a whole number of agent classes from 0 to ${MAX_CLASSES}, e.g. --sizes 1,10,50,100`,
        );
    return Number(text);
}

/**
 * Runs `npm run bench`; returns the exit code. `run` measures the sizes (the parent), `runChild` one size in this
 * process (`--child <n>`, what the parent spawns; not for users, so not in the usage line).
 */
export async function runBenchCli(
    argv: readonly string[],
    io: CliIo,
    run: (sizes: number[], json: boolean) => void = parent,
    runChild: (classes: number) => Promise<void> = child,
): Promise<number> {
    let values: CliValues<typeof OPTIONS>;
    try {
        const parsed = parseCliArgs(argv, OPTIONS);
        if (parsed === "help") {
            io.out(`${BENCH_USAGE}\n`);
            return EXIT.ok;
        }
        values = parsed;
        if (values.child !== undefined) {
            if (values.sizes !== undefined || values.json) throw new UsageError("--child runs one size for the parent; it takes no other option");
            await runChild(classCount(values.child, "--child"));
            return EXIT.ok;
        }
        const sizes = values.sizes === undefined ? DEFAULT_SIZES : values.sizes.split(",").map((n) => classCount(n, "--sizes"));
        run(sizes, values.json === true);
        return EXIT.ok;
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        io.err(`bench: ${err.message}\n${BENCH_USAGE}\n`);
        return EXIT.unusable;
    }
}

if (require.main === module) {
    runBenchCli(process.argv.slice(2), processIo).then(
        (code) => {
            process.exitCode = code;
        },
        (err: unknown) => {
            process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
            process.exitCode = 1;
        },
    );
}
