// Elector with the PostgreSQL backend: one leader, hand-over, kill -9 failover, frozen leader, black-holed server.
import { electorTests, outageTest } from './elector-backends.js';
import { serviceFor } from './helpers.js';

const postgres = await serviceFor('postgres');
electorTests('postgres', 100, postgres.skip);
outageTest('postgres', postgres);
