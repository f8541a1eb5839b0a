export const id = 523;
export const ids = [523];
export const modules = {

/***/ 9904:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   storePullSecret: () => (/* binding */ storePullSecret),
/* harmony export */   waitForReady: () => (/* binding */ waitForReady)
/* harmony export */ });
/* unused harmony exports explainPipecatError, listSecretSets */
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6257);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3916);


const SERVICE = 'Pipecat Cloud';
function readError(answer) {
    try {
        const body = JSON.parse(answer.body.toString('utf8'));
        return { error: String(body.error ?? ''), code: String(body.code ?? '') };
    }
    catch {
        return { error: '', code: '' };
    }
}
function readJson(answer, what) {
    try {
        return JSON.parse(answer.body.toString('utf8'));
    }
    catch {
        const type = answer.headers['content-type'] || 'no content type';
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .l(`${SERVICE} answered ${what} with ${answer.status} but a body that is not JSON (${type}): a proxy or a wrong pipecat-api-url may be in the way; check pipecat-api-url and the runner's proxy settings.`);
    }
}
/** Pipecat Cloud's answers, in the user's terms: what happened and what to change. */
function explainPipecatError(answer, secret) {
    const { error, code } = readError(answer);
    const name = secret.secretName;
    if (answer.status === 401 || answer.status === 403) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .l(`${SERVICE} rejected pipecat-api-token (${answer.status}): use a Private API key (Dashboard > Settings > API Keys > Private) and store it as a repository secret.`);
    }
    if (/Cannot update existing regular secrets/i.test(error)) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .l(`The name ${name} is taken by a regular secret set, which cannot hold image credentials: choose another secret-name, or delete that set (pipecat cloud secrets delete ${name}).`);
    }
    const moved = /already exists in region '([^']+)'/i.exec(error);
    if (moved) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .l(`Secret set ${name} lives in Pipecat region ${moved[1]}, not ${secret.region ?? 'the one asked for'}: set pipecat-region: ${moved[1]} (a set cannot move), or choose a new secret-name for the other region.`);
    }
    if (/Invalid region/i.test(error)) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .l(`${SERVICE} does not offer region ${secret.region ?? '(default)'} to your organization: check pipecat-region against the regions in your dashboard.`);
    }
    if (answer.status >= 500 || answer.status === 429 || answer.status === 409) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .l(`${SERVICE} answered ${answer.status}${code ? ` ${code}` : ''} after ${answer.attempts} attempts: the service is busy or failing; rerun the workflow later.`);
    }
    const detail = error ? `: ${error}` : '';
    return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .l(`${SERVICE} refused the image pull secret ${name} (${answer.status}${code ? ` ${code}` : ''}${detail}); check secret-name, pipecat-region and pipecat-api-url.`);
}
/**
 * Creates or updates the image pull secret. The body is the image pull secret shape; the older
 * `{"secrets": [...]}` shape would make a regular set, which agents cannot use as image_credentials.
 */
async function storePullSecret(api, secret) {
    const body = { isImagePullSecret: true, host: secret.host, secretValue: secret.authorizationToken };
    if (secret.region)
        body.region = secret.region;
    const answer = await api.http.send({
        method: 'PUT',
        url: `${api.apiUrl}/v1/secrets/${encodeURIComponent(secret.secretName)}`,
        headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body)
    }, { service: SERVICE });
    if (answer.status < 200 || answer.status > 299)
        throw explainPipecatError(answer, secret);
    const stored = readJson(answer, 'the secret update');
    return { region: typeof stored.region === 'string' ? stored.region : undefined, attempts: answer.attempts };
}
async function listSecretSets(api) {
    const answer = await api.http.send({ method: 'GET', url: `${api.apiUrl}/v1/secrets`, headers: { authorization: `Bearer ${api.token}`, accept: 'application/json' } }, { service: SERVICE });
    if (answer.status !== 200)
        throw explainPipecatError(answer, { secretName: '(list)' });
    const list = readJson(answer, 'the secret list');
    if (!Array.isArray(list.sets)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .l(`${SERVICE} answered the secret list without "sets": check pipecat-api-url points at the Pipecat Cloud API.`);
    }
    return list.sets;
}
/**
 * Provisioning is asynchronous, and deploys that bind a set that is not ready are rejected, so a
 * release pipeline waits here. The list is watched because GET by name refuses image pull secrets.
 */
async function waitForReady(api, secretName, options) {
    const sleep = options.sleep ?? ((ms) => new Promise(resolve => setTimeout(resolve, ms)));
    const now = options.now ?? Date.now;
    const deadline = now() + options.timeoutMs;
    let interval = 1000;
    let last;
    for (;;) {
        last = (await listSecretSets(api)).find(set => set.name === secretName);
        if (last && last.type !== 'imagePullSecret') {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .l(`Secret set ${secretName} is listed as type ${last.type}, not an image pull secret: choose another secret-name.`);
        }
        if (last?.status === 'ready')
            return last;
        if (last?.status === 'failed') {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .l(`Pipecat Cloud could not provision secret set ${secretName}: ${last.errorMessage || 'no reason given'}; check the registry host, then rerun.`);
        }
        const left = deadline - now();
        if (left <= 0) {
            const seen = last ? `still ${last.status}` : 'not listed';
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ActionError */ .l(`Secret set ${secretName} is ${seen} after ${Math.round(options.timeoutMs / 1000)}s: Pipecat Cloud is provisioning slowly; raise wait-timeout or rerun (deploys that bind it are rejected until it is ready).`);
        }
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(`Secret set ${secretName} is ${last?.status ?? 'not listed yet'}; checking again in ${(Math.min(interval, left) / 1000).toFixed(1)}s.`);
        await sleep(Math.min(interval, left));
        interval = Math.min(interval * 2, 5000);
    }
}


/***/ })

};
