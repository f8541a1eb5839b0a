export const id = 531;
export const ids = [531];
export const modules = {

/***/ 9531:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   formatChanges: () => (/* binding */ formatChanges),
/* harmony export */   planDeployConfig: () => (/* binding */ planDeployConfig),
/* harmony export */   readDeployConfig: () => (/* binding */ readDeployConfig),
/* harmony export */   writeDeployConfig: () => (/* binding */ writeDeployConfig)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_util__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(7975);
/* harmony import */ var node_util__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(node_util__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var smol_toml__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(3292);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(3916);
// pcc-deploy.toml, the Pipecat Cloud CLI's deploy config. The action owns a handful of keys and edits only
// those, in place: the rest of the file is the user's, comments and layout included.






// Deprecated in CLI 0.6 and rejected by 1.x, yet still in the ECR guide's sample file.
const LEGACY_SCALING = [
    ['min_instances', 'min_agents'],
    ['max_instances', 'max_agents']
];
// Integers as bigint, so `min_agents = 1.0` (a float) is told apart from `min_agents = 1`.
const EXACT = { integersAsBigInt: true };
/** Works out the new pcc-deploy.toml text without touching the disk, so main can report before writing. */
function planDeployConfig(existing, values, path) {
    const wanted = wantedKeys(values);
    if (existing === undefined && !wanted.has('agent_name')) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ActionError */ .l(`Input agent-name: ${path} does not exist yet, and the Pipecat Cloud CLI requires agent_name in a new deploy config; set agent-name, or commit a ${path} that has agent_name.`);
    }
    const before = existing === undefined ? {} : parseConfig(existing, path);
    checkTypes(before, path);
    // Re-reading the result is the safety net for the hand-written edit: a wrong file is never returned.
    let cause;
    try {
        const plan = existing === undefined ? planNewFile(wanted) : planUpdate(existing, before, wanted, path);
        if ((0,node_util__WEBPACK_IMPORTED_MODULE_3__.isDeepStrictEqual)((0,smol_toml__WEBPACK_IMPORTED_MODULE_4__/* .parse */ .qg)(plan.text, EXACT), applyWanted((0,smol_toml__WEBPACK_IMPORTED_MODULE_4__/* .parse */ .qg)(existing ?? '', EXACT), wanted)))
            return plan;
    }
    catch (error) {
        if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ActionError */ .l)
            throw error;
        cause = error;
    }
    throw new Error(`Editing ${path} (config-file) gave a file that does not parse to the intended values, so it was not written and the file was left untouched. This is a bug in the action; please report it with a copy of the file.`, { cause });
}
function wantedKeys(values) {
    const wanted = new Map();
    const strings = [
        ['agent_name', values.agentName],
        ['image', values.image],
        ['image_credentials', values.imageCredentials],
        ['secret_set', values.secretSet],
        ['region', values.region],
        ['agent_profile', values.agentProfile]
    ];
    for (const [key, value] of strings) {
        if (value !== undefined && (value !== '' || key === 'image_credentials'))
            wanted.set(key, value);
    }
    const counts = [
        ['scaling.min_agents', 'min-agents', values.minAgents, 0],
        ['scaling.max_agents', 'max-agents', values.maxAgents, 1]
    ];
    for (const [key, input, value, least] of counts) {
        if (value === undefined)
            continue;
        if (!Number.isSafeInteger(value) || value < least) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ActionError */ .l(`Input ${input}: ${value} is not a whole number of ${least} or more; give a value such as ${least + 1}.`);
        }
        wanted.set(key, value);
    }
    return wanted;
}
function parseConfig(text, path) {
    try {
        return (0,smol_toml__WEBPACK_IMPORTED_MODULE_4__/* .parse */ .qg)(text, EXACT);
    }
    catch (error) {
        if (!(error instanceof smol_toml__WEBPACK_IMPORTED_MODULE_4__/* .TomlError */ .zx))
            throw error;
        const reason = error.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ActionError */ .l(`Input config-file: ${path} is not valid TOML (line ${error.line}, column ${error.column}: ${reason}); fix the file and run again. The file was left untouched.`);
    }
}
function checkTypes(config, path) {
    const expect = (key, value, wanted, ok) => {
        if (value === undefined || ok)
            return;
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ActionError */ .l(`Input config-file: ${key} in ${path} is ${typeName(value)}, but the Pipecat Cloud CLI expects ${wanted}; fix or remove it and run again. The file was left untouched.`);
    };
    for (const key of ['agent_name', 'image', 'image_credentials', 'secret_set', 'region', 'agent_profile']) {
        expect(key, config[key], 'a string', typeof config[key] === 'string');
    }
    const scaling = config.scaling;
    expect('scaling', scaling, 'a table', isTable(scaling));
    if (!isTable(scaling))
        return;
    for (const key of ['min_agents', 'max_agents', ...LEGACY_SCALING.map(([legacy]) => legacy)]) {
        expect(`scaling.${key}`, scaling[key], 'an integer', typeof scaling[key] === 'bigint');
    }
}
function planNewFile(wanted) {
    const config = {};
    for (const [key, value] of wanted) {
        const [first, second] = key.split('.');
        if (second === undefined)
            config[first] = value;
        else
            config[first] = { ...config[first], [second]: value };
    }
    const changes = [...wanted].map(([key, after]) => change(key, undefined, after));
    return { text: (0,smol_toml__WEBPACK_IMPORTED_MODULE_4__/* .stringify */ .As)(config), created: true, changes, notices: [] };
}
/** Edits owned keys in place; every other byte of the file stays as it was. */
function planUpdate(existing, before, wanted, path) {
    const statements = scan(existing);
    const eol = existing.includes('\r\n') ? '\r\n' : '\n';
    const scaling = isTable(before.scaling) ? before.scaling : {};
    const edits = [];
    const changes = [];
    const notices = [];
    const newTopLevel = [];
    const newScaling = [];
    const pairs = (where) => statements.filter((s) => s.key.length > 0 && where(s));
    const find = (key) => pairs((s) => samePath([...s.table, ...s.key], key.split('.')))[0];
    const replace = (start, end, text) => edits.push({ start, end, text });
    const insert = (at, lines, indent = '') => {
        // Only the end of a file can lack a final line ending, and it needs one before anything goes after it.
        const lead = at > 0 && existing[at - 1] !== '\n' && !edits.some((e) => e.start === at && e.end === at) ? eol : '';
        replace(at, at, lead + lines.map((line) => indent + line + eol).join(''));
    };
    const indentOf = (s) => /[ \t]*$/.exec(existing.slice(s.start, s.keyStart))?.[0] ?? ''; // not a byte-order mark
    const refuseInlineScaling = () => {
        if (find('scaling') === undefined)
            return;
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ActionError */ .l(`Input config-file: ${path} writes scaling as an inline table (scaling = { ... }), which the action does not edit; rewrite it as a [scaling] table with one key per line and run again. The file was left untouched.`);
    };
    const setKey = (key, value) => {
        const [first, second] = key.split('.');
        const old = scalar(second === undefined ? before[first] : scaling[second]);
        if (old === value)
            return;
        if (second !== undefined)
            refuseInlineScaling();
        const statement = find(key);
        if (statement)
            replace(statement.valueStart, statement.valueEnd, tomlValue(value));
        else if (second === undefined)
            newTopLevel.push(assignment(first, value));
        else
            newScaling.push(assignment(second, value));
        changes.push(change(key, old, value));
    };
    const pending = new Map(wanted);
    for (const [key, value] of wanted)
        if (!key.startsWith('scaling.'))
            setKey(key, value);
    for (const [legacy, current] of LEGACY_SCALING) {
        if (scaling[legacy] === undefined)
            continue;
        refuseInlineScaling();
        const statement = find(`scaling.${legacy}`);
        const old = scalar(scaling[legacy]);
        changes.push(change(`scaling.${legacy}`, old, undefined));
        if (scaling[current] !== undefined) {
            replace(statement.start, statement.end, '');
            notices.push(`Removed scaling.${legacy} from ${path}: scaling.${current} is already set, and the current Pipecat Cloud CLI rejects ${legacy}.`);
            continue;
        }
        const value = pending.get(`scaling.${current}`) ?? old;
        pending.delete(`scaling.${current}`);
        replace(statement.keyStart, statement.keyEnd, [...statement.key.slice(0, -1), current].join('.'));
        replace(statement.valueStart, statement.valueEnd, tomlValue(value));
        changes.push(change(`scaling.${current}`, undefined, value));
        notices.push(`Renamed scaling.${legacy} to ${current} in ${path}: the current Pipecat Cloud CLI rejects ${legacy}.`);
    }
    for (const [key, value] of pending)
        if (key.startsWith('scaling.'))
            setKey(key, value);
    if (newTopLevel.length > 0) {
        const lastTopLevel = pairs((s) => s.table.length === 0).at(-1);
        const firstHeader = statements.find((s) => s.key.length === 0);
        if (lastTopLevel)
            insert(lastTopLevel.end, newTopLevel, indentOf(lastTopLevel));
        else if (firstHeader)
            insert(firstHeader.start, [...newTopLevel, '']);
        else
            insert(existing.length, newTopLevel);
    }
    const scalingHeader = statements.find((s) => s.key.length === 0 && samePath(s.table, ['scaling']));
    const lastDotted = pairs((s) => s.table.length === 0 && s.key[0] === 'scaling').at(-1);
    if (newScaling.length > 0 && scalingHeader) {
        const anchor = pairs((s) => samePath(s.table, ['scaling'])).at(-1) ?? scalingHeader;
        insert(anchor.end, newScaling, indentOf(anchor));
    }
    else if (newScaling.length > 0 && lastDotted) {
        insert(lastDotted.end, newScaling.map((line) => `scaling.${line}`), indentOf(lastDotted));
    }
    let text = applyEdits(existing, edits);
    if (newScaling.length > 0 && !scalingHeader && !lastDotted) {
        text += blankLineBefore(text, eol) + ['[scaling]', ...newScaling].map((line) => line + eol).join('');
    }
    return { text, created: false, changes, notices };
}
/**
 * Splits the file into statements. smol-toml decides every boundary, so strings and quoted keys
 * containing `=`, `#` or `[` are never misread: a pair ends at the first line where it parses on its own,
 * the key ends at the first `=` that leaves a parsable key, and the value ends at the first `#` before which
 * the pair already parses.
 */
