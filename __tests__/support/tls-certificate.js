// @ts-check
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made fresh in `dir` so no key lives in the
 * repository; the TLS emulators serve it, and a run trusts it through NODE_EXTRA_CA_CERTS=certPath.
 * With `names`, it is for those names instead: a trusted certificate for another host.
 * @param {string} dir
 * @param {{ names?: string[] }} [options] subjectAltName entries, e.g. ['DNS:other.example']
 * @returns {{ key: string, cert: string, certPath: string }}
 */
export function makeCertificate(dir, options = {}) {
  const names = options.names ?? ['IP:127.0.0.1', 'DNS:localhost']
  const keyPath = join(dir, 'key.pem')
  const certPath = join(dir, 'cert.pem')
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath]
  try {
    const subject = `/CN=${names[0].replace(/^\w+:/, '')}`
    execFileSync('openssl', [...args, '-days', '1', '-subj', subject, '-addext', `subjectAltName=${names.join(',')}`], { stdio: 'ignore' })
  } catch (error) {
    throw new Error(`openssl could not make a test certificate (${/** @type {Error} */ (error).message}); install it with: apt-get install openssl`)
  }
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath }
}
