/**
 * Credentials in text: the one rule every tool here follows for the bearer tokens it holds (the audit, the Blueprint
 * FIC provider; the token refresher, a single dependency-free file, carries the same rule in its own words and is
 * tested against the same cases).
 *
 * 1. A credential is checked before it is used: a bearer token is one line of RFC 6750's `b64token` characters
 *    (section 2.1: letters, digits, `-._~+/`, then optional `=` padding). A token with a line break, a control
 *    character, a space or a non-ASCII character is refused up front, naming where it came from (the environment
 *    variable) and never echoing it: otherwise fetch refuses the header itself with a message that quotes it
 *    (`Headers.append: "Bearer <token>" is an invalid header value`).
 * 2. Every text that can carry a credential (an error from fetch or an SDK, a service's error body) passes through
 *    `redact` before it reaches a message, a log, a summary or an artifact. `redact` replaces the credentials in play
 *    (the tokens sent, the secrets in the environment) and anything shaped like one: a JWT, a `Bearer` value, a Google
 *    OAuth access token, an `access_token`-style field.
 *
 * Pure: no I/O, no Pulumi. The Blueprint FIC provider's closure is serialized into Pulumi state, so everything here is
 * a plain function over plain values.
 */

/** What a redacted credential is replaced with. */
export const REDACTED = "[redacted]";

