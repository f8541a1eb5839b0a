// Generated from action.yml by scripts/action-inputs.js (npm run bundle): edit action.yml, not this file.
export interface ActionInput {
  name: string
  description: string
  required: boolean
  boolean: boolean
}

export const ACTION_INPUTS: readonly ActionInput[] = [
  {
    name: 'aws-account-id',
    description: "12-digit ID of the AWS account that owns the ECR registry. Quote it in YAML ('012345678901') so leading zeros survive.",
    required: true,
    boolean: false
  },
  {
    name: 'aws-region',
    description: 'Region of the ECR registry. Defaults to AWS_REGION, then AWS_DEFAULT_REGION (aws-actions/configure-aws-credentials sets both).',
    required: false,
    boolean: false
  },
  {
    name: 'secret-name',
    description:
      'Name of the Pipecat Cloud image pull secret set (3 to 63 characters, lowercase letters, digits, "-" and "."). Required unless targets is set.',
    required: false,
    boolean: false
  },
  {
    name: 'targets',
    description:
      'Several secret sets, one per line as secret-name: pipecat-region (e.g. ecr-pull-us-west: us-west), at most 20, each name and region once; blank lines and # comments are skipped. The token is stored in each, in parallel; one failing does not stop the others. Replaces secret-name; pipecat-region then only picks the set config-file names.',
    required: false,
    boolean: false
  },
  { name: 'pipecat-api-token', description: 'Pipecat Cloud Private API key, from a repository secret.', required: true, boolean: false },
  {
    name: 'pipecat-region',
    description:
      "Pipecat Cloud region of the secret set, e.g. us-west. Must match the agents that use it. Empty means your organization's default. With targets, allowed only with config-file, to pick the target it names (default the file's region).",
    required: false,
    boolean: false
  },
  { name: 'pipecat-api-url', description: 'Pipecat Cloud API base URL. https is required, except for loopback test servers.', required: false, boolean: false },
  {
    name: 'registry',
    description:
      'Registry host stored in the secret, for FIPS or dual-stack endpoints. Defaults to <account>.dkr.ecr.<region>.amazonaws.com (.amazonaws.com.cn in cn-* regions).',
    required: false,
    boolean: false
  },
  { name: 'wait-for-ready', description: 'Wait until Pipecat Cloud reports the secret set ready.', required: false, boolean: true },
  { name: 'wait-timeout', description: 'Seconds to wait for the secret set to become ready (1 to 3600).', required: false, boolean: false },
  {
    name: 'request-timeout',
    description: 'Seconds one HTTP exchange may take, from the request to the last byte of the answer (1 to 300), before it is retried.',
    required: false,
    boolean: false
  },
  {
    name: 'dry-run',
    description:
      'Validate, get the token, check the image, and check Pipecat Cloud read-only (the key, the region, the name), but store nothing and write no file.',
    required: false,
    boolean: true
  },
  {
    name: 'config-file',
    description:
      'Path of a pcc-deploy.toml to write or update (image, image_credentials and the keys below). A regular file of at most 1 MiB inside the workspace, links resolved. Empty writes nothing.',
    required: false,
    boolean: false
  },
  { name: 'agent-name', description: 'agent_name written to config-file. Required when config-file does not exist yet.', required: false, boolean: false },
  {
    name: 'image',
    description: 'Image to deploy and check, <registry>/<repo>:<tag>, <repo>:<tag> (resolved against the registry), or with @sha256:<digest>.',
    required: false,
    boolean: false
  },
  { name: 'secret-set', description: "secret_set (the agent's regular secret set) written to config-file.", required: false, boolean: false },
  { name: 'min-agents', description: '[scaling] min_agents written to config-file (0 to 1000).', required: false, boolean: false },
  { name: 'max-agents', description: '[scaling] max_agents written to config-file (1 to 1000, at least min-agents).', required: false, boolean: false },
  { name: 'agent-profile', description: 'agent_profile written to config-file, e.g. agent-1x.', required: false, boolean: false },
  {
    name: 'verify-image',
    description:
      'Check with the new token that the image exists, can be pulled and is built for linux/arm64. auto checks when image is set; true requires image; false skips.',
    required: false,
    boolean: false
  },
  {
    name: 'alert-issue',
    description:
      "On failure, open (or comment on) an issue in this repository; close it when a later run succeeds. Dry runs never alert. Needs permissions issues write, and actions read to estimate the stored secret's expiry.",
    required: false,
    boolean: true
  },
  {
    name: 'github-token',
    description:
      'Token used for alert issues, and to read when this workflow last succeeded (the staleness report in the job summary; needs permissions actions read).',
    required: false,
    boolean: false
  },
  {
    name: 'heartbeat-url',
    description:
      "Ping URL of a dead-man's-switch check (Healthchecks.io, Cronitor, Better Stack, Uptime Kuma), from a secret. Pinged (GET) after a successful run, and in its failure form after a failed one, so the service alerts when runs stop. Dry runs never ping; a failed ping is a warning. See docs/heartbeat.md.",
    required: false,
    boolean: false
  },
  {
    name: 'heartbeat-failure-url',
    description:
      'URL pinged after a failed run, for a service whose failure form is not derived from heartbeat-url (Healthchecks.io and Better Stack add /fail, Cronitor state=fail, Uptime Kuma status=down; other hosts get /fail).',
    required: false,
    boolean: false
  },
  {
    name: 'check-agents',
    description:
      'Report the agents whose deployment pulls with this secret set (read-only, also in a dry run), and warn about agents in another region, on another registry, or not ready. auto checks on schedule and workflow_dispatch runs; true; false.',
    required: false,
    boolean: false
  },
  {
    name: 'fail-on-unhealthy-agents',
    description:
      'Fail the run (after the secret is stored) when an agent using this set is in another region, pulls from another registry, or is not ready. Turns check-agents auto on for every run.',
    required: false,
    boolean: true
  }
]
