// Start-up trick: no WebAssembly tier-up (src/start-up/README.md), loaded first by undici.ts.
// What: two V8 flags, and the HTTP built-ins loaded before they are set.
// Breaks when: node24's V8 drops or renames a flag (setFlagsFromString ignores a flag it does not know),
// or optimises WebAssembly despite them; then __tests__/start-up/start-up-layer.test.ts fails. Update this file,
// or drop the trick (docs/performance.md, "The start-up layer").
import { setFlagsFromString } from 'node:v8'
// Node compiles its own built-in modules again once V8's flags change, so the ones a refresh loads
// after this point (HTTP, TLS and what undici takes from them) are loaded first, from Node's snapshot.
// Buys: 21 ms of a full refresh on node24 (median; quartiles 8-64 ms; CPU 17 ± 8 ms), measured 2026-12-07
// against the flags set with no built-in loaded first.
import 'node:assert'
import 'node:http'
import 'node:http2'
import 'node:https'
import 'node:net'
import 'node:tls'

// undici parses HTTP with WebAssembly. V8 recompiles hot WebAssembly with its optimising compiler on
// background threads, and a process waits for those at exit: about 25 ms of CPU, after the last
// output, for a parser that reads a handful of small answers. The baseline code is fast enough for
// that, so tier-up is switched off before undici compiles its parser (V8 reads these per module).
// Both flags are needed: with either alone V8 still optimises (the test shows it on a hot function).
// Buys: 100 ms of a full refresh on node24 (median; quartiles 71-140 ms; CPU 105 ± 11 ms), on a machine
// busy enough that the optimising threads compete with the run; without --no-wasm-tier-up alone 106 ms,
// without --no-wasm-dynamic-tiering alone 109 ms. Measured 2026-12-07.
setFlagsFromString('--no-wasm-tier-up')
setFlagsFromString('--no-wasm-dynamic-tiering')
