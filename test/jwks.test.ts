/**
 * Hostile input to `npm run jwks` (issue #19, part 4): an empty file, an encrypted key, a directory, a weak key and
 * every other unusable key is refused with a message naming the file, exit 2, and no key set printed at all (a
 * partial JWKS would drop a key from the issuer). Run in-process, plus the real script once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { jsonWebKeySet, renderOidcDocument } from "../src/contracts";
import { MIN_RSA_BITS, runJwks } from "../src/jwks/cli";
import { capture, INTERNAL } from "./cli-capture";

const dir = mkdtempSync(path.join(tmpdir(), "jwks-"));
const file = (name: string, content: string | Buffer) => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
};
const rsa = (bits: number) => generateKeyPairSync("rsa", { modulusLength: bits });
const good = rsa(2048);
const goodPublic = good.publicKey.export({ type: "spki", format: "pem" }).toString();
const weak = rsa(1024);
const jwks = (...args: string[]) => capture((io) => runJwks(args, io));

describe("npm run jwks: unusable keys", () => {
    const cases: [string, () => string, RegExp][] = [
        ["an empty file", () => file("empty.pem", ""), /is empty; expected a PEM key/],
        [
            "a directory",
            () => (mkdirSync(path.join(dir, "keys"), { recursive: true }), path.join(dir, "keys")),
            /cannot read \(is a directory; pass the key file inside it\)/,
        ],
        ["a missing file", () => path.join(dir, "missing.pem"), /cannot read \(no such file\)/],
        [
            "an encrypted PKCS#8 private key",
            () => file("enc8.pem", good.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" }).toString()),
            /is an encrypted private key; the key set needs only the public half: openssl pkey -in <key> -pubout/,
        ],
        [
            "an encrypted PKCS#1 (Proc-Type) private key",
            () => file("enc1.pem", good.privateKey.export({ type: "pkcs1", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" }).toString()),
            /is an encrypted private key/,
        ],
        [
            "a 1024-bit public key",
            () => file("weak.pub", weak.publicKey.export({ type: "spki", format: "pem" }).toString()),
            new RegExp(`is a 1024-bit RSA key; published keys must be at least ${MIN_RSA_BITS} bits, as kind.rsaBits \\(2048 or 4096\\) requires`),
        ],
        ["a 1024-bit private key", () => file("weak.key", weak.privateKey.export({ type: "pkcs8", format: "pem" }).toString()), /is a 1024-bit RSA key/],
        [
            "an EC key",
            () => file("ec.pub", generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString()),
            /is an ec key; the issuer publishes RS256 keys only/,
        ],
        ["text that is not PEM", () => file("notes.txt", "my key is in the vault\n"), /is not a PEM key \(no -----BEGIN line\)/],
        [
            "a DER key",
            () => file("key.der", good.publicKey.export({ type: "spki", format: "der" })),
            /is not a PEM key \(no -----BEGIN line\); convert a DER key/,
        ],
        ["a truncated PEM", () => file("cut.pem", goodPublic.slice(0, 120)), /is not a readable PEM key/],
        [
            "a certificate request header with garbage",
            () => file("csr.pem", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
            /is not a readable PEM key/,
        ],
    ];
    for (const [name, make, message] of cases) {
        it(`${name}: exit 2, names the file, prints no key set`, async () => {
            const f = make();
            const r = await jwks("--public-key", f);
            assert.equal(r.code, 2);
            assert.equal(r.stdout, "", "no partial key set");
            assert.match(r.stderr, message);
            assert.ok(r.stderr.includes(f), r.stderr);
            assert.doesNotMatch(r.stderr, INTERNAL);
        });
    }

    it("one bad key among good ones fails the whole run, naming only the bad one", async () => {
        const bad = file("weak2.pub", weak.publicKey.export({ type: "spki", format: "pem" }).toString());
        const r = await jwks("--public-key", file("good.pub", goodPublic), "--public-key", bad);
        assert.equal(r.code, 2);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /weak2\.pub: is a 1024-bit RSA key/);
        assert.doesNotMatch(r.stderr, /good\.pub/);
    });

    it("inline PEM text is named by position", async () => {
        const r = await jwks(`--public-key=${weak.publicKey.export({ type: "spki", format: "pem" }).toString()}`);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--public-key #1 \(inline PEM\): is a 1024-bit RSA key/);
    });

    it("usage errors exit 2: no key, an unknown flag, a flag without its value", async () => {
        for (const args of [[], ["--public-ky", "x"], ["--public-key"]]) {
            const r = await jwks(...args);
            assert.equal(r.code, 2, JSON.stringify(args));
            assert.match(r.stderr, /usage: npm run jwks/);
        }
    });

    it("a 2048-bit key, public or private, still gives exactly the stack's key set", async () => {
        const privatePem = good.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
        const r = await jwks(
            "--public-key",
            file("good.key", privatePem),
            "--public-key",
            file("good2.pub", rsa(4096).publicKey.export({ type: "spki", format: "pem" }).toString()),
        );
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.startsWith(renderOidcDocument(jsonWebKeySet([goodPublic])).slice(0, 40)));
        assert.equal((JSON.parse(r.stdout) as { keys: unknown[] }).keys.length, 2);
        assert.ok(!r.stdout.includes('"d"'), "no private parameter is published");
    });

    it("the real script exits 2 on an empty key file, naming it, with no stack trace", () => {
        const f = file("empty2.pem", "");
        const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/jwks.ts", "--public-key", f], {
            cwd: path.resolve(__dirname, ".."),
            encoding: "utf8",
        });
        assert.equal(r.status, 2);
        assert.equal(r.stderr, `jwks: --public-key ${f}: is empty; expected a PEM key (-----BEGIN PUBLIC KEY-----)\n`);
    });
});
