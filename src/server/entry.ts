/**
 * dist/server.js: the language server alone (`node dist/server.js --stdio`), for clients that start it directly;
 * `--validate-model DIR VARIANT` is the short-lived child that checks a model folder (./validate).
 */
import { startFromArgv } from './main';
import { runValidation, VALIDATE_FLAG } from './validate';

const i = process.argv.indexOf(VALIDATE_FLAG);
if (i >= 0) void runValidation(process.argv[i + 1], process.argv[i + 2] ?? 'fp32');
else startFromArgv();
