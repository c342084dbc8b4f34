/**
 * One-time codes for agents that sign in somewhere: find the code (or the confirmation link) in a
 * message's text, and lend the agent a ready `request_otp` tool that fetches it from wherever
 * codes arrive (an IMAP mailbox in `@hai-effect/platform-node`'s `ImapOtp`, an SMS gateway, a
 * person at a prompt).
 *
 * The tool matches the official SDKs' `otp_tool` / `otpTool`: same name, description and
 * arguments (`prompt`, `kind`, `source`), so an agent prompted for one behaves the same with the
 * other. Everything here is pure and runs on any runtime.
 *
 * @example
 * import { Effect, Option } from "effect"
 * import { Otp, Session, Toolkit } from "@hai-effect/core"
 *
 * Otp.extractCode("Your Acme verification code is 482 913. It expires in 10 minutes.")
 * // Option.some("482913")
 *
 * // A tool whose codes come from your own source: here, the last SMS your gateway received.
 * declare const lastSms: Effect.Effect<string>
 * const requestOtp = Otp.tool((request) =>
 *   Effect.flatMap(lastSms, (text) =>
 *     Option.match(Otp.extract(text, request.kind), {
 *       onNone: () => Effect.fail(new Otp.NoCode({ kind: request.kind, reason: "the last SMS holds none" })),
 *       onSome: Effect.succeed
 *     }))
 * )
 * Session.run({ agent: "h/web-surfer-holo3-1-35b", messages: "Sign in to example.com", tools: Toolkit.make(requestOtp) })
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Tool from "./Tool.js"

// =============================================================================
// Models
// =============================================================================

/**
 * What the agent asks for: a code (numeric or alphanumeric) or a confirmation link.
 *
 * @since 0.1.0
 * @category Models
 */
export const Kind = Schema.Literal("code", "link")

/**
 * @since 0.1.0
 * @category Models
 */
export type Kind = typeof Kind.Type

/**
 * The arguments of the `request_otp` tool, as in the official SDKs (`OtpRequest`).
 *
 * @since 0.1.0
 * @category Models
 */
export const Request = Schema.Struct({
  prompt: Schema.String.annotations({
    description: "Message shown to the user explaining exactly what is needed, "
      + "e.g. 'Enter the 6-digit code sent to j***@example.com'."
  }),
  kind: Schema.optionalWith(
    Kind.annotations({
      description: "Whether a code (numeric or alphanumeric) or a full confirmation URL is expected.",
      default: "code"
    }),
    { default: () => "code" as const }
  ),
  source: Schema.optional(
    Schema.String.annotations({
      description: "Where the code or link was sent, e.g. 'email', 'sms', 'authenticator app'."
    })
  )
})

/**
 * @since 0.1.0
 * @category Models
 */
export type Request = typeof Request.Type

/**
 * The tool's name in the official SDKs.
 *
 * @since 0.1.0
 * @category Constants
 */
export const defaultName = "request_otp"

/**
 * The tool's description in the official SDKs: it tells the agent to call the tool rather than
 * guess a code.
 *
 * @since 0.1.0
 * @category Constants
 */
export const defaultDescription = "Ask the human operator for a one-time password (OTP), verification code, or "
  + "confirmation link. Use this whenever a login, signup, or verification step "
  + "asks for a code or link that was sent to the user out of band (email, SMS, "
  + "or an authenticator app). Never guess or fabricate a code: call this tool "
  + "and wait for the value."

// =============================================================================
// Errors
// =============================================================================

/**
 * No code (or link) to hand the agent: the message held none, or the source gave an empty value.
 * The agent receives it as a tool error, and can ask for a new code.
 *
 * @since 0.1.0
 * @category Errors
 */
export class NoCode extends Schema.TaggedError<NoCode>("@hai-effect/core/Otp/NoCode")("NoCode", {
  kind: Kind,
  reason: Schema.String
}) {
  /** @since 0.1.0 */
  get message() {
    return `No ${this.kind === "link" ? "confirmation link" : "one-time code"} was found: ${this.reason}.`
  }
}

