/** @internal */
export const agents: ReadonlyArray<Record<string, unknown> & { readonly name: string }> = [
  {
    name: "h/web-surfer-holo3-1-35b",
    description: "A web agent on Holo3 1 (35B) that browses a cloud browser to complete tasks.",
    environments: [{ id: "web", kind: "web", host: "cloud", start_url: "https://www.bing.com" }],
    model: "holo3-1-35b",
    instructions: null,
    subagents: null,
    skills: null,
    answer_format: null,
    tools: null
  },
  {
    name: "h/web-environment",
    description: "A general-purpose web agent in a cloud browser.",
    environments: [{ id: "web", kind: "web", host: "cloud", start_url: "https://www.bing.com" }],
    model: null,
    instructions: null,
    subagents: null,
    skills: null,
    answer_format: null,
    tools: null
  }
]
