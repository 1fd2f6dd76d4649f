import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, parseStackConfig } from "../src/config";
import { STACK_KEYS } from "../src/config/parse";
import { PROVIDER_NAMESPACES } from "../src/config/reader";
import { closest, describedPaths, editDistance, normalizePath } from "../src/config/spec";
import { readStackConfig } from "../src/plan/stack-files";
import { runPlan } from "../src/plan/run-plan";
import { generatedPages } from "../scripts/docs";
import { EVERY_KEY } from "./fixtures/every-key";

const ROOT = path.resolve(__dirname, "..");
const NS = "agentfed";

/** A config source as Pulumi builds it: strings, objects as JSON text, and the list of every key set. */
function source(values: Record<string, unknown>) {
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) raw[k.includes(":") ? k : `${NS}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return { get: (k: string) => raw[`${NS}:${k}`], allKeys: () => Object.keys(raw) };
}

/** The paths the parser reads while parsing `values`, whether or not the configuration is valid. */
function pathsRead(values: Record<string, unknown>): Set<string> {
    const read = new Set<string>();
    try {
        parseStackConfig(source(values), NS, { trace: (p) => read.add(normalizePath(STACK_KEYS, p).replace(/(\[\])+$/, "")) });
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected the parser to finish or refuse, got ${String(err)}`);
    }
    return read;
}

function issues(values: Record<string, unknown>) {
    try {
        return { issues: [], warnings: parseStackConfig(source(values), NS).warnings };
    } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return { issues: err.issues.map((i) => `${i.key}: ${i.problem} | ${i.fix}`), warnings: [] };
    }
}

const prod = (): Record<string, unknown> => ({ ...readStackConfig("prod") });

describe("configuration reference (docs/configuration.md)", () => {
    it("is exactly what npm run docs generates from the keys the parser reads", () => {
        for (const page of generatedPages()) {
            assert.equal(readFileSync(path.join(ROOT, page.file), "utf8"), page.content, `${page.file} is stale: run npm run docs`);
        }
    });

    it("describes every key the parser reads, and the parser reads every key it describes", () => {
        const described = new Set(describedPaths(STACK_KEYS).map((p) => p.replace(/(\[\])+$/, "").replace(/\.\*$/, ".*")));
        const read = new Set<string>();
        const stacks = [...["prod", "dev"].map((s) => readStackConfig(s)), ...EVERY_KEY];
        for (const values of stacks) for (const p of pathsRead(values)) read.add(p);
        assert.deepEqual(
            [...read].filter((p) => !described.has(p)),
            [],
            "read by the parser but not described (add it to the spec next to the parser)",
        );
        assert.deepEqual(
            [...described].filter((p) => !read.has(p)),
            [],
            "described but never read (a key the parser ignores, or a fixture in test/fixtures/every-key.ts that lacks it)",
        );
    });

    it("sets every key in a valid stack (the first fixture), so the reference's example shape deploys", () => {
        assert.deepEqual(issues(EVERY_KEY[0]!).issues, []);
    });
});

describe("unknown keys", () => {
    it("suggests the closest known key, ignoring case, and nothing when none is close", () => {
        assert.equal(editDistance("contanerApp", "containerApp"), 1);
        assert.equal(closest("contanerApp", Object.keys(STACK_KEYS.fields)), "containerApp");
        assert.equal(closest("appID", ["kind", "appId", "objectId"]), "appId");
        assert.equal(closest("tenantid", Object.keys(STACK_KEYS.fields)), "tenantId");
        assert.equal(closest("foo", Object.keys(STACK_KEYS.fields)), undefined);
    });

    it("refuses a typo in a top-level key, naming the closest key (the motivating contanerApp bug)", () => {
        const values = prod();
        values[`${NS}:contanerApp`] = values[`${NS}:containerApp`];
        delete values[`${NS}:containerApp`];
        assert.deepEqual(issues(values).issues, ["agentfed:contanerApp: is not a known setting | did you mean agentfed:containerApp? Rename the key"]);
    });

    it("refuses it in a deployment too: the program lists every key Pulumi hands it (runtime.allConfig)", async () => {
        const containerApp = JSON.parse(readStackConfig("prod")[`${NS}:containerApp`]!) as object;
        await assert.rejects(runPlan({ stack: "prod", config: { containerApp: undefined, contanerApp: containerApp } }), (err: unknown) => {
            assert.ok(err instanceof ConfigError);
            assert.deepEqual(
                err.issues.map((i) => i.key),
                ["agentfed:contanerApp"],
            );
            return true;
        });
    });

    it("refuses a near-miss of the namespace, leaves provider namespaces to their providers, and warns about any other", () => {
        const values = {
            ...prod(),
            "agentfd:tenantId": "11111111-1111-1111-1111-111111111111",
            "azure-native:location": "westeurope",
            "acme:costCenter": "42",
        };
        assert.deepEqual(issues(values).issues, [
            "agentfd:tenantId: is in namespace agentfd, which nothing reads | did you mean agentfed:tenantId? The project's settings are in the agentfed: namespace",
        ]);
        delete (values as Record<string, unknown>)["agentfd:tenantId"];
        assert.match(issues(values).warnings.join("\n"), /acme:costCenter is set, but nothing in this program reads the acme: namespace/);
    });

    it("names unknown keys inside structured values with the closest known one", () => {
        const values = prod();
        values[`${NS}:gcp`] = JSON.stringify({ ...(JSON.parse(values[`${NS}:gcp`] as string) as object), modelRole: ["roles/aiplatform.user"] });
        assert.deepEqual(issues(values).issues, ["agentfed:gcp.modelRole: is not a known setting | did you mean agentfed:gcp.modelRoles? Rename the key"]);
    });

    it("lists the namespaces of exactly the providers this program depends on", () => {
        const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
        const providers = Object.keys(pkg.dependencies)
            .filter((d) => d.startsWith("@pulumi/") && !["@pulumi/pulumi", "@pulumi/policy"].includes(d))
            .map((d) => d.slice("@pulumi/".length));
        assert.deepEqual([...PROVIDER_NAMESPACES].sort(), [...providers, "pulumi"].sort());
    });
});
