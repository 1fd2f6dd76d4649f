/**
 * Resource URNs and alias matching exactly as the Pulumi engine computes them, so an offline plan can prove that a
 * refactor (a resource moved under a new component, a component renamed or re-typed) replaces nothing: every URN in
 * yesterday's state is claimed by exactly one of today's registrations, through its own URN or its aliases.
 *
 * Pure: no Pulumi imports. Each rule names the function of pulumi/pulumi it mirrors (read in the engine's source as of
 * v3.260; the engine that matters is the Pulumi CLI's, not the SDK's):
 *  - sdk/go/common/resource/urn/urn.go: `New`, `QualifiedType`, `Type`, `Name`;
 *  - sdk/go/common/resource/alias.go: `CreateURN`;
 *  - pkg/resource/deploy/deployment.go: `generateURN` (the root stack's type is never a parent type);
 *  - pkg/resource/deploy/step_generator.go: `collapseAliasToUrn`, `inheritedChildAlias`, `generateAliases`,
 *    `getOldResource` (which old resource a registration takes over, and the duplicate-claim errors), `providerChanged`;
 *  - pkg/resource/deploy/source_eval.go: `inheritFromParent` (protect and provider inherited from the parent),
 *    and the parsing of `Alias.Spec` (a spec's `parentUrn` or `noParent`).
 * What the Node.js SDK sends (@pulumi/pulumi runtime/resource.ts `mapAliasesForRequest`, with `aliasSpecs` set): a
 * spec without `parent` carries the resource's own parent URN; `parent: pulumi.rootStackResource` (undefined) sends
 * `noParent`. Its own `createUrn` (resource.ts) drops the root stack's type as the engine does.
 * The documented form: https://www.pulumi.com/docs/iac/concepts/resources/names/#urns and
 * https://www.pulumi.com/docs/iac/concepts/resources/options/aliases/.
 */

/** The root stack's type: never part of a child's qualified type (deployment.go `generateURN`). */
export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
const PREFIX = "urn:pulumi:";
const NAME_DELIMITER = "::";
const TYPE_DELIMITER = "$";

/** An alias as a resource sends it (`RegisterResourceRequest.aliases`): an old URN, or a spec the engine completes. */
export type AliasSpec =
    | string
    | {
          /** Old name; "" or absent: the resource's own. */
          readonly name?: string;
          /** Old type; "" or absent: the resource's own. */
          readonly type?: string;
          /** Old stack; "" or absent: this deployment's. */
          readonly stack?: string;
          /** Old project; "" or absent: this deployment's. */
          readonly project?: string;
          /** Old parent's URN (the Node.js SDK always sends one unless the alias says `parent: undefined`). */
          readonly parentUrn?: string;
          /** The resource had no parent (`parent: pulumi.rootStackResource` in the alias). */
          readonly noParent?: boolean;
      };

/** One resource of a stack's state, as the baselines hold it (engine URNs; provider without its id). */
export interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** The parent's URN; "" for the root stack itself. */
    readonly parent: string;
    readonly custom: boolean;
    readonly protect: boolean;
    /** URN of the explicit provider a custom resource uses; "" for the package's default provider (or a component). */
    readonly provider: string;
}

/** One registration of today's program, as the engine receives it. */
export interface Registration extends StateResource {
    /** The aliases exactly as sent, parent URNs in engine form. */
    readonly aliases: readonly AliasSpec[];
}

/** The text after the `index`-th `::` of a URN (without the `urn:pulumi:` prefix); the last part is open (a name may hold `::`). */
function urnPart(urn: string, index: 0 | 1 | 2 | 3): string {
    if (!urn.startsWith(PREFIX)) throw new Error(`not a URN: ${JSON.stringify(urn)}`);
    const parts = urn.slice(PREFIX.length).split(NAME_DELIMITER);
    if (parts.length < 4) throw new Error(`not a URN (fewer than four :: parts): ${JSON.stringify(urn)}`);
    return index === 3 ? parts.slice(3).join(NAME_DELIMITER) : parts[index]!;
}

/** `urn.QualifiedType()`: the `$`-joined types of the parent chain and the resource. */
export function qualifiedType(urn: string): string {
    return urnPart(urn, 2);
}

/** `urn.Type()`: the resource's own type, the last of the qualified type. */
export function urnType(urn: string): string {
    return qualifiedType(urn).split(TYPE_DELIMITER).pop()!;
}

/** `urn.Name()`: everything after the third `::`. */
export function urnName(urn: string): string {
    return urnPart(urn, 3);
}

