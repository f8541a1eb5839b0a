import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { lambdaSuite } from './lambda-suite.js'

// The bundle a deployment zip holds (npm run lambda:zip), as Lambda loads it.
lambdaSuite(() => import(pathToFileURL(resolve('dist/lambda/index.js')).href))
