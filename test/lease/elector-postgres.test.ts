// Elector with the PostgreSQL backend: one leader, hand-over, kill -9 failover, frozen leader, black-holed server.
import { electorTests, outageTest } from './elector-backends.js';

electorTests('postgres', 100);
outageTest('postgres', (port) => `postgres://postgres@127.0.0.1:${port}/test`, 5432);
