import { lambdaSuite } from './e2e/lambda-suite.js'

// The same scenarios against src/lambda.ts, so the coverage of src/ counts the handler: the bundle's run in
// this process (e2e/lambda.test.ts) is not mapped back to src/ as a child process's is.
lambdaSuite(() => import('../src/lambda.js'))
