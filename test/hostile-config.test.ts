import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseBootstrapConfig } from "../bootstrap/config";
import { runBenchCli } from "../scripts/bench";
import { runDocsCli } from "../scripts/docs";
import { runAuditCli } from "../src/audit/cli";
import type { CliIo } from "../src/cli-io";
import { ConfigError, parseStackConfig, StackConfig } from "../src/config";
import { runDoctor } from "../src/doctor/cli";
import { runJwks } from "../src/jwks/cli";
import { runPlanCli } from "../src/plan/cli";
import { PROJECT_DIR, readStackConfig, StackFileError } from "../src/plan/stack-files";
import { capture, INTERNAL } from "./cli-capture";
import { CliTool, HOSTILE_CASES, HostileCase, HostileFiles } from "./fixtures/hostile-config";

/**
 * The hostile-input corpus, run as the program reads configuration and as a user runs each CLI: each bad input must
 * be refused with an error naming its key (or its stack file, or the flag) and the fix, or (a GUID in capitals)
 * normalised to what the clouds compare. Accepted inputs and internal errors (a TypeError instead of a ConfigError,
 * an exit code other than 2) are the failures this suite exists to catch; docs/testing.md states the counts, and the
 * last test keeps its numbers equal to the corpus.
 */

const NS = "agentfed";
const BNS = "agentfed-bootstrap";
const ROOT = path.resolve(__dirname, "..");
const dir = mkdtempSync(path.join(tmpdir(), "agentfed-hostile-"));
writeFileSync(path.join(dir, "Pulumi.yaml"), "name: agentfed\nruntime: nodejs\n");
writeFileSync(path.join(dir, "Pulumi.other.yaml"), "config: {}\n");
after(() => rmSync(dir, { recursive: true, force: true }));

/** Files the command-line cases name: prepared once, removed with the directory. */
const files: HostileFiles = (() => {
    const claims = path.join(dir, "claims.json");
    writeFileSync(claims, JSON.stringify({ iss: "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0", sub: "s", exp: 2e9 }));
    const big = path.join(dir, "big.json");
    writeFileSync(big, Buffer.alloc(17 * 1024 * 1024, 0x20));
    const fifo = path.join(dir, "pipe");
    const made = spawnSync("mkfifo", [fifo]);
    assert.equal(made.status, 0, `mkfifo: ${made.stderr?.toString() ?? made.error?.message}`);
    return { claims, fifo, big };
})();

type Outcome = "refused by key" | "refused under another key" | "normalised" | "accepted" | "internal error";
interface Result {
    readonly outcome: Outcome;
    readonly detail: string;
}

function parse(raw: Record<string, string>): StackConfig {
    return parseStackConfig({ get: (k) => raw[`${NS}:${k}`], allKeys: () => Object.keys(raw) }, NS);
}

/** The raw strings Pulumi hands the program for a stack file, edited as structured values. */
function edit(raw: Record<string, string>, change: ((config: Record<string, unknown>) => void) | undefined): Record<string, string> {
    if (!change) return raw;
    const config: Record<string, unknown> = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, /^[[{]/.test(v) ? JSON.parse(v) : v]));
    change(config);
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** Runs a command-line case in-process, through the CLI's own entry. */
function runCli(tool: CliTool, argv: string[], io: CliIo): number | Promise<number> {
    switch (tool) {
        case "plan":
            return runPlanCli(argv, io, { projectDir: dir });
        case "doctor":
            return runDoctor(argv, io);
        case "audit":
            return runAuditCli(argv, io, { env: {} });
        case "jwks":
            return runJwks(argv, io);
        case "bench":
            // A command line the parser wrongly accepted must not start the benchmark: it is recorded as accepted.
            return runBenchCli(
                argv,
                io,
                () => io.out("benchmark would run\n"),
                () => Promise.resolve(io.out("child would run\n")),
            );
        case "docs":
            // Never the repository's own docs/: an accepted command line writes into the corpus's directory.
            return runDocsCli(argv, io, dir);
    }
}

