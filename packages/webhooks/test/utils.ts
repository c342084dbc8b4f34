import { Redacted } from "effect"
import { createHmac } from "node:crypto"

export const SECRET = "whsec_test_current"
export const OLD_SECRET = "whsec_test_previous"
export const secret = Redacted.make(SECRET)
export const oldSecret = Redacted.make(OLD_SECRET)

/** Independent reference implementation with node's crypto. */
export const nodeSign = (key: string, timestamp: string | number, body: string | Uint8Array): string =>
  "sha256=" + createHmac("sha256", key).update(`${timestamp}.`).update(body).digest("hex")

export const T0 = 1_764_504_000 // 2025-11-30T12:00:00Z, unix seconds

export const completedJson = (id = "evt_1", sessionId = "sess_1") =>
  JSON.stringify({
    type: "session.completed",
    id,
    created_at: "2026-11-30T12:00:00Z",
    data: { session_id: sessionId, status: "completed", previous_status: "running" }
  })

export const signedHeaders = (body: string, opts?: { key?: string; timestamp?: number | string }) => {
  const timestamp = String(opts?.timestamp ?? Math.floor(Date.now() / 1000))
  return {
    "x-h-webhook-signature": nodeSign(opts?.key ?? SECRET, timestamp, body),
    "x-h-webhook-timestamp": timestamp
  }
}
