/**
 * The command lines (issue 24, items 12 and 13): one argument parser for plan, doctor, audit, jwks, bench and docs,
 * one bounded reader for every file a CLI is handed, and the exit codes each promises. The refusals themselves are in
 * the hostile corpus (test/fixtures/hostile-config.ts, class "Command lines"); this file proves the other side: what
 * each parser accepts, `--help`, `docs --check`, `bench --sizes`, and one real-process run of the two CLIs whose
 * wiring nothing else runs.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BENCH_USAGE, runBenchCli } from "../scripts/bench";
import { DOC_BLOCKS } from "../scripts/doc-blocks";
import { DOCS_USAGE, generatedPages, runDocsCli } from "../scripts/docs";
import { AUDIT_USAGE, runAuditCli } from "../src/audit/cli";
import { parseCliArgs, UsageError } from "../src/cli-args";
import { readBoundedFile } from "../src/cli-io";
import { DOCTOR_USAGE, runDoctor } from "../src/doctor/cli";
import { JWKS_USAGE, runJwks } from "../src/jwks/cli";
import { PLAN_USAGE, runPlanCli } from "../src/plan/cli";
import { PROJECT_DIR } from "../src/plan/stack-files";
import { capture, INTERNAL } from "./cli-capture";

const dir = mkdtempSync(path.join(tmpdir(), "agentfed-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("the one argument parser", () => {
    const options = { stack: { type: "string", short: "s" }, json: { type: "boolean" }, key: { type: "string", multiple: true } } as const;
    const parse = (...argv: string[]) => parseCliArgs(argv, options);

    it("reads values, flags, short names, inline values and repeatable options", () => {
        assert.deepEqual(parse("--stack", "prod", "--json"), { stack: "prod", json: true });
        assert.deepEqual(parse("-s", "prod"), { stack: "prod" });
        assert.deepEqual(parse("--stack=-odd"), { stack: "-odd" }, "a value starting with '-' is written inline");
        assert.deepEqual(parse("--key", "a", "--key=b"), { key: ["a", "b"] });
        assert.deepEqual(parse(), {});
    });

    it("answers --help and -h, once the rest of the line is well formed", () => {
        assert.equal(parse("--help"), "help");
        assert.equal(parse("-h", "--stack", "prod"), "help");
        assert.throws(() => parse("--help", "--bogus"), /unknown option --bogus/);
    });

    it("throws a UsageError, naming the option as written, for every malformed line", () => {
        const cases: [string[], RegExp][] = [
            [["--stack"], /^--stack needs a value$/],
            [["--stack", ""], /^--stack needs a value$/],
            [["--stack="], /^--stack needs a value$/],
            [["--stack", "--json"], /^--stack needs a value \(got the option --json; a value starting with '-' is written --stack=--json\)$/],
            [["--bogus"], /^unknown option --bogus$/],
            [["-x"], /^unknown option -x$/],
            [["--no-json"], /^unknown option --no-json$/],
            [["prod"], /^unexpected argument "prod"/],
            [["--", "prod"], /^unexpected argument "prod"/],
            [["--stack", "a", "--stack", "b"], /^--stack is given twice \(first as --stack\)/],
            [["-s", "a", "--stack", "a"], /^--stack is given twice \(first as -s\)/],
            [["--json", "--json"], /^--json is given twice/],
            [["--json=true"], /^--json takes no value \(got "true"\)$/],
            [["--help=yes"], /^--help takes no value/],
        ];
        for (const [argv, message] of cases) {
            assert.throws(
                () => parse(...argv),
                (err: unknown) => err instanceof UsageError && message.test(err.message),
                argv.join(" "),
            );
        }
    });
});

describe("every CLI: --help prints the usage line on standard output and exits 0", () => {
    const clis: [string, (argv: string[]) => Promise<{ code: number; stdout: string; stderr: string }>, string][] = [
        ["plan", (argv) => capture((io) => runPlanCli(argv, io)), PLAN_USAGE],
        ["doctor", (argv) => capture((io) => runDoctor(argv, io)), DOCTOR_USAGE],
        ["audit", (argv) => capture((io) => runAuditCli(argv, io, { env: {} })), AUDIT_USAGE],
        ["jwks", (argv) => capture((io) => runJwks(argv, io)), JWKS_USAGE.trimEnd()],
        ["bench", (argv) => capture((io) => runBenchCli(argv, io, () => assert.fail("--help must not run the benchmark"))), BENCH_USAGE],
        ["docs", (argv) => capture((io) => runDocsCli(argv, io, dir)), DOCS_USAGE],
    ];
    for (const [name, run, usage] of clis) {
        it(`${name}: --help and -h; a usage error prints the same line on standard error with exit 2`, async () => {
            for (const flag of ["--help", "-h"]) {
                const r = await run([flag]);
                assert.deepEqual([r.code, r.stdout, r.stderr], [0, `${usage}\n`, ""], `${name} ${flag}`);
            }
            const bad = await run(["--no-such-option"]);
            assert.equal(bad.code, 2, bad.stderr);
            assert.equal(bad.stdout, "");
            assert.ok(bad.stderr.startsWith(`${name}: unknown option --no-such-option\n`), bad.stderr);
            assert.ok(bad.stderr.includes(usage), bad.stderr);
            assert.doesNotMatch(bad.stderr, INTERNAL);
        });
    }
});

describe("plan: exit codes", () => {
    it("exits 2 on a configuration the parser refuses, before anything is registered, and 2 on a stack file Pulumi could not read", async () => {
        const project = path.join(dir, "plan-project");
        mkdirSync(project, { recursive: true });
        writeFileSync(path.join(project, "Pulumi.yaml"), readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml")));
        writeFileSync(path.join(project, "Pulumi.bad.yaml"), "config:\n  agentfed:tenantId: not-a-guid\n");
        const bad = await capture((io) => runPlanCli(["--stack", "bad"], io, { projectDir: project }));
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /^plan: Invalid stack configuration .*\n {2}- agentfed:tenantId is not a GUID/);
        writeFileSync(path.join(project, "Pulumi.dup.yaml"), "config:\n  agentfed:location: a\n  agentfed:location: b\n");
        const dup = await capture((io) => runPlanCli(["--stack", "dup"], io, { projectDir: project }));
        assert.equal(dup.code, 2);
        assert.match(dup.stderr, /^plan: Pulumi\.dup\.yaml is not valid YAML: duplicated mapping key/);
    });
});

describe("docs --check: honoured, never writes", () => {
    it("exits 0 when every page is fresh, 1 naming each stale one, and leaves the files as they were", async () => {
        const root = path.join(dir, "docs-root");
        mkdirSync(path.join(root, "docs"), { recursive: true });
        const pages = generatedPages();
        for (const page of pages) writeFileSync(path.join(root, page.file), page.content);
        const fresh = await capture((io) => runDocsCli(["--check"], io, root, []));
        assert.deepEqual([fresh.code, fresh.stderr], [0, ""]);
        writeFileSync(path.join(root, pages[0]!.file), "stale\n");
        const stale = await capture((io) => runDocsCli(["--check"], io, root, []));
        assert.equal(stale.code, 1);
        assert.equal(stale.stderr, `docs: ${pages[0]!.file} is stale: run npm run docs\n`);
        assert.equal(readFileSync(path.join(root, pages[0]!.file), "utf8"), "stale\n", "--check wrote a page");
        const write = await capture((io) => runDocsCli([], io, root, []));
        assert.equal(write.code, 0);
        assert.equal(readFileSync(path.join(root, pages[0]!.file), "utf8"), pages[0]!.content);
    });
});

describe("docs --check: numbers in hand-written pages are generated from the plan", () => {
    const PAGE = "docs/ci-bootstrap.md";
    const blocks = DOC_BLOCKS.filter((b) => b.file === PAGE);
    const committed = readFileSync(path.join(PROJECT_DIR, PAGE), "utf8");

    it("fails when a number drifts from the plan, and npm run docs puts the plan's back", async () => {
        assert.ok(blocks.length > 0, `${PAGE} has no generated block`);
        const root = path.join(dir, "blocks-root");
        mkdirSync(path.join(root, "docs"), { recursive: true });
        for (const page of generatedPages()) writeFileSync(path.join(root, page.file), page.content);
        const drifted = committed.replace(/(<!-- generated:bootstrap-plan-counts -->)[^<]*/, "$1110 resources");
        assert.notEqual(drifted, committed);
        writeFileSync(path.join(root, PAGE), drifted);
        const stale = await capture((io) => runDocsCli(["--check"], io, root, blocks));
        assert.deepEqual([stale.code, stale.stderr], [1, `docs: ${PAGE} is stale: run npm run docs\n`]);
        const write = await capture((io) => runDocsCli([], io, root, blocks));
        assert.equal(write.code, 0);
        assert.equal(readFileSync(path.join(root, PAGE), "utf8"), committed);
    });

    it("fails, naming the page and the marker, when a block's markers are gone", async () => {
        const root = path.join(dir, "blocks-root-no-marker");
        mkdirSync(path.join(root, "docs"), { recursive: true });
        writeFileSync(path.join(root, PAGE), committed.replace(/<!-- \/?generated:bootstrap-plan-counts -->/g, ""));
        const r = await capture((io) => runDocsCli(["--check"], io, root, blocks));
        assert.equal(r.code, 1);
        assert.match(
            r.stderr,
            /^docs: docs\/ci-bootstrap\.md: needs exactly one <!-- generated:bootstrap-plan-counts --> … <!-- \/generated:bootstrap-plan-counts --> block/,
        );
    });
});

