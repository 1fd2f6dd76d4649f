import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { BOOTSTRAP_KEYS, BootstrapConfig, parseBootstrapConfig } from "../bootstrap/config";
import { renderBootstrapConfigurationReference } from "../bootstrap/reference";
import { ConfigError } from "../src/config";
import { describedPaths, normalizePath } from "../src/config/spec";
import { PROJECT_DIR, readProjectName, readStackConfig } from "../src/plan/stack-files";
import { generatedPages } from "../scripts/docs";
import { BOOTSTRAP_EVERY_KEY } from "./fixtures/bootstrap-every-key";

/**
 * The CI bootstrap's configuration reference (docs/ci-bootstrap-configuration.md) is generated from the key
 * descriptions its parser consumes (BOOTSTRAP_KEYS), as the main project's is (test/config-reference.test.ts): the
 * committed page is what the generator writes, every key the parser reads is described, and every described key is
 * read.
 */

const BOOTSTRAP_DIR = path.join(PROJECT_DIR, "bootstrap");
const PAGE = "docs/ci-bootstrap-configuration.md";
const NS = "agentfed-bootstrap";
const K = BOOTSTRAP_KEYS.fields;

/** A config source as Pulumi builds it: strings, objects as JSON text, and the list of every key set. */
function source(values: Record<string, unknown>) {
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) raw[k.includes(":") ? k : `${NS}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return { get: (k: string) => raw[`${NS}:${k}`], allKeys: () => Object.keys(raw) };
}

/** The committed bootstrap/Pulumi.github.yaml, as Pulumi hands it over. */
const committed = (): Record<string, unknown> => ({ ...readStackConfig("github", BOOTSTRAP_DIR) });

/** The paths the parser reads while parsing `values`, in the reference's form, whether or not the configuration is valid. */
function pathsRead(values: Record<string, unknown>): Set<string> {
    const read = new Set<string>();
    try {
        parseBootstrapConfig(source(values), NS, BOOTSTRAP_DIR, { trace: (p) => read.add(normalizePath(BOOTSTRAP_KEYS, p).replace(/(\[\])+$/, "")) });
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected the parser to finish or refuse, got ${String(err)}`);
    }
    return read;
}

/** Every path a value sets, in the reference's form (`environments[].reviewers.users`). */
function pathsSet(value: unknown, at: string): string[] {
    const here = at.replace(/(\[\])+$/, "");
    if (Array.isArray(value)) return [here, ...value.flatMap((v) => pathsSet(v, `${at}[]`))];
    if (value !== null && typeof value === "object") return [here, ...Object.entries(value).flatMap(([k, v]) => pathsSet(v, `${at}.${k}`))];
    return [here];
}

function parse(values: Record<string, unknown>): BootstrapConfig {
    try {
        return parseBootstrapConfig(source(values), NS, BOOTSTRAP_DIR);
    } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        assert.fail(`expected a valid configuration, got:\n${err.issues.map((i) => `${i.key}: ${i.problem} | ${i.fix}`).join("\n")}`);
    }
}

