import { describeNamedCacheDecorators } from './named-cache-decorators.suite.js';
import { useRedisServer } from './support/redis.js';

const redis = useRedisServer();

describeNamedCacheDecorators(() => ({ url: redis.url }));
