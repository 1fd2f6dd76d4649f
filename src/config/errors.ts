/** One thing wrong with the stack configuration: the key to change, what is wrong, and how to fix it. */
export interface ConfigIssue {
    /** The fully qualified config key, e.g. `agentfed:blueprint.appId`. */
    readonly key: string;
    readonly problem: string;
    readonly fix: string;
}

/**
 * Thrown before any resource is registered when the configuration cannot produce a working deployment.
 * Lists every problem at once, so a user fixes them in one pass.
 */
export class ConfigError extends Error {
    constructor(public readonly issues: readonly ConfigIssue[]) {
        super(
            `Invalid stack configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}); nothing was created:\n` +
                issues.map((i) => `  - ${i.key} ${i.problem}.\n    Fix: ${i.fix}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}