/** `urn.New`: the parent type is prefixed unless it is empty or the root stack's. */
export function newUrn(stack: string, project: string, parentType: string, type: string, name: string): string {
    const qualified = parentType !== "" && parentType !== ROOT_STACK_TYPE ? `${parentType}${TYPE_DELIMITER}${type}` : type;
    return `${PREFIX}${stack}${NAME_DELIMITER}${project}${NAME_DELIMITER}${qualified}${NAME_DELIMITER}${name}`;
}

/**
 * The URN the engine gives a registration (deployment.go `generateURN`): the parent's full qualified type, then the
 * resource's type; a resource parented to the root stack (or to nothing) has its own type only.
 */
export function engineUrn(stack: string, project: string, parent: string, type: string, name: string): string {
    return newUrn(stack, project, parent === "" ? "" : qualifiedType(parent), type, name);
}

/**
 * alias.go `CreateURN`: with a parent, the parent URN up to its last `::` (so the parent's stack, project and
 * qualified type), then `$<type>::<name>`; without one, a top-level URN in the given stack and project.
 */
export function createUrn(name: string, type: string, parent: string, project: string, stack: string): string {
    if (parent === "") return `${PREFIX}${stack}${NAME_DELIMITER}${project}${NAME_DELIMITER}${type}${NAME_DELIMITER}${name}`;
    const at = parent.lastIndexOf(NAME_DELIMITER);
    if (at === -1) throw new Error(`alias parent ${JSON.stringify(parent)} is not a URN`);
    return `${parent.slice(0, at)}${TYPE_DELIMITER}${type}${NAME_DELIMITER}${name}`;
}

/** The provider URN of a provider reference `<urn>::<id>` (sdk/go/common/resource/provider `ParseReference`). */
export function providerUrnOf(reference: string): string {
    if (reference === "") return "";
    const at = reference.lastIndexOf(NAME_DELIMITER);
    return at === -1 ? reference : reference.slice(0, at);
}

/** The package of a type token (`aws` of `aws:iam/role:Role`, `pulumi` of `pulumi:providers:aws`). */
function typePackage(type: string): string {
    return type.split(":")[0] ?? "";
}

/**
 * source_eval.go `inheritFromParent`: a registration that leaves `protect` unset takes its parent's; one without a
 * provider takes its parent's when the parent's provider is for the same package, or when it is a (non-remote) component.
 */
export function inheritFromParent(
    child: { readonly type: string; readonly custom: boolean; readonly remote: boolean; readonly protect: boolean | undefined; readonly provider: string },
    parent: { readonly protect: boolean; readonly provider: string } | undefined,
): { protect: boolean; provider: string } {
    const protect = child.protect ?? parent?.protect ?? false;
    if (child.provider !== "" || parent === undefined || parent.provider === "") return { protect, provider: child.provider };
    // The provider's package is the last segment of its type: `pulumi:providers:aws` -> `aws`.
    const providerPackage = urnType(providerUrnOf(parent.provider)).split(":").pop();
    const inherits = (!child.remote && !child.custom) || providerPackage === typePackage(child.type);
    return { protect, provider: inherits ? parent.provider : "" };
}

/** A registration as the SDK sends it: `protect` possibly unset, the provider as a reference (`<urn>::<id>`) or "". */
export interface SentRegistration {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly remote: boolean;
    readonly parent: string;
    readonly protect: boolean | undefined;
    readonly provider: string;
    readonly aliases: readonly AliasSpec[];
}

/**
 * Registrations as the engine stores them: protect and provider inherited from the parent where unset
 * (`inheritFromParent`), the provider as its URN, kept for custom resources only (a component's provider is only
 * passed down). Parents must come before their children, as the engine receives them.
 */
export function toRegistrations(sent: readonly SentRegistration[]): Registration[] {
    const goals = new Map<string, { protect: boolean; provider: string }>();
    return sent.map((r) => {
        const goal = inheritFromParent(r, goals.get(r.parent));
        goals.set(r.urn, goal);
        return {
            urn: r.urn,
            type: r.type,
            name: r.name,
            parent: r.parent,
            custom: r.custom,
            protect: goal.protect,
            provider: r.custom ? providerUrnOf(goal.provider) : "",
            aliases: r.aliases,
        };
    });
}

/** The state a deployment of `registrations` leaves: each resource without its aliases. */
export function stateOf(registrations: readonly Registration[]): StateResource[] {
    return registrations.map(({ urn, type, name, parent, custom, protect, provider }) => ({ urn, type, name, parent, custom, protect, provider }));
}

/** What the engine knows while it walks a deployment: which new resource took over which old one through an alias. */
interface AliasState {
    readonly stack: string;
    readonly project: string;
    /** New URN -> the old URN it took over through an alias (step_generator.go `sg.aliases`). */
    readonly aliases: Map<string, string>;
}