// =============================================================================
// Tools
// =============================================================================

/**
 * The `request_otp` tool the agent calls when a sign-in or verification step wants a code or link
 * that was sent out of band. `handler` fetches it (it is an Effect, so it can use your services
 * and wait); the value is trimmed, and an empty one fails with {@link NoCode}. Name and
 * description default to the official SDKs' ones.
 *
 * @example
 * import { Effect } from "effect"
 * import { Otp, Toolkit } from "@hai-effect/core"
 *
 * const fixed = Otp.tool(() => Effect.succeed("482913"))
 * const renamed = Otp.tool(() => Effect.succeed("482913"), { name: "get_2fa_code", description: "The 2FA code." })
 * Toolkit.make(fixed)
 *
 * @since 0.1.0
 * @category Tools
 */
export const tool = <E, R, const Name extends string = typeof defaultName>(
  handler: (request: Request) => Effect.Effect<string, E, R>,
  options?: { readonly name?: Name | undefined; readonly description?: string | undefined } | undefined
): Tool.Tool<Name, Request, typeof Request.Encoded, string, string, E | NoCode, R> =>
  Tool.make((options?.name ?? defaultName) as Name, {
    description: options?.description ?? defaultDescription,
    parameters: Request,
    success: Schema.String,
    handler: (request) =>
      Effect.flatMap(handler(request), (value) => {
        const trimmed = value.trim()
        return trimmed.length > 0
          ? Effect.succeed(trimmed)
          : Effect.fail(new NoCode({ kind: request.kind, reason: "the source gave an empty value" }))
      })
  })

/**
 * Arguments of {@link extractTool}.
 *
 * @since 0.1.0
 * @category Models
 */
export const ExtractRequest = Schema.Struct({
  text: Schema.String.annotations({
    description: "The full text of the message that carries the code or link (an SMS, an email shown on screen)."
  }),
  kind: Schema.optionalWith(
    Kind.annotations({ description: "Whether a code or a confirmation URL is expected.", default: "code" }),
    { default: () => "code" as const }
  )
})

/**
 * A ready tool that reads the one-time code (or confirmation link) out of a message the agent has
 * in front of it, with {@link extract}: digits grouped for display come back as the digits to
 * type. Fails with {@link NoCode} when the text holds none.
 *
 * @example
 * import { Otp, Toolkit } from "@hai-effect/core"
 *
 * Toolkit.make(Otp.extractTool)
 *
 * @since 0.1.0
 * @category Tools
 */
export const extractTool: Tool.Tool<
  "extract_otp",
  typeof ExtractRequest.Type,
  typeof ExtractRequest.Encoded,
  string,
  string,
  NoCode,
  never
> = Tool.make("extract_otp", {
  description: "Read the one-time code (or confirmation link) out of a message you have in front of you, "
    + "such as an SMS or an email shown on screen. Returns the value exactly as it should be typed.",
  parameters: ExtractRequest,
  success: Schema.String,
  handler: ({ kind, text }) =>
    Option.match(extract(text, kind), {
      onNone: () => Effect.fail(new NoCode({ kind, reason: "the text holds none" })),
      onSome: Effect.succeed
    })
})

// =============================================================================
// Extraction
// =============================================================================

/**
 * Options of {@link extractCode}.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ExtractOptions {
  /**
   * Replaces the built-in recognition: the first capture group (or the whole match) is the code,
   * as in the official SDKs' `code_pattern`.
   */
  readonly pattern?: RegExp | undefined
}

/**
 * The code or the link, by kind.
 *
 * @example
 * import { Otp } from "@hai-effect/core"
 *
 * Otp.extract("Confirm your address: https://app.example.com/verify?t=abc", "link")
 * // Option.some("https://app.example.com/verify?t=abc")
 *
 * @since 0.1.0
 * @category Extraction
 */
export const extract = (text: string, kind: Kind = "code", options?: ExtractOptions): Option.Option<string> =>
  kind === "link" ? extractLink(text) : extractCode(text, options)

