// A local stand-in for the few GitHub REST endpoints that src/github/alert.ts and src/github/run-history.ts call, so the
// tests exercise the real clients over real HTTP instead of mocks.
// It answers the way api.github.com does for these calls (status codes, error bodies,
// pagination links, every field GitHub's OpenAPI description requires) and keeps its state in plain
// arrays the tests can read; the answers are built from that state as they go out.
import { Buffer } from 'node:buffer'
import http from 'node:http'
import { offContract, recordAnswer, recordRequest, recordService } from './exchanges.js'
import { closeServer, listen, parseJson, readBody } from './http-server.js'

const DOCS = 'https://docs.github.com/rest'

const FORBIDDEN = 'Resource not accessible by integration'

/**
 * @param {{ token?: string, login?: string, others?: Record<string, string>, actionsRead?: boolean }} [options]
 *   token: the token every request must carry (none means any); login: who that token is, by default
 *   `github-actions[bot]`, the author of everything the workflow's GITHUB_TOKEN writes, for which
 *   `GET /user` answers 403 as it does on GitHub; others: more tokens and their users, to write as
 *   someone else; actionsRead: false answers the Actions API with the 403 a job without `actions: read` gets.
 */
export async function startGitHubEmulator({ token, login = 'github-actions[bot]', others = {}, actionsRead = true } = {}) {
  /** @type {any[]} */ const issues = []
  /** @type {any[]} */ const workflowRuns = []
  /** @type {any[]} */ const comments = []
  /** @type {any[]} */ const labels = []
  /** @type {any[]} */ const requests = []
  /** @type {any[]} */ const faults = []
  // A clock that moves one second per write, so "most recently updated" is never a tie.
  let clock = Date.parse('2026-01-01T00:00:00Z')
  const now = () => new Date((clock += 1000)).toISOString()
  let url = ''
  const contract = recordService('github')

  const server = http.createServer((req, res) => {
    readBody(req)
      .then(raw => {
        const where = new URL(req.url ?? '/', url)
        const method = req.method ?? 'GET'
        const body = raw ? (parseJson(raw) ?? raw) : undefined
        requests.push({ method, path: where.pathname, query: Object.fromEntries(where.searchParams), body })
        recordRequest(contract, res, { method, path: req.url ?? '/', contentType: req.headers['content-type'], rawBody: raw })

        const author = whoCarries(req.headers.authorization)
        if (token && !author) {
          return send(res, 401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' })
        }
        const fault = takeFault(method)
        if (fault?.drop) return req.socket.destroy()
        // A queued fault answers what the test asked for, which no contract check holds against the emulator.
        if (fault) offContract(res, 'a fault the test queued')
        if (fault) return send(res, fault.status, { message: fault.message, documentation_url: DOCS, status: String(fault.status) })

        route(method, where, body, res, author ?? login)
      })
      .catch(() => res.destroy())
  })

  /** The user a request's token belongs to; undefined for an unknown token. */
  function whoCarries(header) {
    if (!token) return undefined
    if (carriesToken(header, token)) return login
    const other = Object.keys(others).find(t => carriesToken(header, t))
    return other === undefined ? undefined : others[other]
  }

  /** Answers one request; every branch mirrors the shape api.github.com returns. */
  function route(method, where, body, res, author) {
    if (where.pathname === '/user' && method === 'GET') {
      // An installation token (GITHUB_TOKEN included) is not a user: GitHub answers 403.
      if (author.endsWith('[bot]')) return forbidden(res)
      return send(res, 200, publicUser(author))
    }
    const repoPath = where.pathname.match(/^\/repos\/([^/]+)\/([^/]+)(\/.*)$/)
    if (!repoPath) return notFound(res)
    const [, owner, repo, rest] = repoPath
    const repository = `${owner}/${repo}`

    if (rest.startsWith('/actions/')) return actions(repository, rest, where, res)
    if (rest === '/issues' && method === 'GET') return listIssues(repository, where, res)
    if (rest === '/issues' && method === 'POST') return createIssue(repository, body, res, author)
    if (rest === '/labels' && method === 'POST') return createLabel(repository, body, res)

    const issuePath = rest.match(/^\/issues\/(\d+)(\/comments)?$/)
    if (!issuePath) return notFound(res)
    const issue = issues.find(i => i.repository === repository && i.number === Number(issuePath[1]))
    if (!issue) return notFound(res)
    if (issuePath[2] && method === 'GET')
      return paginate(where, comments.filter(c => c.issue_number === issue.number && c.repository === repository).map(present.comment), res)
    if (issuePath[2] && method === 'POST') return createComment(issue, body, res, author)
    if (!issuePath[2] && method === 'PATCH') return updateIssue(issue, body, res)
    return notFound(res)
  }

  function listIssues(repository, where, res) {
    const state = where.searchParams.get('state') ?? 'open'
    const wanted = (where.searchParams.get('labels') ?? '')
      .split(',')
      .map(l => l.trim())
      .filter(Boolean)
    const sortKey = where.searchParams.get('sort') === 'updated' ? 'updated_at' : 'created_at'
    const ascending = where.searchParams.get('direction') === 'asc'
    const found = issues
      .filter(i => i.repository === repository)
      .filter(i => state === 'all' || i.state === state)
      .filter(i => wanted.every(name => i.labels.some(l => l.name === name)))
      .sort((a, b) => (ascending ? 1 : -1) * a[sortKey].localeCompare(b[sortKey]))
    return paginate(where, found.map(present.issue), res)
  }

  /** `GET /actions/runs/{id}` and `GET /actions/workflows/{id}/runs?status=success`, newest first. */
  function actions(repository, rest, where, res) {
    if (!actionsRead) return forbidden(res)
    const run = rest.match(/^\/actions\/runs\/(\d+)$/)
    if (run) {
      const found = workflowRuns.find(r => r.repository === repository && r.id === Number(run[1]))
      return found ? send(res, 200, present.run(found)) : notFound(res)
    }
    const list = rest.match(/^\/actions\/workflows\/([^/]+)\/runs$/)
    if (!list) return notFound(res)
    const status = where.searchParams.get('status')
    const found = workflowRuns
      .filter(r => r.repository === repository && String(r.workflow_id) === list[1])
      .filter(r => !status || r.status === status || r.conclusion === status)
      .sort((a, b) => b.created_at.localeCompare(a.created_at))
    const perPage = Math.min(Number(where.searchParams.get('per_page') ?? 30), 100)
    return send(res, 200, { total_count: found.length, workflow_runs: found.slice(0, perPage).map(present.run) })
  }

  function createIssue(repository, body, res, author) {
    if (!body?.title) return validationFailed(res, 'Issue', 'title', 'missing_field')
    const at = now()
    const issue = {
      repository,
      number: issues.length + 1,
      title: body.title,
      body: body.body ?? null,
      state: 'open',
      state_reason: null,
      labels: (body.labels ?? []).map(l => ({ name: typeof l === 'string' ? l : l.name })),
      comments: 0,
      created_at: at,
      updated_at: at,
      closed_at: null,
      user: user(author),
      html_url: `https://github.com/${repository}/issues/${issues.length + 1}`
    }
    issues.push(issue)
    return send(res, 201, present.issue(issue))
  }

  function createComment(issue, body, res, author) {
    if (!body?.body) return validationFailed(res, 'IssueComment', 'body', 'missing_field')
    const at = now()
    const comment = {
      repository: issue.repository,
      issue_number: issue.number,
      id: comments.length + 1,
      body: body.body,
      created_at: at,
      updated_at: at,
      user: user(author),
      html_url: `${issue.html_url}#issuecomment-${comments.length + 1}`
    }
    comments.push(comment)
    issue.comments += 1
    issue.updated_at = at
    return send(res, 201, present.comment(comment))
  }

  function updateIssue(issue, body, res) {
    const at = now()
    for (const key of ['title', 'body', 'state_reason']) if (body?.[key] !== undefined) issue[key] = body[key]
    if (body?.state && body.state !== issue.state) {
      issue.state = body.state
      issue.closed_at = body.state === 'closed' ? at : null
    }
    issue.updated_at = at
    return send(res, 200, present.issue(issue))
  }

  function createLabel(repository, body, res) {
    if (!body?.name) return validationFailed(res, 'Label', 'name', 'missing_field')
    if (labels.some(l => l.repository === repository && l.name.toLowerCase() === body.name.toLowerCase())) {
      return validationFailed(res, 'Label', 'name', 'already_exists')
    }
    const label = { repository, name: body.name, color: body.color ?? 'ededed', description: body.description ?? null }
    labels.push(label)
    return send(res, 201, present.label(repository, label))
  }

  /** GitHub pages with per_page/page and a Link header; @octokit's paginate follows it. */
  function paginate(where, items, res) {
    const perPage = Math.min(Number(where.searchParams.get('per_page') ?? 30), 100)
    const page = Number(where.searchParams.get('page') ?? 1)
    const headers = {}
    if (page * perPage < items.length) {
      const next = new URL(where)
      next.searchParams.set('page', String(page + 1))
      headers.link = `<${next}>; rel="next"`
    }
    return send(res, 200, items.slice((page - 1) * perPage, page * perPage), headers)
  }

  function takeFault(method) {
    const index = faults.findIndex(f => f.on === 'any' || (f.on === 'write') === (method !== 'GET'))
    return index === -1 ? undefined : faults.splice(index, 1)[0]
  }

  url = await listen(server, '127.0.0.1', 0, 'http')

  /** Each stored item as GitHub sends it: the state the tests read, with the fields GitHub adds around it. */
  const present = {
    issue(issue) {
      const { repository, number } = issue
      const api = `${url}/repos/${repository}`
      return {
        id: 100_000 + number,
        node_id: nodeId('I', number),
        url: `${api}/issues/${number}`,
        repository_url: api,
        labels_url: `${api}/issues/${number}/labels{/name}`,
        comments_url: `${api}/issues/${number}/comments`,
        events_url: `${api}/issues/${number}/events`,
        html_url: issue.html_url,
        number,
        state: issue.state,
        state_reason: issue.state_reason,
        title: issue.title,
        body: issue.body,
        user: simpleUser(url, issue.user.login),
        labels: issue.labels.map(l => present.label(repository, l)),
        assignee: null,
        assignees: [],
        milestone: null,
        locked: false,
        comments: issue.comments,
        created_at: issue.created_at,
        updated_at: issue.updated_at,
        closed_at: issue.closed_at,
        author_association: 'NONE'
      }
    },
    comment(comment) {
      const api = `${url}/repos/${comment.repository}`
      return {
        id: comment.id,
        node_id: nodeId('IC', comment.id),
        url: `${api}/issues/comments/${comment.id}`,
        html_url: comment.html_url,
        issue_url: `${api}/issues/${comment.issue_number}`,
        body: comment.body,
        user: simpleUser(url, comment.user.login),
        created_at: comment.created_at,
        updated_at: comment.updated_at,
        author_association: 'NONE'
      }
    },
    label(repository, label) {
      const stored = labels.find(l => l.repository === repository && l.name === label.name)
      return {
        id: 200_000 + (stored ? labels.indexOf(stored) : labels.length),
        node_id: nodeId('LA', label.name.length),
        url: `${url}/repos/${repository}/labels/${encodeURIComponent(label.name)}`,
        name: label.name,
        description: stored?.description ?? null,
        color: stored?.color ?? 'ededed',
        default: false
      }
    },
    run(run) {
      const { repository: fullName, ...fields } = run
      const api = `${url}/repos/${fullName}`
      const repository = minimalRepository(url, fullName)
      return {
        node_id: nodeId('WFR', run.id),
        head_branch: 'main',
        head_sha: '0'.repeat(40),
        path: '.github/workflows/refresh.yml',
        run_number: run.id,
        display_title: 'Refresh the Pipecat Cloud pull secret',
        url: `${api}/actions/runs/${run.id}`,
        jobs_url: `${api}/actions/runs/${run.id}/jobs`,
        logs_url: `${api}/actions/runs/${run.id}/logs`,
        check_suite_url: `${api}/check-suites/${run.id}`,
        cancel_url: `${api}/actions/runs/${run.id}/cancel`,
        rerun_url: `${api}/actions/runs/${run.id}/rerun`,
        artifacts_url: `${api}/actions/runs/${run.id}/artifacts`,
        workflow_url: `${api}/actions/workflows/${run.workflow_id}`,
        pull_requests: [],
        head_commit: null,
        repository,
        head_repository: repository,
        ...fields
      }
    }
  }

  return {
    url,
    issues,
    comments,
    labels,
    requests,
    workflowRuns,
    /**
     * Records a run of a workflow in the repository, as the Actions API lists it.
     * A scheduled run unless `event` says otherwise.
     * @param {{ id: number, workflow_id: number, repository: string, conclusion?: string | null, status?: string, event?: string, run_started_at: string }} run
     */
    addRun(run) {
      const { repository } = run
      workflowRuns.push({
        event: 'schedule',
        status: 'completed',
        conclusion: 'success',
        created_at: run.run_started_at,
        updated_at: run.run_started_at,
        html_url: `https://github.com/${repository}/actions/runs/${run.id}`,
        ...run
      })
    },
    /**
     * Makes the next matching request fail. By default the next write answers what
     * GITHUB_TOKEN gets without `issues: write`: 403 "Resource not accessible by integration".
     * @param {{ status?: number, message?: string, on?: 'write' | 'any', drop?: boolean }} [fault]
     */
    failNext(fault = {}) {
      faults.push({ status: 403, message: FORBIDDEN, on: 'write', ...fault })
    },
    close: () => closeServer(server)
  }
}

function carriesToken(header, token) {
  return header === `token ${token}` || header === `Bearer ${token}`
}

function send(res, status, data, headers = {}) {
  recordAnswer(res, status, data)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(JSON.stringify(data))
}

function user(login) {
  return { login, type: login.endsWith('[bot]') ? 'Bot' : 'User' }
}

/** GitHub's global node ids are opaque base64; these only need to look the part. */
function nodeId(kind, n) {
  return Buffer.from(`${kind}_${n}`).toString('base64')
}

/** A user as GitHub embeds one in an issue, a comment or a repository (simple-user). */
function simpleUser(api, login) {
  const at = `${api}/users/${encodeURIComponent(login)}`
  return {
    login,
    id: login.length,
    node_id: nodeId('U', login.length),
    avatar_url: `https://avatars.githubusercontent.com/u/${login.length}`,
    gravatar_id: '',
    url: at,
    html_url: `https://github.com/${encodeURIComponent(login)}`,
    followers_url: `${at}/followers`,
    following_url: `${at}/following{/other_user}`,
    gists_url: `${at}/gists{/gist_id}`,
    starred_url: `${at}/starred{/owner}{/repo}`,
    subscriptions_url: `${at}/subscriptions`,
    organizations_url: `${at}/orgs`,
    repos_url: `${at}/repos`,
    events_url: `${at}/events{/privacy}`,
    received_events_url: `${at}/received_events`,
    type: user(login).type,
    site_admin: false
  }
}

/** What `GET /user` answers a personal token's owner with, as another user would see the account (public-user). */
function publicUser(login) {
  return {
    ...simpleUser('https://api.github.com', login),
    name: null,
    company: null,
    blog: null,
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: '2020-01-01T00:00:00Z',
    updated_at: '2020-01-01T00:00:00Z'
  }
}

/** A repository as a workflow run embeds it (minimal-repository). */
function minimalRepository(api, fullName) {
  const [owner, name] = fullName.split('/')
  const at = `${api}/repos/${fullName}`
  const links = Object.fromEntries(
    [
      'contributors',
      'deployments',
      'downloads',
      'events',
      'forks',
      'hooks',
      'languages',
      'merges',
      'stargazers',
      'subscribers',
      'subscription',
      'tags',
      'teams'
    ].map(part => [`${part}_url`, `${at}/${part}`])
  )
  const templates = Object.fromEntries(
    [
      ['archive', '{archive_format}{/ref}'],
      ['assignees', 'assignees{/user}'],
      ['blobs', 'git/blobs{/sha}'],
      ['branches', 'branches{/branch}'],
      ['collaborators', 'collaborators{/collaborator}'],
      ['comments', 'comments{/number}'],
      ['commits', 'commits{/sha}'],
      ['compare', 'compare/{base}...{head}'],
      ['contents', 'contents/{+path}'],
      ['git_commits', 'git/commits{/sha}'],
      ['git_refs', 'git/refs{/sha}'],
      ['git_tags', 'git/tags{/sha}'],
      ['issue_comment', 'issues/comments{/number}'],
      ['issue_events', 'issues/events{/number}'],
      ['issues', 'issues{/number}'],
      ['keys', 'keys{/key_id}'],
      ['labels', 'labels{/name}'],
      ['milestones', 'milestones{/number}'],
      ['notifications', 'notifications{?since,all,participating}'],
      ['pulls', 'pulls{/number}'],
      ['releases', 'releases{/id}'],
      ['statuses', 'statuses/{sha}'],
      ['trees', 'git/trees{/sha}']
    ].map(([part, path]) => [`${part}_url`, `${at}/${path}`])
  )
  return {
    id: fullName.length,
    node_id: nodeId('R', fullName.length),
    name,
    full_name: fullName,
    owner: simpleUser(api, owner),
    private: true,
    html_url: `https://github.com/${fullName}`,
    description: null,
    fork: false,
    url: at,
    ...links,
    ...templates
  }
}

function forbidden(res) {
  return send(res, 403, { message: FORBIDDEN, documentation_url: DOCS, status: '403' })
}

function notFound(res) {
  return send(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' })
}

function validationFailed(res, resource, field, code) {
  return send(res, 422, { message: 'Validation Failed', errors: [{ resource, field, code }], documentation_url: DOCS, status: '422' })
}
