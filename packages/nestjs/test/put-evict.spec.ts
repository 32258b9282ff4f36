import { backends } from './support/app.js';
import { useRedisServer } from './support/redis.js';
import { describePutEvict } from './put-evict.suite.js';

const redis = useRedisServer();

describePutEvict(backends(redis));
