import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError, parseStackConfig } from "../src/config";
import { readStackConfig, StackFileError } from "../src/plan/stack-files";
import { HOSTILE_CASES, HostileCase } from "./fixtures/hostile-config";

/**
 * The hostile-input corpus, run as the program reads configuration: each bad input must be refused with an error
 * naming its key (or its stack file, or the --stack flag) and the fix. Accepted inputs and internal errors (a
 * TypeError instead of a ConfigError) are the failures this suite exists to catch; docs/testing.md states the
 * counts, and the last test keeps its numbers equal to the corpus.
 */

const NS = "agentfed";
const ROOT = path.resolve(__dirname, "..");
const dir = mkdtempSync(path.join(tmpdir(), "agentfed-hostile-"));
writeFileSync(path.join(dir, "Pulumi.yaml"), "name: agentfed\nruntime: nodejs\n");
after(() => rmSync(dir, { recursive: true, force: true }));

type Outcome = "refused by key" | "refused under another key" | "accepted" | "internal error";

function parse(raw: Record<string, string>): void {
    parseStackConfig({ get: (k) => raw[`${NS}:${k}`], allKeys: () => Object.keys(raw) }, NS);
}

/** The raw strings Pulumi hands the program for the edited stack. */
function edited(c: HostileCase): Record<string, string> {
    const raw = readStackConfig(c.stack ?? "prod");
    if (c.edit) {
        const config: Record<string, unknown> = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, /^[[{]/.test(v) ? JSON.parse(v) : v]));
        c.edit(config);
        for (const key of Object.keys(raw)) delete raw[key];
        for (const [k, v] of Object.entries(config)) raw[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    c.raw?.(raw);
    return raw;
}

function run(c: HostileCase): { outcome: Outcome; detail: string } {
    try {
        if (c.file) {
            if (c.file.yaml !== undefined) writeFileSync(path.join(dir, `Pulumi.${c.file.stack}.yaml`), c.file.yaml);
            parse(readStackConfig(c.file.stack, dir));
        } else parse(edited(c));
        return { outcome: "accepted", detail: "parsed without a problem" };
    } catch (err) {
        if (err instanceof StackFileError)
            return {
                outcome: err.message.includes(c.key) && (c.problem?.test(err.message) ?? true) ? "refused by key" : "refused under another key",
                detail: err.message,
            };
        if (err instanceof ConfigError) {
            const named = err.issues.filter((i) => i.key === c.key && (c.problem?.test(`${i.problem} ${i.fix}`) ?? true));
            return { outcome: named.length > 0 ? "refused by key" : "refused under another key", detail: err.message };
        }
        return { outcome: "internal error", detail: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
}

const results = HOSTILE_CASES.map((c) => ({ case: c, ...run(c) }));

/** The counts docs/testing.md states, per class and in total. */
function counts() {
    const byClass = new Map<string, { tried: number; refused: number }>();
    for (const r of results) {
        const entry = byClass.get(r.case.class) ?? { tried: 0, refused: 0 };
        entry.tried++;
        if (r.outcome === "refused by key") entry.refused++;
        byClass.set(r.case.class, entry);
    }
    const total = (o: Outcome) => results.filter((r) => r.outcome === o).length;
    return {
        byClass,
        tried: results.length,
        refused: total("refused by key"),
        accepted: total("accepted"),
        internal: total("internal error"),
        elsewhere: total("refused under another key"),
    };
}

describe("hostile stack configuration (issue #19)", () => {
    for (const r of results) {
        it(`${r.case.class}: refuses ${r.case.what}, naming ${r.case.key}`, () => {
            assert.equal(r.outcome, "refused by key", `${r.case.what}: ${r.outcome}\n${r.detail}`);
        });
    }

    it("refuses a YAML error naming the stack file and the line, and a --stack that is a path with exit 2 before reading anything", () => {
        const syntax = results.find((r) => r.case.what === "a YAML syntax error")!;
        assert.match(syntax.detail, /^Pulumi\.hostile\.yaml is not valid YAML: .*"Pulumi\.hostile\.yaml" \(3:\d+\)/);
        const cli = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "plan.ts"), "--stack", "../Pulumi.prod"], {
            cwd: ROOT,
            encoding: "utf8",
        });
        assert.equal(cli.status, 2, cli.stderr);
        assert.match(cli.stderr, /^--stack "\.\.\/Pulumi\.prod" is not a stack name: .* never a path\. Fix: /);
        assert.equal(cli.stdout, "");
    });

    it("states in docs/testing.md the counts this corpus produces: every input refused by key, none accepted, no internal error", () => {
        const c = counts();
        assert.deepEqual([c.accepted, c.internal, c.elsewhere], [0, 0, 0]);
        const text = readFileSync(path.join(ROOT, "docs", "testing.md"), "utf8");
        const start = text.indexOf("\n## Hostile input\n");
        assert.ok(start >= 0, "docs/testing.md has no Hostile input section");
        const end = text.indexOf("\n## ", start + 1);
        const section = text.slice(start, end < 0 ? undefined : end);
        const totals = /\*\*(\d+)\*\* bad inputs tried: \*\*(\d+)\*\* refused[^*]*\*\*(\d+)\*\* accepted but wrong, \*\*(\d+)\*\* internal errors/.exec(
            section,
        );
        assert.ok(totals, "docs/testing.md, Hostile input: the totals sentence is missing");
        assert.deepEqual(
            totals.slice(1).map(Number),
            [c.tried, c.refused, c.accepted, c.internal],
            "docs/testing.md states other totals than the corpus produces",
        );
        const rows = [...section.matchAll(/^\| ([^|]+?) \| (\d+) \| (\d+) \|$/gm)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
        assert.deepEqual(
            rows,
            [...c.byClass].map(([name, n]) => [name, n.tried, n.refused]),
            "docs/testing.md, Hostile input: the table must list each class of the corpus, in order, with its counts",
        );
    });
});
