import 'reflect-metadata';
import { backends } from '../support/app.js';
import { useRedisServer } from '../support/redis.js';
import { nestCacheModule, strataImports } from './cache-manager-apps.support.js';
import { describeCacheManagerBehaviour } from './cache-manager.suite.js';

const redis = useRedisServer();

// The reference first: the suite states cache-manager's behaviour, Strata's provider must match it.
describeCacheManagerBehaviour([nestCacheModule, ...strataImports(backends(redis))]);
