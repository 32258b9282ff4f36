import { useCatalogServers } from './pricing.fixture.js';
import { onSingleRedis } from './strategy-servers.fixture.js';
import { describeWriteThrough } from './write-through.suite.js';

// Append-only, so a value cached before a SIGKILL is still in Redis after the restart.
describeWriteThrough(onSingleRedis(useCatalogServers({ appendOnly: true })));
