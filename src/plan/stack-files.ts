import { readFileSync, existsSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

/** The repository root: where Pulumi.yaml and Pulumi.<stack>.yaml live. */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** Reads the project name from Pulumi.yaml. */
export function readProjectName(projectDir = PROJECT_DIR): string {
    const doc = yaml.load(readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { name?: unknown };
    if (typeof doc?.name !== "string") throw new Error(`${path.join(projectDir, "Pulumi.yaml")} has no project name`);
    return doc.name;
}

/**
 * Reads `Pulumi.<stack>.yaml` as Pulumi would: keys without a namespace belong to the project, structured values
 * arrive as JSON text. Secure values cannot be decrypted offline and are refused with a clear message.
 */
export function readStackConfig(stack: string, projectDir = PROJECT_DIR): Record<string, string> {
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!existsSync(file)) throw new Error(`No stack file ${file}; known stacks have a Pulumi.<stack>.yaml at the repository root`);
    const project = readProjectName(projectDir);
    const text = readFileSync(file, "utf8");
    // js-yaml 5 refuses a file with no document (empty, or comments only); Pulumi reads it as a stack without config.
    const doc = (/^\s*(#.*)?(\n\s*(#.*)?)*$/.test(text) ? {} : (yaml.load(text) ?? {})) as { config?: Record<string, unknown> };
    const result: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        const fullKey = key.includes(":") ? key : `${project}:${key}`;
        result[fullKey] = toConfigString(fullKey, value);
    }
    return result;
}

/** Turns a YAML config value into the string Pulumi hands to the program. */
export function toConfigString(key: string, value: unknown): string {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
        throw new Error(`${key} is a secret; the offline plan cannot decrypt it. Override it with a placeholder in the plan's config overrides.`);
    }
    return typeof value === "string" ? value : JSON.stringify(value);
}
