/**
 * The table of binding kinds, one module per kind in this folder. Adding a kind: its file here and
 * one line below (the table is checked against each kind's `type`).
 */
import { plainTextKind } from "./plainText";
import { jsonKind } from "./json";
import { secretTextKind } from "./secretText";
import { d1Kind } from "./d1";
import { kvNamespaceKind } from "./kvNamespace";
import { serviceKind } from "./service";
import { queueKind } from "./queue";
import { r2BucketKind } from "./r2Bucket";
import { durableObjectKind } from "./durableObject";
import { workflowKind } from "./workflow";
import { aiKind } from "./ai";
import { browserKind } from "./browser";
import { versionMetadataKind } from "./versionMetadata";
import { analyticsEngineKind } from "./analyticsEngine";
import { vectorizeKind } from "./vectorize";
import { hyperdriveKind } from "./hyperdrive";
import { sendEmailKind } from "./sendEmail";
import { rateLimitKind } from "./rateLimit";
import { mtlsCertificateKind } from "./mtlsCertificate";
import { dispatchNamespaceKind } from "./dispatchNamespace";
import { aiSearchNamespaceKind } from "./aiSearchNamespace";
import { artifactsKind } from "./artifacts";
import { assetsKind } from "./assets";

/** Every kind by its planned type, in the order they are listed (and planned and shown). */
export const KIND_MODULES = {
  plain_text: plainTextKind,
  json: jsonKind,
  secret_text: secretTextKind,
  d1: d1Kind,
  kv_namespace: kvNamespaceKind,
  service: serviceKind,
  queue: queueKind,
  r2_bucket: r2BucketKind,
  durable_object_namespace: durableObjectKind,
  workflow: workflowKind,
  ai: aiKind,
  browser: browserKind,
  version_metadata: versionMetadataKind,
  analytics_engine: analyticsEngineKind,
  vectorize: vectorizeKind,
  hyperdrive: hyperdriveKind,
  send_email: sendEmailKind,
  ratelimit: rateLimitKind,
  mtls_certificate: mtlsCertificateKind,
  dispatch_namespace: dispatchNamespaceKind,
  ai_search_namespace: aiSearchNamespaceKind,
  artifacts: artifactsKind,
  assets: assetsKind,
};
