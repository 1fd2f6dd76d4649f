import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

/**
 * `pulumi up` does not run the program with tsx: Pulumi's Node.js language host (@pulumi/pulumi cmd/run/run.js)
 * registers ts-node, type-checking, with the compiler options it reads from the project directory's tsconfig.json
 * through its own loader, laid over its defaults (target ES2020, module and resolution nodenext). A TypeScript or
 * tsconfig change can pass `tsc -p .` and the tsx-run tests and still fail there, so each project is loaded here the
 * way run.js loads it: same working directory, same option merge, same ts-node registration, then its program
 * module is required (its entry point is not run: that needs the engine).
 */

const ROOT = path.resolve(__dirname, "..");

/** The child: mirrors run.js (pulumi 3.276) lines that register ts-node, then requires the program module. */
const LOADER = `
const path = require("node:path");
const tsutils = require("@pulumi/pulumi/tsutils");
const compilerOptions = tsutils.loadTypeScriptCompilerOptions("tsconfig.json");
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
require(tsnodeRequire).register({
    compiler: typescriptRequire,
    transpileOnly: compilerOptions.noCheck,
    project: "tsconfig.json",
    skipProject: !require("node:fs").existsSync("tsconfig.json"),
    compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
});
const loaded = require(path.resolve(process.argv[1]));
process.stdout.write(JSON.stringify(Object.keys(loaded)));
`;

function loadAsPulumiWould(projectDir: string, programModule: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["-e", LOADER, programModule], {
            cwd: path.join(ROOT, projectDir),
            // Resolve @pulumi/pulumi, ts-node and typescript from the repository, as run.js does from the project.
            env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** Every Pulumi project in the repository: directory, the module its entry point runs, what that module exports. */
const PROJECTS: [string, string, string][] = [
    [".", "src/program.ts", "runProgram"],
    ["bootstrap", "program.ts", "runBootstrap"],
    ["examples/consumer", "program.ts", "runConsumer"],
];

describe("each Pulumi project is laid out for Pulumi's Node.js host", () => {
    const compilerOptionsOf = (dir: string) => {
        const options = (JSON.parse(readFileSync(path.join(ROOT, dir, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> })
            .compilerOptions;
        const { noEmit: _noEmit, outDir: _outDir, ...rest } = options;
        return rest;
    };
    for (const [dir] of PROJECTS) {
        it(`${dir}: Pulumi.yaml runs index.ts as TypeScript, with the root's compiler options (Pulumi reads them without following extends)`, () => {
            const project = yaml.load(readFileSync(path.join(ROOT, dir, "Pulumi.yaml"), "utf8")) as {
                main: string;
                runtime: { options: { typescript: boolean } };
            };
            assert.equal(path.basename(project.main), "index.ts");
            assert.equal(project.runtime.options.typescript, true);
            assert.deepEqual(compilerOptionsOf(dir), compilerOptionsOf("."));
        });
    }
});

describe("each Pulumi project loads under Pulumi's own ts-node registration, type-checked", { concurrency: true }, () => {
    for (const [dir, program, exported] of PROJECTS) {
        it(`${dir === "." ? "the stack" : dir}: ${program} compiles and loads, exporting ${exported}`, async () => {
            const { code, stdout, stderr } = await loadAsPulumiWould(dir, program);
            assert.equal(code, 0, `ts-node could not load ${program} as pulumi up would:\n${stderr}`);
            assert.ok((JSON.parse(stdout) as string[]).includes(exported), stdout);
        });
    }
});
