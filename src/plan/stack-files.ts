import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { decodeUserText, readBoundedFile } from "../cli-io";

/** The repository root: where Pulumi.yaml and Pulumi.<stack>.yaml live. */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** A stack name or stack file the offline plan cannot read: the message names the flag or the file, and the fix. */
export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

/**
 * Pulumi's stack name rule (pulumi/pulumi sdk/go/common/tokens/stack_name.go, ParseStackName): 1-100
 * alphanumerics, hyphens, underscores or periods. So a name is never a path (`../x`, `/etc/x`), and the stack file
 * it selects is always in the project directory.
 */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Why `stack` is not a stack name, or undefined. `named` says where the name came from, as the message starts with it:
 * the plan's `--stack` flag by default; "stack" for a caller that is not a command line.
 */
export function stackNameProblem(stack: string, named = "--stack"): string | undefined {
    if (STACK_NAME.test(stack) && stack !== "." && stack !== "..") return undefined;
    const qualified = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*){1,2}$/.test(stack)
        ? ` (for a qualified name like ${stack}, pass the stack's own name: ${stack.split("/").pop()})`
        : "";
    return `${named} ${JSON.stringify(stack)} is not a stack name: a stack name is 1-100 letters, digits, '-', '_' or '.', never a path${qualified}`;
}

/** The most a stack file or a project file is read: a stack with a hundred agent classes is a few hundred kilobytes. */
export const MAX_STACK_FILE_BYTES = 4 * 1024 * 1024;

/** A project's file (Pulumi.yaml, Pulumi.<stack>.yaml) through the bounded reader: a regular file, of a bounded size. */
function readProjectFile(file: string): string {
    const input = readBoundedFile(file, MAX_STACK_FILE_BYTES);
    if ("problem" in input) throw new StackFileError(`${file} ${input.problem}`);
    return decodeUserText(input.bytes);
}

/** Reads the project name from Pulumi.yaml. */
export function readProjectName(projectDir = PROJECT_DIR): string {
    const doc = yaml.load(readProjectFile(path.join(projectDir, "Pulumi.yaml"))) as { name?: unknown };
    if (typeof doc?.name !== "string") throw new StackFileError(`${path.join(projectDir, "Pulumi.yaml")} has no project name`);
    return doc.name;
}

/**
 * Integers are read as Pulumi's CLI reads them (go-yaml v3 into int64, or uint64 past that; pulumi/pulumi
 * sdk/go/common/resource/config/object.go) and handed on as the same JSON digits the CLI writes, so a number too
 * large for JavaScript reaches the parser with the digits the user wrote, and is refused there with them, exactly as
 * in a deployment. Smaller integers, and everything else, load as YAML 1.2's core schema loads them.
 */
const UINT64_MAX = 2n ** 64n - 1n;
/** JSON.rawJSON and JSON.isRawJSON (ES2025, "JSON.parse source text access"; Node >= 21), not yet in TypeScript's lib. */
const RawJSON = JSON as unknown as { rawJSON(text: string): object; isRawJSON(value: unknown): boolean };
const exactIntTag = yaml.defineScalarTag<unknown>("tag:yaml.org,2002:int", {
    implicit: true,
    implicitFirstChars: yaml.intCoreTag.implicitFirstChars,
    resolve: (source, isExplicit, tagName) => {
        const value = yaml.intCoreTag.resolve(source, isExplicit, tagName);
        if (typeof value !== "number" || Number.isSafeInteger(value) || !/^[-+]?[0-9]+$/.test(source)) return value;
        const digits = BigInt(source);
        return digits >= -(2n ** 63n) && digits <= UINT64_MAX ? RawJSON.rawJSON(digits.toString()) : value;
    },
    identify: () => false,
});
/**
 * With YAML merge keys (`<<: *defaults`), as the Pulumi CLI reads them: it loads stack files with gopkg.in/yaml.v3
 * (pulumi/pulumi sdk/go/common/encoding/marshal.go), whose decoder resolves `<<` into the mapping it appears in, the
 * mapping's own keys winning over merged ones and, in a list of merged mappings, the earlier over the later
 * (go-yaml v3 decode.go, `merge` and `isMerge`). js-yaml's mergeTag resolves them the same way.
 */
const STACK_FILE_SCHEMA = yaml.CORE_SCHEMA.withTags(exactIntTag, yaml.mergeTag);

/**
 * A key as Pulumi parses it (pulumi/pulumi sdk/go/common/resource/config/key.go, ParseKey, and
 * sdk/go/common/workspace/loaders.go, stackConfigNamespacedWithProject): `<namespace>:<name>`; the legacy
 * `<namespace>:config:<name>`; a key without a namespace belongs to the project. Anything else is refused, as the
 * CLI refuses it.
 */