function scan(text) {
    const statements = [];
    let table = [];
    for (let start = 0, end = 0; start < text.length; start = end) {
        end = lineEnd(text, start);
        const line = text.slice(start, end).trim();
        if (line === '' || line.startsWith('#'))
            continue;
        if (line.startsWith('[')) {
            table = leafPath((0,smol_toml__WEBPACK_IMPORTED_MODULE_4__/* .parse */ .qg)(line));
            statements.push({ start, end, table, key: [], keyStart: start, keyEnd: start, valueStart: start, valueEnd: start });
            continue;
        }
        while (!parses(text.slice(start, end)) && end < text.length)
            end = lineEnd(text, end);
        const source = text.slice(start, end);
        const equals = firstIndex(source, '=', 0, (at) => parses(`${source.slice(0, at)}= 0`));
        const comment = firstIndex(source, '#', equals, (at) => parses(source.slice(0, at)));
        const keyText = source.slice(0, equals);
        const valueText = source.slice(equals + 1, comment === -1 ? undefined : comment);
        statements.push({
            start,
            end,
            table,
            key: leafPath((0,smol_toml__WEBPACK_IMPORTED_MODULE_4__/* .parse */ .qg)(`${keyText}= 0`)),
            keyStart: start + keyText.length - keyText.trimStart().length,
            keyEnd: start + keyText.trimEnd().length,
            valueStart: start + equals + 1 + valueText.length - valueText.trimStart().length,
            valueEnd: start + equals + 1 + valueText.trimEnd().length
        });
    }
    return statements;
}
function lineEnd(text, from) {
    const newline = text.indexOf('\n', from);
    return newline === -1 ? text.length : newline + 1;
}
function firstIndex(text, char, from, accept) {
    for (let at = text.indexOf(char, from); at !== -1; at = text.indexOf(char, at + 1))
        if (accept(at))
            return at;
    return -1;
}
function parses(text) {
    try {
        (0,smol_toml__WEBPACK_IMPORTED_MODULE_4__/* .parse */ .qg)(text);
        return true;
    }
    catch {
        return false;
    }
}
/** The key path of a one-key document: `{ scaling: { min_agents: 0 } }` gives `['scaling', 'min_agents']`. */
function leafPath(document) {
    const path = [];
    let node = document;
    for (let key = firstKey(node); key !== undefined; key = firstKey(node)) {
        path.push(key);
        node = node[key];
    }
    return path;
}
function firstKey(node) {
    return isTable(node) ? Object.keys(node)[0] : undefined;
}
function applyEdits(text, edits) {
    let result = '';
    let cursor = 0;
    for (const edit of [...edits].sort((a, b) => a.start - b.start)) {
        result += text.slice(cursor, edit.start) + edit.text;
        cursor = edit.end;
    }
    return result + text.slice(cursor);
}
/** What the file should parse to: the old values with ours applied. Used to check the edit. */
function applyWanted(config, wanted) {
    for (const [key, value] of wanted) {
        const [first, second] = key.split('.');
        if (second === undefined)
            config[first] = value;
        else
            (config.scaling ??= Object.create(null))[second] = BigInt(value);
    }
    const scaling = config.scaling;
    if (isTable(scaling)) {
        for (const [legacy, current] of LEGACY_SCALING) {
            if (scaling[legacy] === undefined)
                continue;
            scaling[current] ??= scaling[legacy];
            delete scaling[legacy];
        }
    }
    return config;
}
function blankLineBefore(text, eol) {
    const trailingNewlines = text.slice(text.trimEnd().length).split('\n').length - 1;
    return text.trim() === '' ? '' : eol.repeat(Math.max(0, 2 - trailingNewlines));
}
function assignment(key, value) {
    return (0,smol_toml__WEBPACK_IMPORTED_MODULE_4__/* .stringify */ .As)({ [key]: value }).trimEnd();
}
/** A value as TOML writes it, with smol-toml doing the quoting and escaping. */
function tomlValue(value) {
    return (0,smol_toml__WEBPACK_IMPORTED_MODULE_4__/* .stringify */ .As)({ v: value }).slice('v = '.length).trimEnd();
}
function scalar(value) {
    return typeof value === 'bigint' ? Number(value) : value;
}
function change(key, before, after) {
    return { key, ...(before !== undefined && { before }), ...(after !== undefined && { after }) };
}
function samePath(a, b) {
    return a.length === b.length && a.every((key, index) => key === b[index]);
}
function isTable(value) {
    return typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}
