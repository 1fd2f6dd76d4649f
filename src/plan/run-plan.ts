import * as pulumi from "@pulumi/pulumi";
import type { TrustContract } from "../contracts";
import { CLOUDS } from "../clouds";
import { AgentFedMocks, MockOverrides } from "./mocks";
import { MAIN_PROJECT, planProject, PlanProject } from "./projects";
import { readProjectName, readStackConfig, toConfigString } from "./stack-files";
import { AliasSpec, engineUrn } from "./urns";

export interface PlanOptions {
    /** Stack name: reads Pulumi.<stack>.yaml. */
    stack: string;
    /** The project, by its directory relative to the repository root (`bootstrap`); default the main project. */
    project?: string;
    /** Where Pulumi.yaml lives, for the main program. Default: the repository root. */
    projectDir?: string;
    /** Config values replacing or adding to the stack file's, by key (`agentfed:tenantId` or `tenantId`). */
    config?: Record<string, unknown>;
    /** Computed properties pinned in the mocks, by `<type>::<name>`. */
    mockOverrides?: MockOverrides;
    /** Receives the mocks before the program runs, so a caller can inspect registrations even when the plan fails. */
    onMocks?: (mocks: AgentFedMocks) => void;
    /** Record every registration as the engine receives it (`PlanResult.graph`), with engine URNs. Default false. */
    recordGraph?: boolean;
}

/** One registration as the engine receives it: what it is, which resources it waits for, and what it was before. */
export interface GraphNode {
    /** The URN the engine gives it (full parent type chain, root stack omitted; see urns.ts), not the mock monitor's own. */
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    /** A component implemented by a provider (multi-language component); the engine's provider inheritance depends on it. */
    readonly remote: boolean;
    readonly parent: string;
    /** URNs of the resources whose outputs (or explicit `dependsOn`) this registration waits for. */
    readonly dependencies: readonly string[];
    /** The provider reference (`<urn>::<id>`) of a custom resource with an explicit provider, else "". */
    readonly provider: string;
    /** `protect` as sent; undefined: not set, so the engine takes the parent's. */
    readonly protect: boolean | undefined;
    /** The `aliases` option as sent: old URNs and alias specs (parent URNs in engine form). */
    readonly aliases: readonly AliasSpec[];
}

export interface PlannedResource {
    readonly type: string;
    readonly name: string;
    /** `<type>::<name>` of the parent component, or undefined for resources parented to the stack. */
    readonly parent: string | undefined;
    readonly custom: boolean;
    /** Resolved inputs the resource is registered with. */
    readonly inputs: Record<string, unknown>;
    /** Resource options that matter to a reviewer. */
    readonly protect: boolean;
    /** Inputs Pulumi stores encrypted. */
    readonly secretInputs: string[];
    /** The explicit provider, as `<provider type>::<provider name>`; undefined for a default provider. */
    readonly provider: string | undefined;
}

export interface PlanResult {
    readonly stack: string;
    readonly project: string;
    readonly resources: PlannedResource[];
    readonly outputs: Record<string, unknown>;
    readonly trustContracts: TrustContract[];
    /** Placeholder value -> what a real deployment puts there. */
    readonly placeholders: Record<string, string>;
    /** Accepted-but-risky configuration choices (also logged by `pulumi preview`). */
    readonly warnings: readonly string[];
    /** The dependency graph, when `recordGraph` was set; else empty. */
    readonly graph: readonly GraphNode[];
}

/** The shape of the mock monitor's registerResource the graph recorder wraps (a protobuf request and a callback). */
interface AliasSpecLike {
    getName(): string;
    getType(): string;
    getStack(): string;
    getProject(): string;
    hasParenturn(): boolean;
    getParenturn(): string;
    hasNoparent(): boolean;
    getNoparent(): boolean;
}
/** pulumirpc.Alias (proto/alias_pb.d.ts): an old URN (case 1) or a spec (case 2). */
interface AliasLike {
    getAliasCase(): number;
    getUrn(): string;
    getSpec(): AliasSpecLike | undefined;
}
/** pulumirpc.RegisterResourceRequest (proto/resource_pb.d.ts, @pulumi/pulumi 3.276): the fields the recorder reads. */
interface RegisterResourceRequestLike {
    getType(): string;
    getName(): string;
    getCustom(): boolean;
    getRemote(): boolean;
    getParent(): string;
    getProvider(): string;
    getDependenciesList(): string[];
    hasProtect(): boolean;
    getProtect(): boolean | undefined;
    getAliasurnsList(): string[];
    getAliasesList(): AliasLike[];
    getAliasspecs(): boolean;
}
type RegisterCallback = (err: unknown, response?: { getUrn(): string }) => void;
interface MonitorLike {
    registerResource(req: RegisterResourceRequestLike, callback: RegisterCallback): unknown;
    newUrn(parent: string, type: string, name: string): string;
}

