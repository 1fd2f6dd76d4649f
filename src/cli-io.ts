import { readFileSync } from "node:fs";

/**
 * What a command-line tool here writes to, so tests can run it in-process and read what a user would see. The
 * scripts under `scripts/` pass the process's streams and exit with the returned code.
 */
export interface CliIo {
    /** Standard output: the report (text or JSON). */
    out(text: string): void;
    /** Standard error: problems and progress, never a stack trace. */
    err(text: string): void;
}

/** The process's own streams. */
export const processIo: CliIo = {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
};

/** Exit codes shared by the doctor, the audit and jwks. */
export const EXIT = {
    /** The command ran; for the audit, no finding at or above the failing severity. */
    ok: 0,
    /** The audit found something at or above the failing severity (default: an error). */
    findings: 1,
    /** Unusable input, or (audit) a cloud that could not be read: nothing trustworthy was concluded. */
    unusable: 2,
} as const;

/** `parseArgs` errors (unknown option, missing value) carry a code; they are usage errors, not internal ones. */
export function isParseArgsError(err: unknown): err is Error {
    return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string" && (err as NodeJS.ErrnoException).code!.startsWith("ERR_PARSE_ARGS");
}

/**
 * Why a file given on the command line could not be read, in words (never an errno alone): the doctor, the audit and
 * jwks all say it the same way. `directoryHint` is what to do instead when the path is a directory.
 */
export function unreadableFileReason(err: unknown, directoryHint = "pass a file"): string {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "no such file";
    if (code === "EISDIR") return `is a directory; ${directoryHint}`;
    if (code === "EACCES" || code === "EPERM") return "permission denied";
    return code ?? (err instanceof Error ? err.message : String(err));
}

/**
 * Text of a file a user hands over. `pulumi ... > file` in Windows PowerShell 5 writes UTF-16 LE with a byte-order
 * mark, and some editors add a UTF-8 BOM; both are decoded rather than reported as "not JSON".
 */
export function decodeUserText(bytes: Buffer): string {
    if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString("utf16le");
    const text = bytes.toString("utf8");
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A JSON document a user handed over: its value, or why it is unusable ("is empty", "not JSON (...)", "cannot read (...)"). */
export type JsonInput = { readonly value: unknown } | { readonly problem: string };

/** Parses JSON text a user handed over (a file, or a command's output). */
export function parseJsonInput(text: string): JsonInput {
    if (text.trim() === "") return { problem: "is empty" };
    try {
        return { value: JSON.parse(text) as unknown };
    } catch (err) {
        return { problem: `not JSON (${(err as Error).message})` };
    }
}

/** Reads and parses a JSON file given on the command line: the doctor's claims, the doctor's and the audit's outputs. */
export function readJsonInput(file: string): JsonInput {
    let bytes: Buffer;
    try {
        bytes = readFileSync(file);
    } catch (err) {
        return { problem: `cannot read (${unreadableFileReason(err)})` };
    }
    return parseJsonInput(decodeUserText(bytes));
}
