import { describe, expect, it } from '@jest/globals'
import { ActionError } from '../../src/common/errors.js'
import { type ImageRef, parseImageReference } from '../../src/common/image.js'

const host = '123456789012.dkr.ecr.us-east-1.amazonaws.com'
const digest = 'sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b'

describe('parseImageReference', () => {
  it.each<[string, string, string, ImageRef]>([
    [
      'a full reference with a tag',
      `${host}/my-agent:1.2.0`,
      host,
      { registry: host, repository: 'my-agent', tag: '1.2.0', reference: '1.2.0', full: `${host}/my-agent:1.2.0` }
    ],
    [
      'a nested repository',
      `${host}/voice/support-bot:2024.11.3`,
      host,
      { registry: host, repository: 'voice/support-bot', tag: '2024.11.3', reference: '2024.11.3', full: `${host}/voice/support-bot:2024.11.3` }
    ],
    [
      'a short reference, resolved against the pull secret registry',
      'voice/support-bot:latest',
      host,
      { registry: host, repository: 'voice/support-bot', tag: 'latest', reference: 'latest', full: `${host}/voice/support-bot:latest` }
    ],
    ['a digest', `${host}/my-agent@${digest}`, host, { registry: host, repository: 'my-agent', digest, reference: digest, full: `${host}/my-agent@${digest}` }],
    [
      'a tag and a digest: the digest is what gets pulled',
      `my-agent:1.2.0@${digest}`,
      host,
      { registry: host, repository: 'my-agent', tag: '1.2.0', digest, reference: digest, full: `${host}/my-agent:1.2.0@${digest}` }
    ],
    [
      'a registry written in capitals',
      '123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM/my-agent:1',
      host,
      { registry: host, repository: 'my-agent', tag: '1', reference: '1', full: `${host}/my-agent:1` }
    ],
    [
      'separators the OCI grammar allows, with surrounding spaces',
      `  ${host}/team/my_agent.v2--beta__x:v1_RC-2  `,
      host,
      {
        registry: host,
        repository: 'team/my_agent.v2--beta__x',
        tag: 'v1_RC-2',
        reference: 'v1_RC-2',
        full: `${host}/team/my_agent.v2--beta__x:v1_RC-2`
      }
    ],
    [
      'a loopback test registry with a port',
      '127.0.0.1:5000/my-agent:dev',
      '127.0.0.1:5000',
      { registry: '127.0.0.1:5000', repository: 'my-agent', tag: 'dev', reference: 'dev', full: '127.0.0.1:5000/my-agent:dev' }
    ],
    [
      'a short reference against a loopback registry',
      'my-agent:dev',
      '127.0.0.1:5000',
      { registry: '127.0.0.1:5000', repository: 'my-agent', tag: 'dev', reference: 'dev', full: '127.0.0.1:5000/my-agent:dev' }
    ],
    [
      'localhost as a registry',
      'localhost/my-agent:dev',
      'localhost',
      { registry: 'localhost', repository: 'my-agent', tag: 'dev', reference: 'dev', full: 'localhost/my-agent:dev' }
    ]
  ])('reads %s', (_case, value, registryHost, expected) => {
    expect(parseImageReference(value, registryHost)).toStrictEqual(expected)
  })

  it.each<[string, string, string, string]>([
    ['an empty value', '', host, `Input image: the image reference is empty; give one such as ${host}/my-agent:1.0.`],
    ['only spaces', '   ', host, `Input image: the image reference is empty; give one such as ${host}/my-agent:1.0.`],
    [
      'a missing tag',
      `${host}/my-agent`,
      host,
      `Input image: "${host}/my-agent" has no tag or digest; add :<tag> or @sha256:<digest>, e.g. ${host}/my-agent:1.0.`
    ],
    [
      'a short reference without a tag',
      'my-agent',
      host,
      `Input image: "my-agent" has no tag or digest; add :<tag> or @sha256:<digest>, e.g. ${host}/my-agent:1.0.`
    ],
    [
      'a port but no tag',
      '127.0.0.1:5000/my-agent',
      '127.0.0.1:5000',
      'Input image: "127.0.0.1:5000/my-agent" has no tag or digest; add :<tag> or @sha256:<digest>, e.g. 127.0.0.1:5000/my-agent:1.0.'
    ],
    [
      'another registry',
      'ghcr.io/acme/my-agent:1.0',
      host,
      `Input image: "ghcr.io/acme/my-agent:1.0" is in registry ghcr.io, but the pull secret is for ${host}, so Pipecat Cloud could not pull it with this secret; use an image in ${host}, or a pull secret for ghcr.io.`
    ],
    [
      'another AWS account',
      '210987654321.dkr.ecr.us-east-1.amazonaws.com/my-agent:1.0',
      host,
      `Input image: "210987654321.dkr.ecr.us-east-1.amazonaws.com/my-agent:1.0" is in registry 210987654321.dkr.ecr.us-east-1.amazonaws.com, but the pull secret is for ${host}, so Pipecat Cloud could not pull it with this secret; use an image in ${host}, or a pull secret for 210987654321.dkr.ecr.us-east-1.amazonaws.com.`
    ],
    [
      'a lookalike host',
      `${host}.evil.com/my-agent:1.0`,
      host,
      `Input image: "${host}.evil.com/my-agent:1.0" is in registry ${host}.evil.com, but the pull secret is for ${host}, so Pipecat Cloud could not pull it with this secret; use an image in ${host}, or a pull secret for ${host}.evil.com.`
    ],
    [
      'the real host hidden in the path',
      `evil.com/${host}/my-agent:1.0`,
      host,
      `Input image: "evil.com/${host}/my-agent:1.0" is in registry evil.com, but the pull secret is for ${host}, so Pipecat Cloud could not pull it with this secret; use an image in ${host}, or a pull secret for evil.com.`
    ],
    [
      'a loopback registry on another port',
      '127.0.0.1:5001/my-agent:dev',
      '127.0.0.1:5000',
      'Input image: "127.0.0.1:5001/my-agent:dev" is in registry 127.0.0.1:5001, but the pull secret is for 127.0.0.1:5000, so Pipecat Cloud could not pull it with this secret; use an image in 127.0.0.1:5000, or a pull secret for 127.0.0.1:5001.'
    ],
    [
      'a URL scheme',
      `https://${host}/my-agent:1.0`,
      host,
      `Input image: "https://${host}/my-agent:1.0" starts with a URL scheme; drop it: ${host}/my-agent:1.0.`
    ],
    [
      'an uppercase repository',
      `${host}/Voice/Support-Bot:1.0`,
      host,
      `Input image: "Voice/Support-Bot" in "${host}/Voice/Support-Bot:1.0" is not a valid repository name (lowercase letters, digits and . _ - separated by /); repository names must be lowercase: "voice/support-bot".`
    ],
    [
      'a repository starting with a separator',
      `${host}/-agent:1.0`,
      host,
      `Input image: "-agent" in "${host}/-agent:1.0" is not a valid repository name (lowercase letters, digits and . _ - separated by /).`
    ],
    [
      'an empty repository',
      `${host}/:1.0`,
      host,
      `Input image: "" in "${host}/:1.0" is not a valid repository name (lowercase letters, digits and . _ - separated by /).`
    ],
    [
      'a tag starting with a dash',
      `${host}/my-agent:-rc1`,
      host,
      `Input image: the tag "-rc1" in "${host}/my-agent:-rc1" is not valid; a tag is 1 to 128 letters, digits, _ . or -, and does not start with . or -.`
    ],
    [
      'a tag of 129 characters',
      `my-agent:${'v'.repeat(129)}`,
      host,
      `Input image: the tag "${'v'.repeat(129)}" in "my-agent:${'v'.repeat(129)}" is not valid; a tag is 1 to 128 letters, digits, _ . or -, and does not start with . or -.`
    ],
    [
      'a short digest',
      `${host}/my-agent@sha256:6c3c624b`,
      host,
      `Input image: the digest "sha256:6c3c624b" in "${host}/my-agent@sha256:6c3c624b" is not valid; write @sha256: followed by 64 lowercase hex characters.`
    ],
    [
      'an uppercase digest',
      `${host}/my-agent@${digest.toUpperCase()}`,
      host,
      `Input image: the digest "${digest.toUpperCase()}" in "${host}/my-agent@${digest.toUpperCase()}" is not valid; write @sha256: followed by 64 lowercase hex characters.`
    ],
    [
      'two digests',
      `${host}/my-agent@${digest}@${digest}`,
      host,
      `Input image: the digest "${digest}@${digest}" in "${host}/my-agent@${digest}@${digest}" is not valid; write @sha256: followed by 64 lowercase hex characters.`
    ]
  ])('rejects %s', (_case, value, registryHost, message) => {
    const parsing = () => parseImageReference(value, registryHost)
    expect(parsing).toThrow(ActionError)
    expect(parsing).toThrow(new ActionError(message))
  })
})

test.each([
  'https://AWS:hunter2secret@123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:1',
  'AWS:hunter2secret@123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:1'
])('refuses credentials in the reference without repeating them: %s', value => {
  expect(() => parseImageReference(value, '123456789012.dkr.ecr.us-east-1.amazonaws.com')).toThrow(
    'Input image: the reference carries a user name or password; remove them: the pull secret holds the credentials.'
  )
})

test('a short digest reference is not mistaken for credentials', () => {
  const digest = `sha256:${'a'.repeat(64)}`
  expect(parseImageReference(`agent@${digest}`, '123456789012.dkr.ecr.us-east-1.amazonaws.com').digest).toBe(digest)
})
