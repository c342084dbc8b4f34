import { assert, describe, it } from "@effect/vitest"
import { DotEnv } from "../src/index.js"

describe("DotEnv", () => {
  it("parses KEY=VALUE, quotes, export, comments, CRLF; last assignment wins", () => {
    const text = [
      "# a comment",
      "   ",
      "PLAIN=value",
      "SPACED = spaced value  ",
      "export EXPORTED=yes",
      "DOUBLE=\"a # not a comment \\\"quoted\\\"\\nline\"",
      "SINGLE='raw \\n $x # kept'",
      "BACK=`tick`",
      "INLINE=abc # trailing comment",
      "HASH=abc#def",
      "EMPTY=",
      "EQUALS=a=b=c",
      "not an assignment",
      "  # indented comment",
      "DUP=1",
      "DUP=2",
      "WIN=crlf\r",
      "UNTERMINATED=\"open"
    ].join("\n")
    assert.deepStrictEqual(DotEnv.parse(text), {
      PLAIN: "value",
      SPACED: "spaced value",
      EXPORTED: "yes",
      DOUBLE: "a # not a comment \"quoted\"\nline",
      SINGLE: "raw \\n $x # kept",
      BACK: "tick",
      INLINE: "abc",
      HASH: "abc#def",
      EMPTY: "",
      EQUALS: "a=b=c",
      DUP: "2",
      WIN: "crlf",
      UNTERMINATED: "\"open"
    })
  })

  it("formats values so that parse gives them back", () => {
    for (
      const value of ["hk-abc_123", "with space", "quote\"s", "back\\slash", "dollar$x", "multi\nline", "#hash", ""]
    ) {
      assert.strictEqual(DotEnv.parse(`K=${DotEnv.formatValue(value)}`).K, value)
    }
    assert.strictEqual(DotEnv.formatValue("https://agp.hcompany.ai/x?y=1"), "https://agp.hcompany.ai/x?y=1")
  })

  it("update keeps other lines, replaces the first assignment, drops duplicates, appends new keys", () => {
    const text = "# top\nA=1\nexport KEY=old\n\nB=2 # note\nKEY=dup\n"
    assert.strictEqual(
      DotEnv.update(text, { KEY: "new", C: "3", GONE: undefined }),
      "# top\nA=1\nexport KEY=new\n\nB=2 # note\nC=3\n"
    )
    assert.strictEqual(DotEnv.update(text, { KEY: undefined }), "# top\nA=1\n\nB=2 # note\n")
    assert.strictEqual(DotEnv.update("", { KEY: "v" }), "KEY=v\n")
    assert.strictEqual(DotEnv.update("A=1", { KEY: "v" }), "A=1\nKEY=v\n")
    assert.strictEqual(DotEnv.update("# KEY=commented\n", { KEY: "v" }), "# KEY=commented\nKEY=v\n")
  })
})
