/**
 * A decoder compiled from a Schema's AST that answers exactly what `Schema.decodeUnknownEither`
 * would for the values it accepts, without building Schema's issue trees on the way.
 *
 * Why: every `/changes` answer is decoded, and Schema's general interpreter allocates for error
 * reporting (candidate lists, issue arrays, key sorts) that a valid value never needs. With many
 * sessions watched that garbage is a large share of all the SDK allocates, and the collector's
 * pauses are what the watcher's latency tail is made of (`pnpm bench --only primitives` measures
 * both decoders side by side).
 *
 * How it stays exact: each AST node is compiled to a function that returns the decoded value,
 * `Fail` (Schema would reject this input) or `GiveUp` (this path cannot tell, e.g. an effectful
 * declaration). A node kind this module does not interpret is delegated to Schema's own parser
 * for that subtree, so it is exact by construction. Unions try their members in the order Schema
 * does (members with a matching literal discriminator first, then the others), because the first
 * member that succeeds wins. Only the successful value is ever used: on `Fail` or `GiveUp` the
 * caller runs Schema itself, which gives the value or the error with its full report. Property
 * tests check the two agree on generated valid and corrupted inputs.
 *
 * Decoding options are Schema's defaults (first error, excess properties ignored), or with
 * `exact` excess properties rejected (`onExcessProperty: "error"`, for what callers send); a
 * node annotated with its own parse options is delegated.
 *
 * @since 0.1.0
 * @internal
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

const Fail: unique symbol = Symbol.for("@hai-effect/core/fastDecode/Fail")
const GiveUp: unique symbol = Symbol.for("@hai-effect/core/fastDecode/GiveUp")
type Miss = typeof Fail | typeof GiveUp
type Decode = (input: unknown) => unknown

const isMiss = (u: unknown): u is Miss => u === Fail || u === GiveUp
const hasOwn = (o: object, key: PropertyKey) => Object.prototype.hasOwnProperty.call(o, key)

/** A parser result (`Either` when synchronous) as a value or a miss. */
const settle = (result: unknown): unknown =>
  Either.isEither(result) ? (Either.isRight(result) ? result.right : Fail) : GiveUp

const indexKeys = (input: object, parameter: AST.Parameter): ReadonlyArray<PropertyKey> => {
  switch (parameter._tag) {
    case "SymbolKeyword":
      return Object.getOwnPropertySymbols(input)
    case "Refinement":
      return indexKeys(input, parameter.from)
    default:
      return Object.keys(input)
  }
}

