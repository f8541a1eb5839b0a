export const id = 49;
export const ids = [49];
export const modules = {

/***/ 8049:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   reportFailure: () => (/* binding */ reportFailure),
/* harmony export */   reportRecovery: () => (/* binding */ reportRecovery)
/* harmony export */ });
/* unused harmony exports ALERT_LABEL, alertTitle */
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1351);
/* harmony import */ var _actions_github_lib_utils__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8665);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(3916);
/**
 * The alert issue: one open GitHub issue per pull secret while its refresh keeps failing.
 *
 * Scheduled runs fail quietly (GitHub mails only some people, and only sometimes), and a
 * stored ECR token simply stops working 12 hours after the last good refresh. An issue is
 * where a team already looks. main.ts loads this module only when `alert-issue` is true and
 * turns any error thrown here into a warning, so alerting never hides the refresh's result.
 */



/** Every alert issue carries this label, so one filtered listing finds them all. */
const ALERT_LABEL = 'pipecat-pull-secret';
/** The title names the secret: that is what makes it one issue per secret. */
function alertTitle(secretName) {
    return `Pipecat Cloud pull secret refresh failing: ${secretName}`;
}
// A recovery comment records the new expiry in a hidden line, so that the next failure,
// possibly weeks later, can tell people when the stored secret stops working.
const EXPIRY_PATTERN = /<!-- pipecat-pull-secret:expires-at=(\S+) -->/;
// The whole alert gets this long; a hung API must not hold the job until its timeout.
const ALERT_TIMEOUT_MS = 30_000;
async function reportFailure(target, failure) {
    const { github, repo, title, context } = connect(target);
    const message = redact(failure.message, target.token);
    const [open] = await attempt('list open issues', context, () => findAlertIssues(github, repo, title, 'open'));
    if (open) {
        await attempt('comment on an issue', context, () => github.rest.issues.createComment({ ...repo, issue_number: open.number, body: failureComment(message, target.runUrl) }));
        return { action: 'commented', issueNumber: open.number };
    }
    const expiresAt = await attempt('read closed issues', context, () => lastRecordedExpiry(github, repo, title));
    await attempt('create a label', context, () => ensureLabel(github, repo));
    const created = await attempt('open an issue', context, () => github.rest.issues.create({
        ...repo,
        title,
        labels: [ALERT_LABEL],
        body: failureIssueBody(target.secretName, message, target.runUrl, expiresAt)
    }));
    return { action: 'opened', issueNumber: created.data.number };
}
async function reportRecovery(target, recovery) {
    const { github, repo, title, context } = connect(target);
    // A healthy run with nothing open writes nothing: no noise, no API writes.
    const open = await attempt('list open issues', context, () => findAlertIssues(github, repo, title, 'open'));
    if (open.length === 0)
        return { action: 'none' };
    const body = recoveryComment(target.secretName, recovery, target.runUrl);
    // Closes every match, in case a person opened a duplicate by hand.
    for (const issue of open) {
        await attempt('comment on an issue', context, () => github.rest.issues.createComment({ ...repo, issue_number: issue.number, body }));
        await attempt('close an issue', context, () => github.rest.issues.update({ ...repo, issue_number: issue.number, state: 'closed', state_reason: 'completed' }));
    }
    return { action: 'closed', issueNumber: open[0].number };
}
function connect(target) {
    if (!target.token) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ActionError */ .l('No GitHub token for the alert issue: pass one in `github-token` (its default, `${{ github.token }}`, works) or set `alert-issue: false`.');
    }
    const [owner, repo, ...extra] = target.repository.split('/');
    if (!owner || !repo || extra.length > 0) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ActionError */ .l(`Cannot tell which repository gets the alert issue from "${target.repository}": expected owner/repo.`);
    }
    const github = (0,_actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q)(target.token, {
        ...(target.apiUrl ? { baseUrl: target.apiUrl.replace(/\/+$/, '') } : {}),
        // Keeps the proxy-aware fetch that @actions/github sets up; the options merge shallowly.
        request: { ..._actions_github_lib_utils__WEBPACK_IMPORTED_MODULE_1__/* .defaults */ .NT.request, signal: AbortSignal.timeout(ALERT_TIMEOUT_MS) }
    });
    const context = { target, api: github.request.endpoint.DEFAULTS.baseUrl };
    return { github, repo: { owner, repo }, title: alertTitle(target.secretName), context };
}
async function findAlertIssues(github, repo, title, state) {
    const issues = await github.paginate(github.rest.issues.listForRepo, {
        ...repo,
        labels: ALERT_LABEL,
        state,
        per_page: 100
    });
    // The issues endpoint also lists pull requests, and other secrets share the label.
    return issues.filter((issue) => !issue.pull_request && issue.title === title);
}
/** The expiry the most recent recovery recorded, read from the latest closed alert issue. */
async function lastRecordedExpiry(github, repo, title) {
    const { data: closed } = await github.rest.issues.listForRepo({
        ...repo,
        labels: ALERT_LABEL,
        state: 'closed',
        sort: 'updated',
        direction: 'desc',
        per_page: 30
    });
    const latest = closed.find((issue) => !issue.pull_request && issue.title === title);
    if (!latest)
        return undefined;
    const comments = await github.paginate(github.rest.issues.listComments, { ...repo, issue_number: latest.number, per_page: 100 });
    for (const comment of comments.reverse()) {
        const match = comment.body?.match(EXPIRY_PATTERN);
        if (match)
            return match[1];
    }
    return undefined;
}
async function ensureLabel(github, repo) {
    try {
        await github.rest.issues.createLabel({
            ...repo,
            name: ALERT_LABEL,
            color: 'd93f0b',
            description: 'Opened and closed by the Pipecat Cloud pull secret refresh'
        });
    }
    catch (error) {
        if (!isAlreadyExists(error))
            throw error;
    }
}
function failureIssueBody(secretName, message, runUrl, recordedExpiry) {
    return [
        `The refresh of the Pipecat Cloud image pull secret \`${secretName}\` failed, so the secret was not updated.`,
        '',
        '**Error**',
        '',
        fenced(message),
        '',
        `**Run:** ${runUrl}`,
        '',
        `**Stored secret expires:** ${expiryStatement(recordedExpiry)}`,
        '',
        'This issue stays open while refreshes fail: each failing run adds a comment, and the next successful run comments and closes it.'
    ].join('\n');
}
function expiryStatement(recordedExpiry) {
    const consequence = 'From then on Pipecat Cloud cannot pull the image with the stored secret: new agents, scale-outs and restarts fail ' +
        '(`ImagePullBackOff`) until a refresh succeeds. Agents already running keep running.';
    const at = recordedExpiry ? Date.parse(recordedExpiry) : NaN;
    if (at > Date.now()) {
        return (`${recordedExpiry}, as recorded by the last recovery in this repository ` +
            `(successful runs since then may have moved it later, never earlier). ${consequence}`);
    }
    const why = recordedExpiry
        ? `the last recorded expiry, ${recordedExpiry}, has passed, and healthy runs do not record theirs.`
        : 'no recovery has recorded one in this repository yet, and healthy runs do not record theirs.';
    return (`unknown: ${why} An ECR token lasts 12 hours, so the stored secret stops working 12 hours after the last ` +
        `successful refresh. ${consequence}`);
}
function failureComment(message, runUrl) {
    return [`The refresh failed again: ${runUrl}`, '', fenced(message)].join('\n');
}
function recoveryComment(secretName, recovery, runUrl) {
    // Only timestamp characters go into the hidden marker, so it always parses back.
    const expiresAt = recovery.expiresAt.replace(/[^\w:.+-]/g, '');
    return [
        `The refresh succeeded: ${runUrl}`,
        '',
        `The pull secret \`${secretName}\` now holds credentials for \`${recovery.registry}\` that expire at **${expiresAt}**. Closing this issue.`,
        '',
        `<!-- pipecat-pull-secret:expires-at=${expiresAt} -->`
    ].join('\n');
}
/** A code fence longer than any run of tildes in the text, so an error cannot break out of it. */
function fenced(text) {
    const longest = Math.max(0, ...(text.match(/~+/g) ?? []).map((run) => run.length));
    const fence = '~'.repeat(Math.max(3, longest + 1));
    return `${fence}text\n${text}\n${fence}`;
}
function redact(text, secret) {
    return secret ? text.split(secret).join('***') : text;
}
/** Runs one API call and turns its failure into a one-line cause and fix. */
async function attempt(doing, context, call) {
    try {
        return await call();
    }
    catch (error) {
        throw explain(error, doing, context);
    }
}
function explain(error, doing, { target, api }) {
    const status = error?.status;
    const response = error?.response;
    const said = redact(String(response?.data?.message ?? error?.message ?? error), target.token);
    const where = target.repository;
    if (!response || typeof status !== 'number') {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ActionError */ .l(`Could not reach the GitHub API at ${api} to ${doing} (${said}): check the runner's network and proxy settings; the next run tries again.`);
    }
    if (status === 401) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ActionError */ .l(`GitHub rejected the token given to update the alert issue (401 ${said}): pass a valid token in \`github-token\` (its default, \`\${{ github.token }}\`, works).`);
    }
    if (status === 403 && /rate limit/i.test(said)) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ActionError */ .l(`GitHub's API rate limit stopped the alert issue (403 ${said}): the next run tries again.`);
    }
    if (status === 403) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ActionError */ .l(`GitHub did not let this job ${doing} in ${where} (403 ${said}): add \`issues: write\` to the job's \`permissions\`.`);
    }
    if (status === 404) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ActionError */ .l(`GitHub answered 404 when asked to ${doing} in ${where}: check that the repository exists, that the token can see it, and that the job has \`issues: write\`.`);
    }
    if (status === 410) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ActionError */ .l(`Issues are turned off in ${where} (410): turn them on under Settings > General > Features, or set \`alert-issue: false\`.`);
    }
    return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ActionError */ .l(`GitHub answered ${status} when asked to ${doing} in ${where} (${said}): the next run tries again.`);
}
function isAlreadyExists(error) {
    const { status, response } = error;
    return status === 422 && (response?.data?.errors ?? []).some((e) => e.code === 'already_exists');
}


/***/ })

};
