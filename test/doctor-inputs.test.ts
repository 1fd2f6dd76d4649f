/**
 * Hostile input to `npm run doctor` (issue #19, part 4): every class of bad token, `--at` and `--outputs` is refused
 * with a message naming the flag and the fix, exit 2, and no internal error. Run in-process (the CLI module), plus
 * one run of the real script to prove the wiring.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runDoctor } from "../src/doctor/cli";
import { parseInstant } from "../src/doctor/inputs";
import { evaluateContracts } from "../src/doctor/evaluate";
import { parseStackOutputs } from "../src/outputs-file";
import { capture, INTERNAL } from "./cli-capture";
import { deployedContracts, deployedOutputs } from "./fixtures/deployed";
import { SEED_UAMI_TOKEN_CLAIMS, TENANT, UAMI_OID } from "./helpers";

const dir = mkdtempSync(path.join(tmpdir(), "doctor-inputs-"));
const file = (name: string, content: string | Buffer) => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
};
const AT = "2025-05-31T12:00:00Z";
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
/** An unsigned-looking JWT (the doctor never verifies signatures) with exactly these claims. */
const jwt = (claims: object) => `${b64({ alg: "RS256", kid: "k" })}.${b64(claims)}.c2ln`;
const doctor = (...args: string[]) => capture((io) => runDoctor(args, io));

let outputsFile: string;
before(() => {
    outputsFile = file("outputs.json", JSON.stringify(deployedOutputs()));
});

describe("doctor: tokens without a usable lifetime are rejected, as Entra and GCP reject them", () => {
    const contracts = deployedContracts();
    const now = Date.parse(AT) / 1000;
    const { exp: _exp, ...noExp } = SEED_UAMI_TOKEN_CLAIMS;
    const cases: [string, Record<string, unknown>, RegExp][] = [
        ["no exp", noExp, /has no exp claim/],
        ["exp as a string", { ...SEED_UAMI_TOKEN_CLAIMS, exp: "1748736000" }, /exp "1748736000" is not a number/],
        ["exp null", { ...SEED_UAMI_TOKEN_CLAIMS, exp: null }, /exp null is not a number/],
        ["exp an object", { ...SEED_UAMI_TOKEN_CLAIMS, exp: { $date: 1 } }, /is not a number/],
        ["nbf as a string", { ...SEED_UAMI_TOKEN_CLAIMS, nbf: "now" }, /nbf "now" is not a number/],
        ["iat as a string", { ...SEED_UAMI_TOKEN_CLAIMS, iat: "yesterday" }, /iat "yesterday" is not a number/],
    ];
    for (const [name, claims, reason] of cases) {
        it(`${name}: rejected by every contract, saying why`, () => {
            const verdicts = evaluateContracts(contracts, claims, now);
            assert.ok(verdicts.length > 0);
            for (const v of verdicts) {
                assert.equal(v.accepted, false, `${v.contract} accepted a token with ${name}`);
                assert.match(v.reasons.join("\n"), reason, v.contract);
            }
        });
    }

    it("the same token with a numeric exp is accepted by the FIC it matches (the rule rejects the defect, not the token)", () => {
        const verdicts = evaluateContracts(contracts, SEED_UAMI_TOKEN_CLAIMS, now);
        assert.equal(verdicts.find((v) => v.kind === "entra-fic" && v.contract.startsWith("uami-mi-weather-agent"))?.accepted, true);
    });

    it("an exp far outside what a Date holds is reported, not thrown (RangeError)", () => {
        const verdicts = evaluateContracts(contracts, { ...SEED_UAMI_TOKEN_CLAIMS, exp: -1e20, nbf: 1e20 }, now);
        const reasons = verdicts.flatMap((v) => v.reasons).join("\n");
        assert.match(reasons, /expired at -100000000000000000000 seconds since the epoch/);
        assert.match(reasons, /not valid before 100000000000000000000 seconds since the epoch/);
    });

    it("end to end: a --token without exp gets REJECTED verdicts, exit 0 (the evaluation ran)", async () => {
        const r = await doctor("--stack", "prod", "--token", jwt(noExp), "--outputs", outputsFile, "--at", AT);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stdout, /ACCEPTED/);
        assert.match(r.stdout, /has no exp claim/);
    });
});

