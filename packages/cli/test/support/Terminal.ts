/**
 * A real pseudo-terminal for tests: an interactive bash in a tmux pane (its own tmux server,
 * its own socket), where a command line is typed as a user would and Ctrl-C is a key press that
 * the terminal turns into a SIGINT for the whole foreground process group.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"

export interface Pane {
  /** Types `line` and Enter. */
  readonly run: (line: string) => void
  /** Sends keys as tmux names them (`C-c`). */
  readonly keys: (...keys: ReadonlyArray<string>) => void
  /** What the pane shows, its scrollback included, escapes removed. */
  readonly text: () => string
  /** The process group in the terminal's foreground (the command's, while it runs). */
  readonly foregroundGroup: () => number
  /** Waits until the pane's text matches, or fails after `timeoutMs`. */
  readonly waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpMatchArray>
  /** The exit status of the last command line, once the shell is back at its prompt. */
  readonly exitCode: (timeoutMs: number) => Promise<number>
  readonly close: () => void
}

let next = 0

/** Opens a pane; `env` is the shell's whole environment (nothing else of this process leaks in). */
export const open = (options: { readonly cwd: string; readonly env: Record<string, string> }): Pane => {
  const socket = `hai-cli-test-${process.pid}-${++next}`
  const tmux = (...args: ReadonlyArray<string>) =>
    execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
  // Before each prompt bash prints the status of the line before, even one stopped by a signal
  // (bash drops the rest of a `cmd; echo $?` line when `cmd` died of SIGINT).
  const env = Object.entries({
    TERM: "xterm-256color",
    PS1: "$ ",
    PROMPT_COMMAND: "echo __exit=$?",
    ...options.env
  }).map(([k, v]) => `${k}=${v}`)
  tmux(
    "-f",
    "/dev/null",
    "new-session",
    "-d",
    "-s",
    "test",
    "-x",
    "200",
    "-y",
    "50",
    "-c",
    options.cwd,
    "env",
    "-i",
    ...env,
    "bash",
    "--norc",
    "--noprofile",
    "-i"
  )
  tmux("set-option", "-t", "test", "history-limit", "10000")
  const text = () => tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "test")
  const waitFor = async (pattern: RegExp, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = text().match(pattern)
      if (found !== null) return found
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}; it shows:\n${text()}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return {
    run: (line) => {
      tmux("send-keys", "-t", "test", "-l", line)
      tmux("send-keys", "-t", "test", "Enter")
    },
    keys: (...keys) => void tmux("send-keys", "-t", "test", ...keys),
    text,
    foregroundGroup: () => {
      const shell = tmux("display-message", "-p", "-t", "test", "#{pane_pid}").trim()
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp session tty_nr tpgid ...".
      const stat = Fs.readFileSync(`/proc/${shell}/stat`, "utf8")
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[5])
    },
    waitFor,
    exitCode: async (timeoutMs) => {
      // The last status printed after the command line (the first prompt printed one too).
      const found = await waitFor(/\n\$ [^\n]+\n[\s\S]*__exit=(\d+)\s*\n\$\s*$/, timeoutMs)
      return Number(found[1])
    },
    close: () => {
      try {
        tmux("kill-server")
      } catch {
        // already gone
      }
    }
  }
}
