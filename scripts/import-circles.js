#!/usr/bin/env node
// Imports in src/ point one way: a circle means two modules cannot be read, tested or moved apart. And each
// folder of src/ imports only the folders its README.md names (SRC_FOLDERS below).
// Every import counts, `import type` and `import()` included, since each is a dependency of the design.
// Usage: node scripts/import-circles.js [dir]   (default src; npm test runs it)
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'

/** The module files under dir and, for each, the files under dir it imports (relative specifiers only). */
export function importGraph(dir) {
  // Absolute, so the files listed and the imports resolved name each module the same way.
  dir = path.resolve(dir)
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile() && /\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map(entry => path.join(entry.parentPath, entry.name))
    .sort()
  const known = new Set(files)
  const graph = new Map()
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    const targets = importedFiles
      .map(({ fileName }) => fileName)
      .filter(specifier => specifier.startsWith('.'))
      .map(specifier => resolveModule(path.resolve(path.dirname(file), specifier), known))
      .filter(target => target !== undefined)
    graph.set(file, [...new Set(targets)])
  }
  return graph
}

/** `./x.js` names x.ts in a NodeNext project. */
function resolveModule(target, known) {
  const candidates = [target, target.replace(/\.js$/, '.ts'), `${target}.ts`, path.join(target, 'index.ts')]
  return candidates.find(candidate => known.has(candidate))
}

/**
 * Every circle, each as the files along it with the first repeated at the end (a -> b -> a), paths
 * relative to dir. One circle per strongly connected group of modules (Tarjan's algorithm), which is
 * enough to name what to untangle.
 */
export function findCircles(dir) {
  const graph = importGraph(dir)
  const index = new Map()
  const low = new Map()
  const stack = []
  const onStack = new Set()
  const groups = []
  let next = 0
  const visit = file => {
    index.set(file, next)
    low.set(file, next++)
    stack.push(file)
    onStack.add(file)
    for (const target of graph.get(file)) {
      if (!index.has(target)) {
        visit(target)
        low.set(file, Math.min(low.get(file), low.get(target)))
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file), index.get(target)))
      }
    }
    if (low.get(file) === index.get(file)) {
      const group = []
      let member
      do {
        member = stack.pop()
        onStack.delete(member)
        group.push(member)
      } while (member !== file)
      if (group.length > 1 || graph.get(file).includes(file)) groups.push(new Set(group))
    }
  }
  for (const file of graph.keys()) if (!index.has(file)) visit(file)
  return groups.map(group => circleWithin(graph, group).map(file => path.relative(dir, file)))
}

/** The shortest way from a group's first file back to itself, through the group only. */
function circleWithin(graph, group) {
  const start = [...group].sort()[0]
  const cameFrom = new Map([[start, undefined]])
  const queue = [start]
  while (queue.length > 0) {
    const file = queue.shift()
    for (const target of graph.get(file).filter(t => group.has(t))) {
      if (target === start) {
        const way = [file]
        while (cameFrom.get(way[0]) !== undefined) way.unshift(cameFrom.get(way[0]))
        return [...way, start]
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, file)
        queue.push(target)
      }
    }
  }
  return [start, start]
}

/**
 * What each folder of src/ may import, as its README.md says: a folder name, or `folder:type` for the types
 * of a folder only (the outside systems fill in the run's report, whose types live in run/). The entries at
 * the top of src/ and run/ (the story) may import every folder.
 */
export const SRC_FOLDERS = {
  'start-up': [],
  hosts: ['start-up', 'run:type'],
  common: ['hosts'],
  http: ['common', 'start-up'],
  aws: ['common', 'hosts', 'http'],
  registry: ['common', 'http'],
  'deploy-config': ['common'],
  pipecat: ['common', 'http', 'run:type'],
  github: ['common', 'http', 'run:type'],
  monitoring: ['common', 'github', 'http', 'run:type'],
  run: '*'
}

/** Each import in dir that its folder may not make under rules, as one line naming both files and the rule. */
export function folderProblems(dir, rules) {
  dir = path.resolve(dir)
  const problems = []
  const folderOf = file => {
    const parts = path.relative(dir, file).split(path.sep)
    return parts.length > 1 ? parts[0] : undefined
  }
  for (const [file, imports] of importsWithKinds(dir)) {
    const from = folderOf(file)
    if (from === undefined) continue
    const allowed = rules[from]
    if (allowed === undefined) {
      problems.push(`${path.relative(dir, file)}: folder ${from}/ has no rule in scripts/import-circles.js (SRC_FOLDERS): add one, and a README.md saying it`)
      continue
    }
    if (allowed === '*') continue
    for (const { target, typeOnly } of imports) {
      const to = folderOf(target)
      if (to === undefined || to === from || allowed.includes(to) || (typeOnly && allowed.includes(`${to}:type`))) continue
      problems.push(
        `${path.relative(dir, file)} imports ${typeOnly ? 'types from ' : ''}${path.relative(dir, target)}, but ${from}/ may import only ${allowed.join(', ') || 'packages'} (${from}/README.md)`
      )
    }
  }
  return problems
}

/** For each module under dir, its imports of modules under dir, each marked when it imports types only. */
function importsWithKinds(dir) {
  const graph = importGraph(dir)
  const result = new Map()
  for (const file of graph.keys()) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false)
    const typeOnly = new Map()
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue
      if (!statement.moduleSpecifier || !ts.isStringLiteral(statement.moduleSpecifier)) continue
      const target = resolveModule(path.resolve(path.dirname(file), statement.moduleSpecifier.text), new Set(graph.keys()))
      if (target === undefined) continue
      const onlyTypes = ts.isImportDeclaration(statement) ? importsTypesOnly(statement.importClause) : statement.isTypeOnly
      // A module imported for its values anywhere in the file is a value import.
      typeOnly.set(target, (typeOnly.get(target) ?? true) && onlyTypes)
    }
    result.set(
      file,
      graph.get(file).map(target => ({ target, typeOnly: typeOnly.get(target) ?? false }))
    )
  }
  return result
}

function importsTypesOnly(clause) {
  if (!clause) return false
  if (clause.isTypeOnly) return true
  if (clause.name) return false
  const bindings = clause.namedBindings
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every(element => element.isTypeOnly)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = path.resolve(process.argv[2] ?? 'src')
  const where = `${path.relative(process.cwd(), dir) || '.'}/`
  const circles = findCircles(dir)
  for (const circle of circles) console.error(`import circle in ${where}: ${circle.join(' -> ')}`)
  if (circles.length > 0) {
    console.error('Move what both sides need into a module that imports neither, so imports point one way.')
    process.exit(1)
  }
  // The folders' rules are src/'s; another folder given here is checked for circles only.
  const problems = process.argv[2] === undefined ? folderProblems(dir, SRC_FOLDERS) : []
  for (const problem of problems) console.error(`import across folders: ${problem}`)
  if (problems.length > 0) {
    console.error("Move the module, or change the folder's rule and its README.md together.")
    process.exit(1)
  }
  console.log(`no import circles in ${where}${process.argv[2] === undefined ? ', and each folder imports only what its README.md allows' : ''}`)
}