/**
 * The one-time code in a message (plain text or HTML): the candidate next to a word such as
 * "code", "OTP", "passcode", "PIN" (in several languages), or alone on its line, wins; dates,
 * years, times, prices, percentages, phone numbers and numbers labelled as orders, invoices or
 * accounts are not codes. Digits grouped for display ("482 913", "482-913", one box per digit in
 * HTML) come back joined ("482913"); alphanumeric codes come back as written. A number with no
 * such context is taken only from a short message (an SMS) that holds no other.
 *
 * @example
 * import { Otp } from "@hai-effect/core"
 *
 * Otp.extractCode("Order #1042 of 2025-03-14, total $19.99. Your sign-in code: 7 3 9 1 0 2")
 * // Option.some("739102")
 * Otp.extractCode("Ticket ABC-99-XYZ opened", { pattern: /Ticket ([A-Z0-9-]+)/ })
 * // Option.some("ABC-99-XYZ")
 *
 * @since 0.1.0
 * @category Extraction
 */
export const extractCode = (text: string, options?: ExtractOptions): Option.Option<string> => {
  const plain = toText(text)
  if (options?.pattern !== undefined) {
    const once = new RegExp(options.pattern.source, options.pattern.flags.replace(/[gy]/g, ""))
    const match = once.exec(plain)
    if (match === null) return Option.none()
    const value = (match[1] ?? match[0]).trim()
    return value.length > 0 ? Option.some(value) : Option.none()
  }
  return bestCode(plain.replace(URL_OR_EMAIL, " "))
}

/**
 * The confirmation (sign-in, verification, magic) link in a message: a URL that says so, in
 * itself or in the words before it, wins over the others; unsubscribe, social, legal and image
 * links are never chosen. Falls back to the first other URL.
 *
 * @example
 * import { Otp } from "@hai-effect/core"
 *
 * Otp.extractLink(`<a href="https://news.example.com/unsubscribe?token=1">Unsubscribe</a>
 *   <a href="https://app.example.com/magic?t=9f2">Sign in</a>`)
 * // Option.some("https://app.example.com/magic?t=9f2")
 *
 * @since 0.1.0
 * @category Extraction
 */
export const extractLink = (text: string): Option.Option<string> => {
  const plain = toText(text)
  let best: { readonly url: string; readonly score: number; readonly at: number } | undefined
  for (const match of plain.matchAll(LINK)) {
    const url = match[0].replace(/[.,;:!?]+$/, "")
    const at = match.index ?? 0
    const line = plain.slice(plain.lastIndexOf("\n", at - 1) + 1, at)
    const before = line.slice(-60)
    if (LINK_NEVER.test(url) || LINK_NEVER_BEFORE.test(line.slice(-30))) continue
    const score = (LINK_HINT.test(url) ? 5 : 0) + (LINK_WORDS.test(before) ? 3 : 0)
    if (best === undefined || score > best.score) best = { url, score, at }
  }
  return best === undefined ? Option.none() : Option.some(best.url)
}

/**
 * The text a person reads in an HTML message: scripts, styles and comments dropped, link targets
 * kept after their text, block elements on lines of their own, inline elements joined (so a code
 * drawn one digit per `<span>` reads as one number), entities decoded.
 *
 * @example
 * import { Otp } from "@hai-effect/core"
 *
 * Otp.htmlToText("<p>Your code</p><p><b>48</b><b>29</b><b>13</b></p>") // "Your code\n482913"
 *
 * @since 0.1.0
 * @category Extraction
 */
export const htmlToText = (html: string): string =>
  readable(html).replace(/([0-9])\u200b(?=[0-9])|\u200b/g, (_, digit: string | undefined) => digit ?? " ").replace(
    / {2,}/g,
    " "
  )

