/**
 * CPU spent verifying one webhook delivery, hostile and honest, side by side with the algorithm the
 * package used before (one `crypto.subtle.verify` per secret and signature pair, no bound on the
 * number of signatures), which this script keeps as its baseline.
 *
 * Cases: a header of 220 forged signatures over a 1 MB body (1 and 4 secrets), a header of 16
 * forged signatures (the most accepted) over 1 MB, and an honest 1 KB delivery (1 and 2 secrets).
 * Each case runs `rounds` times per algorithm (twenty times as many for the honest deliveries),
 * interleaved; medians of process CPU time are printed with the ratio new / baseline.
 *
 *   pnpm tsx bench/webhook-verify.ts [rounds=15]
 */
import { Webhook } from "@hai-effect/webhooks"
import { Effect, Redacted } from "effect"
import { createHmac } from "node:crypto"

const rounds = Number(process.argv[2] ?? 15)

const encoder = new TextEncoder()
const hmac = { name: "HMAC", hash: "SHA-256" } as const

// The previous algorithm, kept in behaviour and in shape (an Effect.fn, one Effect.promise per WebCrypto call): every
// (secret, signature) pair costs a MAC of the body.
const baselineFn = Effect.fn("bench.baseline")(function*(options: {
  readonly body: string
  readonly signature: string
  readonly timestamp: string
  readonly secrets: ReadonlyArray<string>
}) {
  const now = Date.now()
  if (Math.abs(now - Number(options.timestamp) * 1000) > 300_000) return false
  const signatures: Array<Uint8Array<ArrayBuffer>> = []
  for (const entry of options.signature.split(/[\s,]+/)) {
    const match = /^sha256=([0-9a-fA-F]{64})$/.exec(entry)
    if (match !== null) signatures.push(new Uint8Array(Buffer.from(match[1], "hex")))
  }
  const data = encoder.encode(`${options.timestamp}.${options.body}`)
  for (const secret of options.secrets) {
    const key = yield* Effect.promise(() =>
      crypto.subtle.importKey("raw", encoder.encode(secret), hmac, false, ["verify"])
    )
    for (const signature of signatures) {
      if (yield* Effect.promise(() => crypto.subtle.verify(hmac, key, signature, data))) return true
    }
  }
  return false
})

const baseline = (options: Parameters<typeof baselineFn>[0]): Promise<boolean> => Effect.runPromise(baselineFn(options))

const current = (options: {
  readonly body: string
  readonly signature: string
  readonly timestamp: string
  readonly secrets: ReadonlyArray<string>
}): Promise<boolean> =>
  Effect.runPromise(
    Webhook.verifySignature({
      body: options.body,
      signature: options.signature,
      timestamp: options.timestamp,
      secrets: options.secrets.map((s) => Redacted.make(s))
    }).pipe(Effect.as(true), Effect.catchAll(() => Effect.succeed(false)))
  )

const cpuMillis = async (f: () => Promise<boolean>, expected: boolean): Promise<number> => {
  const start = process.cpuUsage()
  const ok = await f()
  const used = process.cpuUsage(start)
  if (ok !== expected) throw new Error(`verdict ${ok}, expected ${expected}`)
  return (used.user + used.system) / 1000
}

const median = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const forged = (n: number) =>
  Array.from({ length: n }, (_, i) => "sha256=" + (i + 1).toString(16).padStart(64, "0")).join(",")

const secretsOf = (n: number) => Array.from({ length: n }, (_, i) => `whsec_bench_${i}`)
const timestamp = () => String(Math.floor(Date.now() / 1000))
const megabyte = JSON.stringify({ type: "ping", data: { pad: "x".repeat(1024 * 1024) } })
const kilobyte = JSON.stringify({
  type: "session.completed",
  id: "evt_1",
  created_at: "2026-11-30T12:00:00Z",
  data: { session_id: "sess_1", status: "completed", previous_status: "running", pad: "x".repeat(900) }
})
const sign = (secret: string, ts: string, body: string) =>
  "sha256=" + createHmac("sha256", secret).update(`${ts}.`).update(body).digest("hex")

const cases: ReadonlyArray<{
  readonly name: string
  readonly make: () => { body: string; signature: string; timestamp: string; secrets: ReadonlyArray<string> }
  readonly valid: boolean
}> = [
  {
    name: "220 forged signatures, 1 MB, 1 secret",
    make: () => ({ body: megabyte, signature: forged(220), timestamp: timestamp(), secrets: secretsOf(1) }),
    valid: false
  },
  {
    name: "220 forged signatures, 1 MB, 4 secrets",
    make: () => ({ body: megabyte, signature: forged(220), timestamp: timestamp(), secrets: secretsOf(4) }),
    valid: false
  },
  {
    name: "16 forged signatures, 1 MB, 4 secrets",
    make: () => ({ body: megabyte, signature: forged(16), timestamp: timestamp(), secrets: secretsOf(4) }),
    valid: false
  },
  {
    name: "honest 1 KB delivery, 1 secret",
    make: () => {
      const ts = timestamp()
      return { body: kilobyte, signature: sign("whsec_bench_0", ts, kilobyte), timestamp: ts, secrets: secretsOf(1) }
    },
    valid: true
  },
  {
    name: "honest 1 KB delivery, rotation (2 secrets, 2 signatures)",
    make: () => {
      const ts = timestamp()
      const signature = `${sign("whsec_old", ts, kilobyte)},${sign("whsec_bench_1", ts, kilobyte)}`
      return { body: kilobyte, signature, timestamp: ts, secrets: secretsOf(2) }
    },
    valid: true
  }
]

const main = async () => {
  console.log(
    `webhook-verify: CPU per delivery, median of ${rounds} (baseline: one subtle.verify per secret and signature)`
  )
  for (const c of cases) {
    const before: Array<number> = []
    const after: Array<number> = []
    // warm both paths up once
    await baseline(c.make())
    await current(c.make())
    // the honest deliveries cost well under a millisecond: many more rounds to see through the noise
    const n = c.valid ? rounds * 20 : rounds
    for (let i = 0; i < n; i++) {
      const input = c.make()
      before.push(await cpuMillis(() => baseline(input), c.valid))
      after.push(await cpuMillis(() => current(input), c.valid))
    }
    const b = median(before)
    const a = median(after)
    console.log(
      `  ${c.name}: baseline ${b.toFixed(2)} ms, now ${a.toFixed(2)} ms, ratio ${(a / b).toFixed(3)}x`
    )
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
