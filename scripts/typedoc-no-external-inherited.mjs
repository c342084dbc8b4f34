/**
 * A TypeDoc plugin: members a class inherits from a class of another package are left out of its
 * page. Every error and wire model extends an Effect `Schema` class, whose several hundred static
 * members (`pipe` overloads, `annotations`, `extend`, ...) would otherwise be copied into each page;
 * they are documented by Effect. Members inherited from this project's own classes stay.
 */
import { Converter, ReflectionKind } from "typedoc"

/** @param {import("typedoc").Application} app */
export const load = (app) => {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project
    for (const owner of project.getReflectionsByKind(ReflectionKind.Class | ReflectionKind.Interface)) {
      for (const child of [...(owner.children ?? [])]) {
        const from = child.inheritedFrom
        if (from !== undefined && from.reflection === undefined) project.removeReflection(child)
      }
    }
  })
}