/** As {@link htmlToText}, with inline boundaries kept as zero-width spaces for the code finder. */
const readable = (html: string): string =>
  tidy(
    decodeEntities(
      html
        .replace(/<!--[\s\S]*?-->/g, " ")
        .replace(/<(script|style|head|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, " ")
        .replace(/<a\b[^>]*?\bhref\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a\s*>/gi, " $3 $2 ")
        .replace(BLOCK_TAG, "\n")
        .replace(/<\/?(?:td|th|img|input|hr|button)\b[^>]*>/gi, " ")
        .replace(/<[^>]*>/g, "\u200b")
    )
  )

// =============================================================================
// Internals
// =============================================================================

const BLOCK_TAG =
  /<\/?(?:p|div|br|tr|li|ul|ol|h[1-6]|table|tbody|thead|tfoot|center|blockquote|section|article|header|footer|main|pre|dl|dt|dd|address|form)\b[^>]*>/gi

const looksLikeHtml = (text: string) => /<\/?[a-z][a-z0-9]*\b[^>]*>/i.test(text)

const toText = (text: string): string => tidy(looksLikeHtml(text) ? readable(text) : text)

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: "\"",
  apos: "'",
  nbsp: " ",
  ensp: " ",
  emsp: " ",
  thinsp: " ",
  zwsp: "\u200b",
  zwnj: "\u200b",
  zwj: "\u200b",
  shy: "",
  ndash: "-",
  mdash: "-",
  minus: "-",
  hellip: "...",
  euro: "€",
  pound: "£",
  yen: "¥",
  cent: "¢",
  copy: "©",
  middot: "·",
  bull: "·"
}

const decodeEntities = (text: string): string =>
  text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith("#")) {
      const code = entity[1] === "x" || entity[1] === "X"
        ? Number.parseInt(entity.slice(2), 16)
        : Number.parseInt(entity.slice(1), 10)
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : " "
    }
    return NAMED_ENTITIES[entity.toLowerCase()] ?? whole
  })

/**
 * One line per line of text, single spaces, compatibility forms folded (full-width digits read as
 * digits, full-width punctuation followed by the space it stands for), every dash a hyphen, every run of invisible joiners one zero-width space: the marker of
 * an inline boundary, which joins digits but not words.
 */
const tidy = (text: string): string =>
  text
    .replace(/[，、。：；！？]/g, "$& ")
    .normalize("NFKC")
    .replace(/\r\n?/g, "\n")
    .replace(/[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\f\v]/g, " ")
    .replace(/[\u200b-\u200d\u2060\ufeff]+/g, "\u200b")
    .replace(/[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]/g, "-")
    .split("\n")
    .map((line) =>
      line
        .replace(/ *\u200b[\u200b ]*/g, (run) => (run.includes(" ") ? " " : "\u200b"))
        .replace(/ {2,}/g, " ")
        .replace(/^[ \u200b]+|[ \u200b]+$/g, "")
    )
    .filter((line) => line.length > 0)
    .join("\n")

