import * as path from "node:path";
import type { MockStackReferences } from "./mocks";
import { PROJECT_DIR, readProjectName, StackFileError } from "./stack-files";

/** A program as the offline plan runs it: config validated first (before the stack exists), then the program. */
export interface PlanProgram {
    /** Reads and validates the stack's configuration (throws `ConfigError`); returns its warnings and the program bound to it. */
    prepare(): { readonly warnings: readonly string[]; run(): unknown };
}

/** A Pulumi project the plan can run: its directory (Pulumi.yaml, Pulumi.<stack>.yaml) and its program. */
export interface PlanProject {
    readonly dir: string;
    /**
     * The stacks the program reads through `StackReference`, planned first (before this project's mocks are set),
     * by full name; `config` is the project's stack configuration, by full key.
     */
    stackReferences?(config: Readonly<Record<string, string>>, project: string): Promise<MockStackReferences>;
    /** Imported only once config and mocks are set: provider SDKs read settings on first use. */
    load(): Promise<PlanProgram>;
}

/** The main project (the repository root). */
export const MAIN_PROJECT: PlanProject = {
    dir: PROJECT_DIR,
    async load() {
        const { runProgram } = await import("../program.js");
        const { loadStackConfig } = await import("../config/load.js");
        return {
            prepare() {
                const config = loadStackConfig();
                return { warnings: config.warnings, run: () => runProgram(config) };
            },
        };
    },
};

/** The CI bootstrap (`bootstrap/`): the identities behind PR previews and deploys. */
export const BOOTSTRAP_PROJECT: PlanProject = {
    dir: path.join(PROJECT_DIR, "bootstrap"),
    async load() {
        const { runBootstrap } = await import("../../bootstrap/program.js");
        const { loadBootstrapConfig } = await import("../../bootstrap/load.js");
        return {
            prepare() {
                const config = loadBootstrapConfig();
                return { warnings: config.warnings, run: () => runBootstrap(config) };
            },
        };
    },
};

/**
 * The example consumer (`examples/consumer`): a team's stack that grants the agent's identities access to its data,
 * reading them from an agentfed stack. The plan answers its `StackReference` with the offline plan of the stack it
 * names (`agentfed-consumer:agentfedStack`, `<organization>/agentfed/<stack>`), so what the consumer reads is what
 * this repository's stack exports.
 */
export const CONSUMER_PROJECT: PlanProject = {
    dir: path.join(PROJECT_DIR, "examples", "consumer"),
    async stackReferences(config, project) {
        const key = `${project}:agentfedStack`;
        const name = config[key];
        const mainProject = readProjectName(PROJECT_DIR);
        const parts = name?.split("/") ?? [];
        if (parts.length !== 3 || parts[1] !== mainProject || parts.some((p) => p === ""))
            throw new StackFileError(
                `${key} is ${JSON.stringify(name)}: the offline plan reads a stack of this repository's project, <organization>/${mainProject}/<stack>, e.g. contoso/${mainProject}/prod`,
            );
        const { runPlan } = await import("./run-plan.js");
        const { SECRET_OUTPUT_NAMES } = await import("../outputs.js");
        const referenced = await runPlan({ stack: parts[2]! });
        return new Map([[name!, { outputs: referenced.outputs, secretOutputNames: SECRET_OUTPUT_NAMES, placeholders: referenced.placeholders }]]);
    },
    async load() {
        const { runConsumer } = await import("../../examples/consumer/program.js");
        return {
            prepare() {
                return { warnings: [], run: () => runConsumer() };
            },
        };
    },
};

/** Projects by the directory `--project` names, relative to the repository root ("." is the main project). */
export const PLAN_PROJECTS: Readonly<Record<string, PlanProject>> = {
    ".": MAIN_PROJECT,
    bootstrap: BOOTSTRAP_PROJECT,
    "examples/consumer": CONSUMER_PROJECT,
};

/** The project a `--project` value names; unknown names are refused with the list of known ones. */
export function planProject(name: string | undefined): PlanProject {
    const key = name === undefined || name === "" ? "." : name.replace(/\/+$/, "").replace(/^\.\//, "") || ".";
    const project = PLAN_PROJECTS[key];
    if (!project)
        throw new Error(
            `--project ${name}: unknown project; known projects are ${Object.keys(PLAN_PROJECTS).join(", ")} (directories relative to the repository root)`,
        );
    return project;
}
