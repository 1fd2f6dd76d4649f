import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { planJson } from "../src/plan/render";
import { GraphNode, PlanResult, recordGraph, runPlan } from "../src/plan/run-plan";
import {
    claim,
    claimProblems,
    createUrn,
    engineUrn,
    inheritFromParent,
    qualifiedType,
    Registration,
    stateOf,
    StateResource,
    toRegistrations,
    urnName,
    urnType,
} from "../src/plan/urns";
import { RSA_PUBLIC_KEY } from "./fixtures/every-key";
import { IntentionalChange, INTENTIONAL_CHANGES, URN_BASELINE_CASES } from "./fixtures/urn-baselines";

// What `pulumi up` would do with yesterday's state, decided offline: the URNs of the saved stacks (test/fixtures/
// urn-baselines/) must each be taken over by exactly one of today's registrations, through the engine's own URN and
// alias rules (src/plan/urns.ts). docs/testing.md says what this proves and what only a preview can.

const REGENERATE = "UPDATE_URN_BASELINES=1 node --import tsx --test test/urn-baselines.test.ts";
const UPDATE = process.env.UPDATE_URN_BASELINES === "1";
const DIR = path.join(__dirname, "fixtures", "urn-baselines");

/** A saved resource: its state as the engine names it, and (custom resources) a digest of each input it was registered with. */
type SavedResource = StateResource & { readonly inputs?: Readonly<Record<string, string>> };

/**
 * A saved stack: the resources a deployment of the case leaves in the state, as the engine names them, and the stack
 * outputs the offline plan resolves (secret ones as `[secret]`, as `pulumi stack output` prints them).
 */
interface UrnBaseline {
    readonly note: string;
    readonly case: string;
    readonly description: string;
    readonly stack: string;
    readonly project: string;
    readonly outputs: Readonly<Record<string, unknown>>;
    readonly resources: readonly SavedResource[];
}

/**
 * The one value the mocks generate at random, the Kind issuer's signing key, pinned to a known public key: the JWKS
 * blob's content derives from it, so without the pin that input (and the public-key output) would differ per run.
 */
const PINNED = { "tls:index/privateKey:PrivateKey::kind-sa-signer": { publicKeyPem: RSA_PUBLIC_KEY } };

