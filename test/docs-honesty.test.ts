import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { runBenchCli } from "../scripts/bench";
import { runDocsCli } from "../scripts/docs";
import { runAuditCli } from "../src/audit/cli";
import { runDoctor } from "../src/doctor/cli";
import { runJwks } from "../src/jwks/cli";
import { runPlanCli } from "../src/plan/cli";
import { PLAN_PROJECTS } from "../src/plan/projects";
import { capture, Captured } from "./cli-capture";

/**
 * What a reader of the repository can follow and run: every citation names something public (docs/sources.md lists
 * the articles by author and title), never a note, an issue number or a file only the project's authors have.
 */

const ROOT = path.resolve(__dirname, "..");

/** Where a reader meets citations: the code, its docs, the policy pack, the bootstrap, the scripts and examples. */
const SCANNED = ["src", "docs", "policy", "bootstrap", "scripts", "examples", "README.md", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"];
const TEXT_FILE = /\.(ts|js|mjs|md|ya?ml|json|sh)$/;

function files(rel: string): string[] {
    const abs = path.join(ROOT, rel);
    if (statSync(abs).isFile()) return [rel];
    return readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
        const child = path.posix.join(rel, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : files(child);
        return TEXT_FILE.test(e.name) ? [child] : [];
    });
}

