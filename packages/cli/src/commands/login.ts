/**
 * `hai login` (browser sign-in with a loopback redirect and PKCE, or `--with-key`), `hai logout`
 * and `hai whoami`. What they do is in `../handlers/login.ts`, loaded when one runs.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"

const handlers = Effect.promise(() => import("../handlers/login.js"))

/**
 * The portal used when neither `--portal-url` nor `HAI_PORTAL_URL` is set.
 *
 * @since 0.1.0
 * @category Constants
 */
export const defaultPortalUrl = "https://portal.hcompany.ai"

const loginConfig = {
  withKey: Options.boolean("with-key").pipe(Options.withDescription("Paste a key (hidden) or pipe it on stdin")),
  portalUrl: Options.text("portal-url").pipe(
    Options.withDescription(`The portal to sign in with (default: HAI_PORTAL_URL, else ${defaultPortalUrl})`),
    Options.withFallbackConfig(Config.string("HAI_PORTAL_URL")),
    Options.withDefault(defaultPortalUrl)
  ),
  noBrowser: Options.boolean("no-browser").pipe(
    Options.withDescription("Print the sign-in URL instead of opening a browser")
  ),
  force: Options.boolean("force").pipe(
    Options.withDescription("Sign in again even when the key already found works")
  )
}

/**
 * The parsed options of `hai login`.
 *
 * @since 0.1.0
 * @category Models
 */
export type LoginParsed = Command.Command.ParseConfig<typeof loginConfig>

/**
 * `hai login [--with-key] [--portal-url URL] [--no-browser] [--force]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const login = Command.make("login", loginConfig, (o) => Effect.flatMap(handlers, (h) => h.login(o))).pipe(
  Command.withDescription("Sign in and store an API key in ~/.config/hai/.env")
)

/**
 * `hai logout`: forgets what `hai login` stored, the key and the base URL saved with
 * `--base-url`.
 *
 * @since 0.1.0
 * @category Commands
 */
export const logout = Command.make("logout", {}, () => Effect.flatMap(handlers, (h) => h.logout)).pipe(
  Command.withDescription("Remove the API key and base URL that `hai login` stored")
)

/**
 * `hai whoami`: where the key comes from, the key masked, the base URL and the quota.
 *
 * @since 0.1.0
 * @category Commands
 */
export const whoami = Command.make("whoami", {}, () => Effect.flatMap(handlers, (h) => h.whoami)).pipe(
  Command.withDescription("Show the key in use, its source, the base URL and the quota")
)