/** JSON with object keys sorted, so a digest does not depend on the order a component builds an object in. */
function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value !== null && typeof value === "object")
        return `{${Object.keys(value)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    return JSON.stringify(value) ?? "undefined";
}

/**
 * Inputs that are not the resource's own: `__provider` is a dynamic provider's serialized code, which changes with any
 * edit of the provider's source. The engine shows no update for it: the dynamic provider host hands the old and new
 * inputs to the provider's own `diff` (@pulumi/pulumi, cmd/dynamic-provider/index.js, `diff`), and every provider here
 * compares only its resource's fields.
 */
const NOT_RESOURCE_INPUTS = new Set(["__provider"]);

/** Per input name, the first 16 hex digits of the SHA-256 of its resolved value: enough to say which input changed. */
function inputDigests(inputs: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(
        Object.keys(inputs)
            .filter((k) => !NOT_RESOURCE_INPUTS.has(k))
            .sort()
            .map((k) => [k, createHash("sha256").update(canonical(inputs[k])).digest("hex").slice(0, 16)]),
    );
}

/** The resolved inputs of each custom resource of a plan, by `<type>::<name>` (unique in every stack this program builds). */
function inputsByResource(plan: PlanResult): Map<string, Record<string, string>> {
    const byKey = new Map<string, Record<string, string>>();
    for (const x of plan.resources.filter((res) => res.custom)) {
        const key = `${x.type}::${x.name}`;
        if (byKey.has(key)) throw new Error(`${key} is registered twice: the baselines key inputs by type and name`);
        byKey.set(key, inputDigests(x.inputs));
    }
    return byKey;
}

/** Which inputs differ, by name: changed, added or removed. */
/** Whether an intentional change applies to a case. */
function applies(change: IntentionalChange, caseName: string): boolean {
    return change.cases === undefined || change.cases.includes(caseName);
}

function inputChanges(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string[] {
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((n) => !NOT_RESOURCE_INPUTS.has(n)).sort();
    return names.filter((n) => before[n] !== after[n]).map((n) => (before[n] === undefined ? `+${n}` : after[n] === undefined ? `-${n}` : n));
}

function r(urn: string, parent: string, more: Partial<Registration> = {}): Registration {
    return { urn, type: urnType(urn), name: urnName(urn), parent, custom: true, protect: false, provider: "", aliases: [], ...more };
}

describe("engine URNs", () => {
    it("match the URNs Pulumi documents (https://www.pulumi.com/docs/iac/concepts/resources/names/#urns)", () => {
        const component = "urn:pulumi:production::acmecorp-website::custom:resources:Resource::website";
        assert.equal(
            engineUrn("production", "acmecorp-website", component, "aws:s3/bucket:Bucket", "my-bucket"),
            "urn:pulumi:production::acmecorp-website::custom:resources:Resource$aws:s3/bucket:Bucket::my-bucket",
        );
        // Parented to the root stack or to nothing: the stack's type is never part of the URN.
        const stack = engineUrn("dev", "app", "", "pulumi:pulumi:Stack", "app-dev");
        assert.equal(stack, "urn:pulumi:dev::app::pulumi:pulumi:Stack::app-dev");
        assert.equal(engineUrn("dev", "app", stack, "aws:s3/bucket:Bucket", "my-bucket"), "urn:pulumi:dev::app::aws:s3/bucket:Bucket::my-bucket");
        assert.equal(engineUrn("dev", "app", "", "aws:s3/bucket:Bucket", "my-bucket"), "urn:pulumi:dev::app::aws:s3/bucket:Bucket::my-bucket");
    });

    it("carry the whole chain of parent types, where the mock monitor keeps the stack's type and only the last parent's", () => {
        const shared = engineUrn("prod", "agentfed", "urn:pulumi:prod::agentfed::pulumi:pulumi:Stack::agentfed-prod", "agentfed:shared:Shared", "shared");
        const aws = engineUrn("prod", "agentfed", shared, "agentfed:aws:Federation", "aws");
        assert.equal(aws, "urn:pulumi:prod::agentfed::agentfed:shared:Shared$agentfed:aws:Federation::aws");
        const provider = engineUrn("prod", "agentfed", aws, "pulumi:providers:aws", "aws");
        assert.equal(provider, "urn:pulumi:prod::agentfed::agentfed:shared:Shared$agentfed:aws:Federation$pulumi:providers:aws::aws");
        assert.equal(qualifiedType(provider), "agentfed:shared:Shared$agentfed:aws:Federation$pulumi:providers:aws");
        assert.equal(urnType(provider), "pulumi:providers:aws");
        // A name may hold `::`: it is everything after the third delimiter (urn.go Name).
        assert.equal(urnName("urn:pulumi:s::p::t:m:T::a::b"), "a::b");
        // CreateURN (an alias's URN) takes the parent's stack, project and qualified type.
        assert.equal(createUrn("n", "t:m:C", aws, "ignored", "ignored"), "urn:pulumi:prod::agentfed::agentfed:shared:Shared$agentfed:aws:Federation$t:m:C::n");
        assert.throws(() => urnName("arn:aws:iam::1:role/x"), /not a URN/);
    });

    it("are the URNs the offline plan records (the mock monitor's own would keep the stack's type)", async () => {
        const plan = await runPlan({ stack: "prod", recordGraph: true });
        for (const n of plan.graph) assert.equal(n.urn, engineUrn("prod", "agentfed", n.parent, n.type, n.name));
        const role = plan.graph.find((n) => n.type === "aws:iam/role:Role");
        assert.equal(role?.urn, "urn:pulumi:prod::agentfed::agentfed:agent:Agent$agentfed:aws:Federation$aws:iam/role:Role::aws");
        // A provider reference is the provider's engine URN and its id.
        const provider = plan.graph.find((n) => n.type === "pulumi:providers:aws");
        assert.ok(provider && role.provider.startsWith(`${provider.urn}::`), `${role.provider} names the recorded AWS provider`);
    });

    it("inherit protect and provider from the parent as the engine does (source_eval.go inheritFromParent)", () => {
        const parent = { protect: true, provider: "urn:pulumi:s::p::pulumi:providers:aws::aws::id-1" };
        const child = { type: "aws:iam/role:Role", custom: true, remote: false, protect: undefined, provider: "" };
        assert.deepEqual(inheritFromParent(child, parent), parent);
        assert.deepEqual(inheritFromParent({ ...child, protect: false }, parent), { protect: false, provider: parent.provider });
        // Another package's provider is not inherited by a custom resource; a component takes it to pass it down.
        assert.deepEqual(inheritFromParent({ ...child, type: "gcp:iam/x:X" }, parent), { protect: true, provider: "" });
        assert.deepEqual(inheritFromParent({ ...child, type: "my:c:C", custom: false }, parent), parent);
        assert.deepEqual(inheritFromParent(child, undefined), { protect: false, provider: "" });
    });
});

describe("engine alias matching (known answers of pulumi/pulumi pkg/engine/lifecycletest/alias_test.go)", () => {
    const u = (qualified: string, name: string) => `urn:pulumi:test::test::${qualified}::${name}`;

    it("a chain renamed and re-typed at the top is taken over, the children through their parents' aliases", () => {
        // TestAliases "parents" then "n1-name-change": n1 -> n1-sub -> n1-sub-sub, then n1 renamed n1-new and re-typed.
        const olds = [r(u("pkgA:index:t1", "n1"), ""), r(u("pkgA:index:t1$pkgA:index:t2", "n1-sub"), u("pkgA:index:t1", "n1"))];
        olds.push(r(u("pkgA:index:t1$pkgA:index:t2$pkgA:index:t3", "n1-sub-sub"), olds[1]!.urn));
        const top = r(u("pkgA:index:t1-new", "n1-new"), "", { aliases: [{ type: "pkgA:index:t1", name: "n1" }] });
        const sub = r(u("pkgA:index:t1-new$pkgA:index:t2", "n1-new-sub"), top.urn, { aliases: [{ type: "pkgA:index:t2", name: "n1-sub" }] });
        const subSub = r(u("pkgA:index:t1-new$pkgA:index:t2$pkgA:index:t3", "n1-new-sub-sub"), sub.urn);
        const report = claim(stateOf(olds), [top, sub, subSub], "test", "test");
        assert.deepEqual(
            report.claims.map((c) => [c.old.urn, c.by.urn, c.via]),
            olds.map((o, i) => [o.urn, [top, sub, subSub][i]!.urn, "alias"]),
        );
        // n1-new-sub-sub has no alias of its own: its old name comes from its parent's (n1-new-sub -> n1-sub).
        assert.deepEqual(report.unclaimed, []);
    });

    it("a resource moved under a parent (noParent) and back out (parent: the old parent) is taken over", () => {
        const one = r(u("pkgA:index:t1", "one"), "");
        const two = r(u("pkgA:index:t2", "two"), "");
        const moved = r(u("pkgA:index:t1$pkgA:index:t2", "two"), one.urn, { aliases: [{ noParent: true }] });
        assert.deepEqual(claimProblems(claim(stateOf([one, two]), [one, moved], "test", "test")), []);
        const back = r(two.urn, "", { aliases: [{ parentUrn: one.urn }] });
        assert.deepEqual(claimProblems(claim(stateOf([one, moved]), [one, back], "test", "test")), []);
        // Without the alias, the move deletes one resource and creates another.
        assert.deepEqual(claimProblems(claim(stateOf([one, two]), [one, { ...moved, aliases: [] }], "test", "test")), [
            `unclaimed, so deleted: ${two.urn}`,
            `new custom resource, so created: ${moved.urn}`,
        ]);
    });

    it("an alias naming a resource that is registered too is an engine error, in either order (TestDuplicatesDueToAliases)", () => {
        const a = r(u("pkgA:m:typA", "resA"), "");
        const b = r(u("pkgA:m:typA", "resB"), "", { aliases: [{ name: "resA" }] });
        for (const order of [
            [a, b],
            [b, a],
        ]) {
            const problems = claimProblems(claim(stateOf([a]), order, "test", "test"));
            assert.equal(problems.filter((p) => p.startsWith("engine error:")).length, 1, problems.join("\n"));
        }
        // Two registrations aliasing the same old resource (TestAliases "t1-fail-duplicate").
        const c = r(u("pkgA:index:t2", "n3"), "", { aliases: [{ type: "pkgA:m:typA", name: "resA" }] });
        assert.match(claimProblems(claim(stateOf([a]), [b, c], "test", "test")).join("\n"), /claimed through aliases by both .*resB and .*n3/);
    });
});

/** The registrations a small program sends under Pulumi's mocks, recorded as `runPlan` records them. */
async function registrationsOf(program: () => void): Promise<Registration[]> {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs as Record<string, unknown> }),
            call: (args) => args.inputs as Record<string, unknown>,
        },
        "shop",
        "prod",
        false,
    );
    const graph: GraphNode[] = [];
    recordGraph(graph);
    await pulumi.runtime.runInPulumiStack(() => Promise.resolve(program()));
    await pulumi.runtime.disconnect();
    return toRegistrations(graph);
}

/** An explicit provider of the made-up `shop` package. */
class ShopProvider extends pulumi.ProviderResource {
    constructor(name: string, opts?: pulumi.ResourceOptions) {
        super("shop", name, {}, opts);
    }
}

/** A custom resource of the made-up `shop` package. */
class Thing extends pulumi.CustomResource {
    constructor(type: string, name: string, opts?: pulumi.CustomResourceOptions) {
        super(type, name, {}, opts);
    }
}

/**
 * Yesterday's program: an explicit provider, a protected identity and a federation at the top, and a component whose
 * child is named after it.
 */
function yesterday(): void {
    const provider = new ShopProvider("shop");
    new Thing("shop:index:Identity", "agent", { protect: true, provider });
    new Federation("cloud", {});
    new Box("shop:old:Box", "box", provider, {});
}

class Federation extends pulumi.ComponentResource {
    constructor(name: string, opts: pulumi.ComponentResourceOptions) {
        super("shop:cloud:Federation", name, {}, opts);
        new Thing("shop:index:Role", `${name}-role`, { parent: this });
    }
}

class Box extends pulumi.ComponentResource {
    constructor(type: string, name: string, provider: ShopProvider, opts: pulumi.ComponentResourceOptions) {
        super(type, name, {}, opts);
        new Thing("shop:index:Disk", `${name}-disk`, { parent: this, provider });
    }
}

/**
 * Today's program, refactored as issue 25 refactors the stack: the provider and the federation move under a new
 * `Shared` component, the identity under an `Agent` component, and the box is renamed and re-typed. Each moved thing
 * carries one alias; the children follow their parents.
 */
function today(options: { protect?: boolean; aliasProvider?: boolean } = {}): () => void {
    const toRoot = [{ parent: pulumi.rootStackResource }];
    return () => {
        const shared = new pulumi.ComponentResource("shop:shared:Shared", "shared");
        const provider = new ShopProvider("shop", { parent: shared, aliases: options.aliasProvider === false ? [] : toRoot });
        new Federation("cloud", { parent: shared, aliases: toRoot });
        const agent = new pulumi.ComponentResource("shop:agent:Agent", "agent");
        new Thing("shop:index:Identity", "agent", { parent: agent, protect: options.protect ?? true, provider, aliases: toRoot });
        new Box("shop:new:Crate", "crate", provider, { aliases: [{ type: "shop:old:Box", name: "box" }] });
    };
}

const withoutAliases = (registrations: readonly Registration[]): Registration[] => registrations.map((x) => ({ ...x, aliases: [] }));

describe("engine alias matching on a program under mocks (the proof's own negative control)", () => {
    it("takes over every resource of a re-parented, renamed and re-typed program through its aliases, and fails without them", async () => {
        const olds = stateOf(await registrationsOf(yesterday));
        const registrations = await registrationsOf(today());
        const urn = (qualified: string, name: string) => `urn:pulumi:prod::shop::${qualified}::${name}`;
        // The recorder names resources as the engine does: full parent chain, no stack type.
        assert.ok(registrations.some((x) => x.urn === urn("shop:shared:Shared$shop:cloud:Federation$shop:index:Role", "cloud-role")));
        assert.ok(registrations.every((x) => !x.urn.includes("pulumi:pulumi:Stack$")));

        const report = claim(olds, registrations, "prod", "shop");
        assert.deepEqual(claimProblems(report), []);
        const takenOver = (old: string) => report.claims.find((c) => c.old.urn === old)?.by.urn;
        // Moved to the root stack's child with `parent: rootStackResource` (sent as noParent).
        assert.equal(takenOver(urn("shop:index:Identity", "agent")), urn("shop:agent:Agent$shop:index:Identity", "agent"));
        // A child whose parent moved: the engine derives its old URN from the parent's (generateAliases).
        assert.equal(
            takenOver(urn("shop:cloud:Federation$shop:index:Role", "cloud-role")),
            urn("shop:shared:Shared$shop:cloud:Federation$shop:index:Role", "cloud-role"),
        );
        // A child of a renamed and re-typed component, named after it: renamed with it (inheritedChildAlias).
        assert.equal(takenOver(urn("shop:old:Box$shop:index:Disk", "box-disk")), urn("shop:new:Crate$shop:index:Disk", "crate-disk"));
        // The identity and the disk now name the provider by its new URN: the engine's alias rule settles it, a preview confirms it.
        assert.deepEqual(report.providerAliased.map((c) => c.by.name).sort(), ["agent", "crate-disk"]);
        assert.deepEqual(report.created.map((x) => x.urn).sort(), [urn("shop:agent:Agent", "agent"), urn("shop:shared:Shared", "shared")]);

        // Negative control: the same registrations without their aliases delete every moved resource and create it anew.
        const problems = claimProblems(claim(olds, withoutAliases(registrations), "prod", "shop"));
        for (const old of olds.filter((o) => o.custom && o.type !== "pulumi:pulumi:Stack"))
            assert.ok(problems.includes(`unclaimed, so deleted: ${old.urn}`), `${old.urn} is reported unclaimed:\n${problems.join("\n")}`);
        assert.ok(problems.includes(`new custom resource, so created: ${urn("shop:agent:Agent$shop:index:Identity", "agent")}`));
    });

    it("fails when a protected resource loses its protection, or a provider moves without its alias", async () => {
        const olds = stateOf(await registrationsOf(yesterday));
        const identity = "urn:pulumi:prod::shop::shop:index:Identity::agent";
        const unprotected = claimProblems(claim(olds, await registrationsOf(today({ protect: false })), "prod", "shop"));
        assert.deepEqual(
            unprotected.filter((p) => p.startsWith("protection lost")),
            [`protection lost: ${identity} (taken over by urn:pulumi:prod::shop::shop:agent:Agent$shop:index:Identity::agent)`],
        );
        const providerMoved = claimProblems(claim(olds, await registrationsOf(today({ aliasProvider: false })), "prod", "shop"));
        assert.ok(providerMoved.includes("unclaimed, so deleted: urn:pulumi:prod::shop::pulumi:providers:shop::shop"), providerMoved.join("\n"));
        assert.deepEqual(providerMoved.filter((p) => p.startsWith("provider changed")).length, 2, providerMoved.join("\n"));
    });
});

function fixturePath(name: string): string {
    return path.join(DIR, `${name}.json`);
}

/** One resource per line, so a changed resource is one changed line in a diff (Prettier leaves the directory alone). */
function writeFixture(file: string, baseline: UrnBaseline): void {
    const { resources, outputs, ...head } = baseline;
    const json = (value: object): string =>
        `{ ${Object.entries(value)
            .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
            .join(", ")} }`;
    const fields = Object.entries(head).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
    const outputLines = Object.keys(outputs)
        .sort()
        .map((k) => `        ${JSON.stringify(k)}: ${JSON.stringify(outputs[k])}`)
        .join(",\n");
    const lines = resources.map((x) => `        ${json(x)}`).join(",\n");
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, `{\n${fields.join("\n")}\n    "outputs": {\n${outputLines}\n    },\n    "resources": [\n${lines}\n    ]\n}\n`);
}

describe("input digests", () => {
    it("do not depend on key order, and name each input that changed, appeared or went", () => {
        const before = inputDigests({ name: "agent", tags: { a: "1", b: "2" }, location: "westeurope" });
        assert.deepEqual(before, inputDigests({ location: "westeurope", tags: { b: "2", a: "1" }, name: "agent" }));
        const after = inputDigests({ name: "agent", tags: { a: "1", b: "3" }, sku: "S0" });
        assert.deepEqual(inputChanges(before, after), ["-location", "+sku", "tags"]);
        assert.deepEqual(inputChanges(before, before), []);
    });
});

describe("URN baselines: today's program takes over every resource of the saved stacks, replacing nothing", () => {
    it("has exactly one saved stack per case", { skip: UPDATE }, () => {
        const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));
        assert.deepEqual(files.sort(), URN_BASELINE_CASES.map((c) => `${c.name}.json`).sort(), `regenerate with: ${REGENERATE}`);
    });

    for (const c of URN_BASELINE_CASES) {
        it(c.name, async (t) => {
            const plan = await runPlan({ ...c.plan, mockOverrides: PINNED, recordGraph: true });
            const registrations = toRegistrations(plan.graph);
            const inputs = inputsByResource(plan);
            // As JSON carries them (what `pulumi stack output --json` prints).
            const outputs = JSON.parse(JSON.stringify(planJson(plan).outputs)) as Record<string, unknown>;
            const file = fixturePath(c.name);
            if (UPDATE) {
                const resources = stateOf(registrations)
                    .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0))
                    .map((x) => (x.custom ? { ...x, inputs: inputs.get(`${x.type}::${x.name}`) ?? {} } : x));
                const note =
                    "The resources a deployment of this case leaves in the state (engine URNs; per custom resource, a digest of each resolved input) " +
                    `and the stack outputs of the offline plan. Regenerate: ${REGENERATE}`;
                writeFixture(file, { note, case: c.name, description: c.description, stack: plan.stack, project: plan.project, outputs, resources });
                return;
            }
            const baseline = JSON.parse(readFileSync(file, "utf8")) as UrnBaseline;
            assert.deepEqual([baseline.stack, baseline.project], [plan.stack, plan.project]);
            // The saved state is one the engine could have written: every URN follows from its parent, type and name.
            const saved = new Set(baseline.resources.map((x) => x.urn));
            for (const x of baseline.resources) {
                assert.equal(x.urn, engineUrn(baseline.stack, baseline.project, x.parent, x.type, x.name));
                assert.ok(x.parent === "" || saved.has(x.parent), `${x.urn}: parent ${x.parent} is in the saved state`);
                assert.ok(x.provider === "" || saved.has(x.provider), `${x.urn}: provider ${x.provider} is in the saved state`);
            }

            const report = claim(baseline.resources, registrations, plan.stack, plan.project);
            assert.deepEqual(
                claimProblems(report),
                [],
                `today's program would not take over ${c.name}'s resources as they are. If the change is meant (a resource added on purpose before the refactor), regenerate the baselines from that commit: ${REGENERATE}`,
            );
            for (const moved of report.providerAliased)
                t.diagnostic(`${moved.by.urn} now uses ${moved.by.provider} (was ${moved.old.provider}): confirm with pulumi preview (docs/testing.md)`);

            // Names and inputs unchanged: each custom resource is registered with the inputs it had (an update would be a diff).
            const changed = report.claims.flatMap((cl) => {
                const saved = (cl.old as SavedResource).inputs;
                if (!cl.old.custom || saved === undefined) return [];
                const meant = new Set(
                    INTENTIONAL_CHANGES.flatMap((ch) =>
                        "resource" in ch && applies(ch, c.name) && ch.resource.type === cl.by.type && ch.resource.name.test(cl.by.name) ? ch.inputs : [],
                    ),
                );
                const diff = inputChanges(saved, inputs.get(`${cl.by.type}::${cl.by.name}`) ?? {}).filter((n) => !meant.has(n.replace(/^[+-]/, "")));
                return cl.old.name !== cl.by.name || diff.length > 0 ? [`${cl.old.urn}: name ${cl.by.name}, inputs changed: ${diff.join(", ")}`] : [];
            });
            assert.deepEqual(changed, [], `today's program registers ${c.name}'s resources with other names or inputs`);
            // Negative control on the real program: without the aliases it sends, the resources that moved would be
            // deleted and created anew, the protected UAMI among them. (A case saved after agents had their component,
            // such as prod-create-mode, has nothing that moved.)
            const uami = baseline.resources.find((x) => x.type === "azure-native:managedidentity:UserAssignedIdentity" && x.name === "agent");
            if (plan.project === "agentfed" && uami && !uami.urn.includes("::agentfed:agent:Agent$")) {
                const unaliased = claimProblems(claim(baseline.resources, withoutAliases(registrations), plan.stack, plan.project));
                assert.ok(unaliased.includes(`unclaimed, so deleted: ${uami.urn}`), `without aliases ${uami.urn} is deleted:\n${unaliased.join("\n")}`);
            }
            // The same stack outputs, names and values: consumers, the doctor and the audit read them. New outputs may be
            // added; a value may change only where INTENTIONAL_CHANGES says why.
            const meantOutputs = new Set(INTENTIONAL_CHANGES.flatMap((ch) => ("output" in ch && applies(ch, c.name) ? [ch.output] : [])));
            const kept = Object.fromEntries(
                Object.keys(baseline.outputs)
                    .filter((k) => !meantOutputs.has(k))
                    .map((k) => [k, outputs[k]]),
            );
            const expected = Object.fromEntries(Object.entries(baseline.outputs).filter(([k]) => !meantOutputs.has(k)));
            assert.deepEqual(kept, expected, `${c.name}'s stack outputs changed`);
            for (const name of meantOutputs) if (name in baseline.outputs) assert.ok(name in outputs, `${c.name} still has the output ${name}`);
        });
    }

    it("the saved stacks hold what the stacks are known to hold", { skip: UPDATE }, () => {
        const load = (name: string) => JSON.parse(readFileSync(fixturePath(name), "utf8")) as UrnBaseline;
        const prod = load("prod");
        const uami = prod.resources.find((x) => x.type === "azure-native:managedidentity:UserAssignedIdentity");
        assert.equal(uami?.urn, "urn:pulumi:prod::agentfed::agentfed:azure:ManagedIdentity$azure-native:managedidentity:UserAssignedIdentity::agent");
        assert.equal(uami?.protect, true, "prod protects its identity");
        const role = prod.resources.find((x) => x.type === "aws:iam/role:Role");
        assert.equal(role?.provider, "urn:pulumi:prod::agentfed::agentfed:aws:Federation$pulumi:providers:aws::aws");
        assert.equal(load("dev").resources.find((x) => x.type === "azure-native:managedidentity:UserAssignedIdentity")?.protect, false);
        assert.ok(load("dev-kind-workload").resources.some((x) => x.type === "pulumi:providers:kubernetes"));
        assert.ok(load("bootstrap").resources.filter((x) => x.custom).length > 10);
    });
});
