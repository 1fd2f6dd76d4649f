import * as pulumi from "@pulumi/pulumi";
import * as app from "@pulumi/azure-native/app";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";

export interface ContainerAppsEnvironmentArgs {
    /** Resource group of the environment and its workspace. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Tags on the environment and the workspace. Default: none. */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Retention of the Log Analytics workspace, in days. */
    logRetentionDays: number;
}

/** The diagnostic setting's name on the managed environment (an environment holds at most five). */
export const CONTAINER_APPS_DIAGNOSTIC_SETTING = "agentfed-logs";

/**
 * The managed environment's log categories: container console output and the platform's system logs, the two
 * categories the `log-analytics` destination sent (Microsoft Learn, "Supported logs for
 * Microsoft.App/managedEnvironments": `ContainerAppConsoleLogs`, `ContainerAppSystemLogs`).
 */
export const CONTAINER_APPS_LOG_CATEGORIES = ["ContainerAppConsoleLogs", "ContainerAppSystemLogs"] as const;

/**
 * The Container Apps environment every agent's app runs in, created once per stack, and its Log Analytics workspace,
 * joined by Azure Monitor rather than by the workspace's shared key: the environment's logs destination is
 * `azure-monitor`, and a diagnostic setting on the environment sends its log categories to the workspace. No shared
 * key exists in config or state, and nobody needs `Microsoft.OperationalInsights/workspaces/sharedKeys/action` to
 * preview or deploy the stack (a holder of the key can write forged records into the workspace). Microsoft Learn,
 * "Log storage and monitoring options in Azure Container Apps": destinations `log-analytics`, `azure-monitor` and
 * `none`; an existing environment is switched with `az containerapp env update --logs-destination azure-monitor`, an
 * update in place (the property carries no `x-ms-mutability` restriction in the Microsoft.App REST specification, so
 * azure-native does not replace it).
 *
 * Until the stack had shared infrastructure, these were children of the primary agent's `AgentContainerApp` of the
 * same name; each carries an alias to that parent, so `pulumi up` takes them over instead of replacing them.
 */
export class ContainerAppsEnvironment extends pulumi.ComponentResource {
    /** The managed environment's ARM id. */
    public readonly environmentId: pulumi.Output<string>;

    constructor(name: string, args: ContainerAppsEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentfed:azure:ContainerAppsEnvironment", name, {}, opts);
        const moved = { parent: this, aliases: [{ parent: pulumi.createUrn(name, "agentfed:azure:AgentContainerApp") }] };
        const azure = { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags };
        const workspace = new operationalinsights.Workspace(
            `${name}-logs`,
            { ...azure, sku: { name: "PerGB2018" }, retentionInDays: args.logRetentionDays },
            moved,
        );
        const environment = new app.ManagedEnvironment(`${name}-env`, { ...azure, appLogsConfiguration: { destination: "azure-monitor" } }, moved);
        new monitor.DiagnosticSetting(
            `${name}-env-logs`,
            {
                name: CONTAINER_APPS_DIAGNOSTIC_SETTING,
                resourceUri: environment.id,
                workspaceId: workspace.id,
                // Resource-specific tables (ContainerAppConsoleLogs, ContainerAppSystemLogs) rather than AzureDiagnostics.
                logAnalyticsDestinationType: "Dedicated",
                logs: CONTAINER_APPS_LOG_CATEGORIES.map((category) => ({ category, enabled: true })),
            },
            moved,
        );
        this.environmentId = environment.id;
        this.registerOutputs({ environmentId: this.environmentId });
    }
}
