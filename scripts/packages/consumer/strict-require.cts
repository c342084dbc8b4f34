/**
 * The CommonJS view of the same packages for TypeScript (nodenext allows `require` of an ES
 * module, as Node 20.19 and later do).
 */
import core = require("@hai-effect/core")
import webhooks = require("@hai-effect/webhooks")

export const run = core.Session.run({ agent: "h/web-surfer-holo3-1-35b", messages: "hello" })
export const header: "X-H-Webhook-Signature" = webhooks.Webhook.SignatureHeader