/** RFC 6750, section 2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** A character's name for a message, without showing the credential around it. */
function describeCharacter(ch: string): string {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\n") return "a line feed (LF)";
    if (ch === "\r") return "a carriage return (CR)";
    if (ch === "\t") return "a tab";
    if (ch === " ") return "a space";
    if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
    if (code > 0x7e) return `a non-ASCII character (U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
    return `the character ${JSON.stringify(ch)}`;
}

/**
 * Why `value` cannot be sent as a bearer token, without quoting it; undefined when it is a `b64token`. The position
 * is 1-based, counted in characters.
 */
export function bearerTokenProblem(value: string): string | undefined {
    if (value === "") return "is empty";
    if (B64TOKEN.test(value)) return undefined;
    const chars = [...value];
    const at = chars.findIndex((ch, i) => !/[A-Za-z0-9\-._~+/]/.test(ch) && !(ch === "=" && chars.slice(i).every((c) => c === "=")));
    return `holds ${describeCharacter(chars[at] ?? "?")} at character ${at + 1} of ${chars.length}`;
}

/** Why a header value (X-IDENTITY-HEADER, say) cannot be sent: control characters and non-ASCII are refused. */
export function headerValueProblem(value: string): string | undefined {
    if (value === "") return "is empty";
    const chars = [...value];
    const at = chars.findIndex((ch) => {
        const code = ch.codePointAt(0) ?? 0;
        return code < 0x20 || code > 0x7e;
    });
    return at < 0 ? undefined : `holds ${describeCharacter(chars[at]!)} at character ${at + 1} of ${chars.length}`;
}

/** A credential that cannot be used. The message names its source and never contains the value. */
export class CredentialError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CredentialError";
    }
}

/** The fix a user acts on, once for every refusal. */
const FIX =
    "A bearer token is one line of letters, digits and -._~+/ (RFC 6750, section 2.1): set it again without the line break or " +
    "the stray character (strip the output of the command that printed it, e.g. with tr -d '\\r\\n'). Its value is not shown.";

/**
 * A bearer token from the environment: undefined when the variable is unset or blank; trimmed of surrounding
 * whitespace (a trailing newline from `$(...)` is harmless); otherwise refused, naming the variable.
 */
export function bearerTokenFromEnv(env: NodeJS.ProcessEnv, variable: string): string | undefined {
    const raw = env[variable];
    if (raw === undefined || raw.trim() === "") return undefined;
    const value = raw.trim();
    const problem = bearerTokenProblem(value);
    if (problem) throw new CredentialError(`${variable} is not usable as a bearer token: it ${problem}; nothing was sent. ${FIX}`);
    return value;
}

/** A token from a credential library, checked the same way; `source` names the library's chain. */
export function checkedBearerToken(token: string, source: string): string {
    const problem = bearerTokenProblem(token);
    if (problem)
        throw new CredentialError(`the token from ${source} is not usable as a bearer token: it ${problem}; nothing was sent. Its value is not shown.`);
    return token;
}

/**
 * The environment variables whose values are secrets wherever these tools run: the tokens the audit reads, the
 * credentials the cloud SDKs and CI logins read. Their values are redacted from every text even when unused.
 */
export const SECRET_ENVIRONMENT_VARIABLES = [
    "AGENTFED_GRAPH_TOKEN",
    "AGENTFED_ARM_TOKEN",
    "AGENTFED_GCP_TOKEN",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "IDENTITY_HEADER",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "PULUMI_ACCESS_TOKEN",
    "GITHUB_TOKEN",
] as const;

/** Secrets shorter than this are not real credentials, and replacing them would shred ordinary words. */
const MIN_SECRET_LENGTH = 8;

/** Every form of a secret worth replacing: as given, trimmed, and each line of a multi-line value. */
function forms(secret: string): string[] {
    const all = [secret, secret.trim(), ...secret.split(/\r\n|\r|\n/).map((l) => l.trim())];
    return [...new Set(all)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** Shapes of credentials, redacted whoever they belong to (src/runtime/token-refresher.js holds the same list; a test keeps them equal). */
export const CREDENTIAL_SHAPES: readonly [RegExp, string][] = [
    // A JWT or a piece of one: a base64url JSON object header ('{"' is "eyJ"), then its other segments.
    [/eyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){0,2}/g, REDACTED],
    // An Authorization value (RFC 6750 b64token), however it is quoted.
    [/\b(Bearer)(\s+)[A-Za-z0-9\-._~+/]{12,}=*/gi, `$1$2${REDACTED}`],
    // A Google OAuth 2.0 access token.
    [/\bya29\.[A-Za-z0-9\-._~+/]+/g, REDACTED],
    // A token-bearing field in a form or JSON body a service echoed back.
    [
        /\b(access_token|refresh_token|id_token|client_assertion|client_secret|subject_token|assertion)("?\s*[:=]\s*"?)[A-Za-z0-9\-._~+/%]{8,}=*/gi,
        `$1$2${REDACTED}`,
    ],
];

/**
 * `text` with every known secret and every credential-shaped string replaced by `[redacted]`. Known secrets go
 * first, longest first, so a token is never half replaced.
 */
export function redact(text: string, secrets: Iterable<string | undefined> = []): string {
    let out = text;
    const all = [...secrets].filter((s): s is string => typeof s === "string").flatMap(forms);
    for (const secret of [...new Set(all)].sort((a, b) => b.length - a.length)) out = out.split(secret).join(REDACTED);
    for (const [shape, replacement] of CREDENTIAL_SHAPES) out = out.replace(shape, replacement);
    return out;
}

/** The secrets of an environment (see SECRET_ENVIRONMENT_VARIABLES). */
export function environmentSecrets(env: NodeJS.ProcessEnv): string[] {
    return SECRET_ENVIRONMENT_VARIABLES.map((v) => env[v]).filter((v): v is string => typeof v === "string" && v !== "");
}

/**
 * The credentials one run holds: those of its environment, and every token it obtains (`add`). `redact` applies them
 * all, and the generic shapes, to a text before it leaves the process.
 */
export class CredentialSet {
    private readonly known = new Set<string>();

    constructor(env: NodeJS.ProcessEnv = {}) {
        for (const secret of environmentSecrets(env)) this.known.add(secret);
    }

    add(secret: string | undefined): void {
        if (secret) this.known.add(secret);
    }

    redact(text: string): string {
        return redact(text, this.known);
    }
}
