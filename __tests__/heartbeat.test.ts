import { failureUrlFor } from '../src/heartbeat.js'

// Each service's own failure form (docs/heartbeat.md), so the service alerts at once on a failed run.
test.each([
  ['Healthchecks.io', 'https://hc-ping.com/5f3c9d2e-8a41-4b7e-b0c6-1d2e3f4a5b6c', 'https://hc-ping.com/5f3c9d2e-8a41-4b7e-b0c6-1d2e3f4a5b6c/fail'],
  ['Healthchecks.io, slug URL', 'https://hc-ping.com/ping-key-123/ecr-refresh', 'https://hc-ping.com/ping-key-123/ecr-refresh/fail'],
  ['Healthchecks, self-hosted', 'https://checks.acme.test/ping/5f3c9d2e/', 'https://checks.acme.test/ping/5f3c9d2e/fail'],
  ['Cronitor telemetry', 'https://cronitor.link/p/apikey123/ecr-refresh', 'https://cronitor.link/p/apikey123/ecr-refresh?state=fail'],
  [
    'Cronitor telemetry with a state',
    'https://cronitor.link/p/apikey123/ecr-refresh?state=complete',
    'https://cronitor.link/p/apikey123/ecr-refresh?state=fail'
  ],
  ['Cronitor, older ping URL', 'https://cronitor.link/d3x0c1/complete', 'https://cronitor.link/d3x0c1/fail'],
  ['Better Stack', 'https://uptime.betterstack.com/api/v1/heartbeat/AbCdEf123', 'https://uptime.betterstack.com/api/v1/heartbeat/AbCdEf123/fail'],
  [
    'Uptime Kuma push',
    'https://status.acme.test/api/push/TU6UYXKALJ?status=up&msg=OK&ping=',
    'https://status.acme.test/api/push/TU6UYXKALJ?status=down&msg=Pipecat+Cloud+pull+secret+refresh+failed&ping='
  ],
  [
    'Uptime Kuma push, bare',
    'https://status.acme.test/api/push/TU6UYXKALJ',
    'https://status.acme.test/api/push/TU6UYXKALJ?status=down&msg=Pipecat+Cloud+pull+secret+refresh+failed'
  ],
  ['any other service', 'https://beats.acme.test/hook/abc', 'https://beats.acme.test/hook/abc/fail']
])('%s', (_service, success, failure) => {
  expect(failureUrlFor(success)).toBe(failure)
})