async function run(c: HostileCase): Promise<Result> {
    if (c.cli) {
        if (c.cli.yaml !== undefined) writeFileSync(path.join(dir, "Pulumi.hostile.yaml"), c.cli.yaml);
        try {
            const r = await capture((io) => runCli(c.cli!.tool, c.cli!.argv(files), io));
            const detail = `exit ${r.code}\n${r.stderr}${r.stdout}`;
            if (r.code === 0) return { outcome: "accepted", detail };
            if (r.code !== 2 || INTERNAL.test(r.stderr)) return { outcome: "internal error", detail };
            const named = r.stderr.includes(c.key) && (c.problem?.test(r.stderr) ?? true) && r.stdout === "";
            return { outcome: named ? "refused by key" : "refused under another key", detail };
        } catch (err) {
            return { outcome: "internal error", detail: err instanceof Error ? (err.stack ?? err.message) : String(err) };
        }
    }
    try {
        if (c.bootstrap) {
            const raw = edit(readStackConfig("github", path.join(PROJECT_DIR, "bootstrap")), c.bootstrap);
            parseBootstrapConfig({ get: (k) => raw[`${BNS}:${k}`], allKeys: () => Object.keys(raw) }, BNS, path.join(PROJECT_DIR, "bootstrap"));
            return { outcome: "accepted", detail: "parsed without a problem" };
        }
        let config: StackConfig;
        if (c.file) {
            if (c.file.yaml !== undefined) writeFileSync(path.join(dir, `Pulumi.${c.file.stack}.yaml`), c.file.yaml);
            config = parse(readStackConfig(c.file.stack, dir));
        } else {
            const raw = edit(readStackConfig(c.stack ?? "prod"), c.edit);
            c.raw?.(raw);
            config = parse(raw);
        }
        if (c.normalised)
            return c.normalised(config) ? { outcome: "normalised", detail: "normalised" } : { outcome: "accepted", detail: JSON.stringify(config) };
        return { outcome: "accepted", detail: "parsed without a problem" };
    } catch (err) {
        if (err instanceof StackFileError)
            return {
                outcome: err.message.includes(c.key) && (c.problem?.test(err.message) ?? true) ? "refused by key" : "refused under another key",
                detail: err.message,
            };
        if (err instanceof ConfigError) {
            const named = err.issues.filter((i) => i.key === c.key && (c.problem?.test(`${i.problem} ${i.fix}`) ?? true));
            return { outcome: named.length > 0 && !c.normalised ? "refused by key" : "refused under another key", detail: err.message };
        }
        return { outcome: "internal error", detail: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
}

/** Each case runs once, in corpus order (stack-file cases share one directory), whichever test asks first. */
const outcomes = new Map<HostileCase, Result>();
async function outcomeOf(c: HostileCase): Promise<Result> {
    const known = outcomes.get(c);
    if (known) return known;
    const result = await run(c);
    outcomes.set(c, result);
    return result;
}

describe("hostile input (issues #19 and #24): configuration, stack files and command lines", () => {
    for (const c of HOSTILE_CASES) {
        const expected: Outcome = c.normalised ? "normalised" : "refused by key";
        it(`${c.class}: ${c.normalised ? "normalises" : "refuses"} ${c.what}, naming ${c.key}`, async () => {
            const r = await outcomeOf(c);
            assert.equal(r.outcome, expected, `${c.what}: ${r.outcome}\n${r.detail}`);
        });
    }

    it("refuses a YAML error naming the stack file and the line, and a --stack that is a path with exit 2 before reading anything", async () => {
        const syntax = await outcomeOf(HOSTILE_CASES.find((c) => c.what === "a YAML syntax error")!);
        assert.match(syntax.detail, /^exit 2\nplan: Pulumi\.hostile\.yaml is not valid YAML: .*"Pulumi\.hostile\.yaml" \(3:\d+\)/);
        const cli = await capture((io) => runPlanCli(["--stack", "../Pulumi.prod"], io));
        assert.equal(cli.code, 2, cli.stderr);
        assert.match(cli.stderr, /^--stack "\.\.\/Pulumi\.prod" is not a stack name: .* never a path\. Fix: /);
        assert.equal(cli.stdout, "");
    });

    it("states in docs/testing.md the counts this corpus produces: every input refused by key or normalised, none accepted, no internal error", async () => {
        const results: { case: HostileCase; outcome: Outcome }[] = [];
        for (const c of HOSTILE_CASES) results.push({ case: c, outcome: (await outcomeOf(c)).outcome });
        const byClass = new Map<string, { tried: number; handled: number }>();
        for (const r of results) {
            const entry = byClass.get(r.case.class) ?? { tried: 0, handled: 0 };
            entry.tried++;
            if (r.outcome === "refused by key" || r.outcome === "normalised") entry.handled++;
            byClass.set(r.case.class, entry);
        }
        const total = (o: Outcome) => results.filter((r) => r.outcome === o).length;
        assert.deepEqual([total("accepted"), total("internal error"), total("refused under another key")], [0, 0, 0]);
        const text = readFileSync(path.join(ROOT, "docs", "testing.md"), "utf8");
        const start = text.indexOf("\n## Hostile input\n");
        assert.ok(start >= 0, "docs/testing.md has no Hostile input section");
        const end = text.indexOf("\n## ", start + 1);
        const section = text.slice(start, end < 0 ? undefined : end);
        const totals =
            /\*\*(\d+)\*\* bad inputs tried: \*\*(\d+)\*\* refused[^*]*\*\*(\d+)\*\* normalised[^*]*\*\*(\d+)\*\* accepted but wrong, \*\*(\d+)\*\* internal errors/.exec(
                section,
            );
        assert.ok(totals, "docs/testing.md, Hostile input: the totals sentence is missing");
        assert.deepEqual(
            totals.slice(1).map(Number),
            [results.length, total("refused by key"), total("normalised"), total("accepted"), total("internal error")],
            "docs/testing.md states other totals than the corpus produces",
        );
        const rows = [...section.matchAll(/^\| ([^|]+?) \| (\d+) \| (\d+) \|$/gm)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
        assert.deepEqual(
            rows,
            [...byClass].map(([name, n]) => [name, n.tried, n.handled]),
            "docs/testing.md, Hostile input: the table must list each class of the corpus, in order, with its counts",
        );
    });
});
