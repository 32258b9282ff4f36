import { backends } from './support/app.js';
import { useRedisServer } from './support/redis.js';
import { describeCacheService } from './cache-service.suite.js';

const redis = useRedisServer();

describeCacheService(backends(redis));