/** The compiler of one set of options: its own cache, since the same AST decodes differently. */
const compiler = (exact: boolean) => {
  const options: AST.ParseOptions = exact
    ? { ...AST.defaultParseOption, onExcessProperty: "error" }
    : AST.defaultParseOption
  const compiled = new WeakMap<AST.AST, Decode>()

  /** Schema's own parser for a subtree: what cannot be interpreted here is still exact. */
  const delegate = (ast: AST.AST): Decode => {
    const parse = ParseResult.decodeUnknownEither(Schema.make(ast), options)
    return (input) => {
      const result = parse(input)
      if (Either.isRight(result)) return result.right
      return result.left._tag === "Forbidden" ? GiveUp : Fail
    }
  }

  const compile = (ast: AST.AST): Decode => {
    let decode = compiled.get(ast)
    if (decode === undefined) {
      const annotated = Option.isSome(AST.getParseOptionsAnnotation(ast))
        || Option.isSome(AST.getDecodingFallbackAnnotation(ast))
      decode = annotated ? delegate(ast) : build(ast)
      compiled.set(ast, decode)
    }
    return decode
  }

  const build = (ast: AST.AST): Decode => {
    switch (ast._tag) {
      case "StringKeyword":
        return (u) => typeof u === "string" ? u : Fail
      case "NumberKeyword":
        return (u) => typeof u === "number" ? u : Fail
      case "BooleanKeyword":
        return (u) => typeof u === "boolean" ? u : Fail
      case "UndefinedKeyword":
        return (u) => u === undefined ? u : Fail
      case "UnknownKeyword":
      case "AnyKeyword":
      case "VoidKeyword":
        return (u) => u
      case "Literal": {
        const literal = ast.literal
        return (u) => u === literal ? u : Fail
      }
      case "Refinement":
        return refinement(ast)
      case "Transformation":
        return transformation(ast)
      case "Declaration": {
        const parse = ast.decodeUnknown(...ast.typeParameters)
        return (u) => settle(parse(u, options, ast))
      }
      case "TypeLiteral":
        return typeLiteral(ast)
      case "TupleType":
        return ast.elements.length === 0 && ast.rest.length === 1 ? array(ast.rest[0].type) : delegate(ast)
      case "Union":
        return union(ast)
      case "Suspend": {
        // Recursive schemas: the inner decoder exists only once the recursion is entered.
        let inner: Decode | undefined
        return (u) => (inner ??= compile(ast.f()))(u)
      }
      default:
        return delegate(ast)
    }
  }

  const refinement = (ast: AST.Refinement): Decode => {
    const from = compile(ast.from)
    return (u) => {
      const a = from(u)
      if (isMiss(a)) return a
      return Option.isNone(ast.filter(a, options, ast)) ? a : Fail
    }
  }

  const transformation = (ast: AST.Transformation): Decode => {
    const from = compile(ast.from)
    const to = compile(ast.to)
    const kind = ast.transformation
    switch (kind._tag) {
      case "ComposeTransformation":
        return (u) => {
          const a = from(u)
          return isMiss(a) ? a : to(a)
        }
      case "FinalTransformation":
        return (u) => {
          const a = from(u)
          if (isMiss(a)) return a
          const b = settle(kind.decode(a, options, ast, u))
          return isMiss(b) ? b : to(b)
        }
      case "TypeLiteralTransformation": {
        const steps = kind.propertySignatureTransformations
        return (u) => {
          const a = from(u)
          if (isMiss(a)) return a
          // The struct just decoded is a fresh object: renamed and defaulted keys are set in place,
          // in the same order (delete, then set) as Schema, so the key order matches too.
          const out = a as Record<PropertyKey, unknown>
          for (const step of steps) {
            const value = step.decode(hasOwn(out, step.from) ? Option.some(out[step.from]) : Option.none())
            delete out[step.from]
            if (Option.isSome(value)) out[step.to] = value.value
          }
          return to(out)
        }
      }
    }
  }

  const typeLiteral = (ast: AST.TypeLiteral): Decode => {
    if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
      return (u) => u !== null && u !== undefined ? u : Fail
    }
    const properties = ast.propertySignatures.map((ps) => ({
      name: ps.name,
      optional: ps.isOptional,
      decode: compile(ps.type)
    }))
    const expected = new Set<PropertyKey>(ast.propertySignatures.map((ps) => ps.name))
    const indexes = ast.indexSignatures.map((is) => ({
      parameter: is.parameter,
      key: compile(is.parameter),
      decode: compile(is.type)
    }))
    // Exact: a key neither named nor taken by an index signature is an error; any doubt is left
    // to Schema (symbol keys, or index signatures whose keys this path would have to judge).
    const excess = exact
      ? indexes.length === 0
        ? (input: object) => {
          for (const key of Reflect.ownKeys(input)) {
            if (!expected.has(key)) return typeof key === "symbol" ? GiveUp : Fail
          }
          return undefined
        }
        : () => GiveUp
      : undefined
    return (u) => {
      if (typeof u !== "object" || u === null || Array.isArray(u)) return Fail
      const input = u as Record<PropertyKey, unknown>
      if (excess !== undefined) {
        const miss = excess(input)
        if (miss !== undefined) return miss
      }
      const output: Record<PropertyKey, unknown> = {}
      for (const property of properties) {
        // A required key that is absent is still given to its schema (as Schema does), which
        // accepts it only when `undefined` is a valid value.
        if (property.optional && !hasOwn(input, property.name)) continue
        const value = property.decode(input[property.name])
        if (isMiss(value)) return value
        output[property.name] = value
      }
      for (const index of indexes) {
        for (const key of indexKeys(input, index.parameter)) {
          const k = index.key(key)
          if (k === GiveUp) return GiveUp
          if (k === Fail) continue
          const value = index.decode(input[key])
          if (isMiss(value)) return value
          if (!expected.has(key)) output[key] = value
        }
      }
      return output
    }
  }

  const array = (item: AST.AST): Decode => {
    const decode = compile(item)
    return (u) => {
      if (!Array.isArray(u)) return Fail
      const output = new Array(u.length)
      for (let i = 0; i < u.length; i++) {
        const value = decode(u[i])
        if (isMiss(value)) return value
        output[i] = value
      }
      return output
    }
  }

  /**
   * Schema's order of trial: for each discriminating key (in the order first seen), the members
   * whose literal for it matches the input's value; then every member without literals. A member
   * is filed under its first literal whose value no earlier member claimed (or its last one).
   */
  const union = (ast: AST.Union): Decode => {
    // Filed in a plain object and read back with `Reflect.ownKeys`, so that the keys come in the
    // order Schema visits them (integer-like keys first).
    const keys: Record<PropertyKey, Map<string, Array<Decode>>> = Object.create(null)
    const otherwise: Array<Decode> = []
    for (const member of ast.types) {
      const decode = compile(member)
      const tags = literalsOf(member)
      if (tags.length === 0) {
        otherwise.push(decode)
        continue
      }
      for (let j = 0; j < tags.length; j++) {
        const [key, literal] = tags[j]
        const hash = String(literal.literal)
        const buckets = keys[key] ??= new Map()
        const bucket = buckets.get(hash)
        if (bucket === undefined) {
          buckets.set(hash, [decode])
          break
        }
        if (j === tags.length - 1) bucket.push(decode)
      }
    }
    const keyed = Reflect.ownKeys(keys).map((key) => [key, keys[key]] as const)
    return (u) => {
      if (keyed.length > 0 && typeof u === "object" && u !== null) {
        const input = u as Record<PropertyKey, unknown>
        for (const [key, buckets] of keyed) {
          if (!hasOwn(input, key)) continue
          // Schema keys buckets by `String(value)`; a value whose String() throws is left to Schema.
          let hash: string
          try {
            hash = String(input[key])
          } catch {
            return GiveUp
          }
          const bucket = buckets.get(hash)
          if (bucket === undefined) continue
          for (const decode of bucket) {
            const value = decode(u)
            if (value !== Fail) return value
          }
        }
      }
      for (const decode of otherwise) {
        const value = decode(u)
        if (value !== Fail) return value
      }
      return Fail
    }
  }

  return compile
}

