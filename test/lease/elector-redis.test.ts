// Elector with the Redis backend: one leader, hand-over, kill -9 failover, frozen leader, black-holed Redis.
import { electorTests, outageTest } from './elector-backends.js';

electorTests('redis', 100);
outageTest('redis', (port) => `redis://127.0.0.1:${port}/0`, 6379);
