/**
 * The failures of AWS credentials themselves, which every AWS client meets the same way: none found, a web
 * identity STS refused, a session that expired, keys AWS does not recognise. Each is one line with the fix
 * for where the run runs (the host's awsCredentialsFix); any other error is left to the client's own
 * explanation.
 */
import { ActionError } from '../common/errors.js'
import { untrusted } from '../common/untrusted.js'
import { host } from '../hosts/host.js'

export function credentialsError(error: unknown): ActionError | undefined {
  const name = (error as Error)?.name ?? ''
  const message = untrusted((error as Error)?.message ?? error)
  const fix = host().awsCredentialsFix
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new ActionError(`No AWS credentials found: ${fix.missing}.`)
  }
  // The web identity step (GitLab OIDC, EKS IRSA): STS refused the token file for the role.
  if (['InvalidIdentityToken', 'IDPRejectedClaim', 'IDPCommunicationError'].includes(name) || /AssumeRoleWithWebIdentity/.test(message)) {
    return new ActionError(
      `AWS STS refused to assume AWS_ROLE_ARN with the token in AWS_WEB_IDENTITY_TOKEN_FILE (${untrusted(name, 60)}: ${message}): check that the role's trust policy names this OIDC provider and audience (docs/outside-github.md).`
    )
  }
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken') return new ActionError(`The AWS session has expired: ${fix.expired}.`)
  if (['UnrecognizedClientException', 'InvalidSignatureException', 'InvalidClientTokenId'].includes(name)) {
    return new ActionError(`AWS rejected the credentials (${name}): ${fix.rejected}.`)
  }
  return undefined
}