describe("doctor: a token no key signed is refused by every contract, as every cloud refuses it (issue 24, item 10)", () => {
    const { exp: _e, ...claims } = SEED_UAMI_TOKEN_CLAIMS;
    const valid = { ...claims, exp: Date.parse(AT) / 1000 + 3600 };
    const signed = jwt(valid);
    const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64(valid)}.`;

    it("alg none with an empty signature: REJECTED everywhere, in each verifier's words; the same claims signed are ACCEPTED by the FIC", async () => {
        const ok = await doctor("--stack", "prod", "--token", signed, "--outputs", outputsFile, "--at", AT, "--json");
        const accepted = (JSON.parse(ok.stdout) as { verdicts: { accepted: boolean }[] }).verdicts.filter((v) => v.accepted);
        assert.ok(accepted.length > 0, "the signed token is accepted somewhere");
        const r = await doctor("--stack", "prod", "--token", unsigned, "--outputs", outputsFile, "--at", AT, "--json");
        assert.equal(r.code, 0, r.stderr);
        const verdicts = (JSON.parse(r.stdout) as { verdicts: { kind: string; accepted: boolean; reasons: string[] }[] }).verdicts;
        assert.ok(verdicts.every((v) => !v.accepted));
        const first = (kind: string) => verdicts.find((v) => v.kind === kind)!.reasons[0]!;
        assert.match(first("entra-fic"), /^Entra refuses the assertion: it is unsigned \(alg "none": an Unsecured JWS, RFC 7518 section 3\.6\).*RS256/);
        assert.match(first("gcp-provider"), /^invalid_grant: it is unsigned .*RSA or EC keys/);
        assert.match(first("aws-role"), /^InvalidIdentityToken: it is unsigned .*RSA or ECDSA keys/);
    });
});

describe("doctor: --at parses strictly", () => {
    const refused = [
        "2026",
        "1",
        "1748736000",
        "2026-01-31",
        "2026-01-31T12:00:00",
        "2026-02-30T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-01-31T25:00:00Z",
        "2026-01-31T12:60:00Z",
        "2026-01-31T12:00:00+25:00",
        "March 7, 2026",
        "2026-01-31 12:00:00Z",
        "",
    ];
    for (const value of refused) {
        it(`refuses ${JSON.stringify(value)} with exit 2 and an example`, async () => {
            const r = await doctor(
                "--stack",
                "prod",
                "--claims",
                file("c.json", JSON.stringify(SEED_UAMI_TOKEN_CLAIMS)),
                "--outputs",
                outputsFile,
                "--at",
                value,
            );
            assert.equal(r.code, 2, r.stdout);
            // An empty value is a usage error of the one argument parser; any other is held to ISO 8601.
            assert.match(
                r.stderr,
                value === ""
                    ? /--at needs a value\nusage: npm run doctor/
                    : /--at .*(not an ISO 8601 date-time with a zone|no such date or time); use ISO 8601 with a zone, e.g. 2026-01-31T12:00:00Z/,
            );
            assert.doesNotMatch(r.stderr, INTERNAL);
        });
    }
    it("keeps years 0-99 as written (Date.UTC maps them to 1900-1999) and refuses instants outside 1970-2199 as such", () => {
        for (const value of [
            "0050-06-01T00:00:00Z",
            "0099-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2200-01-01T00:00:00Z",
            "1970-01-01T00:30:00+01:00",
        ])
            assert.throws(
                () => parseInstant(value),
                new RegExp(
                    `^DoctorInputError: --at "${value.replace(/[+.]/g, "\\$&")}": outside the years a token is judged in \\(1970-01-01 to 2199-12-31, UTC\\)`,
                ),
                value,
            );
        assert.throws(() => parseInstant("0050-02-30T00:00:00Z"), /no such date or time/);
        assert.equal(parseInstant("1970-01-01T00:00:00Z"), 0);
        assert.equal(parseInstant("2199-12-31T23:59:59Z"), Date.UTC(2199, 11, 31, 23, 59, 59));
    });

    it("accepts Z, offsets and fractions, to the millisecond", () => {
        assert.equal(parseInstant("2026-01-31T12:00:00Z"), Date.UTC(2026, 0, 31, 12));
        assert.equal(parseInstant("2026-01-31T13:00:00.5+01:00"), Date.UTC(2026, 0, 31, 12, 0, 0, 500));
        assert.equal(parseInstant("2024-02-29T00:00Z"), Date.UTC(2024, 1, 29));
    });
});

describe("doctor: a malformed --outputs file is refused with exit 2, never a TypeError", () => {
    const contract = deployedContracts()[0]!;
    const aws = deployedContracts().find((c) => c.kind === "aws-role")!;
    const cases: [string, () => string, RegExp][] = [
        ["a missing file", () => path.join(dir, "nope.json"), /cannot read \(no such file\)/],
        ["a directory", () => (mkdirSync(path.join(dir, "adir"), { recursive: true }), path.join(dir, "adir")), /cannot read \(is a directory/],
        ["an empty file", () => file("empty.json", ""), /is empty/],
        ["whitespace only", () => file("blank.json", "  \n"), /is empty/],
        ["not JSON", () => file("bad.json", "{ trustContracts: "), /not JSON/],
        ["a JSON array", () => file("array.json", "[]"), /expected a JSON object of stack outputs, got an array/],
        ["JSON null", () => file("null.json", "null"), /expected a JSON object of stack outputs, got null/],
        ["a JSON string", () => file("string.json", '"prod"'), /got the string "prod"/],
        ["no trustContracts", () => file("none.json", "{}"), /has no trustContracts output/],
        ["trustContracts as [secret]", () => file("secret.json", '{"trustContracts":"[secret]"}'), /is "\[secret\]".*--show-secrets/],
        ["trustContracts an object", () => file("obj.json", '{"trustContracts":{}}'), /trustContracts must be an array/],
        ["no contracts at all", () => file("zero.json", '{"trustContracts":[]}'), /trustContracts is empty: the stack declares no trust contract/],
        ["a null contract", () => file("nullc.json", '{"trustContracts":[null]}'), /trustContracts\[0\] must be an object, got null/],
        ["a contract without kind", () => file("nokind.json", '{"trustContracts":[{}]}'), /trustContracts\[0\] has no kind/],
        [
            "an unknown kind",
            () => file("kind.json", '{"trustContracts":[{"kind":"azure-ad-fic"}]}'),
            /"azure-ad-fic" is not a contract kind this version knows/,
        ],
        [
            "a FIC without target",
            () => file("fic.json", JSON.stringify({ trustContracts: [{ ...contract, target: undefined }] })),
            /trustContracts\[0\]\.target must be an object/,
        ],
        [
            "a FIC whose object id is a path",
            () =>
                file(
                    "path.json",
                    JSON.stringify({ trustContracts: [{ ...contract, target: { ...(contract as { target: object }).target, objectId: "../../me" } }] }),
                ),
            /trustContracts\[0\]\.target\.objectId is not a GUID/,
        ],
        [
            "a FIC with audiences as a string",
            () => file("aud.json", JSON.stringify({ trustContracts: [{ ...contract, audiences: "api://AzureADTokenExchange" }] })),
            /audiences must be an array of strings/,
        ],
        [
            "an AWS role whose trust policy holds a null statement",
            () => file("stmt.json", JSON.stringify({ trustContracts: [{ ...aws, trustPolicy: { Version: "2012-10-17", Statement: [null] } }] })),
            /trustPolicy\.Statement must be a non-empty array of statement objects/,
        ],
        [
            "an AWS role without condition keys",
            () => file("keys.json", JSON.stringify({ trustContracts: [{ ...aws, conditionKeys: null }] })),
            /conditionKeys must be an object, got null/,
        ],
        [
            "the offline plan's JSON",
            () => file("plan.json", JSON.stringify({ stack: "prod", resources: [], outputs: {}, trustContracts: [contract], placeholders: {} })),
            /this is the offline plan/,
        ],
    ];
    for (const [name, make, message] of cases) {
        it(`${name}: exit 2, names the file and what is wrong`, async () => {
            const f = make();
            const r = await doctor("--stack", "prod", "--claims", file("claims.json", JSON.stringify(SEED_UAMI_TOKEN_CLAIMS)), "--outputs", f, "--at", AT);
            assert.equal(r.code, 2, r.stdout);
            assert.match(r.stderr, message);
            assert.ok(r.stderr.includes(f), `names ${f}: ${r.stderr}`);
            assert.doesNotMatch(r.stderr, INTERNAL);
        });
    }

    it("reports every malformed contract at once, each by its path", () => {
        assert.throws(
            () => parseStackOutputs(JSON.stringify({ trustContracts: [{ kind: "gcp-provider" }, { kind: "aws-role", accountId: "12" }] }), "--outputs x.json"),
            (err: Error) =>
                /trustContracts\[0\]\.projectNumber/.test(err.message) &&
                /trustContracts\[0\]\.serviceAccountEmail/.test(err.message) &&
                /trustContracts\[1\]\.accountId must be a 12-digit account id, got "12"/.test(err.message),
        );
    });

    it("reads a UTF-16 file with a byte-order mark (PowerShell's redirect) and a UTF-8 one with a BOM", async () => {
        const text = JSON.stringify(deployedOutputs());
        for (const [name, bytes] of [
            ["utf16.json", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")])],
            ["bom.json", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")])],
        ] as const) {
            const r = await doctor("--stack", "prod", "--token", jwt(SEED_UAMI_TOKEN_CLAIMS), "--outputs", file(name, bytes), "--at", AT, "--json");
            assert.equal(r.code, 0, r.stderr);
            assert.equal((JSON.parse(r.stdout) as { verdicts: unknown[] }).verdicts.length, deployedContracts().length);
        }
    });
});

describe("doctor: other unusable input", () => {
    const claims = () => file("claims.json", JSON.stringify({ iss: `https://login.microsoftonline.com/${TENANT}/v2.0`, sub: UAMI_OID, exp: 2e9 }));
    const cases: [string, () => string[], RegExp][] = [
        ["an unknown flag", () => ["--stack", "prod", "--claims", claims(), "--tokn", "x"], /unknown option --tokn\nusage: npm run doctor/],
        ["--at without a value", () => ["--stack", "prod", "--claims", claims(), "--at"], /--at[\s\S]*usage/],
        ["no --stack", () => ["--claims", claims()], /--stack is required/],
        ["both --token and --claims", () => ["--stack", "prod", "--claims", claims(), "--token", jwt({})], /exactly one of --token or --claims/],
        ["neither --token nor --claims", () => ["--stack", "prod"], /exactly one of --token or --claims/],
        ["a --token that is not a JWT", () => ["--stack", "prod", "--token", "eyJ.not"], /--token is not a decodable JWT/],
        ["a --claims array", () => ["--stack", "prod", "--claims", file("arr.json", "[1]")], /expected a JSON object of claims/],
        ["an empty --claims file", () => ["--stack", "prod", "--claims", file("e.json", "")], /--claims .*is empty/],
        ["a --claims directory", () => ["--stack", "prod", "--claims", dir], /--claims .*cannot read \(is a directory/],
        ["a positional argument", () => ["--stack", "prod", "--claims", claims(), "extra"], /unexpected argument "extra"/],
    ];
    for (const [name, args, message] of cases) {
        it(`${name}: exit 2 with a clear message`, async () => {
            const r = await doctor(...args());
            assert.equal(r.code, 2, r.stdout);
            assert.match(r.stderr, message);
            assert.doesNotMatch(r.stderr, INTERNAL);
        });
    }

    it("the real script exits 2 on a malformed outputs file, with no stack trace", () => {
        const r = spawnSync(
            process.execPath,
            ["--import", "tsx", "scripts/doctor.ts", "--stack", "prod", "--claims", claims(), "--outputs", file("n.json", '{"trustContracts":[null]}')],
            { cwd: path.resolve(__dirname, ".."), encoding: "utf8" },
        );
        assert.equal(r.status, 2);
        assert.match(r.stderr, /^doctor: --outputs .*n\.json: malformed trust contracts:\n {2}trustContracts\[0\] must be an object, got null\n$/);
    });
});
