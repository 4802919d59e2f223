/** Binding kind: `{ mtlsCertificate: <id> }`: an mTLS client certificate for outgoing requests (a stand-in locally). */
import { certificateId } from "../bindingFields";
import { type BindingKind, str, unavailable } from "./contract";

/** A planned mtls_certificate binding. */
export type MtlsCertificateBinding = { name: string; type: "mtls_certificate"; certificateId: string };

export const mtlsCertificateKind: BindingKind<MtlsCertificateBinding> = {
  type: "mtls_certificate",
  envType: () => "Fetcher",
  reported: "mtls",
  /** An mTLS client certificate for outgoing requests, by its id. */
  config: { target: "mtlsCertificate", shape: { mtlsCertificate: certificateId.optional() } },
  plan: (name, d) => ({ name, type: "mtls_certificate", certificateId: d.mtlsCertificate as string }),
  provider: (p) => ({ name: p.name, type: p.type, certificateId: p.certificateId }),
  miniflare: (b, m, ctx) => unavailable(b, m, ctx, `mTLS certificate ${str(b.certificateId)}`, "the certificate stays on Cloudflare"),
  wrangler: (b, w) => w.push("mtls_certificates", { binding: b.name, certificate_id: b.certificateId }),
  graph: (b, g) => g.edge(g.other("mtls", str(b.certificateId), `mTLS certificate ${str(b.certificateId)}`), b.name),
};
