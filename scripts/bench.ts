// Scale benchmark: plans the prod stack with 1, 10, 50 and 100 agent classes, in-process under Pulumi's mocks, and
// prints for each: resources, wall time, peak memory, and the longest dependency chain (the sequential cloud
// round-trips a real `pulumi up` waits for). Each size runs in its own Node process, so memory is per plan and
// Pulumi's per-process runtime state starts clean.
//
//   npm run bench                     # sizes 1, 10, 50, 100
//   npm run bench -- --sizes 1,200    # other sizes
//   npm run bench -- --json           # one JSON document
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import * as path from "node:path";
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

const args = process.argv.slice(2);
const childAt = args.indexOf("--child");
if (childAt >= 0) {
    child(Number(args[childAt + 1])).catch((err: unknown) => {
        console.error(err);
        process.exit(1);
    });
} else {
    const sizesAt = args.indexOf("--sizes");
    const sizes = sizesAt >= 0 ? (args[sizesAt + 1] ?? "").split(",").map(Number) : [1, 10, 50, 100];
    if (sizes.some((n) => !Number.isInteger(n) || n < 0)) throw new Error("--sizes takes comma-separated class counts, e.g. 1,10,50,100");
    parent(sizes, args.includes("--json"));
}