/** The aliases of a registration as the engine parses them (source_eval.go): legacy URNs first, then the `aliases` list. */
function aliasesOf(req: RegisterResourceRequestLike): AliasSpec[] {
    const aliases: AliasSpec[] = [...req.getAliasurnsList()];
    for (const alias of req.getAliasesList()) {
        const spec = alias.getSpec();
        if (alias.getAliasCase() !== 2 || !spec) {
            aliases.push(alias.getUrn());
            continue;
        }
        aliases.push({
            name: spec.getName(),
            type: spec.getType(),
            stack: spec.getStack(),
            project: spec.getProject(),
            ...(spec.hasParenturn() ? { parentUrn: spec.getParenturn() } : {}),
            ...(spec.hasNoparent() ? { noParent: spec.getNoparent() } : {}),
        });
    }
    // Without `aliasSpecs`, the engine rewrites a Node.js SDK's specs (source_eval.go transformAliasForNodeJSCompat):
    // what is recorded here would not be what the engine matches.
    if (req.getAliasesList().length > 0 && !req.getAliasspecs())
        throw new Error(`${req.getType()}::${req.getName()} sends alias specs without aliasSpecs; the engine would reinterpret them`);
    return aliases;
}

/**
 * Records every registration the program sends, as the engine receives it. The mock monitor's own URNs keep the
 * stack's type and only the last parent type (MockMonitor.newUrn in @pulumi/pulumi runtime/mocks.js); the engine's
 * keep every parent type and omit the root stack's. So the recorder first makes the mock monitor name resources as
 * the engine does: every URN the program sees (parents, dependencies, providers, alias parents) is then the real one.
 */
