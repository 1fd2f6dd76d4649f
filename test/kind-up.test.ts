/**
 * scripts/kind-up.sh run as a user runs it, by bash, with a PATH holding only stand-ins: `pulumi`, `kind`, `docker`,
 * `podman` are small bash scripts that record their arguments and answer as the real tools do for these calls;
 * `node` is this Node; the few coreutils the script calls are linked in. Nothing reaches a cluster or a cloud.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
    accessSync,
    chmodSync,
    constants,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    statSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { renderKindClusterConfig } from "../src/contracts/oidc-issuer";

const SCRIPT = path.resolve(__dirname, "..", "scripts", "kind-up.sh");
const USAGE = /^usage: scripts\/kind-up\.sh \[--help\] \[stack\]/m;
const root = mkdtempSync(path.join(tmpdir(), "agentfed-kind-up-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** The first executable named `name` on this process's PATH. */
function which(name: string): string {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir, name);
        try {
            accessSync(candidate, constants.X_OK);
            return candidate;
        } catch {
            // not here
        }
    }
    throw new Error(`${name} is not on PATH`);
}
const BASH = which("bash");
/** The coreutils the script calls once the checks pass (the checks themselves use bash built-ins only). */
const COREUTILS = ["dirname", "mktemp", "head", "rm", "mkdir", "chmod", "grep"];

/** A stand-in executable: a bash script. */
function stub(bin: string, name: string, body: string) {
    writeFileSync(path.join(bin, name), `#!${BASH}\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
}

/** `<engine> info` succeeding (a running engine) or failing as the Docker CLI does when no daemon answers. */
const engine = (running: boolean) =>
    running
        ? `echo "\${0##*/} $*" >> "$KIND_UP_LOG"; [ "$1" = info ] && echo "Server Version: 27.0.0"`
        : `echo "\${0##*/} $*" >> "$KIND_UP_LOG"; echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1`;

interface Setup {
    readonly tools?: readonly ("pulumi" | "kind" | "node")[];
    readonly engines?: Partial<Record<"docker" | "podman" | "nerdctl", boolean>>;
    /** Clusters `kind get clusters` lists. */
    readonly clusters?: readonly string[];
    /** pulumi's answer to `stack output kindClusterConfig`: the config text, or null for a stack without that output. */
    readonly clusterConfig?: string | null;
}

const FAKE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nnot-a-real-key-only-a-test-marker\n-----END RSA PRIVATE KEY-----";
let n = 0;

/** A fresh directory with a bin/ of stand-ins; runs the script there and returns what a user sees, and the log. */
function setUp(setup: Setup = {}) {
    const dir = path.join(root, `case-${n++}`);
    const bin = path.join(dir, "bin");
    const tmp = path.join(dir, "tmp");
    mkdirSync(bin, { recursive: true });
    mkdirSync(tmp);
    const log = path.join(dir, "calls.log");
    writeFileSync(log, "");
    const tools = setup.tools ?? ["pulumi", "kind", "node"];
    if (tools.includes("node")) symlinkSync(process.execPath, path.join(bin, "node"));
    if (tools.length === 3) for (const util of COREUTILS) symlinkSync(which(util), path.join(bin, util));
    const keyPath = path.join(dir, "keys", "sa-signer.key");
    const config =
        setup.clusterConfig === undefined
            ? renderKindClusterConfig({
                  clusterName: "agentfed-dev",
                  issuer: "https://oidcagentfeddev01.blob.core.windows.net/oidc",
                  signingKeyHostPath: keyPath,
              })
            : setup.clusterConfig;
    if (config !== null) writeFileSync(path.join(dir, "config.yaml"), config);
    if (tools.includes("pulumi")) {
        // `pulumi stack output <name> --stack=<s>` prints a string output raw; a missing output is an error (exit 255).
        stub(
            bin,
            "pulumi",
            `echo "pulumi $*" >> "$KIND_UP_LOG"
case "$3" in
  kindClusterConfig) [ -f "${dir}/config.yaml" ] || { echo "error: current stack does not have output property 'kindClusterConfig'" >&2; exit 255; }; printf '%s' "$(<"${dir}/config.yaml")"; echo ;;
  kindServiceAccountSigningKey) printf '%b\\n' "${FAKE_KEY.replace(/\n/g, "\\n")}" ;;
  *) exit 255 ;;
esac`,
        );
    }
    if (tools.includes("kind")) {
        const clusters = (setup.clusters ?? []).join("\\n");
        // `kind create cluster --config f` reads the file: the stand-in keeps a copy, as the file is removed after.
        stub(
            bin,
            "kind",
            `echo "kind $*" >> "$KIND_UP_LOG"