describe("CI bootstrap configuration reference (docs/ci-bootstrap-configuration.md)", () => {
    it("is exactly what npm run docs generates from the keys the bootstrap's parser reads", () => {
        const page = generatedPages().find((p) => p.file === PAGE);
        assert.ok(page, `scripts/docs.ts does not generate ${PAGE}`);
        assert.equal(page.content, renderBootstrapConfigurationReference());
        assert.equal(readFileSync(path.join(PROJECT_DIR, PAGE), "utf8"), page.content, `${PAGE} is stale: run npm run docs`);
    });

    it("is written for the namespace Pulumi gives the bootstrap's keys: its project name", () => {
        assert.equal(readProjectName(BOOTSTRAP_DIR), NS);
        assert.match(
            renderBootstrapConfigurationReference(),
            new RegExp(`^# CI bootstrap configuration reference\n\nAfter reading this you will know every \`${NS}:\` key `),
        );
    });

    it("describes every key the parser reads, and the parser reads every key it describes", () => {
        const described = new Set(describedPaths(BOOTSTRAP_KEYS).map((p) => p.replace(/(\[\])+$/, "")));
        const read = new Set<string>();
        for (const values of [committed(), BOOTSTRAP_EVERY_KEY]) for (const p of pathsRead(values)) read.add(p);
        assert.deepEqual(
            [...read].filter((p) => !described.has(p)),
            [],
            "read by the parser but not described (add it to BOOTSTRAP_KEYS in bootstrap/config.ts)",
        );
        assert.deepEqual(
            [...described].filter((p) => !read.has(p)),
            [],
            "described but never read (a key the parser ignores, or one test/fixtures/bootstrap-every-key.ts lacks)",
        );
    });

    it("sets every described key in the fixture, so the coverage does not rest on reading absent keys", () => {
        const fixturePaths = new Set(Object.entries(BOOTSTRAP_EVERY_KEY).flatMap(([key, value]) => pathsSet(value, key)));
        const described = describedPaths(BOOTSTRAP_KEYS).map((p) => p.replace(/(\[\])+$/, ""));
        assert.deepEqual(
            described.filter((p) => !fixturePaths.has(p)),
            [],
            "test/fixtures/bootstrap-every-key.ts leaves these keys unset",
        );
    });

    it("sets every key in a valid configuration (the fixture), each optional one away from its default", () => {
        const c = parse(BOOTSTRAP_EVERY_KEY);
        assert.equal(c.github.subjectFormat, "immutable");
        assert.deepEqual(
            c.environments.map((e) => e.deployBranch ?? null),
            [null, null, "release", "release", "release"],
        );
        assert.deepEqual(c.environments[4]!.reviewers, { users: [300000003, 300000005], teams: [400000004] });
        assert.match(c.warnings.join("\n"), /environments\[1\] reads every secret .*noReviewersReason: "a test fixture/);
        assert.deepEqual(c.branchProtection, {
            branch: "release",
            requiredApprovals: 2,
            bypassActors: [
                { actorType: "Team", actorId: 400000004, bypassMode: "always" },
                { actorType: "OrganizationAdmin", actorId: undefined, bypassMode: "pullRequest" },
            ],
        });
        assert.equal(c.aws?.pinRepositoryId, false);
        assert.deepEqual(c.pulumi, { organization: "contoso", tokenType: "organization", maxExpirationSeconds: 3600 });
        assert.equal(c.protect, false);
    });

    it("takes the parser's defaults from the reference: a configuration without optional keys gets what the page says", () => {
        const values = committed();
        const github = JSON.parse(values[`${NS}:github`] as string) as Record<string, unknown>;
        delete github.subjectFormat;
        delete github.deployBranch;
        const aws = JSON.parse(values[`${NS}:aws`] as string) as Record<string, unknown>;
        delete aws.pinRepositoryId;
        values[`${NS}:github`] = JSON.stringify(github);
        values[`${NS}:aws`] = JSON.stringify(aws);
        values[`${NS}:pulumi`] = JSON.stringify({ organization: "contoso" });
        delete values[`${NS}:protect`];
        const c = parse(values);
        assert.equal(c.github.subjectFormat, K.github.fields.subjectFormat.default);
        assert.equal(c.environments.find((e) => e.access === "deploy")!.deployBranch, K.github.fields.deployBranch.default);
        assert.equal(c.aws?.pinRepositoryId, K.aws.fields.pinRepositoryId.default);
        assert.equal(c.pulumi.tokenType, K.pulumi.fields.tokenType.default);
        assert.equal(c.pulumi.maxExpirationSeconds, K.pulumi.fields.maxExpirationSeconds.default);
        assert.equal(c.protect, K.protect.default);
        assert.deepEqual(
            [
                K.github.fields.subjectFormat.default,
                K.github.fields.deployBranch.default,
                K.pulumi.fields.tokenType.default,
                K.pulumi.fields.maxExpirationSeconds.default,
            ],
            ["name", "main", "team", 7200],
        );
        // mainProjectDir's default (..) is what finds the main stacks from bootstrap/: the committed file does not set it.
        assert.equal(values[`${NS}:mainProjectDir`], undefined);
        assert.equal(K.mainProjectDir.default, "..");
    });
});
