/**
 * What the dynamic-provider suites share: a provider built with a fake clock (every wait recorded, none slept), and a
 * provider loaded as Pulumi deploys it: serialized by Pulumi's closure serializer, written to a file, and run by a fresh
 * Node process that knows nothing of this repository.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { runtime as pulumiRuntime } from "@pulumi/pulumi";
import type { GraphProviderOptions, GraphTokenSource } from "../src/providers/graph-client";
import { APP_ONLY_TOKEN } from "./fake-graph";

export type Provider = Required<pulumi.dynamic.ResourceProvider>;
export const T0 = Date.parse("2026-10-01T12:00:00Z");

/** A provider with a fake clock; `clock.waits` records every sleep it asked for, in ms, and `clock.t` is "now". */
export function faked(
    factory: (getToken: GraphTokenSource, options: GraphProviderOptions) => pulumi.dynamic.ResourceProvider,
    options: Omit<GraphProviderOptions, "clock"> = {},
    token = APP_ONLY_TOKEN,
) {
    const clock = { t: T0, waits: [] as number[] };
    const provider = factory(() => Promise.resolve(token), {
        ...options,
        clock: {
            now: () => clock.t,
            sleep: (ms) => {
                clock.waits.push(ms);
                clock.t += ms;
                return Promise.resolve();
            },
        },
    }) as Provider;
    return { provider, clock };
}

/**
 * Serializes `instance` as Pulumi stores a dynamic provider, and runs `probe` (JavaScript, with the loaded provider in
 * `p`) in a fresh Node process. Returns the lines the probe printed; fails on a non-zero exit. The serialized text must
 * not require this repository's files: the engine runs it in its own process.
 */
export async function runSerialized(instance: pulumi.dynamic.ResourceProvider, probe: string): Promise<string[]> {
    const serialized = await pulumiRuntime.serializeFunction(() => instance, { allowSecrets: true });
    const file = path.join(mkdtempSync(path.join(tmpdir(), "agentfed-provider-")), "provider.js");
    writeFileSync(file, serialized.text);
    assert.doesNotMatch(serialized.text, /require\("\.{1,2}\//);
    const code = `const p = require(${JSON.stringify(file)}).handler();\n${probe}`;
    const child = spawn(process.execPath, ["-e", code], { cwd: __dirname, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exit = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill(), 20_000);
        child.on("close", (c) => {
            clearTimeout(timer);
            resolve(c);
        });
    });
    assert.equal(exit, 0, `${stderr}\n${stdout}`);
    return stdout.trim().split("\n");
}

/** A stack configuration as `configure` receives it, naming the Graph stand-in as `agentfed:blueprint.graphEndpoint`. */
export function configWithGraph(url: string): string {
    return `{ get: (k) => (k === "agentfed:blueprint" ? JSON.stringify({ graphEndpoint: ${JSON.stringify(url)} }) : undefined) }`;
}
