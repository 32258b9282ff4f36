import { backends } from './support/app.js';
import { useRedisServer } from './support/redis.js';
import { describeCacheable } from './cacheable.suite.js';

const redis = useRedisServer();

describeCacheable(backends(redis));
