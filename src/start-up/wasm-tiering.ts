import { setFlagsFromString } from 'node:v8'
// Node compiles its own built-in modules again once V8's flags change, so the ones a refresh loads
// after this point (HTTP, TLS and what undici takes from them) are loaded first, from Node's snapshot.
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
setFlagsFromString('--no-wasm-tier-up')
setFlagsFromString('--no-wasm-dynamic-tiering')
