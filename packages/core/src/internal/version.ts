/**
 * The SDK's identity on the wire: `User-Agent` and the `X-HCompany-Client-*` headers.
 *
 * @since 0.1.0
 * @internal
 */

/** This package's version, written from package.json by `pnpm version-sync` (run by `pnpm changeset-version`). */
export const version = "0.1.0"

interface RuntimeInfo {
  readonly runtime: string
  readonly version: string
}

const detectRuntime = (): RuntimeInfo => {
  // Probing globals that only some runtimes define (Bun, Deno, EdgeRuntime, process): untyped on purpose.
  const g = globalThis as any
  if (typeof g.Bun !== "undefined") return { runtime: "bun", version: String(g.Bun.version ?? "unknown") }
  if (typeof g.Deno !== "undefined") return { runtime: "deno", version: String(g.Deno.version?.deno ?? "unknown") }
  if (typeof g.EdgeRuntime === "string") return { runtime: "edge", version: g.EdgeRuntime }
  if (g.navigator?.userAgent === "Cloudflare-Workers") return { runtime: "workerd", version: "unknown" }
  if (typeof g.process?.versions?.node === "string") return { runtime: "node", version: g.process.versions.node }
  if (typeof g.window !== "undefined") {
    return { runtime: "browser", version: String(g.navigator?.userAgent ?? "unknown") }
  }
  return { runtime: "unknown", version: "unknown" }
}

/** The identification headers, computed once per client. */
export const runtimeHeaders = (clientName?: string): Record<string, string> => {
  const { runtime, version: runtimeVersion } = detectRuntime()
  return {
    "User-Agent": `hai-effect/${version}`,
    "X-HCompany-Client-Name": clientName ?? "hai-effect",
    "X-HCompany-Client-Version": version,
    "X-HCompany-Client-Type": "sdk",
    "X-HCompany-Client-Language": "typescript",
    "X-HCompany-Client-Runtime": runtime,
    "X-HCompany-Client-Runtime-Version": runtimeVersion
  }
}
