import * as path from "node:path";
import { PROJECT_DIR } from "./stack-files";

/** A program as the offline plan runs it: config validated first (before the stack exists), then the program. */
export interface PlanProgram {
    /** Reads and validates the stack's configuration (throws `ConfigError`); returns its warnings and the program bound to it. */
    prepare(): { readonly warnings: readonly string[]; run(): unknown };
}

/** A Pulumi project the plan can run: its directory (Pulumi.yaml, Pulumi.<stack>.yaml) and its program. */
export interface PlanProject {
    readonly dir: string;
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

/** Projects by the directory `--project` names, relative to the repository root ("." is the main project). */
export const PLAN_PROJECTS: Readonly<Record<string, PlanProject>> = { ".": MAIN_PROJECT, bootstrap: BOOTSTRAP_PROJECT };

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
