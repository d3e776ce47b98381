// The names a typed TypeScript caller writes, for each spec given: what scripts/compat.py
// compares between two versions of openapi.yaml.
//
//     node scripts/public-names.mjs < specs.json    # a JSON array of OpenAPI documents
//
// Prints a JSON array with one sorted list of names per document, e.g.
// `components["schemas"]["VM"]`, `paths["/vms"]["get"]`, `operations["listVMs"]`.
// The names come from the pinned openapi-typescript itself (its AST, with the options
// scripts/generate.mjs passes), so a rule of its naming is never guessed here. Members
// whose type is `never` (a method a path does not have, an empty component section) are
// not names a caller can use, so they are left out.

import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
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

// Read stdin as a stream: readFileSync(0) fails with EAGAIN on a non-blocking pipe.
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const specs = JSON.parse(Buffer.concat(chunks).toString("utf8"));
// openapi-typescript reads a redocly.yaml from its working directory: use an empty one.
const cwd = mkdtempSync(join(tmpdir(), "public-names-"));
process.chdir(cwd);
try {
  const out = [];
  for (const spec of specs) {
    const ast = await openapiTS(spec, { defaultNonNullable: false, silent: true });
    out.push(names(ast));
  }
  process.stdout.write(JSON.stringify(out));
} finally {
  process.chdir(PACKAGE);
  rmSync(cwd, { recursive: true, force: true });
}
