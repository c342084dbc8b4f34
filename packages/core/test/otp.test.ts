/**
 * One-time codes: the code finder on realistic messages (and on messages full of numbers that are
 * not codes), the link finder, and the two ready tools as the agent sees and calls them.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Otp, Tool } from "../src/index.js"

const fc = FastCheck

const code = (text: string) => Option.getOrUndefined(Otp.extractCode(text))
const link = (text: string) => Option.getOrUndefined(Otp.extractLink(text))

// =============================================================================
// Generators
// =============================================================================

/** Codes as services send them. A 4-digit code that reads as a year is left out: see "years". */
const digitCode = fc.integer({ min: 4, max: 8 }).chain((n) =>
  fc.array(fc.constantFrom(..."0123456789"), { minLength: n, maxLength: n }).map((ds) => ds.join(""))
).filter((c) => !/^(?:19[5-9]|20[0-9])[0-9]$/.test(c))

/** How the code is drawn: as is, in groups, one box per digit, spread over inline HTML elements. */
const drawn = (c: string) =>
  fc.constantFrom<ReadonlyArray<(c: string) => string>>([
    (c) => c,
    (c) => (c.length % 2 === 0 ? c.replace(new RegExp(`(.{${c.length / 2}})`), "$1 ") : c),
    (c) => (c.length % 2 === 0 ? c.replace(new RegExp(`(.{${c.length / 2}})`), "$1-") : c),
    (c) => (c.length === 6 ? `${c.slice(0, 3)}\u2013${c.slice(3)}` : c),
    (c) => c.split("").join(" "),
    (c) => c.split("").map((d) => `<span style="padding:4px">${d}</span>`).join(""),
    (c) => `<strong>${c}</strong>`
  ]).chain((fs) => fc.constantFrom(...fs).map((f) => f(c)))

const service = fc.constantFrom("Acme", "GitHub", "Example Bank", "Shop-24", "Zalando", "your account")

/** Sentences with a code in them, in several languages and orders. */
const templates: ReadonlyArray<(code: string, service: string) => string> = [
  (c, s) => `Your ${s} verification code is ${c}.`,
  (c, s) => `${c} is your ${s} verification code.`,
  (c, s) => `Use code ${c} to sign in to ${s}. It expires in 10 minutes.`,
  (c) => `Your one-time password: ${c}`,
  (c, s) => `Enter this code to continue: ${c}\nIf you didn't try to sign in to ${s}, ignore this email.`,
  (c) => `Your security code\n${c}\nDon't share it with anyone.`,
  (c) => `OTP: ${c}`,
  (c, s) => `${s}: your login code is ${c}`,
  (c) => `Votre code de vérification est ${c}.`,
  (c) => `Ihr Bestätigungscode lautet ${c}.`,
  (c) => `Tu código de verificación es ${c}.`,
  (c) => `Il tuo codice è ${c}.`,
  (c) => `您的验证码是${c}，5分钟内有效。`,
  (c) => `認証コード: ${c}`,
  (c, s) => `<p>Hi,</p><p>Here is your ${s} passcode:</p><h1 style="letter-spacing:4px">${c}</h1><p>Thanks</p>`,
  (c) => `<table><tr><td>Your PIN</td></tr><tr><td class="code">${c}</td></tr></table>`
]

/** Numbers that are not codes, as they sit around codes in real mail. */
const noise = fc.constantFrom(
  "Order #48291 shipped on 2025-03-14.",
  "Invoice 2025-0042, total $1,299.00 (incl. 20% VAT).",
  "Account no. 12345678 was charged 49.90 EUR.",
  "Questions? Call +1 (555) 123-4567 or +33 6 12 34 56 78.",
  "Sent on March 14, 2025 at 14:30.",
  "© 2025 Acme Inc. All rights reserved.",
  "Acme Inc., 1600 Amphitheatre Parkway, Mountain View, CA 94043, USA.",
  "Reference: 88812345, booking 5551234.",
  "Use promo code SAVE20 for 20% off your next 3 orders.",
  "Error code 5003 means the server was busy.",
  "Dial area code 415 then 555-0199.",
  "Download the app (version 10.4.2, 120 MB).",
  "View it at https://mail.example.com/a/123456?id=998877 or write to support2024@example.com.",
  "Rated 4.8 by 12,500 users since 1998.",
  "Your ticket 7734 has 2 updates, last at 09:15 on 14/03/2025."
)

const noiseLines = fc.array(noise, { maxLength: 4 }).map((lines) => lines.join("\n"))

const message = fc.record({
  code: digitCode,
  service,
  template: fc.constantFrom(...templates),
  before: noiseLines,
  after: noiseLines
}).chain(({ after, before, code, service, template }) =>
  drawn(code).map((shown) => ({ code, text: `${before}\n${template(shown, service)}\n${after}` }))
)

