/**
 * Schedules: each fires on its cron expression (in its IANA timezone) on the emulator's Clock, so
 * a `TestClock` drives them; every fire creates a session from the schedule's request and is
 * recorded as a run (`created`, `skipped_overlap` while the previous run's session is still
 * working, `skipped_quota` when a non-queuing request finds the quota full, `error`).
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Cron from "effect/Cron"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type { Handlers } from "../handlers.js"
import type { Operations } from "../operations.js"
import type { Reply } from "../reply.js"
import { empty, json, notFound, page } from "../reply.js"
import { isSettled } from "../session/model.js"
import type { Sessions } from "../session/sessions.js"
import * as Table from "../table.js"

type Timing = Operations["create_schedule_api_v2_schedules_post"]["body"]["timing"]

interface Schedule {
  readonly id: string
  readonly name: string
  readonly description: string | null
  readonly timing: Timing
  readonly session_request: Operations["create_schedule_api_v2_schedules_post"]["body"]["session_request"]
  readonly paused: boolean
  readonly pause_note: string | null
  readonly last_run_at: number | null
}

interface Run {
  readonly id: string
  readonly schedule_id: string
  readonly status: "created" | "skipped_overlap" | "skipped_quota" | "error"
  readonly scheduled_for: string
  readonly session_id: string | null
  readonly error: string | null
  readonly triggered_manually: boolean
  readonly created_at: string
}

const parse = (timing: Timing) => Cron.parse(timing.expression, timing.timezone)

const invalidTiming = (timing: Timing, message: string): Reply =>
  json(422, {
    detail: [{ loc: ["body", "timing"], msg: `Invalid cron timing: ${message}`, type: "value_error", input: timing }]
  })

/** @internal */
export const make = (deps: {
  readonly scope: Scope.Scope
  readonly nextId: () => string
  readonly sessions: Sessions
}) => {
  const schedules = Table.make<Schedule>()
  const runs: Array<Run> = []
  const timers = new Map<string, Fiber.RuntimeFiber<void>>()

  const nextTimes = (s: Schedule, now: number, n: number): Array<number> => {
    if (s.paused) return []
    const cron = parse(s.timing)
    if (Either.isLeft(cron)) return []
    const out: Array<number> = []
    let from = now
    for (let i = 0; i < n; i++) {
      from = Cron.next(cron.right, new Date(from)).getTime()
      out.push(from)
    }
    return out
  }

  const view = (row: Table.Row<Schedule>, now: number) => ({
    ...row.value,
    last_run_at: Table.iso(row.value.last_run_at),
    next_run_times: nextTimes(row.value, now, 5).map((t) => new Date(t).toISOString()),
    created_at: Table.iso(row.createdAt),
    updated_at: Table.iso(row.updatedAt)
  })

  const reply = (status: number, row: Table.Row<Schedule>) =>
    Effect.map(Clock.currentTimeMillis, (now) => json(status, view(row, now)))

  const fire = (id: string, scheduledFor: number, manual: boolean) =>
    Effect.gen(function*() {
      const row = schedules.get(id)
      if (row === undefined) return undefined
      const now = yield* Clock.currentTimeMillis
      let running = false
      for (let i = runs.length - 1; i >= 0; i--) {
        const previous = runs[i]
        if (previous.schedule_id !== id || previous.session_id === null) continue
        const status = deps.sessions.store.find(previous.session_id)?.state.status
        running = status !== undefined && !isSettled(status)
        break
      }
      const base = {
        id: deps.nextId(),
        schedule_id: id,
        scheduled_for: new Date(scheduledFor).toISOString(),
        triggered_manually: manual,
        created_at: new Date(now).toISOString()
      }
      let run: Run
      if (running && !manual) run = { ...base, status: "skipped_overlap", session_id: null, error: null }
      else {
        const created = yield* deps.sessions.createFor(row.value.session_request, id)
        const body = created.body as { readonly id?: string; readonly detail?: unknown } | undefined
        run = created.status === 201
          ? { ...base, status: "created", session_id: body?.id ?? null, error: null }
          : {
            ...base,
            status: created.status === 429 ? "skipped_quota" : "error",
            session_id: null,
            error: String(body?.detail ?? created.status)
          }
      }
      runs.push(run)
      yield* schedules.put(id, { ...row.value, last_run_at: now })
      return run
    })

  /** Sleeps on the Clock until each next fire time, then fires; replaced when the timing changes. */
  const arm = (id: string): Effect.Effect<void> =>
    Effect.gen(function*() {
      const previous = timers.get(id)
      timers.delete(id)
      if (previous !== undefined) yield* Fiber.interruptFork(previous)
      const row = schedules.get(id)
      if (row === undefined || row.value.paused) return
      const cron = parse(row.value.timing)
      if (Either.isLeft(cron)) return
      const loop = Effect.forever(Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const at = Cron.next(cron.right, new Date(now)).getTime()
        yield* Effect.sleep(Duration.millis(at - now))
        yield* fire(id, at, false)
      }))
      timers.set(id, yield* Effect.forkIn(Effect.interruptible(loop), deps.scope))
    })

  const withSchedule = (id: string, f: (row: Table.Row<Schedule>) => Effect.Effect<Reply>) =>
    Effect.suspend(() => {
      const row = schedules.get(id)
      return row === undefined ? Effect.succeed(notFound("Schedule")) : f(row)
    })

  const handlers: Handlers<
    | "create_schedule_api_v2_schedules_post"
    | "list_schedules_api_v2_schedules_get"
    | "get_schedule_api_v2_schedules__schedule_id__get"
    | "update_schedule_api_v2_schedules__schedule_id__patch"
    | "delete_schedule_api_v2_schedules__schedule_id__delete"
    | "pause_schedule_api_v2_schedules__schedule_id__pause_post"
    | "resume_schedule_api_v2_schedules__schedule_id__resume_post"
    | "trigger_schedule_api_v2_schedules__schedule_id__trigger_post"
    | "list_schedule_runs_api_v2_schedules__schedule_id__runs_get"
  > = {
    create_schedule_api_v2_schedules_post: ({ body }) =>
      Effect.gen(function*() {
        const cron = parse(body.timing)
        if (Either.isLeft(cron)) return invalidTiming(body.timing, cron.left.message)
        const id = deps.nextId()
        const row = yield* schedules.put(id, {
          id,
          name: body.name,
          description: body.description ?? null,
          timing: body.timing,
          session_request: body.session_request,
          paused: false,
          pause_note: null,
          last_run_at: null
        })
        yield* arm(id)
        return yield* reply(201, row)
      }),
    list_schedules_api_v2_schedules_get: ({ query }) =>
      Effect.map(Clock.currentTimeMillis, (now) =>
        json(
          200,
          page(
            Table.sortRows(schedules.rows(), query.sort, (s) => s.id).map((r) => view(r, now)),
            query.page,
            query.size
          )
        )),
    get_schedule_api_v2_schedules__schedule_id__get: ({ path }) =>
      withSchedule(path.schedule_id, (row) => reply(200, row)),
    update_schedule_api_v2_schedules__schedule_id__patch: ({ body, path }) =>
      withSchedule(path.schedule_id, (row) =>
        Effect.gen(function*() {
          if (body.timing != null) {
            const cron = parse(body.timing)
            if (Either.isLeft(cron)) return invalidTiming(body.timing, cron.left.message)
          }
          const next = yield* schedules.put(path.schedule_id, { ...row.value, ...Table.stripNulls(body) } as Schedule)
          yield* arm(path.schedule_id)
          return yield* reply(200, next)
        })),
    delete_schedule_api_v2_schedules__schedule_id__delete: ({ path }) =>
      Effect.suspend(() => {
        if (!schedules.remove(path.schedule_id)) return Effect.succeed(notFound("Schedule"))
        return Effect.as(arm(path.schedule_id), empty(204))
      }),
    pause_schedule_api_v2_schedules__schedule_id__pause_post: ({ body, path }) =>
      withSchedule(path.schedule_id, (row) =>
        Effect.gen(function*() {
          const next = yield* schedules.put(path.schedule_id, {
            ...row.value,
            paused: true,
            pause_note: body?.note ?? null
          })
          yield* arm(path.schedule_id)
          return yield* reply(200, next)
        })),
    resume_schedule_api_v2_schedules__schedule_id__resume_post: ({ path }) =>
      withSchedule(path.schedule_id, (row) =>
        Effect.gen(function*() {
          const next = yield* schedules.put(path.schedule_id, { ...row.value, paused: false, pause_note: null })
          yield* arm(path.schedule_id)
          return yield* reply(200, next)
        })),
    trigger_schedule_api_v2_schedules__schedule_id__trigger_post: ({ path }) =>
      withSchedule(
        path.schedule_id,
        () =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.map(fire(path.schedule_id, now, true), (run) => json(200, run)))
      ),
    list_schedule_runs_api_v2_schedules__schedule_id__runs_get: ({ path, query }) =>
      withSchedule(path.schedule_id, () =>
        Effect.sync(() => {
          const items = runs.filter((r) => r.schedule_id === path.schedule_id)
          const ordered = (query.sort ?? ["-scheduled_for"])[0]?.startsWith("-") ? items.slice().reverse() : items
          return json(200, page(ordered, query.page, query.size))
        }))
  }
  return { handlers }
}
