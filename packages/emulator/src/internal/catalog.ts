/**
 * The built-in catalog, shaped like the hosted one: the platform agents that the spec and the
 * official SDKs name (`h/...`), and a registered environment of each kind the spec defines (web,
 * desktop, android, workstation) for agents to reference by id.
 *
 * @internal
 */

/** @internal */
export const environments: ReadonlyArray<Record<string, unknown> & { readonly id: string }> = [
  {
    id: "web",
    kind: "web",
    host: "cloud",
    start_url: "https://www.bing.com",
    headless: false,
    lazy: false,
    use_default_browser_profile: false,
    persist_browser_profile: false
  },
  { id: "desktop", kind: "desktop", host: "cloud", lazy: false },
  { id: "android", kind: "android", lazy: false },
  { id: "workstation", kind: "workstation", host: "cloud", lazy: false }
]

const agent = (name: string, description: string, envs: ReadonlyArray<string>) => ({
  name,
  description,
  environments: environments.filter((e) => envs.includes(e.id)),
  model: "holo3-1-35b",
  instructions: null,
  subagents: null,
  skills: null,
  answer_format: null,
  tools: null,
  reasoning_effort: null
})

/** @internal */
export const agents: ReadonlyArray<Record<string, unknown> & { readonly name: string }> = [
  agent(
    "h/web-surfer-holo3-1-35b",
    "A web agent on Holo3 1 (35B) that browses its own cloud browser to complete tasks.",
    ["web"]
  ),
  agent("h/web-environment", "A general-purpose web agent in a cloud browser.", ["web"])
]
