import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { CLOUDS } from "../src/clouds";
import { STACK_KEYS } from "../src/config/parse";
import { AGENT_CLASSES_KEYS } from "../src/config/agent-classes";
import { contractProblems } from "../src/outputs-file";
import { STACK_OUTPUT_NAMES } from "../src/outputs";

// The cloud federations are listed once (src/clouds/index.ts); everything cloud-specific is reached through that list.
// These checks hold for any cloud added to it: each is wired into the configuration, its reference, the outputs, the
// outputs reader and the doctor without another list to remember.

describe("cloud federations: one list, every consumer reads it", () => {
    it("gives each cloud a distinct id and contract kind", () => {
        assert.equal(new Set(CLOUDS.map((c) => c.id)).size, CLOUDS.length);
        assert.equal(new Set(CLOUDS.map((c) => c.contract.kind)).size, CLOUDS.length);
    });

    it("puts each cloud's sections in the configuration, with every key of the stack's section marked shared or per agent", () => {
        for (const cloud of CLOUDS) {
            assert.equal(STACK_KEYS.fields[cloud.id as keyof typeof STACK_KEYS.fields], cloud.config.keys, cloud.id);
            assert.equal(AGENT_CLASSES_KEYS.items.fields[cloud.id as keyof typeof AGENT_CLASSES_KEYS.items.fields], cloud.config.classKeys, cloud.id);
            for (const [key, spec] of Object.entries(cloud.config.keys.fields))
                assert.ok(spec.scope === "shared" || spec.scope === "agent", `${cloud.id}.${key} says whether it is shared or per agent`);
            // A class sets exactly the per-agent keys the primary agent sets at the top level.
            const perAgent = Object.entries(cloud.config.keys.fields)
                .filter(([, spec]) => spec.scope === "agent")
                .map(([key]) => key);
            assert.deepEqual(perAgent.sort(), Object.keys(cloud.config.classKeys.fields).sort(), cloud.id);
        }
    });

    it("lists each cloud's outputs among the stack's, and checks its contracts in outputs files", () => {
        for (const cloud of CLOUDS) {
            for (const name of cloud.outputs.stack) assert.ok(STACK_OUTPUT_NAMES.includes(name), `${cloud.id}: ${name}`);
            for (const name of cloud.outputs.objects) assert.ok((cloud.outputs.stack as readonly string[]).includes(name), `${cloud.id}: ${name}`);
            assert.ok(contractProblems({ kind: cloud.contract.kind }, "c").length > 0, `${cloud.id}: an empty ${cloud.contract.kind} contract is refused`);
        }
        assert.match(contractProblems({ kind: "azure-openai" }, "c").join("\n"), new RegExp(CLOUDS.map((c) => c.contract.kind).join(".*")));
    });

    it("keeps the doctor, the outputs reader and the config parser free of the Pulumi SDK: each cloud's Pulumi side loads on first use", () => {
        const root = path.join(__dirname, "..");
        const script = [
            "require('./src/doctor/evaluate.ts');",
            "require('./src/outputs-file.ts');",
            "require('./src/config/index.ts');",
            "const loaded = Object.keys(require.cache).filter((k) => k.includes('node_modules/@pulumi/'));",
            "process.stdout.write(JSON.stringify(loaded.length));",
        ].join("");
        const result = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, encoding: "utf8", timeout: 60_000 });
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stdout, "0");
    });
});
