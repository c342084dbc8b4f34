/**
 * Driving commands from the outside, as a user or an MCP client would: run one to its end, keep a
 * server running while something talks to it, and time an MCP server's handshake over stdio.
 */
import { spawn } from "node:child_process"

export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly millis: number
}

export const runCli = (
  command: string,
  args: ReadonlyArray<string>,
  cwd: string,
  env: Record<string, string> = {}
): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, millis: performance.now() - started })
    })
  })

/**
 * Starts a server that prints its `http://127.0.0.1:PORT` address (on stdout or stderr), runs `use`
 * with that address, then stops the server.
 */
export const withProcess = async <A>(
  command: string,
  args: ReadonlyArray<string>,
  cwd: string,
  use: (url: string) => Promise<A>,
  env: Record<string, string> = {}
): Promise<A> => {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} printed no address in 60 s:\n${output}`)), 60_000)
    const onData = (chunk: Buffer) => {
      output += chunk
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[0])
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("exit", (code) => reject(new Error(`${command} exited (${code}) before serving:\n${output}`)))
  })
  try {
    return await use(url)
  } finally {
    child.kill()
  }
}

export interface Handshake {
  /** From spawning the process to the answer to `initialize`. */
  readonly initializeMillis: number
  readonly tools: ReadonlyArray<string>
}

/** Spawns an MCP server on stdio, sends `initialize` then `tools/list`, and stops it. */
export const mcpHandshake = (
  command: string,
  args: ReadonlyArray<string>,
  cwd: string,
  env: Record<string, string> = {}
): Promise<Handshake> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] })
    let initializeMillis = 0
    let buffer = ""
    let stderr = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`no MCP handshake in 60 s:\n${stderr}`))
    }, 60_000)
    const send = (message: object) => child.stdin.write(JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n")
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("error", reject)
    child.stdout.on("data", (chunk) => {
      buffer += chunk
      let newline: number
      while ((newline = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        const message = JSON.parse(line)
        if (message.id === 1) {
          initializeMillis = performance.now() - started
          send({ method: "notifications/initialized" })
          send({ id: 2, method: "tools/list", params: {} })
        } else if (message.id === 2) {
          clearTimeout(timer)
          child.kill()
          resolve({ initializeMillis, tools: message.result.tools.map((t: { name: string }) => t.name) })
        }
      }
    })
    send({
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "hai-effect-checks", version: "0" }
      }
    })
  })
