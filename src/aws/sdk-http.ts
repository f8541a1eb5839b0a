import type { ECRClientConfig } from '@aws-sdk/client-ecr'
import { ActionError } from '../common/errors.js'
import { untrusted } from '../common/untrusted.js'
import { AnswerTooLargeError, certificateProblem, proxyRefusal, RunTimeLimitError, runTimeLimitMessage, type HttpClient } from '../http/http.js'

/** The SDK's own request handler interface, as a client's config declares it (the same for every client). */
type SdkRequestHandler = Extract<NonNullable<ECRClientConfig['requestHandler']>, { httpHandlerConfigs: (...args: never[]) => unknown }>
type SdkRequest = Parameters<SdkRequestHandler['handle']>[0]
type SdkHandlerOptions = Parameters<SdkRequestHandler['handle']>[1]

/** The AWS service behind a client, in the words its messages use. */
export interface SdkService {
  name: string
  /** The variables that point the client elsewhere, e.g. 'AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECR'. */
  endpoints: string
  /** Where the region comes from, e.g. 'aws-region'. */
  region: string
  /** What the largest real answer is, e.g. 'a token answer'. */
  answer: string
  /** The run's time limit, for its message; 0 when the client has none. */
  runLimitSeconds?: number
}

/**
 * Sends an AWS SDK client's requests through the project's HTTP client, so AWS gets the same proxy settings,
 * timeouts and answer limits as every other call. One try per call: the SDK's own retry strategy decides about retries.
 */
export function sdkRequestHandler(http: HttpClient, service: SdkService): SdkRequestHandler {
  const { name } = service
  return {
    async handle(request: SdkRequest, options?: SdkHandlerOptions) {
      const query = new URLSearchParams()
      for (const [key, value] of Object.entries(request.query ?? {})) {
        for (const item of Array.isArray(value) ? value : [value]) query.append(key, item ?? '')
      }
      const search = query.size ? `?${query.toString()}` : ''
      const url = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}${search}`
      const { host: _host, ...headers } = request.headers
      try {
        const answer = await http.sendOnce(
          { method: request.method as 'POST', url, headers, body: request.body as string | Uint8Array | undefined },
          options?.abortSignal as AbortSignal | undefined
        )
        return { response: { statusCode: answer.status, headers: answer.headers, body: new Uint8Array(answer.body) } }
      } catch (error) {
        const refused = proxyRefusal(error, request.hostname)
        if (refused) throw new ActionError(`Could not reach ${name} at ${request.hostname}: ${refused}.`)
        const certificate = certificateProblem(error, name, request.hostname, `${service.region} and ${service.endpoints}`)
        if (certificate) throw new ActionError(certificate)
        if (error instanceof RunTimeLimitError) throw new ActionError(runTimeLimitMessage(name, request.hostname, service.runLimitSeconds ?? 0))
        if (error instanceof AnswerTooLargeError) {
          throw new ActionError(
            `${name} at ${request.hostname} sent an answer larger than ${service.answer} ever is: something other than ${name} may be answering; check ${service.endpoints} and the runner's proxy settings.`
          )
        }
        // Names the SDK's retry strategy recognises as transient, so resets and timeouts are retried.
        const code = (error as { code?: string }).code ?? ''
        const transient = new Error(http.describeFailure(error), { cause: error })
        const timedOut = /TIMEOUT|TIMEDOUT/.test(code)
        transient.name = timedOut ? 'TimeoutError' : 'NetworkError'
        Object.assign(transient, { code: timedOut ? 'ETIMEDOUT' : 'ECONNRESET' })
        throw transient
      }
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {}
  }
}

/**
 * An answer the SDK could not read, as one line, or undefined for any other error. The SDK marks such an answer
 * ($response) apart from an error the service itself sent ($fault): HTML from a proxy, or JSON from something
 * that is not the service. Its own hint (a hidden field) is no use to a user.
 */
export function unreadableAnswer(error: unknown, service: SdkService, region: string): ActionError | undefined {
  if (typeof error !== 'object' || error === null || !('$response' in error) || '$fault' in error) return undefined
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  const what = untrusted((error as unknown as Error).message?.split('\n')[0] ?? '', 120)
  return new ActionError(
    `${service.name} in ${region} gave an answer that is not ${service.name}'s (HTTP ${status ?? 'status unknown'}: ${what}): a proxy, or ${service.endpoints}, may be sending the request somewhere else; check them, then rerun.`
  )
}
