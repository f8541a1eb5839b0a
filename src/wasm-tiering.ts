import { setFlagsFromString } from 'node:v8'

// undici parses HTTP with WebAssembly. V8 recompiles hot WebAssembly with its optimising compiler on
// background threads, and a process waits for those at exit: about 25 ms of CPU, after the last
// output, for a parser that reads a handful of small answers. The baseline code is fast enough for
// that, so tier-up is switched off before undici compiles its parser (V8 reads these per module).
setFlagsFromString('--no-wasm-tier-up')
setFlagsFromString('--no-wasm-dynamic-tiering')
