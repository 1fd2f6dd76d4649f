import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as storage from "@pulumi/gcp/storage";
import { agentIdentityOutputs } from "../../src/outputs-reader";

/**
 * Built-in Azure role "Storage Blob Data Reader". Built-in roles have the same id in every cloud ("Understand Azure
 * role definitions", Microsoft Learn); the id, not the display name, is what a role assignment names.
 */
export const STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

/** What this consumer exports: where its grants point, for its own reviewers. */
export interface ConsumerOutputs {
    readonly agentUamiOid: pulumi.Output<string>;
    readonly blobReaderAssignmentId: pulumi.Output<string>;
    readonly gcsReader: pulumi.Output<string> | undefined;
}

/**
 * A team's data stack that lets the agent read its data: the agent's UAMI gets Storage Blob Data Reader on the
 * team's storage account, and (optionally) the agent's GCP service account reads the team's bucket. Every identity
 * comes typed from the agentfed stack's outputs; nothing is looked up by name, nothing is cast.
 */
export function runConsumer(): ConsumerOutputs {
    const config = new pulumi.Config();
    const agentfedStack = config.require("agentfedStack");
    const storageAccountId = config.require("storageAccountId");
    const gcsBucket = config.get("gcsBucket");
    const subscription = /^\/subscriptions\/([^/]+)\//i.exec(storageAccountId)?.[1];
    if (!subscription) throw new Error(`${pulumi.getProject()}:storageAccountId must be a storage account's ARM id (got ${JSON.stringify(storageAccountId)})`);

    const agent = agentIdentityOutputs(new pulumi.StackReference(agentfedStack));

    // The same object id every agentfed trust contract pins: a recreated UAMI changes it, and this grant follows.
    const blobReader = new authorization.RoleAssignment("agent-reads-blobs", {
        principalId: agent.uamiOid,
        principalType: authorization.PrincipalType.ServicePrincipal,
        roleDefinitionId: `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_READER}`,
        scope: storageAccountId,
    });

    // gcpServiceAccountEmail is `string | null`: the type makes the consumer decide what a stack without GCP means.
    const gcsReader = gcsBucket
        ? new storage.BucketIAMMember("agent-reads-bucket", {
              bucket: gcsBucket,
              role: "roles/storage.objectViewer",
              member: pulumi.all([agent.gcpServiceAccountEmail]).apply(([email]) => {
                  if (email === null)
                      throw new Error(
                          `${pulumi.getProject()}:gcsBucket is set, but stack ${agentfedStack} has no GCP federation (gcpServiceAccountEmail is null): remove gcsBucket or add agentfed:gcp there`,
                      );
                  return `serviceAccount:${email}`;
              }),
          })
        : undefined;

    return { agentUamiOid: agent.uamiOid, blobReaderAssignmentId: blobReader.id, gcsReader: gcsReader?.member };
}