// =============================================================================
// Codes
// =============================================================================

describe("Otp.extractCode", () => {
  it.prop("finds the code in a message full of other numbers", [message], ([{ code: c, text }]) => {
    assert.strictEqual(code(text), c, text)
  }, { fastCheck: { numRuns: 600 } })

  it.prop(
    "finds the code when the message is HTML with inline styling",
    [message, fc.constantFrom("div", "td", "p")],
    ([{ code: c, text }, tag]) => {
      const html = `<html><head><style>.x{color:#333333;padding:12px}</style></head><body>${
        text.split("\n").map((line) => `<${tag} style="font-size:16px">${line}</${tag}>`).join("")
      }</body></html>`
      assert.strictEqual(code(html), c, html)
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.prop("finds no code among numbers that are not codes", [fc.array(noise, { minLength: 1, maxLength: 6 })], ([
    lines
  ]) => {
    const text = lines.join("\n")
    assert.strictEqual(code(text), undefined, text)
  }, { fastCheck: { numRuns: 300 } })

  it("reads digits grouped for display as the digits to type", () => {
    assert.strictEqual(code("Your code is 482 913"), "482913")
    assert.strictEqual(code("Your code is 1234-5678"), "12345678")
    assert.strictEqual(code("Your code is 4 8 2 9 1 3"), "482913")
    assert.strictEqual(code("Your code is 482\u2009913"), "482913")
    assert.strictEqual(code("Your code is ４８２９１３"), "482913")
    assert.strictEqual(code("<p>Your code</p><p><b>48</b><b>29</b><b>13</b></p>"), "482913")
  })

  it("takes the code over a year that comes first (the official extractor's bare fallback takes the year)", () => {
    assert.strictEqual(code("Sent on 14 March 2025. 482913 is your code"), "482913")
  })

  it("takes a code that follows its keyword, or precedes it, over numbers farther away", () => {
    assert.strictEqual(code("Your verification code for order 12345678 is 482913"), "482913")
    assert.strictEqual(code("G-482913 is your Google verification code."), "482913")
    assert.strictEqual(
      code("Sent 5 December 2025\nYour security code\n\n482913\n\nAcme, 1600 Main St, CA 94043"),
      "482913"
    )
  })

  it("keeps alphanumeric codes as written, only next to a keyword", () => {
    assert.strictEqual(code("Use passcode 7GK4-P2Q to continue."), "7GK4-P2Q")
    assert.strictEqual(code("Your code: AB12CD"), "AB12CD")
    assert.strictEqual(code("Stream it in H264X quality on your TV3000."), undefined)
  })

  it("takes a year, a date or a price for a code only when a keyword labels it directly", () => {
    assert.strictEqual(code("Your code: 2024"), "2024")
    assert.strictEqual(code("2024 is your code"), undefined)
    assert.strictEqual(code("Your code expires on 2025-03-14"), undefined)
    assert.strictEqual(code("Your code costs $1299"), undefined)
    assert.strictEqual(code("Your code is valid until 14:30"), undefined)
  })

  it("takes a lone number from a short message (an SMS), never from a long one", () => {
    assert.strictEqual(code("314159 is your Acme key"), "314159")
    assert.strictEqual(code("Hello there, nothing to see."), undefined)
    assert.strictEqual(code(`${"Welcome to our newsletter. ".repeat(10)} We planted 48213 trees.`), undefined)
    assert.strictEqual(code("Meet at 1530 or 1600?"), undefined)
  })

  it("uses a custom pattern's first group, or its whole match, instead of the heuristics", () => {
    assert.strictEqual(code("x"), undefined)
    assert.deepStrictEqual(
      Otp.extractCode("Ticket ABC-99-XYZ opened", { pattern: /Ticket ([A-Z0-9-]+)/ }),
      Option.some("ABC-99-XYZ")
    )
    assert.deepStrictEqual(Otp.extractCode("ref Q-77 ref Q-78", { pattern: /Q-\d+/g }), Option.some("Q-77"))
    assert.deepStrictEqual(Otp.extractCode("nothing", { pattern: /Q-\d+/ }), Option.none())
  })
})

// =============================================================================
// Links
// =============================================================================

const decoyLinks = fc.constantFrom(
  "https://news.example.com/unsubscribe?token=abc",
  "https://www.facebook.com/acme",
  "https://cdn.example.com/logo.png?v=2",
  "https://example.com/privacy",
  "https://click.example.com/open?id=9"
)

describe("Otp.extractLink", () => {
  it.prop(
    "finds the confirmation link among unsubscribe, social, legal and image links",
    [fc.array(decoyLinks, { maxLength: 4 }), fc.array(decoyLinks, { maxLength: 4 }), fc.hexaString({ minLength: 8 })],
    ([before, after, token]) => {
      const target = `https://app.example.com/verify-email?t=${token}`
      const html = [...before.map((u) => `<a href="${u}">here</a>`), `<a href="${target}">Confirm my address</a>`]
        .concat(after.map((u) => `<img src="x.png"><a href="${u}">link</a>`))
        .join("<br>")
      assert.strictEqual(link(html), target, html)
    },
    { fastCheck: { numRuns: 200 } }
  )

  it("prefers a link the words before it call a sign-in link, else the first ordinary one", () => {
    assert.strictEqual(
      link("Read the docs: https://docs.example.com/start\nClick here to sign in: https://app.example.com/s/Zx9"),
      "https://app.example.com/s/Zx9"
    )
    assert.strictEqual(link("See https://example.com/a then https://example.com/b."), "https://example.com/a")
    assert.strictEqual(link("Unsubscribe: https://example.com/list?u=1"), undefined)
    assert.strictEqual(link("No links here"), undefined)
  })

  it("decodes entities in link targets", () => {
    assert.strictEqual(
      link(`<a href="https://app.example.com/verify?u=1&amp;t=2">Verify</a>`),
      "https://app.example.com/verify?u=1&t=2"
    )
  })
})

describe("Otp.htmlToText", () => {
  it("reads HTML as a person does", () => {
    assert.strictEqual(
      Otp.htmlToText(
        "<html><head><title>x</title><style>p{color:red}</style></head><body><!-- hi --><p>Your&nbsp;code</p>"
          + "<p><b>48</b><b>29</b><b>13</b></p><script>var a = 1</script><p>Tom &amp; Jerry&#39;s &#x263A;</p></body></html>"
      ),
      "Your code\n482913\nTom & Jerry's \u263a"
    )
  })
})

// =============================================================================
// Tools
// =============================================================================

describe("Otp.tool", () => {
  it("declares the official SDKs' request_otp tool to the agent", () => {
    const definition = Tool.definition(Otp.tool(() => Effect.succeed("1")))
    assert.strictEqual(definition.name, "request_otp")
    assert.strictEqual(definition.description, Otp.defaultDescription)
    assert.include(definition.description, "Never guess or fabricate a code")
    const schema = definition.input_schema as {
      type: string
      required: Array<string>
      properties: Record<string, Record<string, unknown>>
    }
    assert.strictEqual(schema.type, "object")
    assert.deepStrictEqual(schema.required, ["prompt"])
    assert.deepStrictEqual(Object.keys(schema.properties).sort(), ["kind", "prompt", "source"])
    assert.deepStrictEqual(schema.properties.kind.enum, ["code", "link"])
    assert.strictEqual(schema.properties.kind.default, "code")
  })

  it.effect("hands the handler the request, kind defaulting to code, and trims the value", () =>
    Effect.gen(function*() {
      const seen: Array<Otp.Request> = []
      const tool = Otp.tool((request) => Effect.sync(() => (seen.push(request), "  482913 \n")))
      const params = yield* Schema.decodeUnknown(tool.parameters)({ prompt: "Enter the code", source: "email" })
      assert.strictEqual(yield* tool.handler(params), "482913")
      assert.deepStrictEqual(seen, [{ prompt: "Enter the code", kind: "code", source: "email" }])
    }))

  it.effect("fails with NoCode when the source gives an empty value", () =>
    Effect.gen(function*() {
      const tool = Otp.tool(() => Effect.succeed("   "))
      const error = yield* Effect.flip(tool.handler({ prompt: "Open the link", kind: "link" }))
      assert.instanceOf(error, Otp.NoCode)
      assert.strictEqual(error.message, "No confirmation link was found: the source gave an empty value.")
    }))

  it("takes another name and description", () => {
    const tool = Otp.tool(() => Effect.succeed("1"), { name: "get_2fa_code", description: "The 2FA code." })
    assert.strictEqual(tool.name, "get_2fa_code")
    assert.strictEqual(tool.description, "The 2FA code.")
  })
})

describe("Otp.extractTool", () => {
  it.effect("returns the code to type, or NoCode", () =>
    Effect.gen(function*() {
      const decode = Schema.decodeUnknown(Otp.extractTool.parameters)
      const found = yield* Otp.extractTool.handler(yield* decode({ text: "Your code is 482 913" }))
      assert.strictEqual(found, "482913")
      const missing = yield* Effect.flip(Otp.extractTool.handler(yield* decode({ text: "Hello", kind: "code" })))
      assert.strictEqual(missing.message, "No one-time code was found: the text holds none.")
      assert.deepStrictEqual(Tool.definition(Otp.extractTool).input_schema.required, ["text"])
    }))
})
