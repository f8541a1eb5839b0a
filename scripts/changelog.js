#!/usr/bin/env node
// Reads one release's entry from CHANGELOG.md (Keep a Changelog: `## [X.Y.Z] - YYYY-MM-DD`). The release
// workflow prints it as the release notes, with no npm install, so this file uses only Node's built-ins.
// Usage: node scripts/changelog.js X.Y.Z > notes.md
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const HEADING = /^## \[([^\]]+)\](.*)$/
const LINK_DEFINITION = /^\[[^\]]+\]:\s/

function isRealDate(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!match) return false
  const date = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text)
}

/**
 * The entry for version: its date and its text (without the heading or the link definitions at the end),
 * or the problem with it, written for the user.
 * @returns {{ date: string, notes: string } | { problem: string }}
 */
export function changelogEntry(text, version) {
  const lines = text.split(/\r?\n/)
  const start = lines.findIndex(line => HEADING.exec(line)?.[1] === version)
  const expected = `'## [${version}] - YYYY-MM-DD'`
  if (start === -1) return { problem: `CHANGELOG.md has no entry for ${version}: add ${expected} with what changed, above the previous release` }
  const date = /^ - (\S+)\s*$/.exec(HEADING.exec(lines[start])[2])?.[1]
  if (!date || !isRealDate(date)) {
    return { problem: `CHANGELOG.md's heading for ${version} has no valid release date: write it as ${expected}` }
  }
  let end = lines.findIndex((line, index) => index > start && (line.startsWith('## ') || LINK_DEFINITION.test(line)))
  if (end === -1) end = lines.length
  const notes = lines
    .slice(start + 1, end)
    .join('\n')
    .trim()
  if (!/^\s*[-*] \S/m.test(notes)) {
    return { problem: `CHANGELOG.md's entry for ${version} lists no changes: add them under it as '- ...' lines` }
  }
  return { date, notes }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const version = process.argv[2] ?? ''
  const entry = changelogEntry(readFileSync('CHANGELOG.md', 'utf8'), version)
  if ('problem' in entry) {
    console.error(entry.problem)
    process.exitCode = 1
  } else console.log(entry.notes)
}
