/**
 * A tracer that records every span it is asked for (name, attributes, events, parent), for tests
 * about what an application's tracing would show.
 */
import * as Tracer from "effect/Tracer"

export interface Recorded {
  readonly name: string
  readonly attributes: Map<string, unknown>
  readonly events: Array<unknown>
  readonly span: Tracer.Span
}

export const recording = () => {
  const spans: Array<Recorded> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const events: Array<unknown> = []
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: String(spans.length + 1).padStart(16, "0"),
        traceId: parent._tag === "Some" ? parent.value.traceId : "1".repeat(32),
        parent,
        context,
        get status() {
          return status
        },
        attributes,
        links,
        sampled: true,
        kind,
        end: (endTime, exit) => {
          status = { _tag: "Ended", startTime, endTime, exit }
        },
        attribute: (key, value) => {
          attributes.set(key, value)
        },
        event: (eventName, _time, eventAttributes) => {
          events.push([eventName, eventAttributes])
        },
        addLinks: () => {}
      }
      spans.push({ name, attributes, events, span })
      return span
    },
    context: (f) => f()
  })
  /** The names of a span's ancestors, nearest first. */
  const ancestors = (span: Tracer.AnySpan): Array<string> => {
    const out: Array<string> = []
    let parent = span._tag === "Span" ? span.parent : undefined
    while (parent !== undefined && parent._tag === "Some") {
      out.push(parent.value._tag === "Span" ? parent.value.name : "(external)")
      parent = parent.value._tag === "Span" ? parent.value.parent : undefined
    }
    return out
  }
  return { spans, tracer, ancestors }
}