const compilers = { loose: compiler(false), exact: compiler(true) }

/** The literal-valued required properties a member is recognised by (what Schema's union keys on). */
const literalsOf = (ast: AST.AST): Array<readonly [PropertyKey, AST.Literal]> => {
  switch (ast._tag) {
    case "Declaration": {
      const surrogate = AST.getSurrogateAnnotation(ast)
      return Option.isSome(surrogate) ? literalsOf(surrogate.value) : []
    }
    case "TypeLiteral": {
      const out: Array<readonly [PropertyKey, AST.Literal]> = []
      for (const ps of ast.propertySignatures) {
        const type = AST.encodedAST(ps.type)
        if (AST.isLiteral(type) && !ps.isOptional) out.push([ps.name, type])
      }
      return out
    }
    case "TupleType": {
      const out: Array<readonly [PropertyKey, AST.Literal]> = []
      ast.elements.forEach((element, i) => {
        const type = AST.encodedAST(element.type)
        if (AST.isLiteral(type) && !element.isOptional) out.push([i, type])
      })
      return out
    }
    case "Refinement":
      return literalsOf(ast.from)
    case "Suspend":
      return literalsOf(ast.f())
    case "Transformation":
      return literalsOf(ast.from)
    default:
      return []
  }
}

/**
 * Whether the schema only checks (keywords, literals, structs, arrays, unions and filters): then
 * encoding what it decoded gives the same value back, and a caller may skip the encode.
 */
export const checksOnly = (ast: AST.AST): boolean => {
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.every((ps) => checksOnly(ps.type))
        && ast.indexSignatures.every((is) => checksOnly(is.parameter) && checksOnly(is.type))
    case "TupleType":
      return ast.elements.every((e) => checksOnly(e.type)) && ast.rest.every((r) => checksOnly(r.type))
    case "Union":
      return ast.types.every(checksOnly)
    case "Refinement":
      return checksOnly(ast.from)
    case "Transformation":
    case "Declaration":
    case "Suspend":
      return false
    default:
      return true
  }
}

/**
 * The fast decoder of `schema`: the decoded value, or `undefined` when Schema itself must be asked
 * (the input is invalid, or this path could not decide). `undefined` is never a decoded value here:
 * callers use it only for schemas of objects. With `exact`, a key the schema does not name is
 * invalid, as with Schema's `onExcessProperty: "error"`.
 */
export const make = <A, I, R>(
  schema: Schema.Schema<A, I, R>,
  options?: { readonly exact?: boolean | undefined }
): (input: unknown) => A | undefined => {
  const decode = (options?.exact ? compilers.exact : compilers.loose)(schema.ast)
  return (input) => {
    const value = decode(input)
    return isMiss(value) ? undefined : value as A
  }
}
