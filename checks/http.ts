/** The one HTTP client of the post-deploy checks (validate, smoke), the bench and the tests: a request with an optional Host header and a timeout. */
import * as http from "node:http";
import * as https from "node:https";

export interface RequestOptions {
  /** @default GET */
  method?: string;
  headers?: Record<string, string>;
  /** Host header to send (a Host-routed entry); @default the URL's host */
  host?: string;
  /** @default 10000 */
  timeoutMs?: number;
  /** Characters of the body kept. @default 262144 (enough for a /health body or a fragment check) */
  maxBody?: number;
}

/** One request; resolves with the status and the (capped) body, rejects on a network error or timeout. */
export function request(url: string, o: RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === "https:" ? https : http;
    const timeout = o.timeoutMs ?? 10_000;
    const max = o.maxBody ?? 262_144;
    const headers = { ...o.headers, ...(o.host ? { host: o.host } : {}) };
    const req = lib.request(u, { method: o.method ?? "GET", headers, timeout }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (body.length < max) body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeout} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** GET `url`, optionally with a Host header. */
export function httpGet(url: string, host?: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return request(url, { ...(host ? { host } : {}), timeoutMs });
}
