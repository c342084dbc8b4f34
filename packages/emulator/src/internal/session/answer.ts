/**
 * The agent's answer: synthesised from `answer_format` when the script gives none, and checked
 * against it as the hosted API does (a mismatch fails the session with `answer_validation`).
 *
 * @internal
 */
import * as Scenario from "../../Scenario.js"
import { compile } from "../validation.js"
import type { SessionRecord } from "./model.js"
import { canonical } from "./model.js"

/** @internal */
export type Checked =
  | { readonly _tag: "Valid"; readonly answer: string | Record<string, unknown> }
  | { readonly _tag: "Invalid"; readonly error: string }

const seedOf = (text: string) => {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}

/** The answer the agent gives when its script names none. @internal */
export const synthesise = (record: SessionRecord, task: string): unknown =>
  record.answerFormat !== undefined
    ? Scenario.example(record.answerFormat, { seed: seedOf(record.id) })
    : `Done: ${task}`

const parsed = (answer: unknown) => {
  if (typeof answer !== "string") return answer
  try {
    return JSON.parse(answer)
  } catch {
    return answer
  }
}

/** @internal */
export const check = (record: SessionRecord, answer: unknown): Checked => {
  const wire = typeof answer === "string" || (answer !== null && typeof answer === "object" && !Array.isArray(answer))
    ? answer as string | Record<string, unknown>
    : JSON.stringify(answer)
  if (record.answerFormat === undefined) return { _tag: "Valid", answer: wire }
  let why: string
  try {
    const fn = compile(`answer:${canonical(record.answerFormat)}`, record.answerFormat)
    if (fn(parsed(answer)) === true) return { _tag: "Valid", answer: wire }
    why = (fn.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`).join("; ")
  } catch (e) {
    why = `invalid answer_format: ${String(e)}`
  }
  return { _tag: "Invalid", error: `The answer does not match answer_format: ${why}` }
}
