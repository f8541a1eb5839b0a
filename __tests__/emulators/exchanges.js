// @ts-check
// Every request an emulator in this process took and the answer it gave, so the tests can hold both to the
// published contract of the service it stands in for (__tests__/contracts/). Recording is a push per request;
// nothing is checked here, so `npm run demo` carries no validator.

/**
 * @typedef {object} Exchange
 * @property {string} method
 * @property {string} path      as requested, query string included
 * @property {string | undefined} contentType
 * @property {string} rawBody   the request body as sent ('' when none)
 * @property {number} [status]  absent when no answer went out (a dropped connection)
 * @property {unknown} [body]   the answer's JSON
 * @property {string} [offContract]  why this answer is off the contract on purpose (a fault a test queued); its request is still checked
 */

/**
 * @typedef {object} EmulatedService
 * @property {'pipecat' | 'github'} contract
 * @property {Exchange[]} exchanges
 * @property {number} checked  how many exchanges a contract check has already seen
 */

/** @type {EmulatedService[]} */
export const services = []

/** @type {WeakMap<object, Exchange>} */
const byResponse = new WeakMap()

/**
 * @param {EmulatedService['contract']} contract
 * @returns {EmulatedService}
 */
export function recordService(contract) {
  const service = { contract, exchanges: [], checked: 0 }
  services.push(service)
  return service
}

/**
 * @param {EmulatedService} service
 * @param {object} res  the response the answer will go out on
 * @param {{method: string, path: string, contentType: string | undefined, rawBody: string}} request
 */
export function recordRequest(service, res, request) {
  /** @type {Exchange} */
  const exchange = { ...request }
  service.exchanges.push(exchange)
  byResponse.set(res, exchange)
}

/**
 * @param {object} res
 * @param {number} status
 * @param {unknown} body
 */
export function recordAnswer(res, status, body) {
  const exchange = byResponse.get(res)
  if (exchange && exchange.status === undefined) Object.assign(exchange, { status, body })
}

/**
 * Marks the answer on `res` as off the contract on purpose, so no contract check holds it against the emulator.
 * @param {object} res
 * @param {string} why
 */
export function offContract(res, why) {
  const exchange = byResponse.get(res)
  if (exchange) exchange.offContract = why
}