function typeName(value) {
    if (typeof value === 'bigint')
        return 'an integer';
    if (typeof value === 'number')
        return 'a float';
    if (typeof value === 'string')
        return 'a string';
    if (typeof value === 'boolean')
        return 'a boolean';
    if (Array.isArray(value))
        return 'an array';
    return isTable(value) ? 'a table' : 'a date or time';
}
/** A markdown diff of the changed keys for the job summary; empty when nothing changed. */
function formatChanges(changes) {
    if (changes.length === 0)
        return '';
    const lines = changes.flatMap(({ key, before, after }) => [
        ...(before === undefined ? [] : [`- ${key} = ${tomlValue(before)}`]),
        ...(after === undefined ? [] : [`+ ${key} = ${tomlValue(after)}`])
    ]);
    return ['```diff', ...lines, '```', ''].join('\n');
}
async function readDeployConfig(path) {
    try {
        return await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readFile)(path, 'utf8');
    }
    catch (error) {
        if (errorCode(error) === 'ENOENT')
            return undefined;
        if (errorCode(error) === 'EISDIR')
            throw isDirectory(path);
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ActionError */ .l(`Input config-file: could not read ${path} (${reason(error)}); check the path and its permissions.`);
    }
}
/**
 * Replaces the file in one step (temp file, fsync, rename), so a failed run never leaves half a config behind.
 * A symlink is written through, and the file keeps its mode: a 0600 config stays private.
 */