/** step_generator.go `collapseAliasToUrn`: a spec completed with the resource's own name, type, parent, stack and project. */
function collapseAliasToUrn(state: AliasState, name: string, type: string, resParent: string, alias: AliasSpec): string {
    if (typeof alias === "string") return alias;
    let parent = alias.parentUrn ?? "";
    if (parent === "") parent = resParent;
    // If the alias's parent itself took over an old resource, that old URN is the parent this resource had.
    else parent = state.aliases.get(parent) ?? parent;
    if (alias.noParent === true || (parent !== "" && qualifiedType(parent) === ROOT_STACK_TYPE)) parent = "";
    return createUrn(alias.name || name, alias.type || type, parent, alias.project || state.project, alias.stack || state.stack);
}

/**
 * step_generator.go `inheritedChildAlias`: the child's URN under its parent's old URN. A child named with its parent's
 * name as a prefix (`<parent>-logs`) is renamed along with the parent.
 */
function inheritedChildAlias(state: AliasState, childType: string, childName: string, parentName: string, parentAlias: string): string {
    const aliasName = childName.startsWith(parentName) ? urnName(parentAlias) + childName.slice(parentName.length) : childName;
    return newUrn(state.stack, state.project, qualifiedType(parentAlias), childType, aliasName);
}

/**
 * step_generator.go `generateAliases`: the resource's own aliases, then, when its parent took over an old resource
 * through an alias, the child under that old parent, and each own alias under that old parent. In order, without
 * repeats (the engine tries them in this order).
 */
function generateAliases(state: AliasState, r: Registration): string[] {
    const result: string[] = [];
    const add = (urn: string): void => void (result.includes(urn) ? undefined : result.push(urn));
    for (const alias of r.aliases) add(collapseAliasToUrn(state, r.name, r.type, r.parent, alias));
    const parentAlias = r.parent === "" ? undefined : state.aliases.get(r.parent);
    if (parentAlias !== undefined) {
        const parentName = urnName(r.parent);
        add(inheritedChildAlias(state, r.type, r.name, parentName, parentAlias));
        for (const alias of r.aliases) {
            const childAlias = collapseAliasToUrn(state, r.name, r.type, r.parent, alias);
            add(inheritedChildAlias(state, urnType(childAlias), urnName(childAlias), parentName, parentAlias));
        }
    }
    return result;
}

/** An old resource and the new registration that takes it over. */
export interface Claim {
    readonly old: StateResource;
    readonly by: Registration;
    /** "urn": the same URN; "alias": through one of the URNs `aliases` lists. */
    readonly via: "urn" | "alias";
}

export interface ClaimReport {
    readonly claims: readonly Claim[];
    /** For each new registration, every URN the engine would try, in order: its own, then its aliases. */
    readonly candidates: ReadonlyMap<string, readonly string[]>;
    /** Old resources no registration takes over: `pulumi up` deletes them (and creates any same-named newcomer: a replace). */
    readonly unclaimed: readonly StateResource[];
    /** New registrations that take over nothing: `pulumi up` creates them. */
    readonly created: readonly Registration[];
    /** Errors the engine itself raises (duplicate URN, an old URN claimed twice, an alias naming a live resource). */
    readonly engineErrors: readonly string[];
    /** Registrations whose candidates hold more than one old URN: the engine takes the first, the others are left behind. */
    readonly ambiguous: readonly { readonly urn: string; readonly olds: readonly string[] }[];
    /** Protected old resources taken over by an unprotected registration. */
    readonly protectionLost: readonly Claim[];
    /** Old resources taken over by a registration of another kind (custom vs component) or, for a custom one, another type. */
    readonly kindChanged: readonly Claim[];
    /**
     * Custom resources whose provider is neither the same URN nor the new URN of their old provider (step_generator.go
     * `providerChanged`): the engine then asks the new provider's `DiffConfig`, which only a preview against real state runs.
     */
    readonly providerChanged: readonly Claim[];
    /** Custom resources whose explicit provider moved with an alias: settled by the engine's alias rule, confirm with a preview. */
    readonly providerAliased: readonly Claim[];
}

/** Parents before children, otherwise in registration order (the engine sees a parent before any child). */
function parentsFirst(registrations: readonly Registration[]): Registration[] {
    const byUrn = new Map(registrations.map((r) => [r.urn, r]));
    const depth = (r: Registration, seen = new Set<string>()): number => {
        const parent = byUrn.get(r.parent);
        if (!parent || seen.has(r.urn)) return 0;
        seen.add(r.urn);
        return 1 + depth(parent, seen);
    };
    return registrations
        .map((r, i) => ({ r, i, d: depth(r) }))
        .sort((a, b) => a.d - b.d || a.i - b.i)
        .map((x) => x.r);
}