export function recordGraph(graph: GraphNode[]): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike | undefined;
    if (!monitor) throw new Error("no Pulumi monitor to record the dependency graph from");
    if (typeof monitor.newUrn !== "function") throw new Error("the Pulumi mock monitor has no newUrn to make engine URNs with");
    const stack = pulumi.getStack();
    const project = pulumi.getProject();
    monitor.newUrn = (parent, type, name) => engineUrn(stack, project, parent, type, name);
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        let aliases: AliasSpec[];
        try {
            aliases = aliasesOf(req);
        } catch (err) {
            callback(err);
            return undefined;
        }
        return register(req, (err, response) => {
            if (!err && response) {
                graph.push({
                    urn: response.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    custom: req.getCustom(),
                    remote: req.getRemote(),
                    parent: req.getParent(),
                    dependencies: req.getDependenciesList(),
                    provider: req.getProvider(),
                    protect: req.hasProtect() ? req.getProtect() : undefined,
                    aliases,
                });
            }
            callback(err, response);
        });
    };
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/** A string field of a structured config value, if present. */
function jsonField(text: string | undefined, field: string): string | undefined {
    try {
        const value = (JSON.parse(text ?? "null") as Record<string, unknown> | null)?.[field];
        return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Runs the real program in-process under Pulumi's mocks, with the stack's own configuration, and returns every
 * resource it registers and every output. No cloud login, no Pulumi CLI. One plan at a time per process.
 */
export async function runPlan(options: PlanOptions): Promise<PlanResult> {
    const planned: PlanProject = options.project !== undefined ? planProject(options.project) : MAIN_PROJECT;
    const projectDir = options.projectDir ?? planned.dir;
    const project = readProjectName(projectDir);
    const config = readStackConfig(options.stack, projectDir);
    for (const [key, value] of Object.entries(options.config ?? {})) {
        const fullKey = key.includes(":") ? key : `${project}:${key}`;
        if (value === undefined) delete config[fullKey];
        else config[fullKey] = toConfigString(fullKey, value);
    }

    // Planned before this project's mocks are set: Pulumi's runtime holds one set of mocks per process.
    const stackReferences = (await planned.stackReferences?.(config, project)) ?? new Map();

    const tenantId = config[`${project}:tenantId`] ?? jsonField(config[`${project}:azure`], "tenantId") ?? "";
    // Each cloud's mocks read what its account knows from the project's section of the same name.
    const mocks = new AgentFedMocks(
        tenantId,
        options.mockOverrides,
        Object.fromEntries(CLOUDS.map((c) => [c.id, config[`${project}:${c.id}`]])),
        stackReferences,
    );
    options.onMocks?.(mocks);
    pulumi.runtime.setAllConfig(config);
    await pulumi.runtime.setMocks(mocks, project, options.stack, false);
    const graph: GraphNode[] = [];
    if (options.recordGraph) recordGraph(graph);

    // Parents and options are not visible to mocks; a stack transformation sees both for every resource.
    const keys = new WeakMap<pulumi.Resource, string>();
    const meta = new Map<string, { parent: string | undefined; protect: boolean }>();
    const record: pulumi.ResourceTransformation = (args) => {
        const key = `${args.type}::${args.name}`;
        keys.set(args.resource, key);
        const parent = args.opts.parent ? keys.get(args.opts.parent) : undefined;
        meta.set(key, { parent: parent?.startsWith(`${STACK_TYPE}::`) ? undefined : parent, protect: args.opts.protect === true });
        return undefined;
    };

    // Loaded only now, after config and mocks are set: provider SDKs read settings on first use.
    const program = await planned.load();
    // Validated before the stack exists, exactly as `pulumi up` validates it before registering anything.
    const prepared = program.prepare();
    // Pulumi's SDK records a stack trace for every promise it tracks and every resource it registers (for leak
    // reports and source positions, which an offline plan does not show). With source maps on, formatting those
    // traces is most of the plan's time at scale (see docs/scale.md), so the plan runs without them unless
    // AGENTFED_PLAN_STACK_TRACES=1. Error messages are unaffected; only their stack lines are dropped.
    const stackTraceLimit = Error.stackTraceLimit;
    if (process.env.AGENTFED_PLAN_STACK_TRACES !== "1") Error.stackTraceLimit = 0;
    // An error thrown inside an apply that feeds a resource's input surfaces as an unhandled rejection, not through
    // runInPulumiStack. Pulumi's language host (cmd/run/run.js) turns those into the deployment's errors, each once;
    // the plan does the same, so a failing plan says why instead of crashing or silently dropping the resource.
    const programErrors = new Set<string>();
    // Pulumi prefixes an error once per input it passed through ("error serializing property "x": ..."); the cause is the rest.
    const cause = (reason: unknown): string =>
        (reason instanceof Error ? reason.message : String(reason)).replace(/^(error serializing property "[^"]*": )+/, "");
    const onRejection = (reason: unknown): void => void programErrors.add(cause(reason));
    process.on("unhandledRejection", onRejection);
    let outputs: Record<string, unknown> | undefined;
    try {
        outputs = await pulumi.runtime
            .runInPulumiStack(() => {
                const stackResource = pulumi.runtime.getStackResource();
                if (stackResource) keys.set(stackResource, `${STACK_TYPE}::${project}-${options.stack}`);
                pulumi.runtime.registerStackTransformation(record);
                return Promise.resolve(prepared.run() as Record<string, unknown>);
            })
            .catch((err: unknown) => {
                programErrors.add(cause(err));
                return undefined;
            });
        await pulumi.runtime.disconnect();
        // Rejections are reported on a later turn of the event loop than the one that settles them.
        await new Promise((resolve) => setImmediate(resolve));
    } finally {
        process.off("unhandledRejection", onRejection);
        Error.stackTraceLimit = stackTraceLimit;
    }
    if (programErrors.size > 0) throw new Error(`the program failed: ${[...programErrors].join("; ")}`);

    const resources = mocks.registrations
        .filter((r) => r.type !== STACK_TYPE)
        .map((r): PlannedResource => {
            const m = meta.get(`${r.type}::${r.name}`);
            return {
                type: r.type,
                name: r.name,
                parent: m?.parent,
                custom: r.custom,
                inputs: r.inputs,
                protect: m?.protect ?? false,
                secretInputs: r.secretInputs,
                provider: r.provider || undefined,
            };
        });

    return {
        stack: options.stack,
        project,
        resources,
        outputs: outputs ?? {},
        trustContracts: ((outputs ?? {}).trustContracts as TrustContract[] | undefined) ?? [],
        placeholders: Object.fromEntries(mocks.placeholders),
        warnings: prepared.warnings,
        graph,
    };
}