/** References a reader of this repository cannot follow, each with what to write instead. */
export const UNFOLLOWABLE: readonly { readonly pattern: RegExp; readonly fix: string }[] = [
    { pattern: /\bseeds?\b/i, fix: 'cite the article by author and title (docs/sources.md), e.g. Rais, "Entra Agent ID Across Clouds", Part 3' },
    { pattern: /DESIGN\.md/, fix: "cite the public reference the fact comes from (docs/sources.md)" },
    { pattern: /\b(issues?|PRs?|pull requests?)\s+#?\d+/i, fix: "say what the change does; an upstream issue is cited as owner/repo#<n>" },
    { pattern: /foundation issue/i, fix: "say what is meant; issues are not part of the repository" },
    {
        // A bare `#123` (after a space, a parenthesis or punctuation, not after a named project or `owner/repo`).
        pattern: /(?<![\w.-]\/[\w.-]+|[A-Za-z][\w.-]*[A-Za-z] |[A-Za-z0-9])#\d+\b/,
        fix: "name the repository: owner/repo#<n>",
    },
    {
        pattern: /changes needed elsewhere|\bREADME: (replace|add)\b/i,
        fix: "make the change, or say what is not done yet; docs do not ask the reader to edit other files",
    },
];

function findings(file: string): string[] {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    const out: string[] = [];
    text.split("\n").forEach((line, i) => {
        for (const { pattern, fix } of UNFOLLOWABLE) {
            const m = pattern.exec(line);
            if (m) out.push(`${file}:${i + 1}: "${m[0]}": ${fix}`);
        }
    });
    return out;
}

describe("citations a reader can follow", () => {
    it("refuses seed numbers, issue numbers, bare #numbers and notes the repository does not hold", () => {
        const all = SCANNED.flatMap(files);
        assert.ok(all.length > 100, `scanned only ${all.length} files`);
        assert.deepEqual(all.flatMap(findings), []);
    });

    it("recognises each kind of unfollowable reference, and leaves named upstream references alone", () => {
        const flagged = (line: string) => UNFOLLOWABLE.some(({ pattern }) => pattern.test(line));
        for (const bad of [
            "(seed 001)",
            "Seeds 000/001",
            "see DESIGN.md",
            "issue 27",
            "issue #15",
            "issues #19 and #24",
            "the foundation issue",
            "(`x.cs`, #3897)",
            "## Changes needed elsewhere",
        ])
            assert.ok(flagged(bad), bad);
        for (const good of [
            "pulumi/pulumi#18509",
            "AzureAD/microsoft-identity-web#4023",
            "AVM #2673",
            "PKCS#8",
            "[link](#option-1)",
            "seeded",
            "a SAMI is reseeded",
        ])
            assert.ok(!flagged(good), good);
    });

    it("lists every article it cites on docs/sources.md, by author and title", () => {
        const sources = readFileSync(path.join(ROOT, "docs", "sources.md"), "utf8");
        const articles: readonly (readonly [string, string])[] = [
            ["Razi Rais", "Entra Agent ID Across Clouds: Part 2, Federation End to End"],
            ["Razi Rais", "Entra Agent ID Across Clouds: Part 3, Managed Identity and Entra Objects"],
            ["Christian Posta", "Microsoft Entra Agent ID on Kubernetes, Part Four: Workload Identity Federation"],
        ];
        for (const [author, title] of articles)
            assert.match(sources, new RegExp(`\\| ${author} \\| ${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\|`), `${author}, ${title}`);
        // Every short form used in the code and docs is one the sources page defines.
        const shortForms = new Set(
            SCANNED.flatMap(files).flatMap((f) =>
                [...readFileSync(path.join(ROOT, f), "utf8").matchAll(/\b(Rais|Posta), ["'][^"']+["'], Parts? (\d( and \d)?|Four)/g)].map((m) => m[0]),
            ),
        );
        for (const form of shortForms) {
            const normal = form.replace(/'/g, '"').replace(/, Parts (\d) and (\d)$/, ", Part $1");
            assert.ok(sources.includes(`| ${normal} |`), `${form}: not a short form docs/sources.md defines`);
        }
    });
});

/** Where a reader copies commands from: the front page, the docs, the workflows and CI, and the CLIs' own messages. */
const COMMAND_SOURCES = ["README.md", "docs", ".github", ".ci/run", "src", "scripts", "bootstrap", "examples"];

interface QuotedCommand {
    readonly where: string;
    readonly script: string;
    /** The arguments after `--`, as written (placeholders such as `<jwt>` included). */
    readonly args: readonly string[];
}

/** Every `npm run <script> [-- <args>]` quoted in the sources, up to the end of the command (a backtick, `|`, `#`, `&&`, `;`). */
function quotedCommands(): QuotedCommand[] {
    const out: QuotedCommand[] = [];
    for (const file of COMMAND_SOURCES.flatMap(files)) {
        readFileSync(path.join(ROOT, file), "utf8")
            .split("\n")
            .forEach((line, i) => {
                for (const m of line.matchAll(/npm run ((?:--?[a-z-]+ )*)([a-z][\w:-]*)((?: -- [^`|#;&"\\)]*)?)/g)) {
                    const args = (m[3] ?? "").replace(/^ -- /, "").trim();
                    out.push({ where: `${file}:${i + 1}`, script: m[2]!, args: args === "" ? [] : args.split(/\s+/) });
                }
            });
    }
    return out;
}

/** Each CLI run in-process: with `--help` last, a well-formed line prints the usage and runs nothing. */
const CLIS: Readonly<Record<string, (argv: string[]) => Promise<Captured>>> = {
    plan: (argv) => capture((io) => runPlanCli(argv, io)),
    doctor: (argv) => capture((io) => runDoctor(argv, io)),
    audit: (argv) => capture((io) => runAuditCli(argv, io, { env: {} })),
    jwks: (argv) => capture((io) => runJwks(argv, io)),
    bench: (argv) => capture((io) => runBenchCli(argv, io, () => assert.fail("--help must not run the benchmark"))),
    docs: (argv) => capture((io) => runDocsCli(argv, io, ROOT, [])),
};

describe("commands a reader can run", () => {
    const commands = quotedCommands();

    it("finds the commands the docs quote", () => {
        assert.ok(commands.filter((c) => c.args.length > 0).length > 30, `found only ${commands.length} commands`);
    });

    it("names only scripts package.json defines", () => {
        const scripts = Object.keys((JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
        const unknown = commands.filter((c) => !scripts.includes(c.script)).map((c) => `${c.where}: npm run ${c.script}`);
        assert.deepEqual(unknown, []);
    });

    it("quotes only flags the CLI's parser accepts, and only projects the plan knows", async () => {
        const problems: string[] = [];
        for (const c of commands) {
            const run = CLIS[c.script];
            if (!run) continue;
            const flags = new Set(c.args.map((a) => a.replace(/^[[(]+/, "").replace(/[\])]+$/, "")).filter((a) => /^--[a-z]/.test(a)));
            for (const flag of flags) {
                const name = flag.split("=")[0]!;
                const r = await run([`${name}=x`, "--help"]);
                if (r.stderr.includes(`unknown option ${name}`)) problems.push(`${c.where}: npm run ${c.script} -- ${name}: not an option of ${c.script}`);
            }
            const project = c.args.indexOf("--project");
            const value = project >= 0 ? c.args[project + 1] : undefined;
            if (value !== undefined && !/^[<[]/.test(value) && !(value.replace(/\/+$/, "") in PLAN_PROJECTS))
                problems.push(`${c.where}: --project ${value}: not a project the plan knows (${Object.keys(PLAN_PROJECTS).join(", ")})`);
        }
        assert.deepEqual(problems, []);
    });

    it("would catch a quoted flag no parser has", async () => {
        const r = await CLIS.plan!(["--stack-name=x", "--help"]);
        assert.match(r.stderr, /unknown option --stack-name/);
    });
});
