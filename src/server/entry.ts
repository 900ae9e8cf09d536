/** dist/server.js: the language server alone (`node dist/server.js --stdio`), for clients that start it directly. */
import { startFromArgv } from './main';

startFromArgv();
