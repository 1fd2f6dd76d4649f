/** Runs a CLI in-process and captures what a user would see on each stream. */
import type { CliIo } from "../src/cli-io";

export interface Captured {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export function captureIo(): { io: CliIo; stdout: () => string; stderr: () => string } {
    let out = "";
    let err = "";
    return {
        io: { out: (t) => void (out += t), err: (t) => void (err += t) },
        stdout: () => out,
        stderr: () => err,
    };
}

export async function capture(run: (io: CliIo) => number | Promise<number>): Promise<Captured> {
    const c = captureIo();
    const code = await run(c.io);
    return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** A stack trace or an internal error leaking to the user. */
export const INTERNAL = /\n\s+at .+\(|TypeError|ReferenceError|RangeError|internal error/;
