// Elector with the Redis backend: one leader, hand-over, kill -9 failover, frozen leader, black-holed Redis.
import { electorTests, outageTest } from './elector-backends.js';
import { serviceFor } from './helpers.js';

const redis = await serviceFor('redis');
electorTests('redis', 100, redis.skip);
outageTest('redis', redis);
