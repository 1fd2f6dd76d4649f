/**
 * The one command-line parser of every CLI here (plan, doctor, audit, jwks, bench, docs), so each refuses the same
 * mistakes the same way: an unknown option, an option without its value (`--stack` last, or `--stack --json`), a
 * value given to a flag (`--json=false`), a stray argument, and an option given twice where one value is meant
 * (`--stack prod --stack dev` must not quietly plan dev). Each is a `UsageError`: the CLI prints it with its usage
 * line and exits 2, the code every tool here gives unusable input. `--help` (or `-h`) asks for the usage line, which
 * the CLI prints on standard output before exiting 0.
 *
 * Built on node:util's parseArgs, in its non-strict mode for the tokens it splits (`--a=b`, `-abc`, `--`), with the
 * checks above made here so every message names the option as the user wrote it.
 */
import { parseArgs } from "node:util";

/** One option: a flag (`boolean`) or an option with a value (`string`), given once unless `multiple`. */
export interface CliOption {
    readonly type: "string" | "boolean";
    /** May be given more than once; its value is then the list of values, in order. */
    readonly multiple?: boolean;
    /** A one-letter alias (`-s`). */
    readonly short?: string;
}

export type CliOptions = Readonly<Record<string, CliOption>>;

/** The values a command line gave, by option name: a string (or strings) for a valued option, true for a flag. */
export type CliValues<O extends CliOptions> = {
    -readonly [K in keyof O]?: O[K]["type"] extends "boolean" ? true : O[K]["multiple"] extends true ? string[] : string;
};

/** A command line the CLI cannot run: printed with the usage line, exit 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** The options every CLI takes besides its own. */
const HELP: CliOption = { type: "boolean", short: "h" };

/**
 * Parses `argv` against `options`. Returns "help" when `--help` or `-h` was given (and the rest is well formed), the
 * values otherwise; throws `UsageError` for anything it cannot read as the options say.
 */
export function parseCliArgs<O extends CliOptions>(argv: readonly string[], options: O): CliValues<O> | "help" {
    const known: Record<string, CliOption> = { help: HELP, ...options };
    const { tokens } = parseArgs({
        args: [...argv],
        options: Object.fromEntries(Object.entries(known).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}) }])),
        strict: false,
        allowPositionals: true,
        tokens: true,
    });
    const values: Record<string, string | string[] | true> = {};
    const seen = new Map<string, string>();
    let help = false;
    for (const token of tokens) {
        if (token.kind === "option-terminator") continue;
        if (token.kind === "positional") throw new UsageError(`unexpected argument ${JSON.stringify(token.value)}: every input is given with its option`);
        const spec = known[token.name];
        const written = token.rawName;
        if (spec === undefined) throw new UsageError(`unknown option ${written}`);
        const first = seen.get(token.name);
        if (first !== undefined && !spec.multiple)
            throw new UsageError(`${written} is given twice (first as ${first}); give it once, so no value silently wins`);
        seen.set(token.name, written);
        if (spec.type === "boolean") {
            if (token.value !== undefined) throw new UsageError(`${written} takes no value (got ${JSON.stringify(token.value)})`);
            if (token.name === "help") help = true;
            else values[token.name] = true;
            continue;
        }
        const value = token.value;
        // parseArgs takes the next argument as the value even when it is another option (`--stack --json`).
        if (value === undefined || value === "") throw new UsageError(`${written} needs a value`);
        if (!token.inlineValue && value.startsWith("-"))
            throw new UsageError(`${written} needs a value (got the option ${value}; a value starting with '-' is written ${written}=${value})`);
        if (spec.multiple) values[token.name] = [...((values[token.name] as string[] | undefined) ?? []), value];
        else values[token.name] = value;
    }
    return help ? "help" : (values as CliValues<O>);
}
