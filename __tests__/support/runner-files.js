// @ts-check
// The files a GitHub runner hands an action, read back the way the runner reads them: used by the
// end-to-end harness and by `npm run demo`, so both see the outputs a workflow would.

/**
 * GITHUB_OUTPUT holds `name<<DELIMITER` / value lines / `DELIMITER` blocks (what @actions/core writes)
 * or plain `name=value` lines. Lines may end in CRLF, as the runner accepts; a block whose delimiter
 * never comes takes the rest of the file, so a half-written file still shows what it holds.
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseOutputFile(text) {
  /** @type {Record<string, string>} */
  const outputs = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=]+?)<<(.+)$/.exec(lines[i])
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1)
      const last = end === -1 ? lines.length : end
      outputs[heredoc[1]] = lines.slice(i + 1, last).join('\n')
      i = last
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      outputs[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return outputs
}