describe("bench --sizes", () => {
    const sizesOf = async (...argv: string[]) => {
        let got: { sizes: number[]; json: boolean } | undefined;
        const r = await capture((io) => runBenchCli(argv, io, (sizes, json) => void (got = { sizes, json })));
        return { ...r, got };
    };

    it("runs the default sizes, or exactly the sizes given, and never a benchmark of a malformed line", async () => {
        assert.deepEqual((await sizesOf()).got, { sizes: [1, 10, 50, 100], json: false });
        assert.deepEqual((await sizesOf("--sizes", "1,200", "--json")).got, { sizes: [1, 200], json: true });
        assert.deepEqual((await sizesOf("--sizes", "0")).got, { sizes: [0], json: false });
        for (const argv of [["--sizes", "abc"], ["--sizes"], ["--sizes", "1,,2"], ["--sizes", "1.5"], ["--sizes", "0x10"], ["--full"]]) {
            const r = await sizesOf(...argv);
            assert.equal(r.code, 2, argv.join(" "));
            assert.equal(r.got, undefined, `${argv.join(" ")} ran the benchmark`);
        }
    });
});

describe("the one bounded reader", () => {
    it("reads a regular file up to its bound, and refuses what is larger, a device, a link to one, and a directory", () => {
        const exact = path.join(dir, "exact.txt");
        writeFileSync(exact, "x".repeat(1024));
        const read = readBoundedFile(exact, 1024);
        assert.ok("bytes" in read && read.bytes.length === 1024);
        assert.deepEqual(readBoundedFile(exact, 1023), { problem: "is larger than 1023 bytes, more than this input ever is; pass the right file" });
        const link = path.join(dir, "zero-link");
        symlinkSync("/dev/zero", link);
        assert.deepEqual(readBoundedFile(link, 1024), { problem: "is a character device, not a regular file; pass a file" });
        assert.deepEqual(readBoundedFile(dir, 1024, "pass the key file inside it"), { problem: "cannot read (is a directory; pass the key file inside it)" });
    });
});

describe("real processes: the wiring of bench and docs", () => {
    const run = (script: string, ...argv: string[]) =>
        spawnSync(process.execPath, ["--import", "tsx", path.join("scripts", script), ...argv], { cwd: PROJECT_DIR, encoding: "utf8", timeout: 60_000 });

    it("bench --sizes abc exits 2 with the usage line and no stack trace", () => {
        const r = run("bench.ts", "--sizes", "abc");
        assert.equal(r.status, 2, r.stderr);
        assert.equal(r.stderr, `bench: --sizes "abc": each size is a whole number of agent classes from 0 to 1000, e.g. --sizes 1,10,50,100\n${BENCH_USAGE}\n`);
    });

    it("docs --check exits 0 on the committed pages, writing nothing", () => {
        const r = run("docs.ts", "--check");
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, `every generated page is fresh (${generatedPages().length + new Set(DOC_BLOCKS.map((b) => b.file)).size})\n`);
    });
});