const URL_OR_EMAIL =
  /\b(?:https?:\/\/|www\.)[^\s<>"]+|(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/giu

const LINK = /https?:\/\/[^\s<>"'`{}|\\^\u200b]+/gi
const LINK_HINT =
  /verif|confirm|activat|validat|sign-?in|signin|log-?in|magic|authenticat|authoriz|(?<![a-z])oauth|(?<![a-z])auth(?![a-z])|(?<![a-z])otp(?![a-z])|token|(?<![a-z])reset|(?<![a-z])code(?![a-z])/i
const LINK_WORDS =
  /verif|confirm|activat|validat|sign[- ]?in|log[- ]?in|magic link|authenticat|reset|click (?:here|the (?:link|button))/i
const LINK_NEVER_BEFORE = /unsubscribe|opt[- ]?out|view (?:it )?(?:in|on) (?:your |a )?browser|privacy|terms/i
const LINK_NEVER =
  /unsubscribe|opt-?out|\/preferences|privacy|\/terms|\/legal|\/help\b|\/support\b|facebook\.com|twitter\.com|x\.com\/|linkedin\.com|instagram\.com|youtube\.com|tiktok\.com|\.(?:png|jpe?g|gif|svg|webp|ico|css|js)(?:[?#]|$)|\/(?:open|pixel|track)(?:[/?.]|$)/i

/** Words that introduce a code, in several languages. */
const KEYWORD = new RegExp(
  [
    "[\\p{L}]{0,24}codes?(?![\\p{L}])",
    "(?<![\\p{L}])(?:c[oó]digo|codice|kod|kód|kodu|код|коды|otp|pin|2fa|mfa|tan|passcode|pass code)(?![\\p{L}])",
    "(?<![\\p{L}])one[- ]?time(?:[- ]?(?:password|passcode|pin|key))?",
    "(?<![\\p{L}])(?:einmal|sicherheits|bestätigungs|verifizierungs)?pass(?:wort|word)(?![\\p{L}])",
    "(?<![\\p{L}])(?:mot de passe|contraseña|senha)(?![\\p{L}])",
    "验证码|驗證碼|校验码|动态码|認証|確認コード|コード|인증|코드"
  ].join("|"),
  "giu"
)

/** Words that make a "code" something else than a one-time code. */
const NOT_A_CODE_WORD =
  /^(?:bar|post|zip|postal|promo|discount|coupon|voucher|gift|referral|invite|invitation|area|country|source|dress|qr|tracking|error|status|product|article|uni|en|de)codes?$/i
const NOT_A_CODE_BEFORE =
  /(?:promo|discount|coupon|voucher|gift|referral|postal|zip|area|country|source|dress|tracking|error|status|product|colou?r|hex|qr)[ -]?$/i

/** Words that mark a nearby code, less strongly than a keyword. */
const WEAK_KEYWORD =
  /(?<![\p{L}])(?:token|key|verification|verify|verifizierung|vérification|verificación|authentication|security|sign[- ]?in|log[- ]?in|anmelde\p{L}*|connexion)(?![\p{L}])/giu

/** Words that label a number as something else. */
const LABEL_BEFORE = new RegExp(
  "(?<![\\p{L}])(?:order|invoice|receipt|ref|reference|account|acct|ticket|case|customer|client|member|id|no|nr|num|"
    + "number|phone|tel|telephone|call|fax|mobile|cell|whatsapp|zip|postal|suite|apt|unit|box|tracking|booking|"
    + "reservation|flight|seat|room|iban|sku|item|version|build|release|page|floor|street|total|amount|price|balance|"
    + "subtotal|paid|due|cost|fee|bestellung|rechnung|commande|facture|pedido|factura|ordine)\\.?[ :#-]*"
    + "(?:is |was |of |nr\\.? |no\\.? |number )?$",
  "iu"
)

const CURRENCY_BEFORE = /(?:[$€£¥₹₩₽¢]|(?<![a-z])(?:usd|eur|gbp|chf|jpy|cad|aud|inr|rs\.?|us\$|ca\$|a\$))\s?$/i
const SYMBOL_BEFORE = /(?:[#+(/=&?]|\)\s?|[0-9][.,:/]|[a-z]{3,}-)$/i
const AFTER_REJECT = new RegExp(
  "^(?:\\s?(?:[%$€£¥₹₩₽¢‰]|(?:usd|eur|gbp|chf|jpy|cad|aud|inr|dollars?|euros?|pounds?|cents?|px|pt|em|rem|kb|mb|gb|"
    + "tb|kbps|mbps|ms|km|kg|mg|ml|cm|mm|mi|mph|kwh|hz|ghz|mhz|dpi|ppi|st|nd|rd|th|am|pm|h|hrs?|mins?|secs?|days?|"
    + "weeks?|months?|years?|points?|pts|miles?|steps?|people|users|items|times|x)(?![\\p{L}]))|[.,][0-9]|:[0-9]|"
    + "/[0-9]|-[a-z]|\\))",
  "iu"
)

const WORD = "[\\p{Script=Latin}\\p{Script=Greek}\\p{Script=Cyrillic}\\p{N}_]"
const DIGIT_RUN = new RegExp(`(?<!${WORD})[0-9]+(?:[ \\u200b-][0-9]+)*(?!${WORD})`, "gu")
const ALNUM = /(?<![\p{L}\p{N}_-])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![\p{L}\p{N}_-])/gu

interface Candidate {
  readonly value: string
  readonly start: number
  readonly end: number
  readonly digits: boolean
  readonly grouped: boolean
}

interface Cue {
  readonly start: number
  readonly end: number
  readonly strong: boolean
}

const isDateShape = (groups: ReadonlyArray<string>): boolean => {
  if (groups.length !== 3) return false
  const [a, b, c] = groups.map(Number)
  const [la, lb, lc] = groups.map((g) => g.length)
  const month = (m: number) => m >= 1 && m <= 12
  const day = (d: number) => d >= 1 && d <= 31
  if (la === 4 && lb <= 2 && lc <= 2) return month(b) && day(c)
  if (lc === 4 && la <= 2 && lb <= 2) return (month(b) && day(a)) || (month(a) && day(b))
  return la === 2 && lb === 2 && lc === 2 && ((month(b) && day(a)) || (month(a) && day(b)))
}

const isYear = (digits: string) => /^(?:19[5-9]|20[0-9])[0-9]$/.test(digits)

/** How a code is drawn for reading: groups of one length ("482 913", "1234-5678"), or one box per digit. */
const isDisplayGrouping = (groups: ReadonlyArray<string>, separators: string): boolean => {
  const digits = groups.join("").length
  if (new Set(separators).size !== 1 || isDateShape(groups)) return false
  if (groups.every((g) => g.length === 1)) return digits >= 4 && digits <= 10
  return groups.length <= 3 && digits >= 4 && digits <= 9 && groups[0].length >= 2
    && groups.every((g) => g.length === groups[0].length)
}

const candidatesIn = (text: string): Array<Candidate> => {
  const out: Array<Candidate> = []
  for (const match of text.matchAll(DIGIT_RUN)) {
    const start = match.index ?? 0
    const raw = match[0]
    const groups = raw.split(/[ \u200b-]/)
    if (groups.length === 1) {
      if (raw.length >= 4 && raw.length <= 10) {
        out.push({ value: raw, start, end: start + raw.length, digits: true, grouped: false })
      }
    } else if (isDisplayGrouping(groups, raw.replace(/[0-9]/g, ""))) {
      out.push({ value: groups.join(""), start, end: start + raw.length, digits: true, grouped: true })
    } else if (!isDateShape(groups)) {
      // Not one code: maybe a code beside a short number ("482913 2"); never a piece of a phone number.
      let offset = start
      for (const [i, group] of groups.entries()) {
        const others = groups.filter((_, j) => j !== i)
        if (group.length >= 4 && group.length <= 10 && others.every((g) => g.length <= 2)) {
          out.push({ value: group, start: offset, end: offset + group.length, digits: true, grouped: false })
        }
        offset += group.length + 1
      }
    }
  }
  for (const match of text.matchAll(ALNUM)) {
    const raw = match[0]
    if (raw.length > 16) continue
    const letters = raw.replace(/-/g, "")
    if (letters.length < 4 || letters.length > 12 || !/[0-9]/.test(raw) || !/[A-Za-z]/.test(raw)) continue
    // "G-482913": the digits are the code, found above.
    if (/^[A-Za-z]{1,2}-[0-9]+$/.test(raw)) continue
    if (/^[0-9]+(?:st|nd|rd|th|am|pm|h|hrs?|mins?|s|secs?|d|days?|x|px|kb|mb|gb|k|m)$/i.test(letters)) continue
    // A word and a number ("Shop-24", "Office365", "24-hour") names something; codes are not spelled so.
    if (/^[A-Za-z]?[a-z]{2,}-?[0-9]+$|^[0-9]+-?[A-Za-z]?[a-z]{2,}$/.test(raw)) continue
    const start = match.index ?? 0
    out.push({ value: raw, start, end: start + raw.length, digits: false, grouped: false })
  }
  return out
}

/** Where keywords are; `decoy` when the text speaks of codes that are not one-time codes (promo, error). */
const cuesIn = (text: string): { readonly cues: Array<Cue>; readonly decoy: boolean } => {
  const cues: Array<Cue> = []
  let decoy = false
  for (const match of text.matchAll(KEYWORD)) {
    const start = match.index ?? 0
    const word = match[0]
    if (NOT_A_CODE_WORD.test(word) || NOT_A_CODE_BEFORE.test(text.slice(Math.max(0, start - 12), start))) {
      decoy = true
      continue
    }
    cues.push({ start, end: start + word.length, strong: true })
  }
  for (const match of text.matchAll(WEAK_KEYWORD)) {
    const start = match.index ?? 0
    cues.push({ start, end: start + match[0].length, strong: false })
  }
  return { cues, decoy }
}

/** The cues (sorted by start) that start between `from` and `to`. */
const cuesNear = (cues: ReadonlyArray<Cue>, from: number, to: number): ReadonlyArray<Cue> => {
  let low = 0
  let high = cues.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (cues[mid].start < from) low = mid + 1
    else high = mid
  }
  let end = low
  while (end < cues.length && cues[end].start <= to) end++
  return cues.slice(low, end)
}

const lineAround = (text: string, start: number, end: number): string => {
  const from = text.lastIndexOf("\n", start - 1) + 1
  const to = text.indexOf("\n", end)
  return text.slice(from, to === -1 ? text.length : to)
}

/**
 * Characters between a cue and a candidate in one sentence (a line break counts as a pause, not an
 * end: "Your code:" above the code); `undefined` when they are farther apart or reversed.
 */
const gapBetween = (text: string, from: number, to: number): number | undefined => {
  if (to < from) return undefined
  const between = text.slice(from, to)
  if ((between.match(/\n/g)?.length ?? 0) > 1 || /[.!?](?:[ \n]|$)|[。！？]/.test(between)) return undefined
  return between.replace(/\u200b/g, "").length
}

const score = (text: string, candidate: Candidate, cues: ReadonlyArray<Cue>): number | undefined => {
  const before = text.slice(Math.max(0, candidate.start - 24), candidate.start)
  const after = text.slice(candidate.end, candidate.end + 16)
  if (SYMBOL_BEFORE.test(before) || CURRENCY_BEFORE.test(before) || AFTER_REJECT.test(after)) return undefined
  let keyword = 0
  let adjacent = false
  for (const cue of cues) {
    const weight = cue.strong ? 1 : 0.5
    const toCandidate = gapBetween(text, cue.end, candidate.start)
    if (toCandidate !== undefined && toCandidate <= 48) {
      keyword = Math.max(keyword, weight * (12 - toCandidate / 5))
      if (cue.strong && toCandidate <= 5) adjacent = true
    }
    const toCue = gapBetween(text, candidate.end, cue.start)
    if (toCue !== undefined && toCue <= 48) keyword = Math.max(keyword, weight * (10 - toCue / 6))
  }
  if (candidate.digits && isYear(candidate.value) && !adjacent) return undefined
  const line = lineAround(text, candidate.start, candidate.end).replace(/[\u200b\s:.!*"'«»“”()[\]-]+/g, "")
  const alone = line === candidate.value.replace(/-/g, "")
  if (!candidate.digits && keyword < 6 && !alone) return undefined
  const labelled = LABEL_BEFORE.test(before) && !adjacent
  const length = candidate.digits ? candidate.value.length : 0
  const shape = length === 6 ? 3 : length >= 4 && length <= 8 ? 2 : 1
  return shape + (candidate.grouped ? 1 : 0) + keyword + (alone ? 7 : 0) - (labelled ? 14 : 0)
}

const bestCode = (text: string): Option.Option<string> => {
  const { cues, decoy } = cuesIn(text)
  cues.sort((a, b) => a.start - b.start)
  let best: { readonly value: string; readonly score: number } | undefined
  const plausible: Array<string> = []
  for (const candidate of candidatesIn(text)) {
    const s = score(text, candidate, cuesNear(cues, candidate.start - 80, candidate.end + 60))
    if (s === undefined) continue
    if (s > 0) plausible.push(candidate.value)
    if (best === undefined || s > best.score) best = { value: candidate.value, score: s }
  }
  if (best === undefined) return Option.none()
  if (best.score >= 6) return Option.some(best.value)
  const distinct = new Set(plausible)
  return text.length <= 200 && !decoy && distinct.size === 1 && best.score > 0 ? Option.some(best.value) : Option.none()
}
