import { useCatalogServers } from './pricing.fixture.js';
import { describeCacheAside } from './cache-aside.suite.js';
import { onSingleRedis } from './strategy-servers.fixture.js';

describeCacheAside(onSingleRedis(useCatalogServers()));