/**
 * Replays the engine's matching of `registrations` (today's program) against `olds` (yesterday's state) in
 * `stack`/`project`, as step_generator.go `getOldResource` does for each registration: its own URN first, then each
 * alias in `generateAliases` order; the first URN found in the old state is the resource it takes over.
 */
export function claim(olds: readonly StateResource[], registrations: readonly Registration[], stack: string, project: string): ClaimReport {
    const oldByUrn = new Map(olds.map((r) => [r.urn, r]));
    const state: AliasState = { stack, project, aliases: new Map() };
    const urns = new Set<string>(); // sg.urns: new URNs seen so far
    const aliased = new Map<string, string>(); // sg.aliased: old URN -> the new URN that took it over by alias
    const claims: Claim[] = [];
    const candidates = new Map<string, readonly string[]>();
    const created: Registration[] = [];
    const engineErrors: string[] = [];
    const ambiguous: { urn: string; olds: string[] }[] = [];

    for (const r of parentsFirst(registrations)) {
        const expected = engineUrn(stack, project, r.parent, r.type, r.name);
        if (r.urn !== expected) engineErrors.push(`${r.urn}: not the URN the engine computes for it (${expected})`);
        if (urns.has(r.urn)) engineErrors.push(`duplicate resource URN ${r.urn}`);
        urns.add(r.urn);
        const aliases = generateAliases(state, r);
        const tries = [r.urn, ...aliases.filter((a) => a !== r.urn)];
        candidates.set(r.urn, tries);
        const previous = aliased.get(r.urn);
        if (previous !== undefined) engineErrors.push(`${r.urn} is registered, but ${previous} already took it over through an alias`);
        const found = tries.filter((u) => oldByUrn.has(u));
        if (found.length > 1) ambiguous.push({ urn: r.urn, olds: found });
        const match = found[0];
        if (match === undefined) {
            created.push(r);
            continue;
        }
        if (match !== r.urn) {
            if (urns.has(match)) engineErrors.push(`${r.urn} claims ${match} through an alias, but ${match} is registered itself`);
            const other = aliased.get(match);
            if (other !== undefined) engineErrors.push(`${match} is claimed through aliases by both ${other} and ${r.urn}`);
            aliased.set(match, r.urn);
            state.aliases.set(r.urn, match);
        }
        claims.push({ old: oldByUrn.get(match)!, by: r, via: match === r.urn ? "urn" : "alias" });
    }

    const claimedOld = new Set(claims.map((c) => c.old.urn));
    // The provider an old resource's provider became: itself, or the registration that took it over by alias.
    const newProviderOf = (oldProvider: string): string => aliased.get(oldProvider) ?? oldProvider;
    const custom = claims.filter((c) => c.old.custom && c.by.custom);
    return {
        claims,
        candidates,
        unclaimed: olds.filter((r) => !claimedOld.has(r.urn)),
        created,
        engineErrors,
        ambiguous,
        protectionLost: claims.filter((c) => c.old.protect && !c.by.protect),
        kindChanged: claims.filter((c) => c.old.custom !== c.by.custom || (c.old.custom && c.old.type !== c.by.type)),
        providerChanged: custom.filter((c) => newProviderOf(c.old.provider) !== c.by.provider),
        providerAliased: custom.filter((c) => c.old.provider !== "" && c.old.provider !== c.by.provider && newProviderOf(c.old.provider) === c.by.provider),
    };
}

/**
 * What stops `pulumi up` from being a no-op on the resources the state holds, one line each; empty when every old
 * resource is taken over exactly once, by a registration of the same kind, keeping its protection and its provider,
 * and no new custom resource appears. New components are allowed (they hold no cloud object).
 */
export function claimProblems(report: ClaimReport): string[] {
    const line = (c: Claim): string => `${c.old.urn} (taken over by ${c.by.urn})`;
    return [
        ...report.engineErrors.map((e) => `engine error: ${e}`),
        ...report.unclaimed.map((r) => `unclaimed, so deleted: ${r.urn}`),
        ...report.created.filter((r) => r.custom).map((r) => `new custom resource, so created: ${r.urn}`),
        ...report.ambiguous.map((a) => `${a.urn} could take over ${a.olds.length} old resources: ${a.olds.join(", ")}`),
        ...report.protectionLost.map((c) => `protection lost: ${line(c)}`),
        ...report.kindChanged.map((c) => `kind or type changed: ${line(c)} was ${c.old.custom ? "custom" : "a component"} ${c.old.type}`),
        ...report.providerChanged.map(
            (c) => `provider changed: ${line(c)} used ${c.old.provider || "the default provider"}, now ${c.by.provider || "the default provider"}`,
        ),
    ];
}