function fullKey(key: string, project: string, file: string): string {
    const colons = key.split(":").length - 1;
    if (colons === 0) return `${project}:${key}`;
    if (colons === 1) return key;
    const [namespace, module, name] = key.split(":");
    if (colons === 2 && module === "config") return `${namespace}:${name}`;
    throw new StackFileError(`${file}: ${JSON.stringify(key)} is not a configuration key. Fix: write keys as <namespace>:<name>, e.g. ${project}:tenantId`);
}

/**
 * Reads `Pulumi.<stack>.yaml` as Pulumi would: keys without a namespace belong to the project, structured values
 * arrive as JSON text. Secure values cannot be decrypted offline and are refused with a clear message. A stack name
 * that is a path, YAML Pulumi could not read, and one key written twice (`tenantId` and `agentfed:tenantId`, which
 * the CLI would resolve in no set order) are refused, naming the flag or the file.
 */
export function readStackConfig(stack: string, projectDir = PROJECT_DIR): Record<string, string> {
    const nameProblem = stackNameProblem(stack, "stack");
    if (nameProblem) throw new StackFileError(`${nameProblem}. Fix: name a stack with a Pulumi.<stack>.yaml in the project's directory`);
    const fileName = `Pulumi.${stack}.yaml`;
    const file = path.join(projectDir, fileName);
    if (!existsSync(file)) {
        const stacks = knownStacks(projectDir);
        throw new StackFileError(
            `No stack file ${fileName} in ${projectDir}, the project's directory (beside its Pulumi.yaml); ` +
                (stacks.length > 0 ? `its stacks are ${stacks.join(", ")}` : "it has no Pulumi.<stack>.yaml yet"),
        );
    }
    const project = readProjectName(projectDir);
    const text = readProjectFile(file);
    let doc: unknown;
    try {
        // js-yaml 5 refuses a file with no document (empty, or comments only); Pulumi reads it as a stack without config.
        doc = /^\s*(#.*)?(\n\s*(#.*)?)*$/.test(text) ? {} : (yaml.load(text, { filename: fileName, schema: STACK_FILE_SCHEMA }) ?? {});
    } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new StackFileError(
            `${fileName} is not valid YAML: ${reason}\nFix: correct the file at the line shown; validate with: npm run plan -- --stack ${stack}`,
        );
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc))
        throw new StackFileError(`${fileName} is not a YAML mapping. Fix: write the stack's settings under config:, as Pulumi.prod.yaml does`);
    const config = (doc as { config?: unknown }).config ?? {};
    if (config === null || typeof config !== "object" || Array.isArray(config))
        throw new StackFileError(`${fileName}: config is not a mapping of keys to values. Fix: write each setting as <key>: <value> under config:`);
    const result: Record<string, string> = {};
    const written = new Map<string, string>();
    for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
        const full = fullKey(key, project, fileName);
        const first = written.get(full);
        if (first !== undefined)
            throw new StackFileError(
                `${fileName} sets ${full} twice, as ${JSON.stringify(first)} and ${JSON.stringify(key)}; Pulumi would keep one of them, in no set order. Fix: keep one`,
            );
        written.set(full, key);
        result[full] = toConfigString(full, value, fileName);
    }
    return result;
}

/** The stacks a project directory has a file for (`Pulumi.<stack>.yaml`), sorted. */
function knownStacks(projectDir: string): string[] {
    try {
        return readdirSync(projectDir)
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => s !== undefined && stackNameProblem(s) === undefined)
            .sort();
    } catch {
        return [];
    }
}

/**
 * Where in a config value a `secure:` value sits (`agentfed:aws.accountId`), or undefined. Pulumi writes an
 * encrypted value as a mapping with the one key `secure`, at the top of a key or anywhere inside a structured value
 * (pulumi/pulumi sdk/go/common/resource/config/object.go, isSecureValue).
 */
function securePath(value: unknown, at: string): string | undefined {
    if (value === null || typeof value !== "object" || RawJSON.isRawJSON(value)) return undefined;
    if (!Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string") return at;
    for (const [k, v] of Object.entries(value)) {
        const found = securePath(v, Array.isArray(value) ? `${at}[${k}]` : `${at}.${k}`);
        if (found) return found;
    }
    return undefined;
}

/**
 * Turns a YAML config value into the string Pulumi hands to the program. An encrypted (`secure:`) value, at the top
 * of the key or nested in it, is refused naming where it sits: the offline plan has no key to decrypt it.
 */
export function toConfigString(key: string, value: unknown, file?: string): string {
    const secret = securePath(value, key);
    if (secret !== undefined) {
        throw new StackFileError(
            `${file ? `${file}: ` : ""}${secret} is encrypted (secure:), and the offline plan has no key to decrypt it. ` +
                "Fix: nothing in this stack's configuration is a secret (ids, names, URLs); set the plain value with " +
                `pulumi config set ${secret.includes(".") || secret.includes("[") ? `--path '${secret}'` : secret} <value> (without --secret)`,
        );
    }
    return typeof value === "string" ? value : JSON.stringify(value);
}
