import { closeSync, constants, fstatSync, openSync, readSync, Stats } from "node:fs";

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
    /** The audit found something at or above the failing severity (default: an error); `docs --check` found a stale page. */
    findings: 1,
    /** Unusable input, or (audit) a cloud that could not be read: nothing trustworthy was concluded. */
    unusable: 2,
} as const;

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

/** The most a CLI reads from a JSON document it is handed: a stack's outputs with a hundred agent classes is well under 1 MiB. */
export const MAX_JSON_INPUT_BYTES = 16 * 1024 * 1024;
/** The most read from a small input (a claims document, a PEM key, a stack file): each is a few kilobytes. */
export const MAX_SMALL_INPUT_BYTES = 1024 * 1024;

/** A file's bytes, or why it was not read. */
export type FileInput = { readonly bytes: Buffer } | { readonly problem: string };

/** What a path that is not a regular file is, in words. */
function fileKind(stat: Stats): string {
    if (stat.isDirectory()) return "a directory";
    if (stat.isCharacterDevice()) return "a character device";
    if (stat.isBlockDevice()) return "a block device";
    if (stat.isFIFO()) return "a named pipe";
    if (stat.isSocket()) return "a socket";
    return "not a regular file";
}

/**
 * The one reader of a file a user names on the command line (the doctor's --claims and --outputs, the audit's
 * --outputs, jwks' --public-key) or a stack file the plan reads: only a regular file, and at most `maxBytes` of it.
 * /dev/zero, /dev/stdin, a named pipe or a directory is refused by what it is, never read until memory runs out or
 * waited on for ever: the path is opened without blocking (O_NONBLOCK, so a pipe with no writer does not hang the
 * open), checked on the open descriptor (fstat, so a file swapped after a check cannot slip through), and read up to
 * one byte past the bound. `directoryHint` says what to pass instead of a directory.
 */
export function readBoundedFile(file: string, maxBytes: number, directoryHint = "pass a file"): FileInput {
    let fd: number;
    try {
        fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    } catch (err) {
        return { problem: `cannot read (${unreadableFileReason(err, directoryHint)})` };
    }
    try {
        const stat = fstatSync(fd);
        if (stat.isDirectory()) return { problem: `cannot read (is a directory; ${directoryHint})` };
        if (!stat.isFile()) return { problem: `is ${fileKind(stat)}, not a regular file; ${directoryHint}` };
        const tooLarge = { problem: `is larger than ${formatBytes(maxBytes)}, more than this input ever is; pass the right file` };
        if (stat.size > maxBytes) return tooLarge;
        const chunks: Buffer[] = [];
        let total = 0;
        for (;;) {
            const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
            const n = readSync(fd, chunk, 0, chunk.length, null);
            if (n === 0) break;
            chunks.push(chunk.subarray(0, n));
            total += n;
            // The file grew past the bound while it was read (a log being written, say).
            if (total > maxBytes) return tooLarge;
        }
        return { bytes: Buffer.concat(chunks, total) };
    } catch (err) {
        return { problem: `cannot read (${unreadableFileReason(err, directoryHint)})` };
    } finally {
        closeSync(fd);
    }
}

function formatBytes(n: number): string {
    return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
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

/**
 * Reads and parses a JSON file given on the command line: the doctor's claims, the doctor's and the audit's outputs,
 * through the bounded reader (`maxBytes`, default `MAX_JSON_INPUT_BYTES`).
 */
export function readJsonInput(file: string, maxBytes = MAX_JSON_INPUT_BYTES): JsonInput {
    const input = readBoundedFile(file, maxBytes);
    if ("problem" in input) return input;
    return parseJsonInput(decodeUserText(input.bytes));
}