async function writeDeployConfig(path, text) {
    const target = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.realpath)(path).catch(() => path);
    const temp = (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.dirname)(target), `.${(0,node_path__WEBPACK_IMPORTED_MODULE_2__.basename)(target)}.${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(6).toString('hex')}.tmp`);
    let file;
    let tempCreated = false;
    try {
        const mode = await modeOf(target);
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.mkdir)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.dirname)(target), { recursive: true });
        file = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.open)(temp, 'wx', mode);
        tempCreated = true;
        await file.chmod(mode); // open() applies the umask; chmod does not
        await file.writeFile(text, 'utf8');
        await file.sync();
        await file.close();
        file = undefined;
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rename)(temp, target);
    }
    catch (error) {
        await file?.close().catch(() => undefined);
        if (tempCreated)
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm)(temp, { force: true }).catch(() => undefined);
        if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ActionError */ .l)
            throw error;
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ActionError */ .l(`Input config-file: could not write ${path} (${reason(error)}); check that its directory is writable. The file was left as it was.`);
    }
}
async function modeOf(path) {
    try {
        const stats = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.stat)(path);
        if (stats.isDirectory())
            throw isDirectory(path);
        return stats.mode & 0o777;
    }
    catch (error) {
        if (errorCode(error) === 'ENOENT')
            return 0o644;
        throw error;
    }
}
function isDirectory(path) {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_5__/* .ActionError */ .l(`Input config-file: ${path} is a directory; give a file path such as pcc-deploy.toml.`);
}
function errorCode(error) {
    return error?.code;
}
function reason(error) {
    return error instanceof Error ? error.message : String(error);
}


/***/ })

};