if [ "$1 $2" = "get clusters" ]; then printf '${clusters}${clusters ? "\\n" : ""}'; exit 0; fi
if [ "$1 $2 $3" = "create cluster --config" ]; then while IFS= read -r line; do echo "$line"; done < "$4" > "${dir}/kind-saw.yaml"; echo "$4" > "${dir}/kind-config-path"; fi`,
        );
    }
    for (const [name, running] of Object.entries(setup.engines ?? { docker: true })) stub(bin, name, engine(running));
    const run = (args: readonly string[], env: Record<string, string> = {}) => {
        const r = spawnSync(BASH, [SCRIPT, ...args], {
            env: { PATH: bin, HOME: dir, TMPDIR: tmp, KIND_UP_LOG: log, ...env },
            encoding: "utf8",
            timeout: 30_000,
        });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(log, "utf8").split("\n").filter(Boolean) };
    };
    return { dir, tmp, keyPath, run };
}

describe("kind-up: the command line", () => {
    it("prints its usage on --help and -h, exit 0, running nothing", () => {
        const { run } = setUp({ tools: [], engines: {} });
        for (const flag of ["--help", "-h"]) {
            const r = run([flag]);
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, USAGE);
            assert.equal(r.stderr, "");
            assert.deepEqual(r.calls, []);
        }
        assert.equal(run(["dev-me", "--help"]).code, 0, "--help after the stack");
    });

    it("refuses an unknown option, a second argument and a malformed line with exit 2 and the usage", () => {
        const { run } = setUp();
        const cases: [string[], RegExp][] = [
            [["--bogus"], /^kind-up: unknown option --bogus$/m],
            [["-s", "dev"], /^kind-up: unknown option -s$/m],
            [["--help", "--bogus"], /unknown option --bogus/],
            [["dev", "prod"], /^kind-up: unexpected argument "prod" \(one stack at most\)$/m],
            [["--", "dev", "prod"], /unexpected argument "prod"/],
        ];
        for (const [args, message] of cases) {
            const r = run(args);
            assert.equal(r.code, 2, args.join(" "));
            assert.match(r.stderr, message, args.join(" "));
            assert.match(r.stderr, USAGE, args.join(" "));
            assert.equal(r.stdout, "");
            assert.deepEqual(r.calls, [], `${args.join(" ")}: nothing runs`);
        }
    });

    it("takes only a stack name (Pulumi's rule, or <org>/<project>/<stack>), never a path", () => {
        const { run } = setUp();
        for (const bad of ["../Pulumi.prod", "/etc/passwd", "a b", "dev;rm", "a/b/c/d", "a//b", ".", "dev/..", "", "x".repeat(101), "$(id)"]) {
            const r = run(["--", bad]);
            assert.equal(r.code, 2, JSON.stringify(bad));
            assert.match(r.stderr, /is not a stack name: 1-100 letters, digits, '-', '_' or '\.'/, JSON.stringify(bad));
            assert.deepEqual(r.calls, [], `${JSON.stringify(bad)}: nothing runs`);
        }
        const { run: runEmpty } = setUp({ tools: [], engines: {} });
        for (const good of ["dev", "dev-alice", "dev_alice.2", "acme/dev", "acme/agentfed/dev-alice", "x".repeat(100)]) {
            const r = runEmpty([good]);
            assert.equal(r.code, 1, `${good} passes the name check, then stops at the missing tools`);
            assert.match(r.stderr, new RegExp(`cluster of stack ${good.replace(/[.]/g, "\\.")}; missing`));
        }
    });
});

describe("kind-up: the tools it needs", () => {
    it("names every missing tool at once, with where to get it, and touches nothing", () => {
        const r = setUp({ tools: [], engines: {} }).run([]);
        assert.equal(r.code, 1);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /^kind-up: cannot create the cluster of stack dev; missing:$/m);
        assert.match(r.stderr, /^ {2}- pulumi: .*https:\/\/www\.pulumi\.com\/docs\/install\/$/m);
        assert.match(r.stderr, /^ {2}- kind: https:\/\/kind\.sigs\.k8s\.io\//m);
        assert.match(r.stderr, /^ {2}- node: .*\.nvmrc/m);
        assert.match(
            r.stderr,
            /^ {2}- a container engine for kind's nodes: Docker \(https:\/\/docs\.docker\.com\/engine\/install\/\) or Podman .*none is installed$/m,
        );
        assert.equal(r.stderr.match(/^ {2}- /gm)?.length, 4);
    });

    it("names only what is missing", () => {
        const r = setUp({ tools: ["pulumi", "node"], engines: { docker: true } }).run(["dev"]);
        assert.equal(r.code, 1);
        assert.deepEqual(r.stderr.match(/^ {2}- [^:]+/gm), ["  - kind"]);
        assert.deepEqual(r.calls, ["docker info"], "only the engine is asked, and only `info`");
    });

    it("refuses an installed engine that is not running: `docker info` fails", () => {
        const r = setUp({ engines: { docker: false } }).run(["dev"]);
        assert.equal(r.code, 1);
        assert.match(
            r.stderr,
            /- a running container engine: kind would use docker, and `docker info` fails; start it \(Docker: .*Podman: podman machine start\)$/m,
        );
        assert.ok(!r.calls.some((c) => c.startsWith("pulumi") || c.startsWith("kind")), "nothing read or created");
    });

    it("points at a running Podman when kind would pick a stopped Docker (kind tries docker first)", () => {
        const r = setUp({ engines: { docker: false, podman: true } }).run(["dev"]);
        assert.equal(r.code, 1);
        assert.match(
            r.stderr,
            /kind would use docker, and `docker info` fails; start it, or use podman, which is running: export KIND_EXPERIMENTAL_PROVIDER=podman$/m,
        );
    });

    it("accepts Podman alone, and the engine KIND_EXPERIMENTAL_PROVIDER names", () => {
        const podman = setUp({ engines: { podman: true } }).run(["dev"]);
        assert.equal(podman.code, 0, podman.stderr);
        assert.equal(podman.calls[0], "podman info");
        const chosen = setUp({ engines: { docker: false, podman: true } }).run(["dev"], { KIND_EXPERIMENTAL_PROVIDER: "podman" });
        assert.equal(chosen.code, 0, chosen.stderr);
        assert.ok(!chosen.calls.includes("docker info"), "the engine kind will not use is not asked");
    });

    it("refuses a KIND_EXPERIMENTAL_PROVIDER that is not installed, or is not a command name", () => {
        const absent = setUp({ engines: { docker: true } }).run(["dev"], { KIND_EXPERIMENTAL_PROVIDER: "podman" });
        assert.equal(absent.code, 1);
        assert.match(absent.stderr, /- podman: named by KIND_EXPERIMENTAL_PROVIDER but not installed/);
        const odd = setUp({ engines: { docker: true } }).run(["dev"], { KIND_EXPERIMENTAL_PROVIDER: "../docker" });
        assert.equal(odd.code, 1);
        assert.match(odd.stderr, /KIND_EXPERIMENTAL_PROVIDER must name one \(docker, podman or nerdctl\)/);
        assert.deepEqual(odd.calls, []);
    });
});

describe("kind-up: creating the cluster from the stack's outputs", () => {
    it("writes the key (mode 600) where the config mounts it, runs kind create cluster with that config, and removes the config", () => {
        const { run, keyPath, tmp, dir } = setUp();
        const r = run(["dev-alice"]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.calls, [
            "docker info",
            "pulumi stack output kindClusterConfig --stack=dev-alice",
            "kind get clusters",
            "pulumi stack output kindServiceAccountSigningKey --show-secrets --stack=dev-alice",
            `kind create cluster --config ${readFileSync(path.join(dir, "kind-config-path"), "utf8").trim()}`,
        ]);
        assert.equal(readFileSync(keyPath, "utf8"), `${FAKE_KEY}\n`);
        assert.equal(statSync(keyPath).mode & 0o777, 0o600);
        assert.equal(
            readFileSync(path.join(dir, "kind-saw.yaml"), "utf8"),
            readFileSync(path.join(dir, "config.yaml"), "utf8"),
            "kind read the stack's config",
        );
        assert.deepEqual(readdirSync(tmp), [], "the temporary config is removed");
        assert.match(r.stdout, /^kind-up: signing key written to .*sa-signer\.key \(mode 600\)$/m);
        assert.match(r.stdout, /its kubeconfig context is kind-agentfed-dev$/m);
        assert.match(r.stdout, /set agentfed:kind\.kubeconfigContext to kind-agentfed-dev \(Pulumi\.dev-alice\.yaml\) and run pulumi up -s dev-alice$/m);
        assert.ok(!`${r.stdout}${r.stderr}`.includes("not-a-real-key"), "the key is never printed");
    });

    it("makes an existing key file private before writing the key into it", () => {
        const { run, keyPath } = setUp();
        mkdirSync(path.dirname(keyPath), { recursive: true });
        writeFileSync(keyPath, "old", { mode: 0o644 });
        chmodSync(keyPath, 0o644);
        const r = run(["acme/agentfed/dev-alice"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(statSync(keyPath).mode & 0o777, 0o600);
        assert.equal(readFileSync(keyPath, "utf8"), `${FAKE_KEY}\n`);
        assert.match(r.stdout, /\(Pulumi\.dev-alice\.yaml\) and run pulumi up -s acme\/agentfed\/dev-alice$/m);
    });

    it("stops before writing the key when the cluster exists already", () => {
        const { run, keyPath } = setUp({ clusters: ["other", "agentfed-dev"] });
        const r = run(["dev"]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /a Kind cluster named agentfed-dev exists already; to recreate it: kind delete cluster --name agentfed-dev/);
        assert.equal(existsSync(keyPath), false);
        assert.ok(!r.calls.some((c) => c.includes("kindServiceAccountSigningKey") || c.startsWith("kind create")));
    });

    it("says what to check when the stack has no Kind outputs", () => {
        const missing = setUp({ clusterConfig: null }).run(["prod"]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /could not read the output kindClusterConfig of stack prod/);
        const empty = setUp({ clusterConfig: "null" }).run(["prod"]);
        assert.equal(empty.code, 1);
        assert.match(empty.stderr, /stack prod has no Kind environment \(set agentfed:kind and run pulumi up first\)/);
        assert.ok(!empty.calls.some((c) => c.includes("kindServiceAccountSigningKey")));
    });
});
