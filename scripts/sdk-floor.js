// A floor for npm run bench: the AWS SDK alone, bundled as the action is (scripts/ncc-build.js), making the
// one call a refresh makes to ECR, with its own HTTP handler and default credential chain. Nothing else:
// no inputs checked, no secret masked, no Pipecat Cloud. What a run costs that keeps @aws-sdk/client-ecr.
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr'

const client = new ECRClient({ region: process.env['INPUT_AWS-REGION'] })
const answer = await client.send(new GetAuthorizationTokenCommand({}))
client.destroy()
if (!answer.authorizationData?.[0]?.authorizationToken) {
  console.error('sdk-floor: ECR answered without a token')
  process.exitCode = 1
}
