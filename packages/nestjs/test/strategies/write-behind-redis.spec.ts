import { useCatalogServers } from './pricing.fixture.js';
import { onSingleRedis } from './strategy-servers.fixture.js';
import { describeWriteBehindRedis } from './write-behind-redis.suite.js';

describeWriteBehindRedis(onSingleRedis(useCatalogServers()));
