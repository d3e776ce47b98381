// The names a typed TypeScript caller writes, for each spec given: what scripts/compat.py
// compares between two versions of openapi.yaml.
//
//     node scripts/public-names.mjs    # stdin: lines, each a JSON array of OpenAPI documents
//
// Answers each line with a JSON array of one sorted list of names per document, e.g.
// `components["schemas"]["VM"]`, `paths["/vms"]["get"]`, `operations["listVMs"]`.
// The names come from the pinned openapi-typescript itself (its AST, with the options
// scripts/generate.mjs passes), so a rule of its naming is never guessed here. Members
// whose type is `never` (a method a path does not have, an empty component section) are
// not names a caller can use, so they are left out.

import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(PACKAGE, "package.json"));
const ts = require("typescript");
const { default: openapiTS } = await import(
  pathToFileURL(join(PACKAGE, "node_modules", "openapi-typescript", "dist", "index.mjs")).href
);

function memberName(member) {
  const name = member.name;
  if (name === undefined) return undefined;
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : name.getText?.();
}

function members(node) {
  // An interface, or a type alias / property whose type is a type literal.
  const type = ts.isInterfaceDeclaration(node) ? node : node.type;
  if (type === undefined || !(ts.isInterfaceDeclaration(type) || ts.isTypeLiteralNode(type))) {
    return [];
  }
  return type.members.filter(
    (m) => ts.isPropertySignature(m) && m.type?.kind !== ts.SyntaxKind.NeverKeyword,
  );
}

function names(ast) {
  const found = [];
  for (const node of ast) {
    if (!ts.isInterfaceDeclaration(node) && !ts.isTypeAliasDeclaration(node)) continue;
    const top = node.name.text;
    for (const member of members(node)) {
      const first = `${top}[${JSON.stringify(memberName(member))}]`;
      found.push(first);
      // paths[...][method] and components[section][name]; operations are one level deep.
      if (top === "paths" || top === "components" || top === "webhooks") {
        for (const inner of members(member)) {
          if (top !== "components" && memberName(inner) === "parameters") continue;
          found.push(`${first}[${JSON.stringify(memberName(inner))}]`);
        }
      }
    }
  }
  return [...new Set(found)].sort();
}

// One request per line of stdin (a JSON array of documents), one answer per line of
// stdout (a JSON array of name lists, or {"error": ...}), until stdin closes: a caller
// with many specs to compare pays for starting Node and openapi-typescript once.
// openapi-typescript reads a redocly.yaml from its working directory: use an empty one.
const cwd = mkdtempSync(join(tmpdir(), "public-names-"));
process.chdir(cwd);
try {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer;
    try {
      const out = [];
      for (const spec of JSON.parse(line)) {
        const ast = await openapiTS(spec, { defaultNonNullable: false, silent: true });
        out.push(names(ast));
      }
      answer = out;
    } catch (error) {
      answer = { error: String(error?.stack ?? error) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
} finally {
  process.chdir(PACKAGE);
  rmSync(cwd, { recursive: true, force: true });
}
